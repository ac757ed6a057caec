"""Units: host units (主办单位) and competent offices (主管单位). Plain Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from govmedia_registry.aggregate import Aggregate


class UnitKind(StrEnum):
    COMPETENT_OFFICE = "competent_office"  # 主管单位
    HOST_UNIT = "host_unit"  # 主办单位


@dataclass
class Unit(Aggregate):
    """A host unit or competent office in a region, with the duties that its account names relate to."""

    id: str
    name: str
    short_name: str
    kind: UnitKind
    region_code: str
    duty_keywords: tuple[str, ...] = ()

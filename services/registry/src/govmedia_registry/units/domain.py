"""Units: host units (主办单位) and competent offices (主管单位). Plain Python, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import UnitChanged, UnitRegistered
from govmedia_common.events.recorder import RecordsEvents


class UnitKind(StrEnum):
    COMPETENT_OFFICE = "competent_office"  # 主管单位
    HOST_UNIT = "host_unit"  # 主办单位

    @property
    def event_kind(self) -> str:
        """How events name the kind: ``office`` or ``unit``."""
        return "office" if self is UnitKind.COMPETENT_OFFICE else "unit"


class NothingToChange(DomainError):
    kind = ErrorKind.UNPROCESSABLE
    code = "no-changes"


# What an edit may change; the id, the region and the kind stay (a unit in another region is another unit).
EDITABLE = frozenset(
    {
        "name",
        "short_name",
        "duty_keywords",
        "principal_name",
        "deputy_head_name",
        "liaison_person_id",
        "contact_email",
        "contact_phone",
    }
)


@dataclass
class Unit(RecordsEvents):
    """A host unit or competent office in a region, with the duties that its account names relate to."""

    id: str
    name: str
    short_name: str
    kind: UnitKind
    region_code: str
    duty_keywords: tuple[str, ...] = ()
    principal_name: str | None = None  # 主要负责人
    deputy_head_name: str | None = None  # 分管负责人
    liaison_person_id: str | None = None  # 联络员
    contact_email: str | None = None
    contact_phone: str | None = None
    version: int = 0  # the row's optimistic-lock counter, read only

    def _facts(self) -> dict[str, Any]:
        return {
            "unit_id": self.id,
            "name": self.name,
            "region_code": self.region_code,
            "kind": self.kind.event_kind,
            "duty_keywords": self.duty_keywords,
            "principal_name": self.principal_name,
            "deputy_head_name": self.deputy_head_name,
            "liaison_person_id": self.liaison_person_id,
            "contact_email": self.contact_email,
            "contact_phone": self.contact_phone,
        }

    def registered(self, *, actor_id: str | None, at: datetime) -> None:
        """Record that the unit was registered."""
        self.record(UnitRegistered(occurred_at=at, actor_id=actor_id, **self._facts()))

    def change(self, changes: Mapping[str, Any], *, actor_id: str | None, at: datetime) -> tuple[str, ...]:
        """Apply an edit; records UnitChanged naming what changed. Returns the changed field names."""
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise DomainError(ErrorKind.UNPROCESSABLE, "unit-field-not-editable", f"Cannot change: {unknown}")
        changed = []
        for key, value in changes.items():
            value = tuple(value) if key == "duty_keywords" else value
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed.append(key)
        if not changed:
            raise NothingToChange("The edit changes nothing; send at least one new value.")
        names = tuple(f.name for f in fields(self) if f.name in changed)
        self.record(UnitChanged(occurred_at=at, actor_id=actor_id, changed_fields=names, **self._facts()))
        return names

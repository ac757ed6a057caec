"""Administrative divisions (GB/T 2260 codes and names): the official region table of govmedia_common.regions,
read and checked for the registry's regions table."""

from __future__ import annotations

from pathlib import Path

from govmedia_common.regions import regions_rows
from govmedia_registry.regions.domain import RegionRecord


def load_regions(path: str | Path | None = None) -> list[RegionRecord]:
    """Read a regions file (default: the shipped starter set), checked and sorted by code.

    The file holds ``{"regions": [{"code": "331004", "name": "路桥区"}, ...]}``; level and parent come
    from the code. A malformed code, a duplicate or a region whose parent is missing raises ValueError,
    so a broken import never leaves orphans in the tree.
    """
    rows = regions_rows(path)  # the table every service reads (govmedia_common.regions)
    records: dict[str, RegionRecord] = {}
    for row in rows:
        code, name = (row.get("code"), row.get("name")) if isinstance(row, dict) else (None, None)
        if not isinstance(code, str) or not isinstance(name, str) or not name.strip():
            raise ValueError(f"each region needs a code and a name, got {row!r}")
        if code in records:
            raise ValueError(f"region {code} appears twice")
        records[code] = RegionRecord.of(code, name.strip())  # InvalidRegionCode is a ValueError
    orphans = sorted(r.code for r in records.values() if r.parent_code and r.parent_code not in records)
    if orphans:
        raise ValueError(f"regions without their parent in the file: {', '.join(orphans)}")
    return sorted(records.values(), key=lambda r: r.code)

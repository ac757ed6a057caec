"""Reference data shipped with the registry: administrative divisions (GB/T 2260 codes and names)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from govmedia_registry.regions.domain import RegionRecord

STARTER_REGIONS = "regions_starter.json"


def load_regions(path: str | Path | None = None) -> list[RegionRecord]:
    """Read a regions file (default: the shipped starter set), checked and sorted by code.

    The file holds ``{"regions": [{"code": "331004", "name": "路桥区"}, ...]}``; level and parent come
    from the code. A malformed code, a duplicate or a region whose parent is missing raises ValueError,
    so a broken import never leaves orphans in the tree.
    """
    if path is None:
        text = resources.files(__name__).joinpath(STARTER_REGIONS).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    document: Any = json.loads(text)
    rows = document.get("regions") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ValueError("a regions file is an object with a list under 'regions'")
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

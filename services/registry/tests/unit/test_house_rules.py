"""The registry keeps the shape of the house: small files, one folder per aggregate with the same rooms."""

from __future__ import annotations

from pathlib import Path

import govmedia_registry

PACKAGE = Path(govmedia_registry.__file__).parent


def test_no_source_file_of_the_registry_is_over_600_lines() -> None:
    sizes = {
        p.relative_to(PACKAGE).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE.rglob("*.py")
    }
    assert sizes and max(sizes.values()) <= 600, sorted(sizes.items(), key=lambda kv: -kv[1])[:3]


def test_each_aggregate_maps_rows_in_one_mapping_module() -> None:
    for aggregate in ("regions", "calendar", "identity", "units", "filings", "accounts"):
        assert (PACKAGE / aggregate / "mapping.py").is_file(), aggregate
        assert (PACKAGE / aggregate / "api.py").is_file(), aggregate
        assert (PACKAGE / aggregate / "service.py").is_file(), aggregate

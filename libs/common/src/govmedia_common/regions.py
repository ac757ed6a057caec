"""The official region table (GB/T 2260 six-digit codes, the Ministry of Civil Affairs list), one for all.

The registry loads it into its regions table and answers for every region of it, whether or not accounts
were filed there yet. The monitor, notify, scoring and the review read the same file, so "a region" means
the same in every service: a code the table has is a region (its lists are empty until accounts are filed
there), a code it lacks (and no event of the registry named) is a 404 ``unknown-region``
(:func:`govmedia_common.scoping.known_region`). Before, the supervision services knew only the regions the
registry's events had named: a real county without accounts yet was 404 there and 200 at the registry.

The file is the ``regions_file`` of the service's settings (``GOVMEDIA_REGIONS_FILE`` for every service,
``GOVMEDIA_<SERVICE>_REGIONS_FILE`` for one), else the shipped starter set; its format is
``{"regions": [{"code": "331004", "name": "路桥区"}, ...]}``.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

STARTER_REGIONS = "regions_starter.json"


def regions_rows(path: str | Path | None = None) -> list[Any]:
    """The rows of a regions file (default: the shipped starter set), as written; the registry checks them."""
    if path is None:
        text = resources.files("govmedia_common.data").joinpath(STARTER_REGIONS).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    document: Any = json.loads(text)
    rows = document.get("regions") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise ValueError("a regions file is an object with a list under 'regions'")
    return rows


@functools.cache
def official_codes(path: str | Path | None = None) -> frozenset[str]:
    """The codes of a regions file (read once per path)."""
    return frozenset(
        str(row["code"]) for row in regions_rows(path) if isinstance(row, dict) and "code" in row
    )


_table: list[str | Path | None] = [None]


def use_table(path: str | Path | None) -> None:
    """The table this process's services answer by (read now: a broken file fails the start, not a
    request)."""
    official_codes(path)
    _table[0] = path


def is_official(code: str) -> bool:
    """Whether the official region table has ``code``."""
    return code in official_codes(_table[0])

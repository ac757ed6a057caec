"""House rule: the monitor writes outbox rows only through the common writers (and their size guard)."""

from __future__ import annotations

import re
from pathlib import Path

import govmedia_monitor

SOURCE = Path(govmedia_monitor.__file__).parent
RAW_WRITE = re.compile(r"INSERT\s+INTO\s+outbox\b|outbox_table\s*\.\s*insert", re.IGNORECASE)


def test_no_module_of_the_monitor_writes_outbox_rows_itself() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{n}"
        for path in sorted(SOURCE.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RAW_WRITE.search(line)
    ]
    assert offenders == [], "write events with govmedia_common.events.outbox (write_events, sql_outbox_cte)"

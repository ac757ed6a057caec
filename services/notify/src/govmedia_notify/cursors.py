"""The instant a list's cursor holds (cases and interviews page by when they were made)."""

from __future__ import annotations

from datetime import UTC, datetime

from govmedia_common.pagination import invalid_cursor

# The years an instant of a case or interview can lie in: a cursor with another came from no page of ours.
_YEARS = range(1970, 2201)


def cursor_instant(value: str) -> datetime:
    """The instant ``value`` names, as this service's cursors write it (ISO 8601 with a zone); any other
    value (no zone, a day, a year the database cannot hold) is the 422 naming the cursor."""
    try:
        at = datetime.fromisoformat(value)
        if at.tzinfo is None or at.astimezone(UTC).year not in _YEARS:
            raise invalid_cursor()
    except (ValueError, OverflowError):
        raise invalid_cursor() from None
    return at

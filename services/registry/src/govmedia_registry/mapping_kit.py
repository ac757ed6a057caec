"""Helpers every ``mapping.py`` shares."""

from __future__ import annotations

from typing import Any


def assign(row: Any, key: str, value: Any) -> None:
    """Set a column only when its value changes: saving an unchanged object writes (and versions) nothing."""
    # Reading row.__dict__ (not getattr) never triggers a lazy load of an expired column.
    if key not in row.__dict__ or row.__dict__[key] != value:
        setattr(row, key, value)

"""Query helpers the repositories share."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

T = TypeVar("T")


def after(stmt: Select[T], col: Any, cursor: list[Any] | None) -> Select[T]:
    """Keyset pagination: the rows after the cursor's sort key."""
    return stmt.where(col > cursor[0]) if cursor else stmt

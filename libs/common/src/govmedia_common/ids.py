"""Identifiers the platform issues."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A new platform id: a random UUID, canonical lower-case (the event catalogue's ``Uuid``)."""
    return str(uuid.uuid4())

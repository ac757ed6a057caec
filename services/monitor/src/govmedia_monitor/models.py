"""SQLAlchemy tables of the monitor service (its own database; no other service reads them)."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from govmedia_common.db import NAMING_CONVENTION


class Base(DeclarativeBase):
    """Declarative base of the monitor service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

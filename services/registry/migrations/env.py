"""Alembic environment of the registry service."""

from govmedia_common.migrations import run_env
from govmedia_registry.models import Base

run_env(Base.metadata)

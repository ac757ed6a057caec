"""Alembic environment of the monitor service."""

from govmedia_common.migrations import run_env
from govmedia_monitor.models import Base

run_env(Base.metadata)

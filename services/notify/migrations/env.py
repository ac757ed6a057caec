"""Alembic environment of the notify service."""

from govmedia_common.migrations import run_env
from govmedia_notify.models import Base

run_env(Base.metadata)

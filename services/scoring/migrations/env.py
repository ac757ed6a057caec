"""Alembic environment of the scoring service."""

from govmedia_common.migrations import run_env
from govmedia_scoring.models import Base

run_env(Base.metadata)

"""Alembic environment of the review service."""

from govmedia_common.migrations import run_env
from govmedia_review.models import Base

run_env(Base.metadata)

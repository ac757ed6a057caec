"""Every service's migration history has exactly one head, so `alembic upgrade head` (singular) works for an
operator as well as `govmedia migrate`: a new revision must follow the current head, or merge."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from govmedia_common.migrations import alembic_config
from govmedia_platform.stack import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_migration_history_has_one_head(service: str) -> None:
    heads = ScriptDirectory.from_config(
        alembic_config(service, "postgresql+asyncpg://unused/unused")
    ).get_heads()
    assert len(heads) == 1, f"{service} has several heads {heads}: add a merge revision (alembic merge heads)"

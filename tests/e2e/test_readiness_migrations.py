"""A service whose database is behind its code (newer code pulled under a running platform, the service
restarted on it) is not ready: /readyz answers 503 problem+json naming the migration it misses, instead of
200 and then a 500 on every request that touches the new table."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from govmedia_common.auth import TokenVerifier
from govmedia_common.db import create_engine
from govmedia_common.keys import SigningKey, jwks
from govmedia_common.migrations import migrations_dir
from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_scoring.main import create_app

pytestmark = pytest.mark.integration


async def _set_version(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        await engine.dispose()


async def test_readyz_is_503_naming_the_missing_migration_while_the_database_is_behind_the_code(
    infra: Infrastructure, kafka_topics: None
) -> None:
    url = await fresh_database(infra, "behind", "scoring")
    script = ScriptDirectory(str(migrations_dir("scoring")))
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    await _set_version(url, previous)  # what the database of the older code says

    settings = ServiceSettings(
        service_name="scoring",
        environment="test",
        database_url=url,
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
        run_consumers=False,
        log_json=False,
        log_level="WARNING",
    )
    verifier = TokenVerifier(
        issuer="govmedia-registry", audience="govmedia", jwks=jwks(SigningKey.generate())
    )
    clock = FixedClock(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    app = create_app(settings, verifier=verifier, clock=clock)
    transport = httpx.ASGITransport(app)
    async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        behind = await client.get("/readyz")
        assert behind.status_code == 503, behind.text
        assert behind.headers["content-type"].startswith("application/problem+json")
        body = behind.json()
        assert head in body["detail"] and previous in body["detail"], body
        assert "govmedia migrate" in body["detail"], body
        assert body["checks"]["database"] == "ok" and body["checks"]["broker"] == "ok", body
        assert head in body["checks"]["migrations"], body

        await _set_version(url, head)  # migrated: ready again, without a restart
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["migrations"] == "ok"

        # Newer code already migrated it (a rolling update: the migration job ran first); migrations only
        # add, so this older process keeps serving and stays ready.
        await _set_version(url, "a_revision_of_newer_code")
        ahead = await client.get("/readyz")
        assert ahead.status_code == 200, ahead.text

"""A registry app on a fresh migrated database and the real broker, driven in-process over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI, FixedClock
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.pytest_plugin import fresh_database
from govmedia_registry.main import create_app

ADMIN_PASSWORD = "bootstrap-admin-pw"


@dataclass
class Registry:
    client: httpx.AsyncClient
    clock: FixedClock
    database_url: str
    app: Any

    async def login(self, username: str, password: str) -> str:
        r = await self.client.post("/v1/auth/token",
                                   data={"grant_type": "password", "username": username, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def as_(self, token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.client._transport, base_url="http://registry",
                                 headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
async def registry(infra: Infrastructure, kafka_topics: None, monkeypatch: pytest.MonkeyPatch
                   ) -> AsyncIterator[Registry]:
    url = await fresh_database(infra, "registry", "registry")
    monkeypatch.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("GOVMEDIA_REGISTRY_BOOTSTRAP_REGION", "330000")
    settings = ServiceSettings(service_name="registry", environment="test", database_url=url,
                               kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap), run_consumers=False,
                               log_json=False, log_level="WARNING")
    clock = FixedClock(datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI))
    app = create_app(settings, clock=clock)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield Registry(client, clock, url, app)

"""Set-up helpers of the hostile-input tests (registry and review on real sockets)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from govmedia_common.settings import KafkaSettings, ServiceSettings
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.sockets import PROBLEM_JSON, Answer, RawConnection, serving

__all__ = [
    "PROBLEM_JSON",
    "Answer",
    "RawConnection",
    "Served",
    "Setup",
    "registry_settings",
    "service_settings_for",
    "serving",
]

ADMIN_PASSWORD = "bootstrap-admin-pw"
PASSWORD = "Hostile-input-pw-7391"
START = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
_serial = itertools.count(1)


def service_settings_for(service: str, url: str, infra: Any, **extra: Any) -> ServiceSettings:
    """Settings of a service under test: its database, the test broker, no consumers, quiet logs."""
    return ServiceSettings(
        service_name=service,
        environment="test",
        database_url=url,
        kafka=KafkaSettings(bootstrap=infra.kafka_bootstrap),
        run_consumers=False,
        log_json=False,
        log_level="WARNING",
        **extra,
    )


def registry_settings(url: str, infra: Any, **extra: Any) -> ServiceSettings:
    """The registry's settings (its own settings class when it has one)."""
    return service_settings_for("registry", url, infra, **extra)


class Setup:
    """Set-up through the registry's public API, in-process (the sockets are for what is under test)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._admin: str | None = None

    async def login(self, username: str, password: str) -> httpx.Response:
        return await self.client.post(
            "/v1/auth/token", data={"grant_type": "password", "username": username, "password": password}
        )

    async def token(self, username: str, password: str) -> str:
        r = await self.login(username, password)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def admin(self) -> str:
        """A token of the bootstrap administrator (office admin and auditor of 330000)."""
        if self._admin is None:
            self._admin = await self.token("admin", ADMIN_PASSWORD)
        return self._admin

    async def call(self, method: str, url: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {**kw.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return await self.client.request(method, url, headers=headers, **kw)

    async def unit(self, region_code: str, name: str, short_name: str, kind: str = "host_unit") -> str:
        body = {
            "name": f"{name}{next(_serial)}",
            "short_name": short_name,
            "kind": kind,
            "region_code": region_code,
        }
        r = await self.call("POST", "/v1/units", await self.admin(), json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def person(
        self, roles: list[str], *, region_code: str, unit_id: str | None = None, by: str | None = None
    ) -> tuple[str, str, str]:
        """(id, username, token) of a new person with ``roles``."""
        username = f"{roles[0]}-{next(_serial)}-{uuid.uuid4().hex[:6]}"
        r = await self.call(
            "POST",
            "/v1/people",
            by or await self.admin(),
            json={
                "username": username,
                "display_name": f"{username} 同志",
                "password": PASSWORD,
                "unit_id": unit_id,
                "region_code": region_code,
                "roles": roles,
            },
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"]), username, await self.token(username, PASSWORD)


@dataclass
class Served:
    """Both services on sockets (their base URLs) and an in-process client of the registry for set-up."""

    registry_url: str
    review_url: str
    setup: Setup
    registry_app: Any
    review_app: Any
    registry_db: str
    clock: Any

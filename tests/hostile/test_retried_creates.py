"""A create sent again (after a timeout) with its Idempotency-Key makes one thing, over a socket.

What the outside round found: the registry's ``POST /v1/clients`` (an integrating system's API client; its
secret is shown once) took no Idempotency-Key, so a script retrying a create whose answer it lost made a
second client with a second live secret. It now takes the shared header (govmedia_common.idempotency): the
retry answers the first client, marked ``Idempotent-Replayed: true``; the secret is not kept for the replay
(it is shown once), so the replay says to rotate it, and the first secret stays the one that works.
"""

from __future__ import annotations

import uuid

import pytest

from tests.hostile.harness import PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


async def test_a_client_created_again_with_its_idempotency_key_is_the_first_client(
    served_registry: Served,
) -> None:
    s = served_registry.setup
    admin = await s.admin()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "台州数据镜像", "region_code": "331000", "scopes": ["registry:read"]}
    first = await s.call("POST", "/v1/clients", admin, json=body, headers=key)
    assert first.status_code == 201, first.text
    client_id, secret = first.json()["client_id"], first.json()["client_secret"]
    assert secret

    again = await s.call("POST", "/v1/clients", admin, json=body, headers=key)
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["client_id"] == client_id
    assert again.json()["client_secret"] is None  # shown once; rotate it to get another

    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert (await s.client.post("/v1/auth/token", data=form)).status_code == 200

    other = await s.call("POST", "/v1/clients", admin, json={**body, "name": "另一个"}, headers=key)
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith(PROBLEM_JSON)
    assert other.json()["code"] == "idempotency-key-reused"

    # without a key, each POST is a create of its own, as before
    plain = [await s.call("POST", "/v1/clients", admin, json=body) for _ in range(2)]
    assert [r.status_code for r in plain] == [201, 201]
    assert plain[0].json()["client_id"] != plain[1].json()["client_id"]

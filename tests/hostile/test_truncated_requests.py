"""A request whose body never arrived whole is not acted on.

Found by the outside-testing round (a fault injector cutting connections): a client that announced a
body of N bytes and hung up after fewer had its request run on what had arrived, because the edge handed
the app the bytes it had read as if they were the whole body. A form cut after its last complete field is
still a valid form: a sign-in ran (and was audited) from a request the client never finished sending.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from tests.hostile.harness import Served

pytestmark = pytest.mark.integration


async def test_a_sign_in_whose_body_was_cut_short_is_never_run(served_registry: Served) -> None:
    ghost = f"ghost-{uuid.uuid4().hex[:8]}"
    body = f"grant_type=password&username={ghost}&password=not-the-password".encode()
    host, port = served_registry.registry_url.removeprefix("http://").split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /v1/auth/token HTTP/1.1\r\nhost: test\r\n"
        "content-type: application/x-www-form-urlencoded\r\n"
        f"content-length: {len(body) + 40}\r\n\r\n"  # 40 bytes announced that never come
    )
    writer.write(head.encode() + body)
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.close()  # the connection is cut
    await asyncio.sleep(1.0)  # what the server does with it, it has done by now
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        audit = await client.get(
            "/v1/audit", params={"limit": 50}, headers={"Authorization": f"Bearer {admin}"}
        )
    assert audit.status_code == 200, audit.text
    ran = [e for e in audit.json()["items"] if ghost in str(e)]
    assert ran == [], f"a sign-in ran from a body that never arrived whole: {ran}"

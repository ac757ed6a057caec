"""The revocation feed never loses an entry to transactions committing out of order.

Found by the outside-testing round (an integrator polling ``/.well-known/revocations?after=<last_seq>`` as
every service does): an entry's ``seq`` is drawn when it is inserted, not when it commits. Two revocations
at once (a deactivation still writing its audit entry and events while another subject signs out
everywhere) committed as seq 11 first, then seq 10: a service that polled in between moved past 11 and
never read 10, so the deactivated person's tokens kept working there until they expired (15 minutes),
while the registry, reading its table, refused them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import httpx
import pytest

from govmedia_common.db import create_engine, session_factory
from govmedia_registry.identity.revocation import revoke_subject
from tests.hostile.harness import Served

_Entries = list[dict[str, object]]

pytestmark = pytest.mark.integration


async def _feed(url: str, after: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url) as client:
        r = await client.get("/.well-known/revocations", params={"after": after})
    assert r.status_code == 200, r.text
    doc: dict[str, object] = r.json()
    return doc


async def test_a_revocation_committed_after_a_later_one_still_reaches_a_poller(
    served_registry: Served,
) -> None:
    url = served_registry.registry_url
    start = int(str((await _feed(url, 0))["last_seq"]))
    engine = create_engine(served_registry.registry_db, pool_size=3)
    sessions = session_factory(engine)
    try:
        async with contextlib.AsyncExitStack() as stack:
            slow = await stack.enter_async_context(sessions())
            slow_tx = await stack.enter_async_context(slow.begin())
            await revoke_subject(slow, "person-deactivated-slowly", "person deactivated")  # seq drawn, open

            async def quick() -> None:
                async with sessions() as session, session.begin():
                    await revoke_subject(session, "person-signing-out", "signed out everywhere")

            other = asyncio.create_task(quick())
            await asyncio.wait({other}, timeout=2)  # before: committed at once, with the later seq
            seen = await _feed(url, start)  # a service polls now
            polled_to = int(str(seen["last_seq"]))
            await slow_tx.commit()
        await asyncio.wait_for(other, 30)
        later = await _feed(url, polled_to)  # the service polls again, after what it saw
    finally:
        await engine.dispose()
    entries = [*cast(_Entries, seen["entries"]), *cast(_Entries, later["entries"])]
    subjects = [e.get("subject") for e in entries]
    assert "person-deactivated-slowly" in subjects, (seen, later)
    assert "person-signing-out" in subjects, (seen, later)

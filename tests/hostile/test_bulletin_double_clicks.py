"""``POST /v1/bulletins`` clicked twice, over a socket to notify.

What the outside round found: published one after the other, the second publication of a region's period
was told ``bulletin-exists`` with the bulletin's id; published at once (a double click), the later ones
failed on the database's unique rule with the generic 409 ``duplicate`` — "Another request created the same
thing first" — without the id. Publications of one region's period now run one after the other, and every
later click gets the ``bulletin-exists`` answer with the id.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration


async def test_a_bulletin_published_three_times_at_once_is_one_and_the_others_name_it(
    supervision: Supervision,
) -> None:
    case = await supervision.notify_case()
    body = {"region_code": "331004", "period_kind": "week", "period_start": "2025-09-29"}
    answers = await asyncio.gather(*(case.office.post("/v1/bulletins", json=body) for _ in range(3)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409], [r.text for r in answers]
    [created] = [r.json()["id"] for r in answers if r.status_code == 201]
    for r in answers:
        if r.status_code == 409:
            assert r.json()["code"] == "bulletin-exists" and r.json()["bulletin_id"] == created, r.json()
    listed = await case.office.get("/v1/bulletins")
    assert [b["id"] for b in listed.json() if b["period_start"] == "2025-09-29"] == [created]

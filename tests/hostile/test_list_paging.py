"""An integrating system mirrors a list page by page while new rows arrive, over real sockets.

What the outside round found: notify's ``GET /v1/bulletins`` answered at most ``limit`` (200) bulletins,
the newest, and had no next page: a city's weekly bulletins of its counties pass 200 within a year, and a
mirror could never read the older ones (a ``cursor`` sent to it was an unknown parameter). It now
pages as notify's interviews do: the answer stays a list, the next page is named in a
``Link: <…>; rel="next"`` header, in a stated order (period start, newest first, then id), so a walk
while bulletins are published sees every bulletin that existed when it began once, and a cursor it did
not return is the 422 ``invalid-cursor`` naming ``query.cursor``.
"""

from __future__ import annotations

import base64
from datetime import date, timedelta

import httpx
import orjson
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

MONDAY = date(2024, 1, 1)


def _next(r: httpx.Response) -> str | None:
    link: str | None = r.headers.get("Link")
    if link is None:
        return None
    assert link.endswith('>; rel="next"'), link
    return link[1 : -len('>; rel="next"')]


async def _publish(office: httpx.AsyncClient, week: int) -> str:
    start = (MONDAY + timedelta(weeks=week)).isoformat()
    body = {"region_code": "331004", "period_kind": "week", "period_start": start}
    r = await office.post("/v1/bulletins", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_bulletins_are_walked_page_by_page_while_new_ones_are_published(
    supervision: Supervision,
) -> None:
    office = (await supervision.notify_case()).office
    existing = {await _publish(office, week) for week in range(10, 17)}
    seen: list[str] = []
    target: str | None = "/v1/bulletins?limit=2"
    weeks = iter([30, 31, 1, 2, 20])  # newer and older weeks published between the page reads
    while target is not None:
        r = await office.get(target)
        assert r.status_code == 200, r.text
        seen += [b["id"] for b in r.json()]
        starts = [b["period_start"] for b in r.json()]
        assert starts == sorted(starts, reverse=True)
        target = _next(r)
        if (week := next(weeks, None)) is not None:
            await _publish(office, week)
    assert len(seen) == len(set(seen)), "a bulletin was answered twice"
    assert existing <= set(seen), "a bulletin that existed when the walk began was missed"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        base64.urlsafe_b64encode(orjson.dumps(["2024-13-40", "x"])).decode().rstrip("="),
        base64.urlsafe_b64encode(orjson.dumps([2024, "x"])).decode().rstrip("="),
        base64.urlsafe_b64encode(orjson.dumps(["2024-01-01T00:00:00+08:00", 3, "x"])).decode().rstrip("="),
    ],
)
async def test_a_bulletins_cursor_it_did_not_return_is_an_invalid_cursor(
    supervision: Supervision, cursor: str
) -> None:
    r = await supervision.notify_user().get("/v1/bulletins", params={"cursor": cursor})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "invalid-cursor"
    assert [e["location"] for e in r.json()["errors"]] == ["query.cursor"]

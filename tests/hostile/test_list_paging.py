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

from tests.hostile.harness import PROBLEM_JSON, Served
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


def _raw(values: list[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def _refused_as_a_cursor(r: httpx.Response) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "invalid-cursor"
    assert [e["location"] for e in r.json()["errors"]] == ["query.cursor"]


async def test_a_cursor_of_another_registry_list_is_refused_not_read_as_a_place(
    served_registry: Served,
) -> None:
    """Found by the outside round: the registry's lists keyed by a text id or code took each other's
    cursors (a region list's cursor on /v1/units answered the units after that code, a silent wrong page),
    as did an account's history the cursor of another account's."""
    s = served_registry.setup
    admin = await s.admin()
    first = await s.call("GET", "/v1/regions", admin, params={"limit": 1})
    assert first.status_code == 200, first.text
    regions_cursor = first.json()["next_cursor"]
    assert regions_cursor
    again = await s.call("GET", "/v1/regions", admin, params={"limit": 1, "cursor": regions_cursor})
    assert again.status_code == 200 and again.json()["items"] != first.json()["items"]
    for path in ("/v1/units", "/v1/accounts", "/v1/people", "/v1/filings"):
        _refused_as_a_cursor(await s.call("GET", path, admin, params={"cursor": regions_cursor}))
    for path in ("/v1/regions", "/v1/units", "/v1/audit"):  # the shape of a key, not a cursor it returned
        made_up = _raw([1]) if path == "/v1/audit" else _raw(["330000"])
        _refused_as_a_cursor(await s.call("GET", path, admin, params={"cursor": made_up}))


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/v1/alerts", _raw([10**6])),
        ("/v1/alerts", _raw(["/v1/inbox", 10**6])),
        ("/v1/deliveries", _raw(["/v1/inbox", 10**6])),
        ("/v1/inbox", _raw(["/v1/deliveries", 10**6])),
        ("/v1/cases", _raw(["2025-10-01T00:00:00+08:00", "x"])),
        ("/v1/bulletins", _raw(["/v1/cases", "2025-10-01", "x"])),
    ],
)
async def test_a_cursor_of_another_supervision_list_or_of_none_is_refused(
    supervision: Supervision, path: str, cursor: str
) -> None:
    if path == "/v1/alerts":
        client = supervision.monitor_reader()
    else:
        client = (await supervision.notify_case()).office  # the inbox is an office's
    _refused_as_a_cursor(await client.get(path, params={"cursor": cursor}))

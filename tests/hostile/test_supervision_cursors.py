"""Every list of monitor, notify and scoring given a cursor or limit a client made up, over real sockets.

What the outside round found: notify's cases (``GET /v1/cases``) and interviews (``GET /v1/interviews``)
page by an instant held in their cursor, and a tampered instant was not refused as a cursor: a year the
database cannot hold (``0001-01-01T00:00:00+14:00``, ``9999-12-31T23:59:59-14:00``) reached it and came
back as "a value in the request cannot be stored" without naming the cursor, and an instant without a
time zone was taken as a page of cases. Each is now the 422 ``invalid-cursor`` naming ``query.cursor``
that every other list answers. Limits of 0, -1, huge or not a number, and cursors of the wrong shape on
every list held already and stay as guards.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def _invalid(r: httpx.Response, location: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc = r.json()
    assert [e["location"] for e in doc["errors"]] == [location], doc


INSTANTS = [
    "0001-01-01T00:00:00+14:00",  # before the year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after the year 9999 in UTC
    "2025-10-01T00:00:00",  # no time zone
    "2025-10-01",  # a day, not an instant
    "yesterday",
]


@pytest.mark.parametrize("instant", INSTANTS)
async def test_a_cases_cursor_with_an_instant_no_case_can_have_is_an_invalid_cursor(
    supervision: Supervision, instant: str
) -> None:
    r = await supervision.notify_user().get("/v1/cases", params={"cursor": _cursor([instant, "x"])})
    _invalid(r, "query.cursor")
    assert r.json()["code"] == "invalid-cursor"


@pytest.mark.parametrize("instant", INSTANTS)
async def test_an_interviews_cursor_with_an_instant_no_interview_can_have_is_an_invalid_cursor(
    supervision: Supervision, instant: str
) -> None:
    r = await supervision.notify_user().get("/v1/interviews", params={"cursor": _cursor([instant, 1, "x"])})
    _invalid(r, "query.cursor")
    assert r.json()["code"] == "invalid-cursor"


def _lists(sup: Supervision) -> dict[str, tuple[httpx.AsyncClient, str, dict[str, str]]]:
    unit = str(uuid.uuid4())
    unit_staff = sup.client(
        sup.notify_url,
        sup.token(roles=("unit_staff",), scopes=("notify:read",), unit=unit),
    )
    month = {"period_kind": "month", "period_start": "2025-09-01"}
    return {
        "monitor alerts": (sup.monitor_reader(), "/v1/alerts", {}),
        "monitor observed": (sup.monitor_reader(), "/v1/accounts/{account}/observed-posts", {}),
        "notify cases": (sup.notify_user(), "/v1/cases", {}),
        "notify interviews": (sup.notify_user(), "/v1/interviews", {}),
        "notify inbox": (unit_staff, "/v1/inbox", {}),
        "notify deliveries": (sup.notify_user(), "/v1/deliveries", {}),
        "notify bulletins": (sup.notify_user(), "/v1/bulletins", {}),
        "scoring rankings": (sup.scoring_reader(), "/v1/rankings", month),
    }


LIST_NAMES = [
    "monitor alerts",
    "monitor observed",
    "notify cases",
    "notify interviews",
    "notify inbox",
    "notify deliveries",
    "notify bulletins",
    "scoring rankings",
]


@pytest.mark.parametrize("name", LIST_NAMES)
@pytest.mark.parametrize("limit", ["0", "-1", "100000000000000000000", "ten", "1.5", ""])
async def test_every_list_refuses_a_limit_it_cannot_use_naming_it(
    supervision: Supervision, name: str, limit: str
) -> None:
    client, path, params = _lists(supervision)[name]
    account = await supervision.account()
    r = await client.get(path.format(account=account), params={**params, "limit": limit})
    _invalid(r, "query.limit")


CURSOR_NAMES = [n for n in LIST_NAMES if n not in ("notify bulletins", "scoring rankings")]


@pytest.mark.parametrize("name", CURSOR_NAMES)
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        _cursor([2**63]),
        _cursor([-1]),
        _cursor([None]),
        _cursor({"seq": 1}),
        _cursor([1.5]),
        "=" * 3,
    ],
)
async def test_every_list_refuses_a_cursor_it_did_not_make_naming_it(
    supervision: Supervision, name: str, cursor: str
) -> None:
    client, path, params = _lists(supervision)[name]
    account = await supervision.account()
    r = await client.get(path.format(account=account), params={**params, "cursor": cursor})
    if r.status_code == 200:  # a cursor this list could have made (a sequence number): an empty page
        assert r.json()["items"] == [] if isinstance(r.json(), dict) else r.json() == [], r.text
        return
    _invalid(r, "query.cursor")
    assert r.json()["code"] == "invalid-cursor"

"""A period named by a day that does not start it, over real sockets to scoring and notify.

What the outside round found: ``GET /v1/rankings?period_kind=week&period_start=2025-10-01`` (a Wednesday)
answered "2025-10-01 does not start a week (weeks start on Monday, months on the 1st)", and notify's
``POST /v1/bulletins`` "A weekly bulletin starts on a Monday.": neither named the parameter in
``errors[].location`` as every other invalid field is named, nor the day that does start the period, so
an integrating client had to compute the Monday itself. Each now names ``query.period_start`` or
``body.period_start`` and the start of the period that holds the day given. Days that do not exist
(2025-02-29), quarter 13 and the years outside 2000–2100 held already as validation errors and stay as
guards.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

NOT_A_START = [
    ("week", "2025-10-01", "2025-09-29"),  # a Wednesday
    ("month", "2025-10-15", "2025-10-01"),
    ("quarter", "2025-02-01", "2025-01-01"),
    ("year", "2025-07-01", "2025-01-01"),
]


def _names(r: httpx.Response, location: str, start: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    doc: dict[str, Any] = r.json()
    assert [e["location"] for e in doc["errors"]] == [location], doc
    assert start in doc["detail"] and start in doc["errors"][0]["message"], doc


@pytest.mark.parametrize(("kind", "given", "start"), NOT_A_START)
@pytest.mark.parametrize("path", ["/v1/rankings", "/v1/distribution", "/v1/statistics"])
async def test_scoring_names_the_period_start_and_the_day_that_starts_it(
    supervision: Supervision, path: str, kind: str, given: str, start: str
) -> None:
    r = await supervision.scoring_reader().get(path, params={"period_kind": kind, "period_start": given})
    _names(r, "query.period_start", start)


@pytest.mark.parametrize(("kind", "given", "start"), NOT_A_START)
async def test_a_recompute_names_the_body_period_start(
    supervision: Supervision, kind: str, given: str, start: str
) -> None:
    admin = supervision.scoring_reader(region="330000", roles=("office_admin",))  # a province's job
    r = await admin.post("/v1/recompute", json={"period_kind": kind, "period_start": given})
    _names(r, "body.period_start", start)


@pytest.mark.parametrize(("kind", "given", "start"), NOT_A_START[:3])
async def test_a_bulletin_names_the_body_period_start(
    supervision: Supervision, kind: str, given: str, start: str
) -> None:
    office = supervision.notify_user()
    body = {"region_code": "331004", "period_kind": kind, "period_start": given}
    _names(await office.post("/v1/bulletins", json=body), "body.period_start", start)


@pytest.mark.parametrize(
    "given", ["2025-02-29", "2025-13-01", "1999-12-27", "2101-01-01", "20251001", "next week"]
)
async def test_a_day_that_is_not_one_or_out_of_range_is_a_validation_error(
    supervision: Supervision, given: str
) -> None:
    r = await supervision.scoring_reader().get(
        "/v1/rankings", params={"period_kind": "week", "period_start": given}
    )
    assert r.status_code == 422 and r.json()["code"] == "validation-error", r.text
    assert [e["location"] for e in r.json()["errors"]] == ["query.period_start"], r.json()

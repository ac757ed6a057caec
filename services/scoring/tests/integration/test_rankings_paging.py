"""Rankings walked page by page while the period is computed again with a new account in it.

What the outside round found (an integrating system mirroring the platform): ``GET /v1/rankings`` paged
only by ``offset``, so a computation of the running period between two page reads (the schedule's, with an
account opened meanwhile) shifted every row after the new one: the mirror read one account twice and
missed another. It now names the next page in a ``Link: <…>; rel="next"`` header with a cursor after the
last row's (composite, account id); a walk by it sees each account that was ranked when it began once.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import orjson
import pytest

from govmedia_common.events.scoring import PeriodKind
from govmedia_common.events.types import Platform

from .test_reports import WEEK, Q, scored_week

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration


def _first_page(limit: int = 2) -> str:
    return "/v1/rankings?" + "&".join(f"{k}={v}" for k, v in {**Q, "limit": limit}.items())


def _next(r: httpx.Response) -> str | None:
    link = r.headers.get("Link")
    return link[1 : -len('>; rel="next"')] if link else None


async def _walk(city: httpx.AsyncClient, target: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while target is not None:
        r = await city.get(target)
        assert r.status_code == 200, r.text
        rows += r.json()
        target = _next(r)
    return rows


async def test_a_walk_whose_ranking_changes_is_told_to_start_again_instead_of_reading_an_account_twice(
    scoring: ScoringKit,
) -> None:
    """A computation between two pages lowers the composite of an account already read below the place the
    walk had reached: read on, the walk met it again (and an account raised above that place was never
    read). The next page is now the 410 ranking-changed, and the walk started again reads each account once
    as the ranking now stands."""
    ids = await scored_week(scoring)
    city = scoring.client(region="331000")
    first = await city.get(_first_page())
    assert first.status_code == 200, first.text
    top, second = first.json()
    target = _next(first)
    assert target is not None
    # the top account's week turns bad: serious errors in its posts of the week, and the period is computed
    for n in range(3):
        await scoring.apply(
            scoring.published(top["account_id"], WEEK + timedelta(days=n), hour=11, serious=2)
        )
    await scoring.compute(PeriodKind.WEEK, WEEK)
    [(now,)] = await scoring.sql(
        "SELECT composite FROM scores WHERE account_id = :a AND period_start = :s",
        a=top["account_id"],
        s=WEEK,
    )
    assert now < second["composite"], "the account moved past the place the walk had reached"

    r = await city.get(target)
    assert r.status_code == 410, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "ranking-changed" and "without cursor" in r.json()["detail"]

    rows = await _walk(city, _first_page())
    seen = [x["account_id"] for x in rows]
    assert len(seen) == len(set(seen)) and set(seen) == set(ids.values()), seen
    assert [x["composite"] for x in rows] == sorted((x["composite"] for x in rows), reverse=True)
    assert next(x for x in rows if x["account_id"] == top["account_id"])["composite"] == now


async def test_a_computation_that_moves_nothing_in_the_ranking_does_not_stop_a_walk(
    scoring: ScoringKit,
) -> None:
    """The schedule computes the running period every few minutes: a computation that changes no composite
    of this ranking (nothing new, or news of another region only) leaves the walk's cursor good."""
    ids = await scored_week(scoring)
    city = scoring.client(region="331000")
    seen: list[str] = []
    target: str | None = _first_page()
    while target is not None:
        r = await city.get(target)
        assert r.status_code == 200, r.text
        seen += [x["account_id"] for x in r.json()]
        target = _next(r)
        # another city's new account (on a platform none of this ranking's accounts is on: effect is ranked
        # within a platform), and the period computed again
        elsewhere = scoring.opened(platform=Platform.TOUTIAO, name="西湖头条", region="330102")
        await scoring.apply([elsewhere, *scoring.published(elsewhere.account_id, WEEK)])
        await scoring.compute(PeriodKind.WEEK, WEEK)
    assert len(seen) == len(set(seen)), "an account was answered twice"
    assert set(seen) == set(ids.values()), "an account ranked was missed"


async def test_an_account_computed_into_the_ranking_during_a_walk_is_in_the_walk_started_again(
    scoring: ScoringKit,
) -> None:
    await scored_week(scoring)
    city = scoring.client(region="331000")
    first = await city.get(_first_page())
    opened = scoring.opened(name="路桥新号")
    await scoring.apply([opened, *scoring.published(opened.account_id, WEEK)])
    await scoring.compute(PeriodKind.WEEK, WEEK)
    target = _next(first)
    assert target is not None
    r = await city.get(target)
    assert (r.status_code, r.json()["code"]) == (410, "ranking-changed"), r.text
    assert opened.account_id in [x["account_id"] for x in await _walk(city, _first_page())]


@pytest.mark.parametrize(
    "values",
    [
        ["x", "y"],
        [1.5],
        [1.5, 2],
        "not-a-list",
        ["/v1/rankings", 1.5, "x", 3],
        ["/v1/rankings", 1.5, "x"],  # the form before the ranking's digest: start without it
    ],
)
async def test_a_rankings_cursor_it_did_not_return_is_an_invalid_cursor(
    scoring: ScoringKit, values: object
) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")
    r = await scoring.client(region="331000").get("/v1/rankings", params={**Q, "cursor": cursor})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid-cursor"
    assert [e["location"] for e in r.json()["errors"]] == ["query.cursor"]


async def test_a_cursor_and_an_offset_together_are_refused(scoring: ScoringKit) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps(["/v1/rankings", 50.0, "x", "d"])).decode().rstrip("=")
    params: dict[str, str | int] = {**Q, "cursor": cursor, "offset": 2}
    r = await scoring.client(region="331000").get("/v1/rankings", params=params)
    assert r.status_code == 422, r.text
    assert [e["location"] for e in r.json()["errors"]] == ["query.offset"]

"""Rankings walked page by page while the period is computed again with a new account in it.

What the outside round found (an integrating system mirroring the platform): ``GET /v1/rankings`` paged
only by ``offset``, so a computation of the running period between two page reads (the schedule's, with an
account opened meanwhile) shifted every row after the new one: the mirror read one account twice and
missed another. It now names the next page in a ``Link: <…>; rel="next"`` header with a cursor after the
last row's (composite, account id); a walk by it sees each account that was ranked when it began once.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import orjson
import pytest

from govmedia_common.events.scoring import PeriodKind

from .test_reports import WEEK, Q, scored_week

if TYPE_CHECKING:
    from .conftest import ScoringKit

pytestmark = pytest.mark.integration


async def test_a_walk_by_the_next_link_sees_each_ranked_account_once_while_the_period_is_recomputed(
    scoring: ScoringKit,
) -> None:
    ids = await scored_week(scoring)
    city = scoring.client(region="331000")
    seen: list[str] = []
    target: str | None = "/v1/rankings?" + "&".join(f"{k}={v}" for k, v in {**Q, "limit": 2}.items())
    while target is not None:
        r = await city.get(target)
        assert r.status_code == 200, r.text
        seen += [x["account_id"] for x in r.json()]
        link = r.headers.get("Link")
        target = link[1 : -len('>; rel="next"')] if link else None
        # an account opened meanwhile, scored first (ids are random: it lands anywhere among equals)
        opened = scoring.opened(name="路桥新号")
        await scoring.apply([opened, *scoring.published(opened.account_id, WEEK)])
        await scoring.compute(PeriodKind.WEEK, WEEK)
    assert len(seen) == len(set(seen)), "an account was answered twice"
    assert set(ids.values()) <= set(seen), "an account ranked when the walk began was missed"


@pytest.mark.parametrize("values", [["x", "y"], [1.5], [1.5, 2], "not-a-list", ["/v1/rankings", 1.5, "x", 3]])
async def test_a_rankings_cursor_it_did_not_return_is_an_invalid_cursor(
    scoring: ScoringKit, values: object
) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")
    r = await scoring.client(region="331000").get("/v1/rankings", params={**Q, "cursor": cursor})
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "invalid-cursor"
    assert [e["location"] for e in r.json()["errors"]] == ["query.cursor"]


async def test_a_cursor_and_an_offset_together_are_refused(scoring: ScoringKit) -> None:
    cursor = base64.urlsafe_b64encode(orjson.dumps(["/v1/rankings", 50.0, "x"])).decode().rstrip("=")
    params: dict[str, str | int] = {**Q, "cursor": cursor, "offset": 2}
    r = await scoring.client(region="331000").get("/v1/rankings", params=params)
    assert r.status_code == 422, r.text
    assert [e["location"] for e in r.json()["errors"]] == ["query.offset"]

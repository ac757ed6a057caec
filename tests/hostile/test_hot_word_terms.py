"""The term of ``GET /v1/hot-words/trend`` as a user pastes it, over a real socket to the monitor.

What the outside round found: a term with a space around it (`` 医保``, copied from a table cell or a
chat) matched no stored term, and the answer was a trend of ``null`` on every day — "never hot" — for a
term that was the region's top word; a term of spaces alone answered the same empty trend instead of
saying the term is missing. The term is now trimmed, and one that is blank is a 422 naming ``query.term``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

POSTS = [
    "城乡居民医保参保缴费即将截止，请尚未参保的居民尽快通过浙里办完成医保缴费。",
    "医保电子凭证可在定点医院直接结算，医保报销更加便捷。",
    "台风即将登陆，全区启动防汛应急响应，请市民做好防汛准备。",
    "我们的工作进行得很好，大家都在积极开展。",
]


async def test_a_term_with_spaces_around_it_shows_the_same_trend_and_a_blank_one_is_refused(
    supervision: Supervision,
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    for i, text in enumerate(POSTS):
        post = {
            "account_id": account,
            "platform_post_id": f"wx-{uuid.uuid4().hex[:8]}",
            "text": text,
            "published_at": (NOW - timedelta(hours=i + 1)).isoformat(),
        }
        assert (await connector.post("/v1/observed-posts", json=post)).status_code == 200
    admin = supervision.monitor_reader(roles=("office_admin",))
    mined = await admin.post("/v1/hot-words/extraction", json={"region_code": "331004"})
    assert mined.status_code == 200, mined.text

    async def trend(term: str) -> list[int | None]:
        r = await admin.get("/v1/hot-words/trend", params={"region_code": "331004", "term": term, "days": 2})
        assert r.status_code == 200, r.text
        return [p["rank"] for p in r.json()["points"]]

    plain = await trend("医保")
    assert plain[-1] == 1, plain
    for pasted in (" 医保", "医保 ", "\u3000医保\u3000", "\t医保\n"):
        assert await trend(pasted) == plain, repr(pasted)

    for blank in (" ", "\u3000\u3000", "\t"):
        r = await admin.get("/v1/hot-words/trend", params={"region_code": "331004", "term": blank})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert [e["location"] for e in r.json()["errors"]] == ["query.term"], r.json()

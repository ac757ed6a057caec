"""``POST /v1/hot-words/extraction`` clicked twice (or run while the daily mining runs), over a socket.

What the outside round found: two minings of the same day at once each deleted the day's hot words (none
yet, as far as either could see) and inserted their own; the second to commit failed on the day's terms
with 409 ``duplicate`` — "Another request created the same thing first" — and so would the scheduled
mining of the day while an office admin mined it by hand. Minings of one day now run one after the other:
every click answers 200 and the day holds one list of terms.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration

POSTS = [
    "城乡居民医保参保缴费即将截止，请尚未参保的居民尽快通过浙里办完成医保缴费。",
    "医保电子凭证可在定点医院直接结算，医保报销更加便捷。",
    "台风即将登陆，全区启动防汛应急响应，请市民做好防汛准备。",
]


async def test_mining_a_day_three_times_at_once_answers_200_each_and_keeps_one_list(
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
    body = {"region_code": "331004"}
    answers = await asyncio.gather(*(admin.post("/v1/hot-words/extraction", json=body) for _ in range(3)))
    assert [r.status_code for r in answers] == [200] * 3, [r.text for r in answers]
    top = await admin.get("/v1/hot-words", params={"region_code": "331004"})
    terms = [t["term"] for t in top.json()["terms"]]
    assert terms and len(terms) == len(set(terms)), terms
    assert [t["rank"] for t in top.json()["terms"]] == list(range(1, len(terms) + 1))

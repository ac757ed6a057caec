"""Hot words (热词): daily extraction per region over its subtree, top terms, trend, one event per region."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from govmedia_common.db import outbox_table
from govmedia_common.events import HotWordsExtracted
from govmedia_common.workdays import SHANGHAI

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

DAY = date(2025, 9, 10)
POSTS = [
    "城乡居民医保参保缴费即将截止，请尚未参保的居民尽快通过浙里办完成医保缴费。",
    "医保电子凭证可在定点医院直接结算，医保报销更加便捷。",
    "台风即将登陆，全区启动防汛应急响应，请市民做好防汛准备。",
    "我们的工作进行得很好，大家都在积极开展。",
]


async def test_hot_words_of_a_region_come_from_its_subtree_with_trend_and_an_event_per_region(
    monitor: MonitorKit,
) -> None:
    luqiao = await monitor.account(region="331004")
    hangzhou = await monitor.account(region="330102")
    monitor.clock.set(datetime(2025, 9, 10, 20, tzinfo=SHANGHAI))  # the posts are observed as they come
    for i, text in enumerate(POSTS):
        at = datetime(2025, 9, 8 + i % 3, 10, tzinfo=SHANGHAI)
        await monitor.observe(luqiao, text, post_id=f"wx-{i}", at=at)
    await monitor.observe(
        hangzhou, "西湖景区国庆期间实行预约游览。", post_id="hz-1", at=datetime(2025, 9, 9, tzinfo=SHANGHAI)
    )

    admin = monitor.client(
        monitor.token("admin", roles=["office_admin"], scopes=["monitor:read"], region="330000")
    )
    r = await admin.post("/v1/hot-words/extraction", json={"day": DAY.isoformat()})
    assert r.status_code == 200, r.text
    assert {"331004", "331000", "330000", "330102", "330100"} <= set(r.json())

    r = await monitor.office.get("/v1/hot-words", params={"region_code": "331004", "day": DAY.isoformat()})
    body = r.json()
    terms = [t["term"] for t in body["terms"]]
    assert body["posts"] == 4 and terms[0] == "医保" and "防汛" in terms
    assert not {"我们", "进行", "开展", "积极"} & set(terms), "stop words are out"
    assert "西湖" not in terms, "another county's posts are not Luqiao's"
    province = (
        await monitor.office.get("/v1/hot-words", params={"region_code": "330000", "day": DAY.isoformat()})
    ).json()
    assert province["posts"] == 5

    # The next day, with nothing new in the window, 医保 stays hot; the trend shows both days.
    monitor.clock.set(datetime(2025, 9, 11, 20, tzinfo=SHANGHAI))
    await admin.post(
        "/v1/hot-words/extraction",
        json={"day": (DAY + timedelta(days=1)).isoformat(), "region_code": "331004"},
    )
    trend = (
        await monitor.office.get(
            "/v1/hot-words/trend",
            params={
                "region_code": "331004",
                "term": "医保",
                "days": 3,
                "end": (DAY + timedelta(days=1)).isoformat(),
            },
        )
    ).json()
    assert [p["rank"] for p in trend["points"]] == [None, 1, 1]

    async with monitor.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(outbox_table.c.payload).where(outbox_table.c.type == HotWordsExtracted.event_type)
                )
            )
            .scalars()
            .all()
        )
    events = [HotWordsExtracted.model_validate(p) for p in rows]
    luqiao_day = [e for e in events if e.region_code == "331004" and e.day == DAY]
    assert len(luqiao_day) == 1 and luqiao_day[0].terms[0].term == "医保" and luqiao_day[0].posts == 4

    outsider = monitor.client(
        monitor.token("hz", roles=["office_staff"], scopes=["monitor:read"], region="330100")
    )
    assert (await outsider.get("/v1/hot-words", params={"region_code": "331004"})).status_code == 404

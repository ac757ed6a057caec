"""A region's monthly bulletin rendered to PDF: its extracted Chinese text holds the expected cases."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader

from govmedia_common.events.monitor import AlertResolved
from govmedia_common.events.notify import BulletinPublished
from govmedia_common.events.scoring import PeriodKind, ScoresComputed
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.directory.handlers import on_scores_computed

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=SHANGHAI)


def scores(unit: Any, composite: float) -> ScoresComputed:
    return ScoresComputed(
        occurred_at=at(10, 1),
        account_id=unit.account_id,
        unit_id=unit.id,
        region_code=unit.region,
        platform="wechat",
        period_kind=PeriodKind.MONTH,
        period_start=date(2025, 9, 1),
        period_end=date(2025, 9, 30),
        diligence=composite,
        effect=composite,
        content=composite,
        cluster=composite,
        growth=50,
        composite=composite,
        weights={"diligence": 1.0},
        passed=composite >= 60,
        veto_reasons=() if composite >= 60 else ("not_updated",),
    )


async def test_a_monthly_bulletin_pdf_holds_the_regions_cases_in_extractable_chinese(
    notify: NotifyKit,
) -> None:
    kit = notify
    office = await kit.office()
    fixed = await kit.unit("路桥区市场监督管理局", account_name="路桥市场监管")
    late = await kit.unit("路桥区综合行政执法局", account_name="路桥城管")
    elsewhere = await kit.unit("西湖区教育局", region="330106", account_name="西湖教育")
    kit.clock.set(at(9, 2))
    fixed_alert = kit.alert(fixed, at=at(9, 2, 9))
    await kit.raise_alert(fixed_alert)
    for d in (3, 5):  # the second violation of the year brings the liaison in
        kit.clock.set(at(9, d))
        await kit.raise_alert(kit.alert(late, at=at(9, d, 9), rule="interaction_off"))
    await kit.raise_alert(kit.alert(elsewhere, at=at(9, 5, 9)))
    # The first case is rectified: report accepted, alert resolved.
    [case] = (await office.http.get("/v1/cases", params={"account_id": fixed.account_id})).json()["items"]
    kit.clock.set(at(9, 4))
    r = await fixed.liaison.http.post(
        f"/v1/cases/{case['id']}/reports", json={"text": "已更新。", "signed_by": "张局长", "sealed": True}
    )
    report_id = r.json()["reports"][0]["id"]
    assert (
        await office.http.post(f"/v1/cases/{case['id']}/reports/{report_id}/acceptance")
    ).status_code == 200
    await kit.apply(kit.handlers[AlertResolved], kit.resolved(fixed_alert, at=at(9, 4)))
    for unit, composite in ((fixed, 91.5), (late, 47.0)):
        await kit.apply(on_scores_computed, scores(unit, composite))

    body = {"region_code": "331004", "period_kind": "month", "period_start": "2025-09-01"}
    r = await office.http.post("/v1/bulletins", json=body)
    assert r.status_code == 409 and r.json()["code"] == "period-not-over"
    kit.clock.set(at(10, 8))
    r = await office.http.post("/v1/bulletins", json=body)
    assert r.status_code == 201, r.text
    bulletin = r.json()
    assert r.headers["location"] == f"/v1/bulletins/{bulletin['id']}"
    assert bulletin["content"]["summary"] == {
        "violations": 3,
        "rectified": 1,
        "overdue": 2,
        "interviews": 1,
        "closures": 0,
    }
    assert (await office.http.post("/v1/bulletins", json=body)).status_code == 409

    r = await office.http.get(f"/v1/bulletins/{bulletin['id']}/pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    flat = "".join(text.split())
    assert "台州市路桥区政务新媒体月通报（2025年9月）" in flat
    for expected in (
        "路桥市场监管",
        "路桥区市场监督管理局",
        "内容不更新",
        "路桥城管",
        "路桥区综合行政执法局",
        "互动功能关闭",
        "逾期未整改",
        "联络员",
        "政务公开事务中心",
        "91.5",
        "47.0",
    ):
        assert expected in flat, expected
    assert "西湖教育" not in flat  # another region's case stays out
    html = (await office.http.get(f"/v1/bulletins/{bulletin['id']}/html")).text
    assert "路桥城管" in html and "西湖教育" not in html
    published = [p for t, p in await kit.events(bulletin_id=bulletin["id"]) if t == "bulletin.published"]
    assert published and published[0]["violations"] == 3 and published[0]["overdue"] == 2
    on_bus = await kit.from_broker(BulletinPublished, lambda d: d["bulletin_id"] == bulletin["id"])
    assert on_bus["headers"]["ce_subject"] == "331004"  # keyed by the region

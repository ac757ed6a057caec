"""Published content through the same check engine as the review, with lexicons arriving by events."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from govmedia_common.events import LexiconPublished
from govmedia_monitor import handlers

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


def county_list(term: str) -> dict[str, object]:
    return {
        "kind": "sensitive_terms",
        "name": "路桥区补充敏感词",
        "version": "331004.1",
        "entries": [{"term": term, "category": "illegal", "severity": "block", "note": "本地补充"}],
    }


async def test_published_content_failing_the_check_raises_check_failed_with_the_findings(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    text = "欢迎访问赌博网站领取福利。"
    await monitor.approve(account, "", text)  # approved (without override) yet failing the check now
    await monitor.observe(account, text, post_id="wx-bad")
    alerts = {a.rule: a for a in await monitor.alerts(account)}
    assert set(alerts) == {"check_failed"}
    finding = alerts["check_failed"].detail["findings"][0]
    assert finding["severity"] == "block" and "赌博网站" in finding["excerpt"]
    obs = await monitor.observation(account, "wx-bad")
    assert obs.check_blocking is True and obs.check_lexicons


async def test_a_countys_lexicon_addition_arrives_by_event_and_applies_to_its_subtree_only(
    monitor: MonitorKit,
) -> None:
    luqiao = await monitor.account(region="331004")
    jiaojiang = await monitor.account(region="331002")
    term = "路桥某违禁词"
    document = county_list(term)
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    event = LexiconPublished(
        occurred_at=monitor.clock.now(),
        lexicon_key="331004/sensitive",
        kind="sensitive",
        scope_region_code="331004",
        replaces_base=False,
        name="路桥区补充敏感词",
        version="331004.1",
        seq=1,
        entries_count=1,
        document_hash="sha256:" + hashlib.sha256(canonical.encode()).hexdigest(),
        document=document,
        document_path="/v1/lexicons/331004/sensitive/1",
        published_by="admin",
    )
    await monitor.apply(handlers.on_lexicon_published, event)
    await monitor.apply(handlers.on_lexicon_published, event)  # redelivered: nothing changes
    text = f"本周社区活动通知，{term}。"
    for account in (luqiao, jiaojiang):
        await monitor.approve(account, "", text)
        await monitor.observe(account, text, post_id=f"wx-{account[:6]}")
    assert [a.rule for a in await monitor.alerts(luqiao)] == ["check_failed"]
    assert await monitor.alerts(jiaojiang) == []

"""A post edited on the platform after publication (same platform post id, other content) is a new version of
the observation: stored, matched again against the approved post, checked again, announced again, and
alerted like a first observation. The same id with the same content stays a duplicate that changes nothing.
The single and bulk APIs and the file import behave alike."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from govmedia_common.db import outbox_table
from govmedia_common.events import PostObserved
from govmedia_common.hashing import content_hash
from govmedia_monitor.cli import app

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

TITLE = "关于国庆假期政务服务安排的通知"
TEXT = (
    "国庆假期期间，区政务服务中心10月1日至8日暂停现场办理业务，10月9日起恢复正常。"
    "市民可通过“浙里办”办理社保、公积金等事项。"
)
EDITED = TEXT.replace("10月9日起恢复正常", "10月12日起恢复正常，请相互转告")


async def observed_events(monitor: MonitorKit, account: str) -> list[PostObserved]:
    async with monitor.sessions() as session:
        payloads = (
            (
                await session.execute(
                    select(outbox_table.c.payload)
                    .where(outbox_table.c.type == PostObserved.event_type)
                    .order_by(outbox_table.c.seq)
                )
            )
            .scalars()
            .all()
        )
    events = [PostObserved.model_validate(p) for p in payloads]
    return [e for e in events if e.account_id == account]


def item(account: str, text: str, monitor: MonitorKit, post_id: str = "wx-p") -> dict[str, object]:
    return {
        "account_id": account,
        "platform_post_id": post_id,
        "title": TITLE,
        "text": text,
        "published_at": monitor.clock.now().isoformat(),
    }


async def test_an_edit_after_publication_is_stored_matched_again_announced_and_alerted(
    monitor: MonitorKit,
) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-p", TITLE, TEXT)
    first = await monitor.connector.post("/v1/observed-posts", json=item(account, TEXT, monitor))
    assert first.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert await monitor.alerts(account) == []

    # Later the unit edits the post on the platform: same platform post id, other text.
    edit = await monitor.connector.post("/v1/observed-posts", json=item(account, EDITED, monitor))
    assert edit.json() == {"accepted": 1, "duplicates": 0, "rejected": []}, "a new version, not a duplicate"
    obs = await monitor.observation(account, "wx-p")
    assert (obs.text, obs.content_hash) == (EDITED, content_hash(TITLE, EDITED))
    assert (obs.match_kind, obs.matched_post_id) == ("mismatch", post_id)
    assert obs.check_blocking is False, "the new version went through the machine check"
    [alert] = await monitor.alerts(account)
    assert (alert.rule, alert.period, alert.state) == ("content_mismatch", "wx-p", "open")
    assert alert.detail["content_hash"] == content_hash(TITLE, EDITED)
    events = await observed_events(monitor, account)
    assert [e.content_hash for e in events] == [content_hash(TITLE, TEXT), content_hash(TITLE, EDITED)]
    assert events[1].matched_post_id is None, "the new version no longer matches the approved post"

    # The same version seen again changes nothing: no event, no second alert.
    again = await monitor.connector.post(
        "/v1/observed-posts/bulk", json={"items": [item(account, EDITED, monitor)]}
    )
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert len(await observed_events(monitor, account)) == 2
    assert len(await monitor.alerts(account)) == 1

    # Edited back to the approved text: the mismatch has cleared.
    back = await monitor.connector.post(
        "/v1/observed-posts/bulk", json={"items": [item(account, TEXT, monitor)]}
    )
    assert back.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert (await monitor.observation(account, "wx-p")).match_kind == "exact"
    [cleared] = await monitor.alerts(account)
    assert (cleared.state, cleared.resolution) == ("resolved", "cleared")
    assert [e.matched_post_id for e in await observed_events(monitor, account)] == [post_id, None, post_id]


async def test_an_edit_that_fails_the_machine_check_raises_check_failed(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-c", TITLE, TEXT)
    await monitor.connector.post("/v1/observed-posts", json=item(account, TEXT, monitor, "wx-c"))
    bad = TEXT + "欢迎访问赌博网站领取福利。"
    await monitor.connector.post("/v1/observed-posts", json=item(account, bad, monitor, "wx-c"))
    rules = {a.rule for a in await monitor.alerts(account)}
    assert rules == {"content_mismatch", "check_failed"}
    assert (await monitor.observation(account, "wx-c")).check_blocking is True


async def test_one_bulk_request_with_two_versions_of_a_post_stores_the_later_one(monitor: MonitorKit) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-b", TITLE, TEXT)
    r = await monitor.connector.post(
        "/v1/observed-posts/bulk",
        json={"items": [item(account, TEXT, monitor, "wx-b"), item(account, EDITED, monitor, "wx-b")]},
    )
    assert r.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    assert (await monitor.observation(account, "wx-b")).content_hash == content_hash(TITLE, EDITED)
    assert [a.rule for a in await monitor.alerts(account)] == ["content_mismatch"]


async def test_a_file_import_of_an_edited_post_behaves_like_the_api(
    monitor: MonitorKit, tmp_path: Path
) -> None:
    account = await monitor.account()
    post_id = await monitor.approve(account, TITLE, TEXT)
    await monitor.published(account, post_id, "wx-f", TITLE, TEXT)
    url = monitor.app.state.runtime.settings.database_url

    def run(text: str) -> Result:
        path = tmp_path / "posts.jsonl"
        path.write_text(json.dumps(item(account, text, monitor, "wx-f"), ensure_ascii=False) + "\n")
        return CliRunner().invoke(app, ["import", str(path), "--kind", "posts", "--database-url", url])

    first = await asyncio.to_thread(run, TEXT)
    assert "1 imported" in first.output, first.output
    edited = await asyncio.to_thread(run, EDITED + "欢迎访问赌博网站领取福利。")
    assert "1 imported" in edited.output, edited.output
    again = await asyncio.to_thread(run, EDITED + "欢迎访问赌博网站领取福利。")
    assert "0 imported, 1 already there" in again.output, again.output
    obs = await monitor.observation(account, "wx-f")
    assert (obs.match_kind, obs.ingest_channel, obs.check_blocking) == ("mismatch", "file_import", True)
    assert {a.rule for a in await monitor.alerts(account)} == {"content_mismatch", "check_failed"}
    assert len(await observed_events(monitor, account)) == 2

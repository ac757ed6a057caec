"""Rows → domain → rows loses nothing, for every aggregate of the review service (history included)."""

from __future__ import annotations

import uuid
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect

from govmedia_common.workdays import SHANGHAI
from govmedia_review import domain as d
from govmedia_review import mapping
from govmedia_review import models as m

T0 = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)
H1, H2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
POST, ACCOUNT, UNIT, R1, BOSS = (str(uuid.uuid4()) for _ in range(5))

# Columns the database owns: read into the domain (or not needed there), never written from it.
DB_OWNED = {"seq", "version", "updated_at"}


def columns(row: Any, skip: set[str] = DB_OWNED) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in inspect(type(row)).column_attrs if c.key not in skip}


def every_column_set(row: Any, empty: AbstractSet[str] = frozenset()) -> None:
    unset = [k for k, v in columns(row).items() if v is None and k not in empty]
    assert not unset, f"the fixture leaves {unset} empty: the round trip would not prove they survive"


def a_published_post() -> tuple[m.Post, list[m.ReviewStep], list[m.PostRevision]]:
    post = m.Post(
        id=POST,
        seq=7,
        account_id=ACCOUNT,
        unit_id=UNIT,
        region_code="331004",
        platform="weibo",
        campaign_id=str(uuid.uuid4()),
        submitted_by="editor-1",
        submitted_by_name="采编甲",
        status="published",
        revision=2,
        review_levels=2,
        current_level=None,
        title="标题",
        body="正文",
        is_reprint=True,
        source="新华社",
        content_hash=H2,
        blocking=True,
        override=True,
        override_reason="已核实",
        approved_hash=H2,
        approved_at=T0 + timedelta(hours=2),
        platform_post_id="wb-1",
        url="https://weibo.example/1",
        published_at=T0 + timedelta(hours=3),
        published_by="editor-1",
        submitted_at=T0,
        updated_at=T0 + timedelta(hours=3),
        version=9,
    )
    steps = [
        m.ReviewStep(
            id=i + 1,
            post_id=POST,
            revision=rev,
            level=level,
            decision=decision,
            reviewer_id=who,
            reviewer_name=who.upper(),
            content_hash=h,
            reason=reason,
            override_reason=override,
            at=T0 + timedelta(minutes=10 * (i + 1)),
        )
        for i, (rev, level, decision, who, h, reason, override) in enumerate(
            [
                (1, 1, "return", R1, H1, "改标题", None),
                (2, 1, "refer", R1, H2, "疑似误报", None),
                (2, 2, "approve", BOSS, H2, None, "已核实"),
            ]
        )
    ]
    revisions = [
        m.PostRevision(
            post_id=POST,
            revision=rev,
            title=f"标题{rev}",
            body="正文",
            is_reprint=True,
            source="新华社",
            content_hash=h,
            submitted_at=T0 + timedelta(minutes=rev),
            blocking=rev == 2,
            findings=[{"category": "ads_links", "severity": "block"}] if rev == 2 else [],
            lexicon_versions={"sensitive": f"starter@{rev}"},
            checked_at=T0 + timedelta(minutes=rev),
        )
        for rev, h in ((1, H1), (2, H2))
    ]
    return post, steps, revisions


def test_a_post_with_its_whole_history_survives_the_round_trip() -> None:
    row, steps, revisions = a_published_post()
    post = mapping.post_from_rows(row, steps, revisions)
    assert (post.version, len(post.steps), len(post.revisions)) == (9, 3, 2)

    again = mapping.post_to_row(post)
    assert columns(again) == columns(row)
    assert [columns(mapping.step_row(POST, s), {"id"}) for s in post.steps] == [
        columns(s, {"id"}) for s in steps
    ]
    assert [columns(mapping.revision_row(POST, r), set()) for r in post.revisions] == [
        columns(r, set()) for r in revisions
    ]


def test_a_post_waiting_at_a_level_keeps_its_level_and_the_history_the_rules_need() -> None:
    row, steps, revisions = a_published_post()
    row.status, row.current_level, row.published_at, row.published_by = "in_review", 2, None, None
    post = mapping.post_from_rows(row, steps[:2], revisions)
    assert columns(mapping.post_to_row(post)) == columns(row)
    # The rule that needs the history holds after loading: r1 referred level 1 of revision 2 already.
    with pytest.raises(d.OneStepPerPerson):
        post.review(
            d.Actor(R1, "R1", frozenset({"approver"})), d.Decision.APPROVE, at=T0, override_reason="x"
        )


def test_only_the_history_added_since_loading_becomes_new_rows() -> None:
    row, steps, revisions = a_published_post()
    row.status, row.current_level, row.published_at, row.published_by = "in_review", 2, None, None
    row.approved_hash = row.approved_at = row.override_reason = None
    row.override = False
    post = mapping.post_from_rows(row, steps[:2], revisions)
    post.review(
        d.Actor(BOSS, "BOSS", frozenset({"approver"})), d.Decision.APPROVE, at=T0, override_reason="可以"
    )
    new = mapping.new_child_rows(post, known_steps=2, known_revisions=2)
    [step] = new
    assert isinstance(step, m.ReviewStep) and (step.level, step.reviewer_id) == (2, BOSS)


def a_campaign() -> tuple[m.Campaign, list[m.CampaignTarget]]:
    campaign = m.Campaign(
        id=str(uuid.uuid4()),
        seq=3,
        title="联动推送",
        body="正文",
        content_hash=H1,
        deadline=T0 + timedelta(days=1),
        issuer_id="office-1",
        issuer_name="市网信办",
        issuer_region_code="331000",
        targeting={"region_code": "331000", "platform": None},
        issued_at=T0,
    )
    targets = [
        m.CampaignTarget(
            campaign_id=campaign.id,
            account_id=str(uuid.uuid4()),
            account_name=f"号{i}",
            platform="wechat",
            unit_id=UNIT,
            region_code="331004",
            post_id=str(uuid.uuid4()),
            completed_at=T0 + timedelta(hours=i),
            on_time=True,
        )
        for i in (1, 2)
    ]
    return campaign, targets


def test_a_campaign_with_its_targets_survives_the_round_trip() -> None:
    row, targets = a_campaign()
    for target in targets:
        every_column_set(target)
    campaign = mapping.campaign_from_rows(row, targets)
    assert columns(mapping.campaign_to_row(campaign)) == columns(row)
    assert [columns(mapping.target_to_row(campaign.id, t), set()) for t in campaign.targets] == [
        columns(t, set()) for t in targets
    ]


def test_the_fixtures_fill_every_column_so_a_forgotten_one_would_show() -> None:
    row, steps, revisions = a_published_post()
    every_column_set(row, empty={"current_level"})  # a published post waits at no level: the next test
    for children in (steps, revisions):  # each column filled in at least one row of the history
        filled = {k for child in children for k, v in columns(child).items() if v is not None}
        assert filled == set(columns(children[0]))
    every_column_set(a_campaign()[0])

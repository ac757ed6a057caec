"""One mapping per aggregate between its rows and its domain object, in both directions.

Every column of an aggregate's rows is read into the domain object and written back from it; the
round-trip tests (``tests/unit/test_mapping.py``) fail when a column is added on one side only. Columns the
database owns (``seq``, ``version``, ``updated_at``, identity keys of step rows) are read, never written.
"""

from __future__ import annotations

from collections.abc import Sequence

from govmedia_review import domain as d
from govmedia_review import models as m

# ------------------------------------------------------------------------------------------------ posts


def step_from_row(row: m.ReviewStep, levels: int) -> d.Step:
    return d.Step(
        revision=row.revision,
        level=row.level,
        decision=d.Decision(row.decision),
        reviewer_id=row.reviewer_id,
        reviewer_name=row.reviewer_name,
        at=row.at,
        content_hash=row.content_hash,
        reason=row.reason,
        override_reason=row.override_reason,
        level_name=d.level_name(row.level, levels),
    )


def step_row(post_id: str, step: d.Step) -> m.ReviewStep:
    return m.ReviewStep(
        post_id=post_id,
        revision=step.revision,
        level=step.level,
        decision=str(step.decision),
        reviewer_id=step.reviewer_id,
        reviewer_name=step.reviewer_name,
        content_hash=step.content_hash,
        reason=step.reason,
        override_reason=step.override_reason,
        at=step.at,
    )


def revision_from_row(row: m.PostRevision) -> d.Revision:
    return d.Revision(
        revision=row.revision,
        title=row.title,
        body=row.body,
        is_reprint=row.is_reprint,
        source=row.source,
        content_hash=row.content_hash,
        submitted_at=row.submitted_at,
        blocking=row.blocking,
        findings=tuple(row.findings),
        lexicon_versions=dict(row.lexicon_versions),
        checked_at=row.checked_at,
    )


def revision_row(post_id: str, revision: d.Revision) -> m.PostRevision:
    return m.PostRevision(
        post_id=post_id,
        revision=revision.revision,
        title=revision.title,
        body=revision.body,
        is_reprint=revision.is_reprint,
        source=revision.source,
        content_hash=revision.content_hash,
        submitted_at=revision.submitted_at,
        blocking=revision.blocking,
        findings=list(revision.findings),
        lexicon_versions=dict(revision.lexicon_versions),
        checked_at=revision.checked_at,
    )


def post_from_rows(
    row: m.Post, steps: Sequence[m.ReviewStep], revisions: Sequence[m.PostRevision]
) -> d.PostWorkflow:
    """The post aggregate with its whole history: every step and every checked revision."""
    return d.PostWorkflow(
        id=row.id,
        account_id=row.account_id,
        unit_id=row.unit_id,
        region_code=row.region_code,
        platform=row.platform,
        campaign_id=row.campaign_id,
        submitted_by=row.submitted_by,
        submitted_by_name=row.submitted_by_name,
        submitted_at=row.submitted_at,
        levels=row.review_levels,
        status=d.PostStatus(row.status),
        revision=row.revision,
        current_level=row.current_level,
        title=row.title,
        body=row.body,
        is_reprint=row.is_reprint,
        source=row.source,
        content_hash=row.content_hash,
        blocking=row.blocking,
        override_reason=row.override_reason,
        approved_hash=row.approved_hash,
        approved_at=row.approved_at,
        platform_post_id=row.platform_post_id,
        url=row.url,
        published_at=row.published_at,
        published_by=row.published_by,
        steps=[step_from_row(x, row.review_levels) for x in steps],
        revisions=[revision_from_row(x) for x in revisions],
        version=row.version or 0,
    )


def post_to_row(post: d.PostWorkflow, row: m.Post | None = None) -> m.Post:
    """Write the post's own columns onto its row (a new row when none is given); children: see below."""
    row = row if row is not None else m.Post()
    row.id = post.id
    row.account_id = post.account_id
    row.unit_id = post.unit_id
    row.region_code = post.region_code
    row.platform = post.platform
    row.campaign_id = post.campaign_id
    row.submitted_by = post.submitted_by
    row.submitted_by_name = post.submitted_by_name
    if post.submitted_at is not None:
        row.submitted_at = post.submitted_at
    row.status = str(post.status)
    row.revision = post.revision
    row.review_levels = post.levels
    row.current_level = post.current_level
    row.title = post.title
    row.body = post.body
    row.is_reprint = post.is_reprint
    row.source = post.source
    row.content_hash = post.content_hash or ""
    row.blocking = post.blocking
    row.override = post.override
    row.override_reason = post.override_reason
    row.approved_hash = post.approved_hash
    row.approved_at = post.approved_at
    row.platform_post_id = post.platform_post_id
    row.url = post.url
    row.published_at = post.published_at
    row.published_by = post.published_by
    return row


def new_child_rows(
    post: d.PostWorkflow, *, known_steps: int, known_revisions: int
) -> list[m.ReviewStep | m.PostRevision]:
    """Rows for the steps and revisions the domain added since it was loaded (history is append-only)."""
    return [
        *(revision_row(post.id, r) for r in post.revisions[known_revisions:]),
        *(step_row(post.id, s) for s in post.steps[known_steps:]),
    ]


# ------------------------------------------------------------------------------------------------ campaigns


def target_from_row(row: m.CampaignTarget) -> d.Target:
    return d.Target(
        account_id=row.account_id,
        account_name=row.account_name,
        platform=row.platform,
        unit_id=row.unit_id,
        region_code=row.region_code,
        post_id=row.post_id,
        completed_at=row.completed_at,
        on_time=row.on_time,
    )


def target_to_row(
    campaign_id: str, target: d.Target, row: m.CampaignTarget | None = None
) -> m.CampaignTarget:
    row = row if row is not None else m.CampaignTarget()
    row.campaign_id = campaign_id
    row.account_id = target.account_id
    row.account_name = target.account_name
    row.platform = target.platform
    row.unit_id = target.unit_id
    row.region_code = target.region_code
    row.post_id = target.post_id
    row.completed_at = target.completed_at
    row.on_time = target.on_time
    return row


def campaign_from_rows(row: m.Campaign, targets: Sequence[m.CampaignTarget]) -> d.Campaign:
    return d.Campaign(
        id=row.id,
        title=row.title,
        body=row.body,
        content_hash=row.content_hash,
        deadline=row.deadline,
        issuer_id=row.issuer_id,
        issuer_name=row.issuer_name,
        issuer_region_code=row.issuer_region_code,
        targeting=dict(row.targeting),
        issued_at=row.issued_at,
        targets=[target_from_row(t) for t in targets],
    )


def campaign_to_row(campaign: d.Campaign, row: m.Campaign | None = None) -> m.Campaign:
    row = row if row is not None else m.Campaign()
    row.id = campaign.id
    row.title = campaign.title
    row.body = campaign.body
    row.content_hash = campaign.content_hash
    row.deadline = campaign.deadline
    row.issuer_id = campaign.issuer_id
    row.issuer_name = campaign.issuer_name
    row.issuer_region_code = campaign.issuer_region_code
    row.targeting = dict(campaign.targeting)
    row.issued_at = campaign.issued_at
    return row

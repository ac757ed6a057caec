"""``POST /v1/recompute`` clicked twice (or run while the schedule computes the same period), over a socket.

What the outside round found: concurrent recomputations of one period each scored it in their own
transaction; the first to commit won and the others failed on the period's fingerprints with 409
``duplicate`` — "Another request created the same thing first; it exists now" — for a request that
creates nothing, and the scheduled computation of that period would fail the same way. Recomputations of
one period now run one after the other: every click answers 200, one of them with the changes, and each
changed score is announced once.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import text

from govmedia_common.events import AccountOpened, AccountSnapshot, AccountStatus, AttentionTier, Platform
from govmedia_common.workdays import SHANGHAI
from tests.hostile.supervision import HOME, Supervision

pytestmark = pytest.mark.integration

WEEK = date(2025, 10, 6)  # the Monday of the week before NOW's


def _opened(platform: Platform) -> AccountOpened:
    account_id = str(uuid.uuid4())
    on = date(2025, 1, 1)
    return AccountOpened(
        occurred_at=datetime(2025, 1, 1, 9, tzinfo=SHANGHAI),
        account_id=account_id,
        account=AccountSnapshot(
            account_id=account_id,
            name="路桥发布",
            platform=platform,
            platform_account_id=None,
            unit_id=str(uuid.uuid4()),
            unit_name="台州市路桥区人民政府办公室",
            region_code=HOME,
            status=AccountStatus.ACTIVE,
            attention_tier=AttentionTier.ORDINARY,
            interaction_enabled=True,
            review_levels=2,
            certified=True,
            matrix_badge=None,
            outsourced=False,
        ),
        filing_id=None,
        actor_id="system",
        effective_on=on,
    )


async def test_recomputing_a_period_four_times_at_once_answers_200_each_and_announces_once(
    supervision: Supervision,
) -> None:
    from govmedia_scoring.aggregates.handlers import apply_batch

    sessions = supervision.scoring_app.state.runtime.sessions
    opened = [_opened(Platform.WECHAT), _opened(Platform.WEIBO), _opened(Platform.WECHAT)]
    async with sessions() as session, session.begin():
        await apply_batch(session, opened)
    admin = supervision.scoring_reader(region="330000", roles=("office_admin",))  # a province's job
    body = {"period_kind": "week", "period_start": WEEK.isoformat()}

    answers = await asyncio.gather(*(admin.post("/v1/recompute", json=body) for _ in range(4)))
    assert [r.status_code for r in answers] == [200] * 4, [r.text for r in answers]
    assert sorted(r.json()["changed"] for r in answers) == [0, 0, 0, 3], [r.json() for r in answers]
    async with sessions() as session:
        announced = (
            await session.execute(
                text("SELECT count(*) FROM outbox WHERE type = 'gov.scoring.scores.computed.v1'")
            )
        ).scalar_one()
    assert announced == 3

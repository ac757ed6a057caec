"""The directory's set-based consumers on the real broker: the newest account snapshot and the latest
recomputed score win, however the polled batch groups them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from govmedia_common.events.registry import AccountChanged
from govmedia_common.events.scoring import PeriodKind, ScoresComputed
from govmedia_common.workdays import SHANGHAI
from govmedia_notify.models import AccountView, ScoreView

if TYPE_CHECKING:
    from .conftest import NotifyKit

pytestmark = pytest.mark.integration
T = datetime(2025, 10, 1, 10, tzinfo=SHANGHAI)


async def test_account_and_score_projections_keep_the_newest_from_a_batch(
    notify_consuming: NotifyKit,
) -> None:
    kit = notify_consuming
    unit = await kit.unit()
    account_id = str(uuid.uuid4())
    opened = kit.snapshot_event(unit, account_id, "路桥旧名", T)
    renamed = AccountChanged(
        occurred_at=T + timedelta(hours=1),
        account_id=account_id,
        account=opened.account.model_copy(update={"name": "路桥新名"}),
        filing_id=None,
        actor_id="admin",
        changed_fields=("name",),
        previous=opened.account,
        effective_on=T.date(),
    )
    scores = [
        ScoresComputed(
            occurred_at=T + timedelta(minutes=m),
            account_id=account_id,
            unit_id=unit.id,
            region_code=unit.region,
            platform="wechat",
            period_kind=PeriodKind.MONTH,
            period_start=date(2025, 9, 1),
            period_end=date(2025, 9, 30),
            diligence=v,
            effect=v,
            content=v,
            cluster=v,
            growth=50,
            composite=v,
            weights={"diligence": 1.0},
            passed=True,
            veto_reasons=(),
        )
        for m, v in ((1, 70.0), (2, 75.5), (3, 81.0))
    ]
    await kit.publish(opened, renamed, *scores)

    async def projected() -> bool:
        async with kit.sessions() as session:
            account = await session.get(AccountView, account_id)
            score = await session.get(ScoreView, (account_id, "month", date(2025, 9, 1)))
        return bool(account and account.name == "路桥新名" and score and score.composite == 81.0)

    assert await kit.wait_for(projected)

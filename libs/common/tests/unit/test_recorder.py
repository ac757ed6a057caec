"""Domain objects record their events; they are handed over once, in order, and are not part of equality."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from govmedia_common.events import CampaignTargetCompleted
from govmedia_common.events.recorder import RecordsEvents

T0 = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)
CAMPAIGN = "5b8e2a1c-3d4f-4e6a-8b9c-0d1e2f3a4b5c"


@dataclass
class Push(RecordsEvents):
    done: int = 0

    def complete(self, account_id: str) -> None:
        self.done += 1
        self.record(
            CampaignTargetCompleted(
                occurred_at=T0,
                campaign_id=CAMPAIGN,
                account_id=account_id,
                post_id=account_id,
                completed_at=T0,
                deadline=T0,
                on_time=True,
            )
        )


def test_events_are_pulled_once_in_the_order_they_were_recorded() -> None:
    first, second = "0b6f5d4e-1c2a-4f7e-9a0b-3d2c1e0f9a8b", "6a1d0f6e-8c63-4b8f-9a51-6f0e2d7c4b13"
    push = Push()
    push.complete(first)
    push.complete(second)
    # recorded events are typed as Event; these are CampaignTargetCompleted
    assert [e.account_id for e in push.recorded_events] == [first, second]  # type: ignore[attr-defined]
    assert [e.account_id for e in push.pull_events()] == [first, second]  # type: ignore[attr-defined]  # as above
    assert push.pull_events() == [] and push.recorded_events == ()


def test_recorded_events_are_not_state() -> None:
    a, b = Push(), Push()
    a.complete("0b6f5d4e-1c2a-4f7e-9a0b-3d2c1e0f9a8b")
    b.done = 1
    assert a == b

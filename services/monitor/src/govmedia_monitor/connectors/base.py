"""The one interface every platform adapter implements, and the ingest of what it fetched.

An adapter (WeChat, Weibo, Douyin … or the simulator) turns a platform's API into an
:class:`ObservationBatch` of the same request models the HTTP API takes; :func:`pull` ingests it with
``IngestChannel.CONNECTOR`` through the same idempotent service functions, so fetching a window twice
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events import IngestChannel
from govmedia_monitor import schemas as s
from govmedia_monitor.observations import interactions, metrics
from govmedia_monitor.observations import service as observations
from govmedia_monitor.observations.checking import CheckerCache
from govmedia_monitor.observations.service import Report


@dataclass(frozen=True)
class AccountRef:
    """An account a connector watches: our id and the platform's."""

    account_id: str
    platform: str
    platform_account_id: str | None = None


@dataclass(frozen=True)
class Approval:
    """A post the review approved (only the simulator makes these: real approvals come from review events)."""

    post_id: str
    account_id: str
    title: str
    text: str
    approved_at: datetime
    platform_post_id: str | None = None


@dataclass
class ObservationBatch:
    """Everything a connector saw in one window."""

    posts: list[s.ObservedPostIn] = field(default_factory=list)
    metrics: list[s.MetricSnapshotIn] = field(default_factory=list)
    messages: list[s.MessageIn] = field(default_factory=list)
    replies: list[s.ReplyIn] = field(default_factory=list)
    interaction: list[s.InteractionIn] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)


@runtime_checkable
class PlatformConnector(Protocol):
    """A platform adapter: what the watched accounts showed in ``[since, until)``."""

    name: str

    async def fetch(self, accounts: list[AccountRef], since: datetime, until: datetime) -> ObservationBatch:
        """Posts, metrics, messages, replies and interaction switches seen in the window."""
        ...


async def pull(
    session: AsyncSession, batch: ObservationBatch, *, now: datetime, checker: CheckerCache | None = None
) -> dict[str, Report]:
    """Ingest a connector's batch (one transaction, the caller's); the report per kind."""
    channel = IngestChannel.CONNECTOR
    out: dict[str, Report] = {}
    if batch.posts:
        out["posts"] = await observations.ingest_posts(
            session, batch.posts, channel=channel, now=now, checker=checker
        )
    if batch.metrics:
        out["metrics"] = await metrics.ingest_metrics(session, batch.metrics, channel=channel, now=now)
    if batch.messages:
        out["messages"] = await interactions.ingest_messages(
            session, batch.messages, channel=channel, now=now
        )
    if batch.replies:
        out["replies"] = await interactions.ingest_replies(session, batch.replies, channel=channel, now=now)
    if batch.interaction:
        out["interaction"] = await interactions.ingest_interaction(
            session, batch.interaction, channel=channel, now=now
        )
    return out

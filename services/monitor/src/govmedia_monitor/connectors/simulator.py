"""A simulator connector: realistic activity of any number of accounts, each with a behaviour.

Deterministic by seed: what an account does on a day depends only on (seed, account, day), so fetching a
window twice gives the same batch (and ingesting it twice changes nothing). It is driven by the windows it
is asked for, i.e. by the injected clock of whoever calls it, so a demo runs 90 days in minutes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from govmedia_common.workdays import SHANGHAI
from govmedia_monitor import schemas as s
from govmedia_monitor.connectors.base import AccountRef, Approval, ObservationBatch


class Behaviour(StrEnum):
    """How a simulated account behaves."""

    DILIGENT = "diligent"  # posts almost daily, answers messages the same or next day
    SLOWING = "slowing"  # posts less and less often
    SILENT = "silent"  # stops posting after ten days
    ZOMBIE = "zombie"  # never posts (僵尸)
    UNREVIEWED = "unreviewed"  # some posts never went through review (未审先发)
    EDITS_AFTER_APPROVAL = "edits_after_approval"  # some published posts differ from the approved text
    SLOW_ANSWERS = "slow_answers"  # answers messages weeks later
    INTERACTION_OFF = "interaction_off"  # switches interaction off on the fourth day


_TOPICS = [
    (
        "医保",
        "城乡居民医保参保缴费",
        "即日起至12月31日，城乡居民可通过“浙里办”或社区服务站办理医保参保缴费。",
    ),
    ("防汛", "防汛防台风工作部署", "受台风影响，全区启动防汛四级应急响应，请市民减少外出，注意安全。"),
    ("垃圾分类", "垃圾分类宣传周活动", "本周开展垃圾分类进社区活动，志愿者将上门讲解分类知识。"),
    ("招聘", "事业单位公开招聘公告", "区属事业单位公开招聘工作人员，报名时间为本月10日至20日。"),
    ("交通", "道路施工交通管制通告", "因市政道路施工，相关路段实行交通管制，请过往车辆绕行。"),
    ("疫苗", "流感疫苗接种服务", "各社区卫生服务中心提供流感疫苗接种服务，老年人可免费接种。"),
    ("文明", "文明城市创建倡议", "共建文明城市，倡导文明出行、文明用餐，从身边小事做起。"),
    ("政务服务", "政务服务中心延时服务", "区政务服务中心推出周末延时服务，企业群众可预约办理。"),
]
_ANSWER_DELAY = {Behaviour.SLOW_ANSWERS: (10, 30)}
_LOOKBACK_DAYS = 31  # answers come at most this many days after the message


class SimulatorConnector:
    """Generates platform activity for the accounts given their behaviours (default: diligent)."""

    name = "simulator"

    def __init__(self, *, seed: int, origin: date, behaviours: Mapping[str, Behaviour]) -> None:
        self.seed = seed
        self.origin = origin
        self.behaviours = dict(behaviours)

    def _rng(self, account_id: str, day: date, what: str) -> random.Random:
        return random.Random(f"{self.seed}:{account_id}:{day.isoformat()}:{what}")

    def _post_probability(self, behaviour: Behaviour, n: int) -> float:
        if behaviour is Behaviour.ZOMBIE:
            return 0.0
        if behaviour is Behaviour.SILENT:
            return 0.9 if n < 10 else 0.0
        if behaviour is Behaviour.SLOWING:
            return max(0.03, 0.9 - 0.03 * n)
        return 0.9 if behaviour is Behaviour.DILIGENT else 0.75

    async def fetch(self, accounts: list[AccountRef], since: datetime, until: datetime) -> ObservationBatch:
        """Everything the accounts did on the days whose noon falls in ``[since, until)``."""
        batch = ObservationBatch()
        day = since.astimezone(SHANGHAI).date()
        last = until.astimezone(SHANGHAI).date()
        while day <= last:
            noon = datetime.combine(day, time(12), tzinfo=SHANGHAI)
            if since <= noon < until and day >= self.origin:
                for ref in accounts:
                    self._day(batch, ref, day)
            day += timedelta(days=1)
        return batch

    def _day(self, batch: ObservationBatch, ref: AccountRef, day: date) -> None:
        behaviour = self.behaviours.get(ref.account_id, Behaviour.DILIGENT)
        n = (day - self.origin).days
        rng = self._rng(ref.account_id, day, "posts")
        at = datetime.combine(day, time(9), tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(0, 600))
        if rng.random() < self._post_probability(behaviour, n):
            self._post(batch, ref, behaviour, day, at, rng)
        followers = 1000 + int(self._rng(ref.account_id, self.origin, "base").random() * 50_000) + 7 * n
        batch.metrics.append(
            s.MetricSnapshotIn(
                account_id=ref.account_id, taken_at=at.replace(hour=23, minute=0), followers=followers
            )
        )
        if behaviour is Behaviour.INTERACTION_OFF and n == 3:
            batch.interaction.append(s.InteractionIn(account_id=ref.account_id, enabled=False, at=at))
        if behaviour is not Behaviour.INTERACTION_OFF or n < 3:
            self._message(batch, ref, behaviour, day)
        for back in range(1, _LOOKBACK_DAYS + 1):
            self._reply_due(batch, ref, behaviour, day - timedelta(days=back), day)
        self._reply_due(batch, ref, behaviour, day, day)

    def _post(
        self,
        batch: ObservationBatch,
        ref: AccountRef,
        behaviour: Behaviour,
        day: date,
        at: datetime,
        rng: random.Random,
    ) -> None:
        _, title, text = rng.choice(_TOPICS)
        text = f"{text}（{day.month}月{day.day}日）"
        ppid = f"sim-{ref.account_id[:8]}-{day:%Y%m%d}"
        reviewed = not (behaviour is Behaviour.UNREVIEWED and rng.random() < 0.4)
        if reviewed:
            post_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"govmedia-sim:{self.seed}:{ppid}"))
            batch.approvals.append(
                Approval(post_id, ref.account_id, title, text, at - timedelta(hours=1), platform_post_id=ppid)
            )
        published = text
        if behaviour is Behaviour.EDITS_AFTER_APPROVAL and rng.random() < 0.4:
            published = text.replace("。", "，具体以现场通知为准。", 1)
        elif rng.random() < 0.2:
            published = text.replace("，", ", ").replace("。", ". ")  # the platform reflowed punctuation
        batch.posts.append(
            s.ObservedPostIn(
                account_id=ref.account_id, platform_post_id=ppid, title=title, text=published, published_at=at
            )
        )
        batch.metrics.append(
            s.MetricSnapshotIn(
                account_id=ref.account_id,
                platform_post_id=ppid,
                taken_at=at.replace(hour=23, minute=30),
                reads=rng.randrange(50, 5000),
                watching=rng.randrange(0, 50),
                likes=rng.randrange(0, 200),
                shares=rng.randrange(0, 80),
                comments=rng.randrange(0, 30),
            )
        )

    def _message_of(
        self, ref: AccountRef, behaviour: Behaviour, day: date
    ) -> tuple[s.MessageIn, date] | None:
        rng = self._rng(ref.account_id, day, "message")
        if rng.random() >= 0.5:
            return None
        at = datetime.combine(day, time(8), tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(0, 720))
        low, high = _ANSWER_DELAY.get(behaviour, (0, 1))
        answer_on = day + timedelta(days=rng.randint(low, high))
        message = s.MessageIn(
            account_id=ref.account_id, message_id=f"msg-{ref.account_id[:8]}-{day:%Y%m%d}", received_at=at
        )
        return message, answer_on

    def _message(self, batch: ObservationBatch, ref: AccountRef, behaviour: Behaviour, day: date) -> None:
        found = self._message_of(ref, behaviour, day)
        if found is not None:
            batch.messages.append(found[0])

    def _reply_due(
        self, batch: ObservationBatch, ref: AccountRef, behaviour: Behaviour, received: date, day: date
    ) -> None:
        if received < self.origin:
            return
        if behaviour is Behaviour.INTERACTION_OFF and (received - self.origin).days >= 3:
            return
        found = self._message_of(ref, behaviour, received)
        if found is None or found[1] != day:
            return
        message, _ = found
        answered = max(
            message.received_at + timedelta(hours=2), datetime.combine(day, time(17), tzinfo=SHANGHAI)
        )
        batch.replies.append(
            s.ReplyIn(account_id=ref.account_id, message_id=message.message_id, answered_at=answered)
        )

"""Events in an order the producers' happy path does not make, read by monitor, notify and scoring from the
real broker into fresh databases.

Kafka keeps order within a partition only, and an operator replaying a dead letter (``govmedia dlt replay``)
or an outbox republished after a broker loss puts an event behind others that happened after it. What a
consumer ends with must not depend on which of two events it read first:

* an ``AlertResolved`` read before its ``AlertRaised`` (the raise dead-lettered and replayed after the fix):
  notify opened a case for an alert already dismissed, sent its notice and counted it on the unit's 2/4/6
  ladder, and the case never closed; scoring counted the dismissed alert as a violation, while a rebuild
  reading them in order did not (found by this round);
* a ``PostChecked`` or ``PostSubmitted`` read after the post's ``PostPublished`` (replayed): scoring kept the
  published post without its findings and as a repost, unlike a rebuild (found by this round);
* the monitor's ``PostObserved`` of a post edited on the platform read after the review's ``PostPublished``
  (another topic, another consumer): scoring replaced the published version's findings with none (found by
  this round);
* a ``PostOverridden`` read before the monitor knew the account (no order across topics): dead-lettered
  after three quick tries, so the ``override`` alert was never raised (found by this round);
* a ``PostPublished`` read before its ``PostApproved`` (replayed): the monitor dropped the platform id the
  post was published under, which matching prefers (found by this round);
* a year's ``WorkCalendarLoaded`` read again after a correction of it (replayed): the monitor replaced the
  corrected working days with the old ones, and notify, whose table kept the correction, counted deadlines on
  the old ones in its process (found by this round); restarted, notify forgot a schedule loaded for a year
  the calendar package covers and counted on the package's (found by this round);
* a post observed before the monitor read its approval: the monitor re-matched it and retracted the alert,
  but never announced the match, so scoring kept the post unmatched (a repost, no findings) (found by this
  round);
* an ``AlertResolved`` read after the case's deadline although the monitor resolved the alert before it (a
  lagging consumer, a replay): notify closed the case "late" by the time it read the event (found by this
  round).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govmedia_common.events.base import Event
from govmedia_common.events.monitor import AlertResolution
from govmedia_common.events.registry import WorkCalendarLoaded
from govmedia_common.events.review import (
    FindingCategory,
    FindingSeverity,
    PostApproved,
    PostChecked,
    PostKind,
    PostOverridden,
    PostPublished,
    PostSubmitted,
    ReviewerSignature,
)
from govmedia_common.events.types import AlertRule, Platform
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.launcher import Infrastructure
from tests.hostile.consumer_kit import DAY, HASH, NOW, opened, raised, resolved, running

pytestmark = pytest.mark.integration

# ---------------------------------------------------------------------------------------------- scoring


async def test_scoring_counts_an_alert_dismissed_before_it_was_read_raised_as_dismissed(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Dismissed, then raised (replayed): the same facts as raised, then dismissed, and no violation."""
    in_order, reversed_ = str(uuid.uuid4()), str(uuid.uuid4())
    a, b = raised(in_order), raised(reversed_)
    cleared = raised(reversed_, rule=AlertRule.INTERACTION_OFF)  # cleared first: resolved, still counted
    first: list[Event] = [opened(in_order), opened(reversed_), a, resolved(a, AlertResolution.DISMISSED)]
    first += [resolved(b, AlertResolution.DISMISSED), resolved(cleared, AlertResolution.CLEARED)]
    async with running(infra, "scoring") as scoring:
        # In one poll the order would not matter (a batch inserts alerts before resolving them): the
        # resolutions are handled first, the raises (replayed later) in a poll of their own.
        await scoring.handled(await scoring.publish(first))
        await scoring.handled(await scoring.publish([b, cleared]))
        facts = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT alert_id, resolved, dismissed FROM alerts WHERE alert_id = ANY(CAST(:ids AS text[]))",
                ids=[a.alert_id, b.alert_id, cleared.alert_id],
            )
        }
        assert facts == {
            a.alert_id: (True, True),
            b.alert_id: (True, True),
            cleared.alert_id: (True, False),
        }, "a resolution read before its alert was lost"
        days = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT account_id, violations, not_updated_alerts, interaction_off_alerts FROM account_days "
                "WHERE day = :day AND account_id = ANY(CAST(:ids AS text[]))",
                day=DAY,
                ids=[in_order, reversed_],
            )
        }
        assert days[in_order] == (0, 0, 0)
        assert days[reversed_] == (1, 0, 1), "the dismissed alert counted as a violation"
        left = await scoring.sql("SELECT count(*) FROM alert_resolutions")
        assert left[0][0] == 0, "a resolution kept after its alert arrived"


def review_post(account_id: str, *, serious: int, ordinary: int) -> tuple[Event, Event, Event]:
    """A post as the review announces it: submitted (original), machine-checked, published."""
    post_id, t = str(uuid.uuid4()), datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=SHANGHAI)
    signatures = tuple(
        ReviewerSignature(level=n, reviewer_id=str(uuid.uuid4()), reviewer_name=name, reviewed_at=t)
        for n, name in ((1, "甲"), (2, "乙"))
    )
    return (
        PostSubmitted(
            occurred_at=t, account_id=account_id, post_id=post_id, title="通知", content_hash=HASH,
            kind=PostKind.ORIGINAL, review_levels=2, submitted_by=str(uuid.uuid4()), revision=1,
        ),
        PostChecked(
            occurred_at=t, account_id=account_id, post_id=post_id, content_hash=HASH,
            findings_total=serious + ordinary, by_category={
                FindingCategory.SERIOUS_EXPRESSION_ERROR: serious, FindingCategory.EXPRESSION_ERROR: ordinary
            }, by_severity={FindingSeverity.BLOCK: serious, FindingSeverity.WARN: ordinary},
            blocking=serious > 0, lexicon_versions={},
        ),
        PostPublished(
            occurred_at=t, account_id=account_id, post_id=post_id, platform=Platform.WECHAT,
            platform_post_id=f"wx-{post_id[:12]}", url=None, content_hash=HASH, published_at=t,
            reviewers=signatures,
        ),
    )  # fmt: skip


async def test_scoring_counts_a_check_and_a_submission_read_after_their_publication(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Published, then checked, then submitted (both replayed after a fix): the post's errors and kind count
    as when the three arrive in order, which is what a rebuild from the topics reads."""
    replayed, in_order = str(uuid.uuid4()), str(uuid.uuid4())
    submitted, checked, published = review_post(replayed, serious=1, ordinary=2)
    async with running(infra, "scoring") as scoring:
        await scoring.handled(await scoring.publish([opened(replayed), opened(in_order), published]))
        await scoring.handled(await scoring.publish([checked]))
        await scoring.handled(await scoring.publish([submitted]))
        await scoring.handled(await scoring.publish(review_post(in_order, serious=1, ordinary=2)))
        days = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT account_id, posts, original_posts, errors_serious, errors_ordinary FROM account_days "
                "WHERE day = :day AND account_id = ANY(CAST(:ids AS text[]))",
                day=DAY,
                ids=[replayed, in_order],
            )
        }
        assert days[in_order] == (1, 1, 1, 2)
        assert days[replayed] == days[in_order], "a check or submission read after the publication was lost"


# ---------------------------------------------------------------------------------------------- notify


async def test_notify_opens_no_case_for_an_alert_dismissed_before_it_was_read_raised(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Dismissed, then raised: no case, no notice, nothing on the ladder. Cleared, then raised: the case opens
    knowing its alert is resolved, and closes once the report is accepted, as in the usual order."""
    account = str(uuid.uuid4())
    dismissed, cleared = raised(account), raised(account, rule=AlertRule.INTERACTION_OFF)
    async with running(infra, "notify") as notify:
        await notify.handled(
            await notify.publish(
                [resolved(dismissed, AlertResolution.DISMISSED), resolved(cleared, AlertResolution.CLEARED)]
            )
        )
        await notify.handled(await notify.publish([dismissed, cleared]))
        cases = {
            r[0]: tuple(r[1:])
            for r in await notify.sql(
                "SELECT alert_id, state, alert_resolution FROM cases WHERE account_id = :a", a=account
            )
        }
        assert dismissed.alert_id not in cases, "a case (and its notice) for an alert already dismissed"
        assert cases == {cleared.alert_id: ("open", "cleared")}, cases
        notices = await notify.sql(
            "SELECT count(*) FROM deliveries WHERE kind = 'notice' AND payload->>'account_id' = :a", a=account
        )
        assert notices[0][0] == 1  # the cleared alert's case only
        ladder = await notify.sql(
            "SELECT COALESCE(sum(count), 0) FROM ladder_counters WHERE unit_id = :u",
            u=dismissed.unit_id,
        )
        assert ladder[0][0] == 1, "the dismissed alert counted on the unit's 2/4/6 ladder"


# ---------------------------------------------------------------------------------------------- monitor


async def test_monitor_raises_an_override_read_before_its_account_once_the_account_arrives(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """No order across topics: the review's PostOverridden may be read before the registry's AccountOpened.
    It must wait for the account, not be dead-lettered; the alert is raised once the account is known."""
    account = str(uuid.uuid4())
    override = PostOverridden(
        occurred_at=NOW, account_id=account, post_id=str(uuid.uuid4()), approver_id=str(uuid.uuid4()),
        approver_name="终审人", reason="已核实，内容属实", content_hash=HASH,
        blocking_categories=(FindingCategory.SERIOUS_EXPRESSION_ERROR,),
    )  # fmt: skip
    async with running(infra, "monitor") as monitor:
        first = await monitor.publish([override])
        await monitor.handled(first)  # handled (kept), not dead-lettered after its retries
        alerts = "SELECT count(*) FROM alerts WHERE account_id = :a AND rule = 'override'"
        assert (await monitor.sql(alerts, a=account))[0][0] == 0  # nothing to raise it on yet
        await monitor.handled(await monitor.publish([opened(account)]))
        assert (await monitor.sql(alerts, a=account))[0][0] == 1, "the override alert was never raised"
        await monitor.publish([override])  # the same fact again (another id, a republish): still one alert
        await monitor.handled(await monitor.publish([opened(account)]))
        assert (await monitor.sql(alerts, a=account))[0][0] == 1


async def test_monitor_keeps_a_publication_read_before_its_approval(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Published, then approved (the approval replayed after a fix): the approved post still knows the
    platform id the review published it under, which matching prefers, as in the usual order."""
    account = str(uuid.uuid4())
    _, _, published = review_post(account, serious=0, ordinary=0)
    assert isinstance(published, PostPublished)
    approved = PostApproved(
        occurred_at=published.occurred_at, account_id=account, post_id=published.post_id, title="通知",
        text="正文", content_hash=HASH, reviewers=published.reviewers, override=False, override_reason=None,
    )  # fmt: skip
    async with running(infra, "monitor") as monitor:
        await monitor.handled(await monitor.publish([opened(account), published]))
        await monitor.handled(await monitor.publish([approved]))
        link = await monitor.sql(
            "SELECT platform_post_id, published_at FROM approved_posts WHERE post_id = :p", p=approved.post_id
        )
        assert link == [(published.platform_post_id, published.published_at)], "the publication was lost"


async def test_monitor_keeps_the_newer_schedule_of_a_year_when_an_older_load_is_read_after_it(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """A year's schedule loaded twice (a correction), the first load replayed after the second: the working
    days stay those of the correction, as notify's copy does."""
    year = 2031  # a year no test loads otherwise

    def load(holidays: tuple[date, ...], hour: int) -> WorkCalendarLoaded:
        return WorkCalendarLoaded(
            occurred_at=datetime(2030, 12, 1, hour, tzinfo=SHANGHAI), region_code="330000", year=year,
            holidays=holidays, workdays=(), loaded_by="admin",
        )  # fmt: skip

    first = load((date(year, 1, 1),), 9)
    corrected = load((date(year, 1, 1), date(year, 1, 2)), 10)  # Thursday 2 January off as well
    async with running(infra, "monitor") as monitor:
        await monitor.handled(await monitor.publish([corrected]))
        await monitor.handled(await monitor.publish([first]))  # the first load, replayed
        days = await monitor.sql(
            "SELECT day, is_workday FROM workdays WHERE day IN (:a, :b) ORDER BY day",
            a=date(year, 1, 2),
            b=date(year, 1, 3),
        )
        assert days == [(date(year, 1, 2), False), (date(year, 1, 3), True)], "an older schedule replaced it"


async def test_notify_counts_deadlines_on_the_newer_schedule_when_an_older_load_is_read_after_it(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """The same replay at notify: its table kept the correction, but the calendar it counts deadlines with
    (in the process) took the old schedule."""
    from govmedia_common.workdays import WorkCalendar

    year = 2032  # a year no test loads otherwise

    def load(holidays: tuple[date, ...], hour: int) -> WorkCalendarLoaded:
        return WorkCalendarLoaded(
            occurred_at=datetime(2031, 12, 1, hour, tzinfo=SHANGHAI), region_code="330000", year=year,
            holidays=holidays, workdays=(), loaded_by="admin",
        )  # fmt: skip

    async with running(infra, "notify") as notify:
        calendar = notify.app.state.runtime.component(WorkCalendar)
        await notify.handled(await notify.publish([load((date(year, 1, 1), date(year, 1, 2)), 10)]))
        await notify.handled(await notify.publish([load((date(year, 1, 1),), 9)]))  # the first, replayed
        stored = await notify.sql("SELECT holidays FROM calendar_years WHERE year = :y", y=year)
        assert stored == [([date(year, 1, 1), date(year, 1, 2)],)]
        assert not calendar.is_workday(date(year, 1, 2)), "deadlines are counted on the older schedule"


async def test_scoring_counts_the_findings_of_the_published_version_whichever_of_review_and_monitor_is_first(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """The review's PostPublished and the monitor's PostObserved of the same post (edited on the platform,
    another hash) travel on different topics, read by different consumers: the post's findings are those of
    the version the review published, whichever is read first."""
    from govmedia_common.events.monitor import IngestChannel, PostObserved

    def observed(published: Event) -> PostObserved:
        assert isinstance(published, PostPublished)
        return PostObserved(
            occurred_at=published.occurred_at, account_id=published.account_id, platform=published.platform,
            platform_post_id=published.platform_post_id, url=None, title="通知", text="改过的正文",
            content_hash="sha256:" + "ef" * 32, published_at=published.published_at,
            observed_at=published.published_at, matched_post_id=published.post_id,
            ingest_channel=IngestChannel.CONNECTOR,
        )  # fmt: skip

    review_first, monitor_first = str(uuid.uuid4()), str(uuid.uuid4())
    a, b = review_post(review_first, serious=1, ordinary=2), review_post(monitor_first, serious=1, ordinary=2)
    async with running(infra, "scoring") as scoring:
        await scoring.handled(
            await scoring.publish([opened(review_first), opened(monitor_first), *a, b[0], b[1]])
        )
        await scoring.handled(await scoring.publish([observed(a[2]), observed(b[2])]))
        await scoring.handled(await scoring.publish([b[2]]))
        days = {
            r[0]: tuple(r[1:])
            for r in await scoring.sql(
                "SELECT account_id, posts, errors_serious, errors_ordinary FROM account_days "
                "WHERE day = :day AND account_id = ANY(CAST(:ids AS text[]))",
                day=DAY,
                ids=[review_first, monitor_first],
            )
        }
        assert days[monitor_first] == (1, 1, 2)
        assert days[review_first] == days[monitor_first], (
            "the observation erased the published version's findings"
        )


async def test_notify_closes_a_case_on_time_when_the_alert_was_resolved_on_time_but_read_late(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Report accepted on time, the monitor's re-check passed on time, but notify read the resolution after
    the deadline (its consumer down, or the event replayed): the rectification was on time, so is the case."""
    from datetime import timedelta

    from govmedia_common.auth import Principal
    from govmedia_common.workdays import FixedClock
    from govmedia_notify.cases import service
    from govmedia_notify.cases.domain import case_id_for

    account = str(uuid.uuid4())
    alert = raised(account)
    async with running(infra, "notify") as notify:
        await notify.handled(await notify.publish([alert]))
        case_id = case_id_for(alert.alert_id)
        unit = Principal(
            subject=str(uuid.uuid4()), kind="person", name="李联络", region_code=alert.region_code,
            unit_id=alert.unit_id, roles=frozenset({"liaison"}), scopes=frozenset({"notify:write"}),
        )  # fmt: skip
        office = Principal(
            subject=str(uuid.uuid4()), kind="person", name="王主任", region_code=alert.region_code,
            unit_id=None, roles=frozenset({"office_staff"}), scopes=frozenset({"notify:write"}),
        )  # fmt: skip
        async with notify.sessions() as session, session.begin():
            case = await service.submit_report(
                session,
                unit,
                case_id,
                text="已整改",
                signed_by="张局长",
                sealed=True,
                attachments=[],
                now=NOW,
            )
        async with notify.sessions() as session, session.begin():
            await service.accept_report(session, office, case_id, case.reports[-1].id, now=NOW)
        rechecked = resolved(alert, AlertResolution.RECHECKED).model_copy(update={"occurred_at": NOW})
        clock = notify.app.state.runtime.clock
        assert isinstance(clock, FixedClock)
        clock.advance(timedelta(days=30))  # notify reads it a month later
        await notify.handled(await notify.publish([rechecked]))
        closed = await notify.sql("SELECT state, outcome, closed_on_time FROM cases WHERE id = :c", c=case_id)
        assert closed == [("closed", "rectified", True)], "an on-time rectification counted late"


async def test_monitor_announces_the_match_of_a_post_observed_before_its_approval_arrived(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """Observed first (未审先发, nothing approved yet), then the approval read (given before the post went
    out): the monitor re-matches the post and retracts the alert, and announces the observation again with the
    approved post it matches, as a PostObserved after the approval would have said from the start; scoring
    and integrators keyed by the post otherwise keep it unmatched."""
    from datetime import timedelta

    from govmedia_common.hashing import content_hash
    from govmedia_common.keys import mint_token
    from tests.fault.test_database_away_during_jobs import client

    account = str(uuid.uuid4())
    async with running(infra, "monitor") as monitor:
        await monitor.handled(await monitor.publish([opened(account)]))
        token_client = client(monitor, roles=[], scopes=["monitor:ingest"])
        token = mint_token(
            monitor.key, subject=str(uuid.uuid4()), region="330000", scopes=["monitor:ingest"], kind="client"
        )
        token_client.headers["Authorization"] = f"Bearer {token}"
        published_at = NOW - timedelta(hours=1)
        async with token_client as http:
            r = await http.post(
                "/v1/observed-posts",
                json={"account_id": account, "platform_post_id": "wx-early", "title": "通知", "text": "正文",
                      "published_at": published_at.isoformat()},
            )  # fmt: skip
            assert r.status_code in (200, 201), r.text
        signatures = tuple(
            ReviewerSignature(level=n, reviewer_id=str(uuid.uuid4()), reviewer_name=who, reviewed_at=NOW)
            for n, who in ((1, "甲"), (2, "乙"))
        )
        approved = PostApproved(
            occurred_at=NOW - timedelta(hours=2), account_id=account, post_id=str(uuid.uuid4()), title="通知",
            text="正文", content_hash=content_hash("通知", "正文"), reviewers=signatures, override=False,
            override_reason=None,
        )  # fmt: skip
        await monitor.handled(await monitor.publish([approved]))
        alert = await monitor.sql(
            "SELECT state, resolution FROM alerts WHERE account_id = :a AND rule = 'unreviewed_publication'",
            a=account,
        )
        assert alert == [("resolved", "retracted")]
        announced = await monitor.sql(
            "SELECT payload->>'matched_post_id' FROM outbox WHERE aggregateid = :a "
            "AND type = 'gov.monitor.post.observed.v1' ORDER BY seq",
            a=account,
        )
        assert announced[-1] == (approved.post_id,), f"the match was never announced: {announced}"


async def test_notify_restarted_counts_on_the_schedule_the_registry_loaded_for_a_year_the_package_knows(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """A schedule loaded in the registry for a year the calendar package covers (an extra day off declared
    late): notify stores it and uses it; restarted (or another replica), it must still count with it, not with
    the package's, once it handles an alert of that year."""
    from govmedia_common.workdays import WorkCalendar

    extra_day_off = date(2026, 11, 25)  # a Wednesday, a working day for the package
    load = WorkCalendarLoaded(
        occurred_at=NOW, region_code="330000", year=2026, holidays=(date(2026, 1, 1), extra_day_off),
        workdays=(), loaded_by="admin",
    )  # fmt: skip
    async with running(infra, "notify") as first:
        await first.handled(await first.publish([load]))
    async with running(infra, "notify", restart=first) as restarted:
        calendar = restarted.app.state.runtime.component(WorkCalendar)
        await restarted.handled(await restarted.publish([raised(str(uuid.uuid4()))]))
        assert not calendar.is_workday(extra_day_off), "the loaded schedule was forgotten after a restart"


async def test_scoring_rebuilt_from_the_topics_scores_as_the_incremental_path_after_odd_orders(
    infra: Infrastructure, kafka_topics: None
) -> None:
    """The odd orders above, each read in polls of their own by a running scoring service, then the topics
    replayed (from where the incremental run began) into a fresh database by a new consumer generation (a
    rebuild: large polls, other batch boundaries): the daily aggregates and the scores are the same."""
    from govmedia_common.events.monitor import IngestChannel, MetricsObserved
    from govmedia_common.events.scoring import PeriodKind
    from govmedia_scoring.engine.compute import compute_period
    from govmedia_scoring.periods import Period

    account = str(uuid.uuid4())
    submitted, checked, published = review_post(account, serious=1, ordinary=1)
    assert isinstance(published, PostPublished)
    dismissed = raised(account, rule=AlertRule.INTERACTION_OFF)
    violation = raised(account)

    def reads(n: int, hour: int) -> MetricsObserved:
        at = datetime(2026, 11, 19, hour, tzinfo=SHANGHAI)
        return MetricsObserved(
            occurred_at=at, account_id=account, platform_post_id=published.platform_post_id, reads=n,
            as_of=at, ingest_channel=IngestChannel.CONNECTOR,
        )  # fmt: skip

    polls: list[list[Event]] = [
        [opened(account), published],
        [resolved(dismissed, AlertResolution.DISMISSED), reads(900, 12)],
        [checked, dismissed, reads(500, 10)],  # the older snapshot after the newer
        [submitted, violation],
    ]
    week = Period(PeriodKind.WEEK, date(2026, 11, 16))

    async def outcome(service: Any) -> tuple[list[Any], list[Any]]:
        async with service.sessions() as session, session.begin():
            await compute_period(session, week, now=NOW)
        days = await service.sql(
            "SELECT day, posts, original_posts, reads, errors_serious, errors_ordinary, violations "
            "FROM account_days WHERE account_id = :a ORDER BY day",
            a=account,
        )
        scores = await service.sql(
            "SELECT diligence, effect, content, cluster, growth, composite, passed, veto_reasons FROM scores "
            "WHERE account_id = :a",
            a=account,
        )
        return days, scores

    ids: list[str] = []
    async with running(infra, "scoring") as incremental:
        for poll in polls:
            ids += await incremental.publish(poll)
            await incremental.handled(ids)
        expected = await outcome(incremental)
    async with running(infra, "scoring", replay=incremental) as rebuilt:
        await rebuilt.handled(ids)
        assert await outcome(rebuilt) == expected
    assert expected[0] and expected[1], expected
    day = next(d for d in expected[0] if d[0] == DAY)
    assert day[1:] == (1, 1, 900, 1, 1, 1), (
        day
    )  # one post, original, the newer reads, its findings, 1 violation


@pytest.mark.parametrize("service", ["monitor", "notify", "scoring"])
async def test_an_account_change_read_after_its_deregistration_does_not_bring_it_back(
    infra: Infrastructure, kafka_topics: None, service: str
) -> None:
    """Deregistered, then an earlier change of its name read (another partition's merge, a replay): each
    projection keeps the account deregistered (docs/events.md: deregistered and merged are terminal). Held."""
    from govmedia_common.events.registry import AccountChanged, AccountDeregistered, AccountStatus

    account = str(uuid.uuid4())
    first = opened(account)
    renamed = first.account.model_copy(update={"name": "路桥发布（新）"})
    change = AccountChanged(
        occurred_at=datetime(2026, 11, 10, 9, tzinfo=SHANGHAI), account_id=account, account=renamed,
        filing_id=None, actor_id="admin", changed_fields=("name",), previous=first.account,
        effective_on=date(2026, 11, 10),
    )  # fmt: skip
    gone = AccountDeregistered(
        occurred_at=datetime(2026, 11, 12, 9, tzinfo=SHANGHAI), account_id=account,
        account=renamed.model_copy(update={"status": AccountStatus.DEREGISTERED}),
        filing_id=str(uuid.uuid4()), actor_id="admin", reason="单位撤销", effective_on=date(2026, 11, 12),
    )  # fmt: skip
    async with running(infra, service) as projection:
        await projection.handled(await projection.publish([first, gone]))
        await projection.handled(await projection.publish([change]))
        status = await projection.sql("SELECT status FROM accounts WHERE account_id = :a", a=account)
        assert status == [("deregistered",)]

"""The ledger run: the five services as OS processes on a broker of their own and fresh databases, driven
through their public APIs while they are hurt — the broker SIGKILLed and restarted empty, each service
SIGKILLed in turn mid-stream (and a standalone outbox relay), a second consumer replica started and
SIGKILLed (two rebalances), records already delivered sent again, poison records, a database frozen.

Every command the driver got accepted is in the ledger with the effect it must have. Once everything is
quiet: lost = 0 (every effect exists in every service that must learn it, every event on the bus is in the
inbox of every service that handles its type), duplicate effects = 0 (each effect once: one alert and one
case per unreviewed post, case numbers of the unit's year 1..n without gaps or repeats, post and day
counters equal to what was sent), dead letters = exactly the poison set, and the scores equal those of a
scoring service rebuilt from scratch by replaying the topics into a fresh database.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from govmedia_common.db import create_engine
from govmedia_common.migrations import upgrade_async
from govmedia_common.workdays import SHANGHAI
from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import SERVICES
from tests.fault.ledger_checks import (
    CONSUMING,
    bus_topics,
    column,
    consumer_groups,
    dead_letter_pairs,
    expected_dead_letters,
    expected_inbox,
    no_inbox_types,
    not_committed,
    pause_database,
    read_topics,
    replay_delivered,
    rows,
    score_everything,
    send_poison,
    wait_until,
)
from tests.fault.ledger_diagnose import diagnose
from tests.fault.ledger_drive import PLATFORMS, Driver, Ledger
from tests.fault.ledger_platform import LedgerPlatform, RunInfrastructure, ledger_platform

pytestmark = pytest.mark.integration


@pytest.mark.timeout(600)
def test_every_command_in_the_ledger_takes_effect_exactly_once_through_kills_restarts_replays_and_poison(
    infra: Infrastructure, tmp_path: Path
) -> None:
    started = time.monotonic()
    with ledger_platform(infra.database_server_url, tmp_path) as platform:
        try:
            ledger = asyncio.run(_drive_and_check(platform))
        finally:
            print("\n".join(platform.log_lines))
        print(f"\nledger run: {len(ledger.accounts)} accounts, {len(ledger.reviewed)} reviewed posts, "
              f"{len(ledger.observed)} unreviewed observations, {len(ledger.metrics)} snapshots; "
              f"faults: {'; '.join(ledger.faults)}; {ledger.retries} retried requests, "
              f"{len(ledger.server_errors)} 5xx answers; {time.monotonic() - started:.0f}s")  # fmt: skip


async def _drive_and_check(platform: LedgerPlatform) -> Ledger:
    ledger = Ledger()
    driver = Driver(platform, ledger)
    engines = {s: create_engine(platform.infra.database_url(s), pool_size=2) for s in SERVICES}
    try:
        try:
            await _drive(platform, driver, ledger, engines)
            await _check(platform, ledger, engines)
        except Exception as exc:  # the run's folder is gone in CI: the failure carries what explains it
            report = await diagnose(platform, ledger, engines)  # in the message only: it is long
            raise AssertionError(f"{exc}\n\n{report}") from exc
    finally:
        await driver.close()
        for engine in engines.values():
            await engine.dispose()
    return ledger


async def _unpublished(engines: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """Rows each service's outbox has not published yet (only those with any)."""
    counts = {
        s: (await column(e, "SELECT count(*) FROM outbox WHERE published_at IS NULL"))[0]
        for s, e in engines.items()
    }
    return {s: n for s, n in counts.items() if n}


async def _not_on(engines: dict, cluster: str) -> dict[str, int]:  # type: ignore[type-arg]
    """Rows each service's outbox has not yet published to the broker of ``cluster``."""
    query = "SELECT count(*) FROM outbox WHERE published_to IS DISTINCT FROM :c"
    counts = {s: (await column(e, query, c=cluster))[0] for s, e in engines.items()}
    return {s: n for s, n in counts.items() if n}


async def _story_of(engines: dict, post_id: str) -> str:  # type: ignore[type-arg]
    """The post's events: the review's outbox rows and where and when each consumer handled them."""
    events = await rows(
        engines["review"],
        "SELECT seq, id, type, created_at, published_at, published_to FROM outbox "
        "WHERE payload->>'post_id' = :p ORDER BY seq",
        p=post_id,
    )
    ids = [e[1] for e in events]
    lines = [f"review outbox {e}" for e in events]
    for service in ("monitor", "scoring"):
        handled = await rows(
            engines[service],
            'SELECT event_id, type, topic, partition, "offset", handled_at FROM inbox '
            "WHERE event_id = ANY(CAST(:ids AS text[])) ORDER BY handled_at",
            ids=ids,
        )
        lines += [f"{service} inbox {h}" for h in handled]
    return "\n  ".join(lines)


def _difference(got: object, want: object) -> str:
    """What differs, briefly: keys missing, extra or changed in mappings; first differing rows of lists."""
    if isinstance(got, dict) and isinstance(want, dict):
        missing = {k: want[k] for k in want.keys() - got.keys()}
        extra = {k: got[k] for k in got.keys() - want.keys()}
        changed = {k: (got[k], want[k]) for k in got.keys() & want.keys() if got[k] != want[k]}
        return f"missing {missing}, unexpected {extra}, (got, expected) {changed}"[:4000]
    if isinstance(got, list) and isinstance(want, list):
        rows = [(i, g, w) for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w][:5]
        return f"{len(got)} rows, expected {len(want)}; first differing (index, got, expected): {rows}"[:4000]
    return f"got {got!r}, expected {want!r}"[:4000]


async def _after(seconds: float, action: object) -> None:
    await asyncio.sleep(seconds)
    result = action() if callable(action) else action
    if asyncio.iscoroutine(result):
        await result


async def _broker_back(platform: LedgerPlatform) -> None:
    """The supervision restarted the broker and recreated its topics."""

    async def still_down() -> bool:
        return not any("broker is new" in line for line in platform.log_lines)

    await wait_until(still_down, within=60, what="the broker to be restarted with its topics")


async def _drive(platform: LedgerPlatform, driver: Driver, ledger: Ledger, engines: dict) -> None:  # type: ignore[type-arg]
    bootstrap = platform.infra.kafka_bootstrap
    platform.log("ready; setting up")
    await driver.set_up()
    platform.log("set up")
    accounts = list(await asyncio.gather(*(driver.open_account(p) for p in PLATFORMS[:3])))
    # the monitor's outbox goes out through a standalone relay, which is killed too
    relays = [platform.spawn_relay("monitor")]
    await driver.round(accounts)  # warm-up: every path has carried something

    platform.log("phase 1")
    # 1. the broker dies and comes back empty; the supervision restarts it, relays republish, consumers read
    # the new broker from its start (they may still be behind when it dies). It dies once every outbox row
    # went out, and the drive goes on once the relays have republished: rows written or in flight around
    # the restart reach the new broker out of their aggregate's order (test_republish_order.py, reported),
    # and the monitor then loses a publication whose approval it meets later.
    await wait_until(lambda: _unpublished(engines), within=60, what="every outbox published")
    platform.kill_broker()
    await _broker_back(platform)
    assert platform.infra.broker is not None
    cluster = platform.infra.broker.cluster_id
    await wait_until(lambda: _not_on(engines, cluster), within=60, what="every outbox republished")
    ledger.faults.append("broker SIGKILLed and restarted")

    platform.log("phase 2")

    # 2. registry and the standalone relay are SIGKILLed while an account is opened and posts flow
    def kill_relay() -> None:
        relays[-1].send_signal(signal.SIGKILL)
        relays.append(platform.spawn_relay("monitor"))
        ledger.faults.append("standalone monitor relay SIGKILLed and started again")

    new = asyncio.create_task(driver.open_account(PLATFORMS[3]))
    await asyncio.gather(
        driver.round(accounts), _after(0.2, lambda: platform.kill("registry")), _after(0.6, kill_relay)
    )
    accounts.append(await new)
    ledger.faults.append("registry SIGKILLed")
    await send_poison(bootstrap, ledger)

    platform.log("phase 3")
    # 3. review killed; a second scoring replica joins its groups (rebalance)
    replica, _ = platform.spawn_extra("scoring")
    await asyncio.gather(driver.round(accounts), _after(0.3, lambda: platform.kill("review")))
    ledger.faults.append("review SIGKILLed; a second scoring replica joined")

    platform.log("phase 4")
    # 4. monitor killed; delivered records are sent again
    await asyncio.gather(
        driver.round(accounts),
        _after(0.3, lambda: platform.kill("monitor")),
        replay_delivered(bootstrap, ledger),
    )
    ledger.faults.append("monitor SIGKILLed")

    platform.log("phase 5")
    # 5. notify killed; the scoring replica is SIGKILLed (its partitions move back after the session timeout)
    await asyncio.gather(
        driver.round(accounts),
        _after(0.3, lambda: platform.kill("notify")),
        _after(0.5, lambda: replica.send_signal(signal.SIGKILL)),
    )
    ledger.faults.append("notify SIGKILLed; the scoring replica SIGKILLed")

    platform.log("phase 6")
    # 6. scoring killed; the monitor's database frozen for a few seconds
    assert isinstance(platform.infra, RunInfrastructure)
    db = platform.infra.database_name("monitor")
    await asyncio.gather(
        driver.round(accounts),
        _after(0.3, lambda: platform.kill("scoring")),
        _after(0.5, pause_database(platform.infra.database_server_url, db, 4.0, ledger)),
    )
    ledger.faults.append("scoring SIGKILLed")

    platform.log("phase 7")
    # 7. one more round with another opening, more replays and poison
    new = asyncio.create_task(driver.open_account(PLATFORMS[4]))
    await asyncio.gather(
        driver.round(accounts), replay_delivered(bootstrap, ledger), send_poison(bootstrap, ledger)
    )
    accounts.append(await new)
    await driver.round(accounts)


async def _check(platform: LedgerPlatform, ledger: Ledger, engines: dict) -> None:  # type: ignore[type-arg]
    platform.log("drive done; waiting for quiet")
    bootstrap = platform.infra.kafka_bootstrap
    reviewed = {p.post_id: p for p in ledger.reviewed}
    observed = {(o.account_id, o.platform_post_id) for o in ledger.observed}
    assert len(observed) == len(ledger.observed)
    latest: dict[tuple[str, str], int] = {}
    for m in sorted(ledger.metrics, key=lambda m: m.taken_at):
        latest[(m.account_id, m.platform_post_id)] = m.reads

    # --- quiet: every outbox published, every event on the bus in the inbox of each service handling it
    await wait_until(lambda: _unpublished(engines), within=120, what="every outbox to be published")
    groups = consumer_groups(platform.group_prefix)
    poison = set(ledger.poison)

    async def not_in_inbox() -> dict[str, int]:
        records = await read_topics(bootstrap, bus_topics())
        missing = {}
        for service in CONSUMING:
            handled = {t: topic for g in groups[service].values() for t, topic in g.items()}
            without = no_inbox_types(service)
            want = expected_inbox(records, handled, poison, without)
            have = set(await column(engines[service], "SELECT event_id FROM inbox"))
            if want - have:
                missing[service] = len(want - have)
            if without and (behind := await not_committed(bootstrap, groups[service], without, records)):
                missing[f"{service} (no inbox row: not committed past)"] = behind
        return missing

    await wait_until(not_in_inbox, within=180, what="every event to be handled by every consumer")

    platform.log("quiet; checking")
    # --- lost = 0 and duplicate effects = 0, service by service
    failures: list[str] = []

    def expect(what: str, got: object, want: object) -> None:
        if got != want:
            failures.append(f"{what}: {_difference(got, want)}")

    accounts = sorted(ledger.accounts)
    for service in ("review", "monitor", "notify", "scoring"):
        status = dict(await rows(engines[service], "SELECT account_id, status FROM accounts"))
        expect(f"{service} accounts", {a: status.get(a) for a in accounts}, dict.fromkeys(accounts, "active"))
    registry = dict(await rows(engines["registry"], "SELECT id, status FROM accounts"))
    expect("registry accounts", {a: registry.get(a) for a in accounts}, dict.fromkeys(accounts, "active"))

    review_posts = dict(await rows(engines["review"], "SELECT id, status FROM posts"))
    expect("review posts", review_posts, dict.fromkeys(reviewed, "published"))
    approved = dict(await rows(engines["monitor"], "SELECT post_id, platform_post_id FROM approved_posts"))
    expect("monitor approved posts", approved, {p.post_id: p.platform_post_id for p in ledger.reviewed})
    for post_id in [p for p in reviewed if approved.get(p) != reviewed[p].platform_post_id][:3]:
        failures.append(f"post {post_id}: " + await _story_of(engines, post_id))
    seen = await rows(
        engines["monitor"], "SELECT account_id, platform_post_id, match_kind FROM observed_posts"
    )
    expect("monitor observations", Counter((a, p) for a, p, _ in seen), Counter(observed))
    alerts = await rows(engines["monitor"], "SELECT id, account_id, rule, period, state FROM alerts")
    expect(
        "monitor alerts (one open 未审先发 per unreviewed post)",
        Counter((a, r, p, s) for _, a, r, p, s in alerts),
        Counter((a, "unreviewed_publication", p, "open") for a, p in observed),
    )
    snapshots = await rows(engines["monitor"], "SELECT account_id, post_key, taken_at FROM metric_snapshots")
    expect(
        "monitor snapshots",
        Counter((a, p, t.timestamp()) for a, p, t in snapshots),
        Counter((m.account_id, m.platform_post_id, m.taken_at.timestamp()) for m in ledger.metrics),
    )

    cases = await rows(engines["notify"], "SELECT alert_id, ladder_year, ladder_ordinal FROM cases")
    expect("notify cases (one per alert)", Counter(c[0] for c in cases), Counter(a[0] for a in alerts))
    expect(
        "notify case numbers of the unit's year (二四六 ladder)",
        sorted(c[2] for c in cases),
        list(range(1, len(observed) + 1)),
    )

    s_reviewed = await rows(engines["scoring"], "SELECT post_id FROM review_posts")
    expect("scoring review posts", Counter(r[0] for r in s_reviewed), Counter(list(reviewed)))
    s_posts = await rows(engines["scoring"], "SELECT account_id, platform_post_id, reads FROM posts")
    want_posts: dict[tuple[str, str], int | None] = {
        (p.account_id, p.platform_post_id): None for p in ledger.reviewed
    }
    want_posts.update({k: latest.get(k) for k in observed})
    expect("scoring posts with their latest reads", {(a, p): r for a, p, r in s_posts}, want_posts)
    expect("scoring posts counted once", len(s_posts), len(want_posts))
    s_alerts = await column(engines["scoring"], "SELECT alert_id FROM alerts")
    expect("scoring alerts", Counter(s_alerts), Counter(a[0] for a in alerts))
    per_account = Counter(a for a, _ in want_posts)
    days = dict(
        await rows(engines["scoring"], "SELECT account_id, sum(posts)::int FROM account_days GROUP BY 1")
    )
    expect(
        "scoring posts per account (daily counters)", {a: days.get(a) for a in per_account}, dict(per_account)
    )
    violations = dict(
        await rows(engines["scoring"], "SELECT account_id, sum(violations)::int FROM account_days GROUP BY 1")
    )
    want_violations = Counter(a for a, _ in observed)
    expect(
        "scoring violations per account",
        {a: violations.get(a) for a in want_violations},
        dict(want_violations),
    )

    for service, engine in engines.items():
        dead = await column(engine, "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")
        expect(f"{service} outbox rows set aside", dead[0], 0)

    # --- dead letters: exactly the poison, once per group that reads it
    letters = await dead_letter_pairs(bootstrap)
    expect("dead letters", set(letters), expected_dead_letters(ledger, groups))
    if len(letters) != len(set(letters)):
        ledger.faults.append(f"{len(letters) - len(set(letters))} dead letters written twice (at least once)")

    platform.log(f"effects checked: {len(failures)} failures")
    for failure in failures:
        platform.log(failure)
    # --- every score equal to a rebuild from scratch: a new scoring generation replays the topics
    rebuild_url = platform.infra.database_url("rebuild")
    await upgrade_async("scoring", rebuild_url)
    platform.spawn_extra(
        "scoring",
        {"GOVMEDIA_SCORING_DATABASE_URL": rebuild_url, "GOVMEDIA_SCORING_CONSUMER_GENERATION": "2",
         "GOVMEDIA_SCORING_RUN_RELAY": "false"},
    )  # fmt: skip
    rebuilt = create_engine(rebuild_url, pool_size=2)
    try:
        records = await read_topics(bootstrap, bus_topics())
        handled = {t: topic for g in groups["scoring"].values() for t, topic in g.items()}
        without = no_inbox_types("scoring")
        want = expected_inbox(records, handled, poison, without)
        # the rebuild's groups: the same names, consumer generation 2
        rebuild_groups = {g.replace("-v1", "-v2"): h for g, h in groups["scoring"].items()}
        assert set(rebuild_groups) != set(groups["scoring"]), rebuild_groups

        async def rebuild_missing() -> int:
            missing = len(want - set(await column(rebuilt, "SELECT event_id FROM inbox")))
            return missing + await not_committed(bootstrap, rebuild_groups, without, records)

        await wait_until(rebuild_missing, within=120, what="the rebuild to replay every topic")
        platform.log("rebuild caught up")
        now = datetime.now(SHANGHAI)
        primary, again = await score_everything(engines["scoring"], now), await score_everything(rebuilt, now)
        for table in primary:
            expect(f"scoring {table} == rebuild", primary[table], again[table])
        expect("every account scored in each period", len(primary["scores"]), 3 * len(ledger.accounts))
    finally:
        await rebuilt.dispose()
    assert not failures, "\n".join(failures)

"""What a failed ledger run says about itself: the service logs' tails, where each consumer group stands
against the partitions' ends, and each opened account's events from the registry's outbox to each
consumer's inbox.

The run's temporary folder (logs included) is not kept by CI, and a flake seen once must be explained by its
failure message alone: a lost event shows here as on the bus but in no inbox (skipped by a consumer: compare
the group's committed offset with the record's), or not on the bus (never published, or published to a
log that was deleted), or in the inbox while the service's own row is missing or different.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fault.ledger_checks import CONSUMING, Record, bus_topics, consumer_groups, read_topics, rows
from tests.fault.ledger_drive import Ledger
from tests.fault.ledger_platform import LedgerPlatform

LOG_TAIL_LINES = 25
# Lines of the services' logs that tell where a consumer or a relay moved: printed whatever their age.
LANDMARKS = ("reading", "republish", "log ends before", "give back", "rewind", "revoked", "new broker")


def log_tails(logs: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Per service log: the consumers' and relays' landmark lines, then the last ``lines`` lines."""
    out = []
    for path in sorted(logs.glob("*.log")):
        text = path.read_text(errors="replace").splitlines()
        marks = [line for line in text if any(m in line for m in LANDMARKS)]
        out.append(f"== {path.name}: {len(text)} lines; {len(marks)} landmarks")
        out += [f"  ! {line[:300]}" for line in marks[-40:]]
        out += [f"  {line[:300]}" for line in text[-lines:]]
    return "\n".join(out)


async def group_positions(bootstrap: str, prefix: str, records: list[Record]) -> str:
    """Each service's groups: committed offset per partition against the partition's exact end (the last
    record read + 1; the embedded broker's end offsets stop at the start of a last batch) and its reported
    end offset."""
    exact: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        exact[tp] = max(exact.get(tp, 0), r.offset + 1)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    out = []
    try:
        for service, groups in consumer_groups(prefix).items():
            for group, handled in groups.items():
                topics = set(handled.values())
                tps = sorted(tp for tp in exact if tp.topic in topics)
                reported = await reader.end_offsets(tps) if tps else {}
                # the group's committed offsets, asked by a member that never joins (no rebalance)
                asker = AIOKafkaConsumer(
                    bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
                )
                await asker.start()
                try:
                    cells = []
                    for tp in tps:
                        done = await asker.committed(tp)
                        mark = "" if done == exact[tp] else " <-"
                        cells.append(
                            f"{tp.topic}[{tp.partition}] committed={done} end={exact[tp]} "
                            f"reported_end={reported.get(tp)}{mark}"
                        )
                finally:
                    await asker.stop()
                out.append(f"{service} {group}:\n    " + "\n    ".join(cells or ["(no records)"]))
    finally:
        await reader.stop()
    return "\n".join(out)


async def account_trails(engines: dict[str, AsyncEngine], ledger: Ledger, records: list[Record]) -> str:
    """Each opened account: the monitor's row of it, the registry's outbox rows of it, and for each such
    event where it lies on the bus and which consumers' inboxes hold it."""
    on_bus: dict[str, list[str]] = {}
    for r in records:
        on_bus.setdefault(r.header("ce_id"), []).append(f"{r.topic}[{r.partition}]@{r.offset}")
    out = []
    for account in ledger.accounts:
        known = await rows(
            engines["monitor"],
            "SELECT status, region_code, as_of FROM accounts WHERE account_id = :a",
            a=account,
        )
        out.append(f"account {account}: monitor has {known or 'NO ROW'}")
        events = await rows(
            engines["registry"],
            "SELECT seq, id, type, topic, created_at, published_at, published_to, attempts, dead_at "
            "FROM outbox WHERE aggregateid = :a ORDER BY seq",
            a=account,
        )
        ids = [e[1] for e in events]
        inboxes: dict[str, dict[str, Any]] = {}
        for service in CONSUMING:
            held = await rows(
                engines[service],
                'SELECT event_id, partition, "offset", handled_at FROM inbox '
                "WHERE event_id = ANY(CAST(:ids AS text[]))",
                ids=ids,
            )
            inboxes[service] = {h[0]: h[1:] for h in held}
        for e in events:
            where = ", ".join(on_bus.get(e[1], [])) or "NOT ON THE BUS"
            holders = [s for s in CONSUMING if e[1] in inboxes[s]]
            out.append(
                f"  seq={e[0]} {e[2]} {e[3]} created={e[4]:%H:%M:%S.%f} published={e[5]} to={e[6]} "
                f"attempts={e[7]} dead={e[8]}; bus: {where}; in inbox of: {holders or 'none'}"
            )
    return "\n".join(out)


async def diagnose(platform: LedgerPlatform, ledger: Ledger, engines: dict[str, AsyncEngine]) -> str:
    """Everything above, each part on its own: a part that fails says so and the others still come."""
    parts = [f"--- service logs ({platform.data_dir / 'logs'})\n" + log_tails(platform.data_dir / "logs")]
    bootstrap = platform.infra.kafka_bootstrap
    records: list[Record] = []
    try:
        records = await asyncio.wait_for(read_topics(bootstrap, bus_topics()), 90)
    except Exception as exc:  # the broker may be what failed
        parts.append(f"--- the bus could not be read: {exc!r}")
    for title, part in (
        ("consumer groups: committed vs end", group_positions(bootstrap, platform.group_prefix, records)),
        ("opened accounts: registry outbox -> bus -> inboxes", account_trails(engines, ledger, records)),
    ):
        try:
            parts.append(f"--- {title}\n" + await asyncio.wait_for(part, 60))
        except Exception as exc:
            parts.append(f"--- {title}: could not be told: {exc!r}")
    return "\n".join(parts)

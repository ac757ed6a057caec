"""Run an outbox relay on its own: ``python -m govmedia_common.relay_main --service registry``.

Normally the relay runs inside each service; running it standalone lets operators scale it separately
(several replicas are safe) and lets the fault tests kill it with SIGKILL at random points.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from govmedia_common.db import create_engine, session_factory
from govmedia_common.kafka import make_producer
from govmedia_common.logging import configure_logging
from govmedia_common.outbox import OutboxRelay
from govmedia_common.settings import KafkaSettings


async def main(database_url: str, bootstrap: str, service: str, batch_size: int, lease: float) -> None:
    engine = create_engine(database_url, pool_size=3)
    kafka = KafkaSettings(bootstrap=bootstrap)
    producer = make_producer(kafka, f"{service}-relay")
    await producer.start()
    relay = OutboxRelay(
        session_factory(engine),
        producer,
        service=service,
        batch_size=batch_size,
        lease_seconds=lease,
        idle_sleep=0.05,
        kafka=kafka,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, relay.stop)
    try:
        await relay.run()
    finally:
        await producer.stop()
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--service", default="relay")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    args = parser.parse_args()
    configure_logging(args.service, "INFO", json=True)
    asyncio.run(main(args.database_url, args.bootstrap, args.service, args.batch_size, args.lease_seconds))

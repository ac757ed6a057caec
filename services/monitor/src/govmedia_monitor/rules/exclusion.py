"""Sweeps and the observations that end a rule's condition do not overlap.

A sweep judges every account in a few statements over seconds (one of them reads the accounts' silences into
a temporary table that two later statements use). A post, an answer or the interaction switched on committed
meanwhile ends a condition the sweep still sees as holding: the sweep raised the alert after the observation
had looked for it to resolve, and it stayed open (a false violation on notify's ladder until the next day's
sweep). So a sweep takes one advisory lock exclusively (one sweep at a time across replicas, too) and those
ingests, and the registry's account events (interaction switched on, a status change), take it shared, first
in their transaction: an ingest waits for a running sweep (and clears what it
raised), a sweep waits for the ingests in flight (and sees them). Metrics and new messages end no condition
and take nothing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SWEEP_LOCK = 0x6D6F6E73776570  # "monswep"


async def sweep_alone(session: AsyncSession) -> None:
    """Wait for the running sweep and the ingests in flight; hold them off until the transaction ends."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SWEEP_LOCK})


async def beside_no_sweep(session: AsyncSession) -> None:
    """Wait for a running sweep; hold the next one off until the transaction ends (ingests share it)."""
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": SWEEP_LOCK})

"""``POST /v1/recompute`` behind a running computation of the same period, over a socket to scoring.

What the outside round found: computations of one period run one after the other (an advisory lock per
period), and a recompute sent while the schedule (or another request) computed the period waited for it
with no bound: the month of 500,000 accounts takes about a minute, longer than an integrator's client or a
proxy waits, so the client gave up, sent it again, and queued another wait behind the same lock. Now it
waits a bounded time (``RECOMPUTE_WAIT_SECONDS``), then answers 503 ``period-being-computed`` with
``Retry-After``, having done nothing; sent again later (with its Idempotency-Key) it computes, or replays.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import text

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

MONTH = {"period_kind": "month", "period_start": "2025-09-01"}


async def test_a_recompute_behind_a_running_computation_of_its_period_answers_503_in_bounded_time(
    supervision: Supervision, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_common.events.scoring import PeriodKind
    from govmedia_scoring import api
    from govmedia_scoring.engine import compute
    from govmedia_scoring.periods import Period

    monkeypatch.setattr(api, "RECOMPUTE_WAIT_SECONDS", 1.0)
    admin = supervision.scoring_reader(region="330000", roles=("office_admin",))
    sessions = supervision.scoring_app.state.runtime.sessions
    lock = compute._period_lock(Period(PeriodKind.MONTH, date(2025, 9, 1)))
    async with sessions() as held, held.begin():  # the schedule computing September
        await held.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        started = time.monotonic()
        r = await admin.post("/v1/recompute", json=MONTH, timeout=15)  # it used to wait for ever
        waited = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert r.json()["code"] == "period-being-computed", r.json()
        assert "2025-09-01" in r.json()["detail"], r.json()
        assert int(r.headers["retry-after"]) >= 1, dict(r.headers)
        assert 0.9 <= waited < 10, waited
        other = await admin.post("/v1/recompute", json={"period_kind": "month", "period_start": "2025-08-01"})
        assert other.status_code == 200, other.text  # another period does not wait for September's
    again = await admin.post("/v1/recompute", json=MONTH)  # the computation over: it runs
    assert again.status_code == 200, again.text

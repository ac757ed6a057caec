"""The ledger's accounting of events handled without an inbox row follows every service's own declaration
(``BatchHandler.idempotent``), not a list of the services known to declare some today."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from govmedia_common.events.monitor import AlertRaised
from govmedia_common.handlers import BatchHandler
from tests.fault.ledger_checks import no_inbox_types


async def _apply(session: Any, items: Sequence[Any]) -> None:
    """A handler that would apply alerts by their own keys (never run here)."""


def test_every_services_idempotent_batch_types_are_handled_without_an_inbox_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import govmedia_notify.main as notify_main

    original = notify_main.spec

    def spec_declaring_one(*args: Any, **kwargs: Any) -> Any:
        spec = original(*args, **kwargs)
        groups = dict(spec.consumer_groups)
        groups["alerts"] = {**groups["alerts"], AlertRaised: BatchHandler(_apply, idempotent=[AlertRaised])}
        return replace(spec, consumer_groups=groups)

    assert AlertRaised.event_type not in no_inbox_types("notify")
    monkeypatch.setattr(notify_main, "spec", spec_declaring_one)
    assert no_inbox_types("notify") == {AlertRaised.event_type}
    # scoring's metric snapshots, declared by scoring, as before
    assert "gov.monitor.metrics.observed.v1" in no_inbox_types("scoring")
    assert no_inbox_types("registry") == no_inbox_types("review") == no_inbox_types("monitor") == frozenset()

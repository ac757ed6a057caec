"""The fetcher of lexicon lists announced by reference: only the announced document is stored, a newer
announcement wins, a token is reused until it expires. (The whole path on the real registry and review is
shown by tests/e2e/test_monitor_lexicon_fetch.py.)"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from prometheus_client import REGISTRY

from govmedia_common.events import LexiconPublished
from govmedia_monitor import handlers
from govmedia_monitor.models import LexiconList
from govmedia_monitor.observations.lexicon_fetch import (
    LexiconFetcher,
    LexiconFetchSettings,
    document_hash,
)

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration

DOC = {
    "kind": "sensitive_terms",
    "name": "浙江省敏感词",
    "version": "v2",
    "entries": [{"term": "测试禁词", "category": "illegal", "severity": "block", "note": "测试"}],
}
PATH = "/v1/lexicons/sensitive?region=330000&version=v2"


def _announced(monitor: MonitorKit, seq: int, version: str, doc: dict[str, Any]) -> LexiconPublished:
    return LexiconPublished(
        occurred_at=monitor.clock.now(),
        lexicon_key="330000/sensitive",
        kind="sensitive",
        scope_region_code="330000",
        replaces_base=True,
        name=doc["name"],
        version=version,
        seq=seq,
        entries_count=len(doc["entries"]),
        document_hash=document_hash(doc),
        document=None,
        document_path=PATH,
        published_by="admin",
    )


class StandIn:
    """The review and registry as HTTP peers: what they answer, and what they were asked."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.tokens = 0
        self.seen_auth: list[str] = []

    def review(self, request: httpx.Request) -> httpx.Response:
        self.seen_auth.append(request.headers.get("authorization", ""))
        return httpx.Response(200, json={"document": self.document})

    def registry(self, request: httpx.Request) -> httpx.Response:
        assert b"grant_type=client_credentials" in request.content
        self.tokens += 1
        return httpx.Response(200, json={"access_token": f"t{self.tokens}", "expires_in": 900})


def _fetcher(peer: StandIn) -> LexiconFetcher:
    settings = LexiconFetchSettings(
        review_url="http://review", registry_url="http://registry", client_id="c", client_secret="s"
    )
    return LexiconFetcher(
        settings,
        review=httpx.AsyncClient(base_url="http://review", transport=httpx.MockTransport(peer.review)),
        registry=httpx.AsyncClient(base_url="http://registry", transport=httpx.MockTransport(peer.registry)),
    )


async def _document(monitor: MonitorKit) -> dict[str, Any] | None:
    async with monitor.sessions() as session:
        row = await session.get(LexiconList, ("330000", "sensitive"))
        assert row is not None
        return row.document


async def test_a_document_that_is_not_the_announced_one_is_refused_and_the_right_one_stored(
    monitor: MonitorKit,
) -> None:
    await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 5, "v2", DOC))
    assert await _document(monitor) is None

    tampered = StandIn({**DOC, "entries": []})
    assert await _fetcher(tampered).fetch_pending(monitor.sessions) == 0
    assert await _document(monitor) is None

    peer = StandIn(DOC)
    fetcher = _fetcher(peer)
    assert await fetcher.fetch_pending(monitor.sessions) == 1
    assert await _document(monitor) == DOC
    assert peer.seen_auth == ["Bearer t1"]
    assert await fetcher.fetch_pending(monitor.sessions) == 0, "nothing left to fetch"


async def test_a_newer_announcement_while_fetching_wins_and_the_token_is_reused(monitor: MonitorKit) -> None:
    await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 5, "v2", DOC))
    newer = {**DOC, "version": "v3"}

    class Racing(StandIn):
        async def review(self, request: httpx.Request) -> httpx.Response:  # type: ignore[override]  # MockTransport awaits it
            if self.document is DOC:  # v3 is announced while v2 is on its way
                await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 6, "v3", newer))
            return super().review(request)

    peer = Racing(DOC)
    fetcher = _fetcher(peer)
    assert await fetcher.fetch_pending(monitor.sessions) == 0, "v2 arrived after v3 was announced"
    assert await _document(monitor) is None
    peer.document = newer
    assert await fetcher.fetch_pending(monitor.sessions) == 1
    stored = await _document(monitor)
    assert stored is not None and stored["version"] == "v3"
    assert peer.tokens == 1, "one token for both fetches"


async def test_without_a_client_nothing_is_fetched_and_the_list_waits(monitor: MonitorKit) -> None:
    await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 5, "v2", DOC))
    peer = StandIn(DOC)
    fetcher = _fetcher(peer)
    fetcher.settings = LexiconFetchSettings(review_url="http://review", registry_url="http://registry")
    assert await fetcher.fetch_pending(monitor.sessions) == 0
    assert peer.seen_auth == [] and await _document(monitor) is None


def _state() -> dict[str, float]:
    """``govmedia_lexicon_fetch_state`` by state, as /metrics shows it."""
    return {
        s: REGISTRY.get_sample_value("govmedia_lexicon_fetch_state", {"service": "monitor", "state": s})
        or 0.0
        for s in ("not_configured", "no_client", "failing", "ok")
    }


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "lexicon" in r.name]


async def test_what_stops_the_fetch_is_logged_once_and_on_change_and_shown_as_a_metric(
    monitor: MonitorKit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="govmedia_monitor.observations.lexicon_fetch")
    await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 5, "v2", DOC))
    peer = StandIn({**DOC, "entries": []})  # not the announced document
    fetcher = _fetcher(peer)
    client = fetcher.settings
    fetcher.settings = LexiconFetchSettings(review_url="http://review", registry_url="http://registry")
    for _ in range(3):  # three polls, 10 s apart, with no machine client configured
        assert await fetcher.fetch_pending(monitor.sessions) == 0
    [warning] = _warnings(caplog)
    assert "no machine client" in warning and "GOVMEDIA_MONITOR_CLIENT_ID" in warning
    assert _state()["no_client"] == 1 and _state()["ok"] == 0

    caplog.clear()
    fetcher.settings = client  # the client is configured: the review answers the wrong document, each poll
    for _ in range(3):
        assert await fetcher.fetch_pending(monitor.sessions) == 0
    [warning] = _warnings(caplog)
    assert "330000/sensitive" in warning or "hash" in warning, warning
    assert _state()["failing"] == 1 and _state()["no_client"] == 0

    caplog.clear()
    peer.document = DOC
    assert await fetcher.fetch_pending(monitor.sessions) == 1
    assert await fetcher.fetch_pending(monitor.sessions) == 0
    assert _warnings(caplog) == [] and _state()["ok"] == 1 and _state()["failing"] == 0


async def test_a_refusal_that_differs_only_by_its_trace_id_is_logged_once(
    monitor: MonitorKit, caplog: pytest.LogCaptureFixture
) -> None:
    """The review refuses the monitor's client at every poll; each problem+json answer has its own trace_id,
    which must not make each poll's warning a new one."""
    caplog.set_level(logging.INFO, logger="govmedia_monitor.observations.lexicon_fetch")
    await monitor.apply(handlers.on_lexicon_published, _announced(monitor, 5, "v2", DOC))

    class Refusing(StandIn):
        def review(self, request: httpx.Request) -> httpx.Response:
            self.seen_auth.append(request.headers.get("authorization", ""))
            problem = {"code": "forbidden", "detail": "Scope review:read required.", "status": 403}
            return httpx.Response(403, json={**problem, "trace_id": f"{len(self.seen_auth):032x}"})

    peer = Refusing(DOC)
    fetcher = _fetcher(peer)
    for _ in range(3):
        assert await fetcher.fetch_pending(monitor.sessions) == 0
    [warning] = _warnings(caplog)
    assert "403" in warning and "review:read" in warning, warning

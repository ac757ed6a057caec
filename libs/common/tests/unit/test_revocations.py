"""Token revocation as every service sees it: the registry's feed, polled, refuses older generations."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from govmedia_common.auth import AuthError, RevocationList, TokenVerifier, revocations_url_beside
from govmedia_common.keys import SigningKey, jwks, mint_token


class Feed:
    """A revocation feed the test writes to, counting how often verifiers read it."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.reads = 0

    def add(self, **entry: Any) -> None:
        self.entries.append({"seq": len(self.entries) + 1, **entry})

    async def load(self, after: int) -> dict[str, Any]:
        self.reads += 1
        page = [e for e in self.entries if e["seq"] > after]
        return {"entries": page, "last_seq": len(self.entries), "more": False}


def _token(key: SigningKey, subject: str, gen: int | None) -> str:
    token = mint_token(key, subject=subject, region="331004", roles=["editor"], scopes=["registry:read"])
    if gen is None:
        return token
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return key.sign({**claims, "gen": gen})


def _verifier(key: SigningKey, feed: Feed, poll: float = 0.0) -> TokenVerifier:
    return TokenVerifier(
        issuer="govmedia-registry",
        audience="govmedia",
        jwks=jwks(key),
        revocations=RevocationList(loader=feed.load, poll_seconds=poll),
    )


async def test_a_token_older_than_its_subjects_revocation_is_refused_and_a_newer_one_accepted() -> None:
    key, feed = SigningKey.generate(), Feed()
    verifier = _verifier(key, feed)
    old = _token(key, "p1", None)  # issued before any revocation: generation 0
    assert (await verifier.verify(old)).subject == "p1"
    feed.add(subject="p1", generation=1)
    with pytest.raises(AuthError) as info:
        await verifier.verify(old)
    assert info.value.status == 401 and "revoked" in info.value.detail
    assert (await verifier.verify(_token(key, "p1", 1))).subject == "p1"
    assert (await verifier.verify(_token(key, "p2", None))).subject == "p2"  # others unaffected


async def test_a_retired_signing_key_is_refused_at_once() -> None:
    key, feed = SigningKey.generate(), Feed()
    verifier = _verifier(key, feed)
    token = _token(key, "p1", None)
    await verifier.verify(token)
    feed.add(retired_kid=key.kid)
    with pytest.raises(AuthError):
        await verifier.verify(token)


async def test_the_feed_is_read_at_most_once_per_poll_interval() -> None:
    key, feed = SigningKey.generate(), Feed()
    verifier = _verifier(key, feed, poll=60.0)
    token = _token(key, "p1", None)
    for _ in range(5):
        await verifier.verify(token)
    assert feed.reads == 1


async def test_an_unreachable_feed_does_not_stop_verification() -> None:
    key = SigningKey.generate()
    verifier = TokenVerifier(
        issuer="govmedia-registry",
        audience="govmedia",
        jwks=jwks(key),
        revocations=RevocationList(url="http://127.0.0.1:9/.well-known/revocations"),
    )
    assert (await verifier.verify(_token(key, "p1", None))).subject == "p1"


def test_the_feed_lives_beside_the_jwks() -> None:
    assert (
        revocations_url_beside("http://registry:8001/.well-known/jwks.json")
        == "http://registry:8001/.well-known/revocations"
    )
    assert revocations_url_beside("http://elsewhere/keys") is None


async def test_an_unreachable_feed_is_logged_once_per_outage_not_at_every_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The registry away at 3 a.m.: every service polls the feed every 2 s under load; one warning when it
    becomes unreachable, one line when it is back, and a gauge meanwhile (not 1,800 warnings an hour)."""
    from prometheus_client import REGISTRY

    key, feed = SigningKey.generate(), Feed()
    down = True

    async def load(after: int) -> dict[str, Any]:
        if down:
            raise httpx.ConnectError("connection refused")
        return await feed.load(after)

    revocations = RevocationList(loader=load, poll_seconds=0.0, service="review")
    verifier = TokenVerifier(
        issuer="govmedia-registry", audience="govmedia", jwks=jwks(key), revocations=revocations
    )
    caplog.set_level(logging.INFO, logger="govmedia_common.auth")
    for _ in range(5):
        assert (await verifier.verify(_token(key, "p1", None))).subject == "p1"  # fail-open
    said = [r for r in caplog.records if "revocation" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.WARNING], [r.getMessage() for r in said]
    unreachable = {"service": "review"}  # which service cannot reach the feed
    assert REGISTRY.get_sample_value("govmedia_token_revocations_unreachable", unreachable) == 1.0
    caplog.clear()
    down = False
    for _ in range(3):
        await verifier.verify(_token(key, "p1", None))
    said = [r for r in caplog.records if "revocation" in r.getMessage()]
    assert [r.levelno for r in said] == [logging.INFO] and "again" in said[0].getMessage(), said
    assert REGISTRY.get_sample_value("govmedia_token_revocations_unreachable", unreachable) == 0.0


def test_the_http_client_does_not_log_every_request_at_info() -> None:
    """httpx logs each request at INFO ('HTTP Request: GET …/revocations'): every 2 s per service under
    load, and one line per webhook delivery; the services' own lines say what matters."""
    from govmedia_common.logging import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("unit", "INFO", json=True)
        for noisy in ("httpx", "httpcore"):
            assert not logging.getLogger(noisy).isEnabledFor(logging.INFO), noisy
        assert logging.getLogger("govmedia_common.auth").isEnabledFor(logging.INFO)
        # seven 'setup plugin alembic.autogenerate.…' lines at every start of every service; the migrations'
        # own lines ('Running upgrade …') stay
        assert not logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO)
        assert logging.getLogger("alembic.runtime.migration").isEnabledFor(logging.INFO)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)

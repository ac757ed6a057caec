"""Verified tokens are remembered until they expire, and every check that must hold per request still does.

The signature, issuer and audience of a token are checked once (ES256 costs up to a millisecond of CPU);
a token seen again is taken from a bounded cache, but it is still refused after its subject's revocation,
after its signing key was retired or left the JWKS, and once its ``exp`` has passed.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from govmedia_common.auth import AuthError, RevocationList, TokenVerifier
from govmedia_common.keys import SigningKey, jwks, mint_token

ISSUER = "govmedia-registry"
AUDIENCE = "govmedia"


class Feed:
    """A revocation feed the test writes to."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, **entry: Any) -> None:
        self.entries.append({"seq": len(self.entries) + 1, **entry})

    async def load(self, after: int) -> dict[str, Any]:
        page = [e for e in self.entries if e["seq"] > after]
        return {"entries": page, "last_seq": len(self.entries), "more": False}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token whose signature is really checked (jwt.decode), in order."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def _token(key: SigningKey, subject: str = "p1", *, ttl: int = 900) -> str:
    return mint_token(
        key, subject=subject, region="331004", roles=["editor"], scopes=["review:submit"], ttl_seconds=ttl
    )


def _verifier(key: SigningKey, feed: Feed | None = None, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks=jwks(key),
        revocations=RevocationList(loader=(feed or Feed()).load, poll_seconds=0.0),
        **kwargs,
    )


async def test_a_token_seen_again_is_not_verified_again_and_yields_the_same_caller(
    decodes: list[str],
) -> None:
    key = SigningKey.generate()
    verifier, token = _verifier(key), _token(key)
    first = await verifier.verify(token)
    second = await verifier.verify(token)
    assert decodes == [token]
    assert second == first and second.claims == first.claims
    other = _token(key, "p2")
    assert (await verifier.verify(other)).subject == "p2"
    assert decodes == [token, other]


async def test_a_cached_token_is_refused_once_its_subject_is_revoked(decodes: list[str]) -> None:
    key, feed = SigningKey.generate(), Feed()
    verifier, token = _verifier(key, feed), _token(key)
    await verifier.verify(token)
    await verifier.verify(token)
    assert len(decodes) == 1  # the second answer came from the cache
    feed.add(subject="p1", generation=1)  # deactivated, password changed, signed out everywhere
    with pytest.raises(AuthError, match="revoked"):
        await verifier.verify(token)
    with pytest.raises(AuthError, match="revoked"):
        await verifier.verify(token)


async def test_a_cached_token_is_refused_once_its_signing_key_is_retired(decodes: list[str]) -> None:
    key, feed = SigningKey.generate(), Feed()
    verifier, token = _verifier(key, feed), _token(key)
    await verifier.verify(token)
    await verifier.verify(token)
    assert len(decodes) == 1
    feed.add(retired_kid=key.kid)
    with pytest.raises(AuthError, match="retired key"):
        await verifier.verify(token)
    with pytest.raises(AuthError):
        await verifier.verify(token)


async def test_a_cached_token_is_refused_once_its_exp_has_passed(decodes: list[str]) -> None:
    key, clock = SigningKey.generate(), Clock()
    verifier = _verifier(key, clock=clock, leeway_seconds=10)
    token = _token(key, ttl=60)
    await verifier.verify(token)
    clock.now += 65  # past exp, within the leeway: still accepted, from the cache
    await verifier.verify(token)
    assert len(decodes) == 1
    clock.now += 10  # past exp + leeway
    with pytest.raises(AuthError, match="expired"):
        await verifier.verify(token)


async def test_a_cached_token_is_refused_once_its_key_leaves_the_jwks(decodes: list[str]) -> None:
    key, successor = SigningKey.generate(), SigningKey.generate()
    published = {"jwks": jwks(key)}

    async def load() -> dict[str, Any]:
        return published["jwks"]

    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, jwks_loader=load, cache_seconds=0.0, min_refresh_seconds=0.0
    )
    token = _token(key)
    await verifier.verify(token)
    await verifier.verify(token)
    assert decodes == [token]
    published["jwks"] = jwks(successor)  # rotation: the old key is no longer published
    with pytest.raises(AuthError, match="unknown key"):
        await verifier.verify(token)
    assert (await verifier.verify(_token(successor))).subject == "p1"


async def test_an_unchanged_jwks_refetch_keeps_the_cache(decodes: list[str]) -> None:
    key = SigningKey.generate()

    async def load() -> dict[str, Any]:
        return jwks(key)

    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_loader=load, cache_seconds=0.0)
    token = _token(key)
    for _ in range(3):
        await verifier.verify(token)
    assert decodes == [token]


async def test_a_cached_token_is_checked_against_the_verifiers_audience_and_issuer_of_now(
    decodes: list[str],
) -> None:
    key = SigningKey.generate()
    verifier, token = _verifier(key), _token(key)
    await verifier.verify(token)
    verifier.audience = "another-system"
    with pytest.raises(AuthError, match="audience"):
        await verifier.verify(token)
    verifier.audience, verifier.issuer = AUDIENCE, "someone-else"
    with pytest.raises(AuthError, match="issuer"):
        await verifier.verify(token)


async def test_the_cache_holds_at_most_its_size_dropping_the_least_recently_used(
    decodes: list[str],
) -> None:
    key = SigningKey.generate()
    verifier = _verifier(key, max_cached_tokens=2)
    a, b, c = (_token(key, s) for s in ("a", "b", "c"))
    for token in (a, b, a, c):  # c pushes out b, the least recently used
        await verifier.verify(token)
    assert decodes == [a, b, c]
    await verifier.verify(a)
    assert decodes == [a, b, c]
    await verifier.verify(b)
    assert decodes == [a, b, c, b]


async def test_a_refused_token_is_not_remembered(decodes: list[str]) -> None:
    key = SigningKey.generate()
    verifier = _verifier(key)
    wrong = mint_token(key, subject="p1", region="331004", audience="another-system")
    for _ in range(2):
        with pytest.raises(AuthError, match="audience"):
            await verifier.verify(wrong)
    assert decodes == [wrong, wrong]


async def test_exp_is_judged_by_the_verifiers_clock_on_the_first_check_and_from_the_cache_alike(
    decodes: list[str],
) -> None:
    """One clock for both paths: a token the cache refused as expired must not pass the full check the
    next time (PyJWT's own exp test reads the wall clock, whatever clock the verifier was given)."""
    key, clock = SigningKey.generate(), Clock()
    token = _token(key, ttl=60)
    remembered = _verifier(key, clock=clock, leeway_seconds=10)
    await remembered.verify(token)
    clock.now += 120  # past exp + leeway on the verifier's clock; the wall clock is not
    for _ in range(3):  # refused from the cache, then by the full check: the same answer every time
        with pytest.raises(AuthError, match="expired"):
            await remembered.verify(token)
    with pytest.raises(AuthError, match="expired"):
        await _verifier(key, clock=clock, leeway_seconds=10).verify(token)  # never seen: the full check


async def test_a_token_issued_after_the_verifiers_now_is_not_yet_valid() -> None:
    key, clock = SigningKey.generate(), Clock()
    token = _token(key)
    clock.now -= 3600  # the token's iat and nbf lie an hour after the verifier's now
    with pytest.raises(AuthError, match="not yet valid"):
        await _verifier(key, clock=clock).verify(token)
    clock.now += 3600
    assert (await _verifier(key, clock=clock).verify(token)).subject == "p1"


@pytest.mark.parametrize("value", ["tomorrow", float("nan"), float("inf")], ids=["text", "nan", "infinity"])
@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
async def test_a_time_claim_that_is_not_a_number_is_refused(claim: str, value: object) -> None:
    key, now = SigningKey.generate(), int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "p1", "region": "331004"}
    claims |= {"iat": now, "nbf": now, "exp": now + 900, claim: value}
    token = key.sign(claims)
    with pytest.raises(AuthError, match=claim):
        await _verifier(key).verify(token)

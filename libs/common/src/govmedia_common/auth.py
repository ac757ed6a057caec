"""Token verification every service does itself: JWTs checked against the registry's JWKS.

The registry issues ES256 tokens; this module verifies signature, expiry, issuer, audience and scopes,
exposes the caller as a :class:`Principal`, and scopes data to the caller's place in the region tree.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import httpx
import jwt
from jwt import PyJWK
from prometheus_client import Gauge

from govmedia_common.problems import Problem

log = logging.getLogger(__name__)

ALGORITHMS = ["ES256"]


def is_region_code(code: object) -> TypeGuard[str]:
    """Six ASCII digits (GB/T 2260); ``str.isdigit`` alone also passes full-width or Arabic-Indic digits."""
    return isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()


def region_prefix(code: str) -> str:
    """The code prefix shared by a region's whole subtree ("330000"→"33", "331000"→"3310")."""
    if not is_region_code(code):
        raise ValueError(f"region code must be six digits, got {code!r}")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def region_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or below it."""
    return code.startswith(region_prefix(ancestor))


@dataclass(frozen=True)
class Principal:
    """The verified caller: a person or a machine client."""

    subject: str
    kind: str  # "person" | "client"
    name: str
    region_code: str
    unit_id: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    token_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def region_prefix(self) -> str:
        return region_prefix(self.region_code)

    def can_see_region(self, code: str) -> bool:
        """Staff see their own region and everything below it, never siblings or parents."""
        return region_within(code, self.region_code)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class AuthError(Problem):
    """A refused token or access; always audited by the app factory."""


def unauthorized(detail: str) -> AuthError:
    return AuthError(401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="govmedia"'})


def forbidden(detail: str, code: str = "forbidden") -> AuthError:
    return AuthError(403, code, detail)


def revocations_url_beside(jwks_url: str) -> str | None:
    """The registry's revocation feed next to its JWKS (``…/.well-known/revocations``), or None."""
    suffix = "/.well-known/jwks.json"
    return jwks_url.removesuffix(suffix) + "/.well-known/revocations" if jwks_url.endswith(suffix) else None


REVOCATIONS_UNREACHABLE = Gauge(
    "govmedia_token_revocations_unreachable",
    "1 while the registry's revocation feed cannot be fetched (tokens are still verified, fail-open, but a "
    "revocation is not seen until it is back), else 0.",
    ["service"],
)


class RevocationList:
    """What the registry has revoked since tokens still alive were issued, as every service knows it.

    The registry publishes a feed of entries (``/.well-known/revocations``): ``{"seq", "subject",
    "generation"}`` when all tokens of a person or client issued before were revoked (deactivation,
    password change or reset, secret rotation, "sign out everywhere"), and ``{"seq", "retired_kid"}`` when a
    signing key was retired. Tokens carry the ``gen`` of their subject at issue; a token whose ``gen`` is
    below the newest generation of its subject is refused. Verifiers poll the feed (only entries after the
    last ``seq`` they saw), at most every ``poll_seconds``, before verifying a token: a revocation reaches
    every service within seconds without a call per request, and without a consumer group per replica.
    Polling is fail-open with a warning: a registry that cannot be reached must not stop every service. The
    warning is logged once when the feed becomes unreachable (and when its error changes), a line when it is
    back, not at every poll; meanwhile ``govmedia_token_revocations_unreachable`` is 1.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        loader: Callable[[int], Awaitable[dict[str, Any]]] | None = None,
        poll_seconds: float = 2.0,
        service: str = "unknown",
    ) -> None:
        self.url = url
        self.service = service  # the label of govmedia_token_revocations_unreachable
        self.loader = loader
        self.poll_seconds = poll_seconds
        self.generations: dict[str, int] = {}
        self.retired_kids: set[str] = set()
        self.last_seq = 0
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()
        self._failing: str | None = None  # the error of the last poll, as logged; None: the feed answers

    def apply(self, feed: dict[str, Any]) -> None:
        """Take in a page of the feed."""
        for entry in feed.get("entries", []):
            seq = int(entry.get("seq", 0))
            subject = entry.get("subject")
            if isinstance(subject, str):
                generation = int(entry.get("generation", 0))
                if generation > self.generations.get(subject, 0):
                    self.generations[subject] = generation
            kid = entry.get("retired_kid")
            if isinstance(kid, str):
                self.retired_kids.add(kid)
            self.last_seq = max(self.last_seq, seq)
        self.last_seq = max(self.last_seq, int(feed.get("last_seq", 0)))

    async def refresh(self) -> None:
        """Fetch new entries when the last poll is older than ``poll_seconds``."""
        if self.url is None and self.loader is None:
            return
        if time.monotonic() - self._checked_at < self.poll_seconds:
            return
        async with self._lock:
            if time.monotonic() - self._checked_at < self.poll_seconds:
                return
            try:
                for _ in range(20):  # pages of the feed; a fresh verifier may need a few
                    before = self.last_seq
                    if self.loader is not None:
                        feed = await self.loader(self.last_seq)
                    else:
                        assert self.url is not None
                        async with httpx.AsyncClient(timeout=3.0) as client:
                            response = await client.get(self.url, params={"after": self.last_seq})
                            response.raise_for_status()
                            feed = response.json()
                    self.apply(feed)
                    if not feed.get("more") or self.last_seq == before:
                        break
            except (httpx.HTTPError, json.JSONDecodeError, OSError, ValueError) as exc:
                error = f"{exc.__class__.__name__}: {exc}"
                if error != self._failing:  # once per outage and cause, not every poll_seconds
                    log.warning(
                        "could not fetch token revocations (tokens are still verified; retried every %g s, "
                        "logged again when the error changes or the feed is back)",
                        self.poll_seconds,
                        extra={"url": self.url, "error": error},
                    )
                self._failing = error
                REVOCATIONS_UNREACHABLE.labels(self.service).set(1)
            else:
                if self._failing is not None:
                    log.info("token revocations fetched again", extra={"url": self.url})
                self._failing = None
                REVOCATIONS_UNREACHABLE.labels(self.service).set(0)
            finally:
                self._checked_at = time.monotonic()

    def refusal(self, kid: str | None, claims: dict[str, Any]) -> str | None:
        """Why these verified claims must still be refused, or None."""
        if kid is not None and kid in self.retired_kids:
            return "The token was signed by a retired key; obtain a new one."
        subject = str(claims.get("sub", ""))
        newest = self.generations.get(subject)
        if newest is not None:
            generation = claims.get("gen", 0)
            if not isinstance(generation, int) or generation < newest:
                return (
                    "The token was revoked (signed out, deactivated or credentials changed); sign in again."
                )
        return None


@dataclass(frozen=True)
class _Verified:
    """A token whose signature, issuer, audience and claims passed, and what it was checked against."""

    principal: Principal
    kid: str
    key: PyJWK
    issuer: str
    audience: str
    exp: int


class TokenVerifier:
    """Verifies bearer tokens against a JWKS fetched from a URL or given directly.

    Checking an ES256 signature costs up to a millisecond of CPU, and a client sends the same token with
    every request until it expires. So a token that passed is remembered (the token string is the key; at
    most ``max_cached_tokens``, least recently used dropped first) with the key object, issuer and audience
    it passed against. Seen again, it is taken from there only while that key is still the one the JWKS
    holds for its ``kid`` (the cache is emptied when the JWKS changes) and the verifier's issuer and
    audience are the same; its ``exp`` is compared with the clock on every request (the same clock and
    leeway as the full check), and the revocation feed (subject generations, retired keys) is consulted
    on every request exactly as for a token seen for the first time. A refused token is never remembered.
    """

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        jwks: dict[str, Any] | None = None,
        jwks_loader: Callable[[], Awaitable[dict[str, Any]]] | None = None,
        cache_seconds: float = 300.0,
        leeway_seconds: float = 10.0,
        min_refresh_seconds: float = 5.0,
        revocations: RevocationList | None = None,
        max_cached_tokens: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.revocations = revocations or RevocationList()
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.jwks_loader = jwks_loader
        self.cache_seconds = cache_seconds
        self.leeway = leeway_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, PyJWK] = {}
        self._published: dict[str, Any] = {}  # the JWKS entry each key of _keys was built from
        self.max_cached_tokens = max_cached_tokens
        # What exp, nbf and iat are judged by, on the first check and from the cache alike. The wall clock
        # in every service: the registry signs tokens by the wall clock, never by the movable business clock
        # of a development platform (a clock moved by `make demo` would otherwise expire every token).
        self._clock = clock
        self._verified: OrderedDict[str, _Verified] = OrderedDict()
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()
        if jwks is not None:
            self._load(jwks)
            self._fetched_at = float("inf")

    def _load(self, jwks: dict[str, Any]) -> None:
        keys: dict[str, PyJWK] = {}
        published: dict[str, Any] = {}
        for jwk in jwks.get("keys", []):
            try:
                kid = jwk["kid"]
                known = self._keys.get(kid)
                # An unchanged entry keeps its key object, so tokens remembered against it stay valid.
                unchanged = known is not None and self._published.get(kid) == jwk
                keys[kid] = known if unchanged and known is not None else PyJWK.from_dict(jwk)
                published[kid] = jwk
            except (KeyError, jwt.PyJWKError) as exc:
                log.warning("ignoring unusable JWK", extra={"error": str(exc)})
        if keys.keys() != self._keys.keys() or any(keys[k] is not self._keys[k] for k in keys):
            self._verified.clear()  # a key was added, replaced or withdrawn: verify every token again
        self._keys = keys
        self._published = published

    async def _refresh(self, *, force: bool = False) -> None:
        if self.jwks_url is None and self.jwks_loader is None:
            return
        if not force and time.monotonic() - self._fetched_at < self.cache_seconds:
            return  # fresh: the same answer as below, without taking the lock on every request
        async with self._lock:
            fresh = time.monotonic() - self._fetched_at < self.cache_seconds
            # A forced refresh (unknown kid, e.g. after key rotation) is rate-limited so that tokens with
            # made-up key ids cannot make us hammer the key source.
            if fresh and (not force or time.monotonic() - self._fetched_at < self.min_refresh_seconds):
                return
            try:
                if self.jwks_loader is not None:
                    self._load(await self.jwks_loader())
                else:
                    assert self.jwks_url is not None
                    async with httpx.AsyncClient(timeout=5.0) as client:
                        response = await client.get(self.jwks_url)
                        response.raise_for_status()
                        self._load(response.json())
                self._fetched_at = time.monotonic()
            except (httpx.HTTPError, json.JSONDecodeError, OSError) as exc:
                log.warning("could not fetch JWKS", extra={"url": self.jwks_url, "error": str(exc)})
                if not self._keys:
                    raise Problem(
                        503,
                        "jwks-unavailable",
                        "The token signing keys cannot be fetched; try again shortly.",
                    ) from exc

    async def verify(self, token: str) -> Principal:
        """Verify a bearer token and return the caller; AuthError (401) when it is not acceptable."""
        if token in self._verified:
            await self._refresh()  # may find a changed JWKS and forget every remembered token
            principal = await self._remembered(token)
            if principal is not None:
                return principal
        return await self._verify_fully(token)

    async def _remembered(self, token: str) -> Principal | None:
        """The caller of a token that passed before and passes the per-request checks, or None to verify
        it again from scratch; AuthError when it expired or was revoked since."""
        entry = self._verified.get(token)
        if entry is None:
            return None
        if (
            self._keys.get(entry.kid) is not entry.key
            or entry.issuer != self.issuer
            or entry.audience != self.audience
        ):
            del self._verified[token]
            return None
        if entry.exp <= self._clock() - self.leeway:  # PyJWT's own test of exp
            del self._verified[token]
            raise unauthorized("The token has expired; obtain a new one.")
        self._verified.move_to_end(token)
        await self._check_revocation(token, entry.kid, entry.principal.claims)
        return entry.principal

    async def _check_revocation(self, token: str, kid: str | None, claims: dict[str, Any]) -> None:
        await self.revocations.refresh()
        refused = self.revocations.refusal(kid, claims)
        if refused is not None:
            self._verified.pop(token, None)
            if isinstance(kid, str) and kid in self.revocations.retired_kids:
                self._keys.pop(kid, None)
            raise unauthorized(refused)

    def _check_times(self, claims: dict[str, Any]) -> None:
        """PyJWT's tests of exp, nbf and iat (same leeway, same errors), by ``self._clock``."""
        now = self._clock()
        times: dict[str, int] = {}
        for name in ("exp", "nbf", "iat"):
            if name not in claims:
                continue
            value = claims[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise jwt.DecodeError(f"The {name} claim must be a number")
            times[name] = int(value)
        if "iat" in times and times["iat"] > now + self.leeway:
            raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
        if "nbf" in times and times["nbf"] > now + self.leeway:
            raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
        if times["exp"] <= now - self.leeway:
            raise jwt.ExpiredSignatureError("Signature has expired")

    def _remember(self, token: str, entry: _Verified) -> None:
        if self.max_cached_tokens <= 0:
            return
        self._verified[token] = entry
        self._verified.move_to_end(token)
        while len(self._verified) > self.max_cached_tokens:
            self._verified.popitem(last=False)

    async def _verify_fully(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("The bearer token is not a JWT.") from exc
        kid = header.get("kid")
        if header.get("alg") not in ALGORITHMS:
            raise unauthorized(f"Token algorithm {header.get('alg')!r} is not accepted.")
        await self._refresh()
        if kid not in self._keys:
            await self._refresh(force=True)
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise unauthorized("The token was signed by an unknown key.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                # exp, nbf and iat are judged below by this verifier's clock, the one the cache uses too
                # (PyJWT's own tests read the wall clock, whatever clock the verifier was given).
                options={
                    "require": ["exp", "iat", "sub", "iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            self._check_times(claims)
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("The token has expired; obtain a new one.") from exc
        except jwt.InvalidAudienceError as exc:
            raise unauthorized(f"The token is not meant for this audience ({self.audience}).") from exc
        except jwt.InvalidIssuerError as exc:
            raise unauthorized("The token was issued by an unknown issuer.") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized(f"The token is invalid: {exc}.") from exc
        await self._check_revocation(token, kid if isinstance(kid, str) else None, claims)
        region = claims.get("region")
        if not is_region_code(region):
            raise unauthorized("The token carries no valid region claim.")
        principal = Principal(
            subject=str(claims["sub"]),
            kind=str(claims.get("kind", "person")),
            name=str(claims.get("name", claims["sub"])),
            region_code=region,
            unit_id=claims.get("unit"),
            roles=frozenset(claims.get("roles", [])),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            token_id=claims.get("jti"),
            claims=claims,
        )
        if isinstance(kid, str):
            entry = _Verified(principal, kid, key, self.issuer, self.audience, int(claims["exp"]))
            self._remember(token, entry)
        return principal


def check_access(
    principal: Principal,
    *,
    scopes: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    any_scope: tuple[str, ...] = (),
) -> None:
    """Refuse (403) a caller lacking a required scope, all of ``any_scope``, or all of the allowed roles."""
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise forbidden(f"The token lacks the scope(s): {', '.join(missing)}.", "insufficient-scope")
    if any_scope and not principal.scopes.intersection(any_scope):
        raise forbidden(f"The token needs one of the scopes: {', '.join(any_scope)}.", "insufficient-scope")
    if roles and not principal.has_role(*roles):
        raise forbidden(f"This action needs one of the roles: {', '.join(roles)}.", "insufficient-role")

"""Region scoping, token verification against a JWKS (no network) and the 403 access checks."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
import orjson
import pytest

from govmedia_common.auth import (
    AuthError,
    Principal,
    TokenVerifier,
    check_access,
    region_prefix,
    region_within,
)
from govmedia_common.keys import SigningKey, jwks, mint_token

ISSUER = "govmedia-registry"
AUDIENCE = "govmedia"


# ---- region tree ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "prefix"),
    [("330000", "33"), ("331000", "3310"), ("331004", "331004"), ("110100", "1101"), ("100000", "10")],
)
def test_region_prefix_is_the_code_prefix_of_the_whole_subtree(code: str, prefix: str) -> None:
    assert region_prefix(code) == prefix


@pytest.mark.parametrize("code", ["33", "3310040", "33100a", "", "３３１００４"])
def test_region_prefix_refuses_anything_but_six_ascii_digits(code: str) -> None:
    with pytest.raises(ValueError, match="six digits"):
        region_prefix(code)


def test_staff_see_their_region_and_below_but_never_siblings_or_parents() -> None:
    assert region_within("331004", "330000") and region_within("331004", "331000")
    assert region_within("331000", "331000")
    assert not region_within("331100", "331000")  # sibling city
    assert not region_within("330000", "331000")  # parent
    assert not region_within("341004", "330000")  # another province
    city = _principal(region="331000")
    assert city.region_prefix == "3310"
    assert city.can_see_region("331004") and not city.can_see_region("331102")


# ---- tokens --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def verifier(key: SigningKey) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=jwks(key))


def _mint(key: SigningKey, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "subject": "3f0c2d2e-0000-4000-8000-000000000001",
        "region": "331004",
        "roles": ["reviewer"],
        "scopes": ["posts:review", "posts:read"],
        "unit": "3f0c2d2e-0000-4000-8000-0000000000aa",
        "name": "李四",
    }
    claims.update(overrides)
    return mint_token(key, **claims)


async def test_a_valid_token_yields_the_principal_with_its_claims(
    key: SigningKey, verifier: TokenVerifier
) -> None:
    p = await verifier.verify(_mint(key))
    assert p.subject == "3f0c2d2e-0000-4000-8000-000000000001"
    assert p.kind == "person"
    assert p.name == "李四"
    assert p.region_code == "331004"
    assert p.unit_id == "3f0c2d2e-0000-4000-8000-0000000000aa"
    assert p.roles == frozenset({"reviewer"})
    assert p.scopes == frozenset({"posts:review", "posts:read"})
    assert p.token_id and p.claims["iss"] == ISSUER


async def test_a_token_expired_less_than_the_leeway_ago_is_still_accepted(
    key: SigningKey, verifier: TokenVerifier
) -> None:
    await verifier.verify(_mint(key, ttl_seconds=60, now=time.time() - 65))


def _forged_same_kid(key: SigningKey) -> str:
    other = SigningKey.generate()
    return _mint(SigningKey(kid=key.kid, private_pem=other.private_pem))


def _tampered(key: SigningKey) -> str:
    header, payload, signature = _mint(key).split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["region"] = "330000"  # promote oneself to the province
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _hs256(key: SigningKey) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }
    return jwt.encode(
        claims, "a-shared-secret-of-enough-length-32b", algorithm="HS256", headers={"kid": key.kid}
    )


def _no_region(key: SigningKey) -> str:
    now = int(time.time())
    return key.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 60})


def _no_exp(key: SigningKey) -> str:
    return key.sign({"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "iat": int(time.time()), "region": "331004"})


REFUSED: dict[str, tuple[Any, str]] = {
    "expired": (lambda k: _mint(k, ttl_seconds=900, now=time.time() - 3600), "expired"),
    "wrong-audience": (lambda k: _mint(k, audience="another-system"), "audience"),
    "wrong-issuer": (lambda k: _mint(k, issuer="someone-else"), "issuer"),
    "unknown-kid": (lambda k: _mint(SigningKey.generate()), "unknown key"),
    "forged-signature-same-kid": (_forged_same_kid, "invalid"),
    "tampered-payload": (_tampered, "invalid"),
    "not-yet-valid": (lambda k: _mint(k, now=time.time() + 3600), "invalid"),
    "hs256": (_hs256, "not accepted"),
    "not-a-jwt": (lambda k: "not.a.jwt", "not a JWT"),
    "no-region": (_no_region, "region"),
    "full-width-region": (lambda k: _mint(k, region="３３１００４"), "region"),
    "no-exp": (_no_exp, "invalid"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_unacceptable_tokens_are_refused_with_401(
    key: SigningKey, verifier: TokenVerifier, case: str
) -> None:
    make, detail_part = REFUSED[case]
    with pytest.raises(AuthError) as info:
        await verifier.verify(make(key))
    problem = info.value
    assert problem.status == 401
    assert problem.code == "unauthorized"
    assert detail_part in problem.detail
    assert problem.headers["WWW-Authenticate"].startswith("Bearer")
    assert problem.body()["type"] == "urn:govmedia:problem:unauthorized"


async def test_a_key_that_left_the_jwks_is_no_longer_trusted(key: SigningKey) -> None:
    token = _mint(key)
    assert await TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=jwks(key)).verify(token)
    rotated = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks=jwks(SigningKey.generate()))
    with pytest.raises(AuthError, match="unknown key"):
        await rotated.verify(token)


# ---- access checks -------------------------------------------------------------------------------


def _principal(
    *, region: str = "331004", roles: tuple[str, ...] = (), scopes: tuple[str, ...] = ()
) -> Principal:
    return Principal(
        subject=str(uuid.uuid4()),
        kind="person",
        name="王五",
        region_code=region,
        unit_id=None,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
    )


def test_a_caller_with_the_scopes_and_one_allowed_role_passes() -> None:
    caller = _principal(roles=("reviewer",), scopes=("posts:read", "posts:review"))
    check_access(caller, scopes=("posts:review",), roles=("reviewer", "final_approver"))
    check_access(caller)  # nothing required


def test_a_missing_scope_is_refused_with_403_naming_it() -> None:
    with pytest.raises(AuthError) as info:
        check_access(_principal(roles=("reviewer",), scopes=("posts:read",)), scopes=("posts:review",))
    assert info.value.status == 403
    assert info.value.code == "insufficient-scope"
    assert "posts:review" in info.value.detail


def test_a_caller_with_none_of_the_allowed_roles_is_refused_with_403() -> None:
    with pytest.raises(AuthError) as info:
        check_access(_principal(roles=("editor",)), roles=("reviewer", "final_approver"))
    assert info.value.status == 403
    assert info.value.code == "insufficient-role"
    assert "reviewer" in info.value.detail

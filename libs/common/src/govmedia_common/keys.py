"""Signing keys (ES256) and token minting: the registry's issuer and the test helpers use this."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


@dataclass(frozen=True)
class SigningKey:
    """A private key with its key id."""

    kid: str
    private_pem: str

    @classmethod
    def generate(cls) -> SigningKey:
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls(kid=uuid.uuid4().hex[:16], private_pem=pem)

    def public_jwk(self) -> dict[str, Any]:
        private = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "ES256"})
        return jwk

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private_pem, algorithm="ES256", headers={"kid": self.kid})


def jwks(*keys: SigningKey) -> dict[str, Any]:
    """A JWKS document publishing the public halves of the keys."""
    return {"keys": [k.public_jwk() for k in keys]}


def mint_token(
    key: SigningKey,
    *,
    subject: str,
    region: str,
    roles: list[str] | tuple[str, ...] = (),
    scopes: list[str] | tuple[str, ...] = (),
    unit: str | None = None,
    name: str | None = None,
    kind: str = "person",
    issuer: str = "govmedia-registry",
    audience: str = "govmedia",
    ttl_seconds: int = 900,
    now: float | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """Sign a token with the claims every service reads (and ``extra_claims``, e.g. ``gen``)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
        "kind": kind,
        "name": name or subject,
        "region": region,
        "roles": list(roles),
        "scope": " ".join(scopes),
    }
    if unit:
        claims["unit"] = unit
    if extra_claims:
        claims.update({k: v for k, v in extra_claims.items() if k not in claims})
    return key.sign(claims)

"""Tokens: password hashing, signing keys with rotation, and token issuance (people and machine clients)."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.keys import SigningKey, jwks, mint_token
from govmedia_registry.models import SigningKeyRow

_hasher = PasswordHasher()


def hash_secret(secret: str) -> str:
    """Argon2id hash of a password or client secret."""
    return _hasher.hash(secret)


def verify_secret(hashed: str, secret: str) -> bool:
    try:
        return _hasher.verify(hashed, secret)
    except (VerificationError, InvalidHashError):
        return False


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


async def active_key(session: AsyncSession) -> SigningKey:
    """The newest active signing key, created on first use."""
    row = (
        (
            await session.execute(
                select(SigningKeyRow)
                .where(SigningKeyRow.active.is_(True))
                .order_by(SigningKeyRow.created_at.desc())
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        return await rotate_key(session)
    return SigningKey(kid=row.kid, private_pem=row.private_pem)


async def rotate_key(session: AsyncSession) -> SigningKey:
    """Add a new signing key; older keys stay published until retired so issued tokens keep verifying."""
    key = SigningKey.generate()
    session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem, active=True))
    await session.flush()
    return key


async def published_jwks(session: AsyncSession) -> dict[str, object]:
    rows = (
        (await session.execute(select(SigningKeyRow).where(SigningKeyRow.active.is_(True)))).scalars().all()
    )
    return jwks(*(SigningKey(kid=r.kid, private_pem=r.private_pem) for r in rows))


def issue(
    key: SigningKey,
    *,
    subject: str,
    name: str,
    kind: str,
    region: str,
    unit: str | None,
    roles: list[str],
    scopes: list[str],
    issuer: str,
    audience: str,
    ttl_seconds: int,
    now: datetime,
    generation: int = 0,
) -> str:
    # ``gen``: the subject's token generation (identity/revocation); older generations are refused.
    return mint_token(
        key,
        subject=subject,
        name=name,
        kind=kind,
        region=region,
        unit=unit,
        roles=roles,
        scopes=scopes,
        issuer=issuer,
        audience=audience,
        ttl_seconds=ttl_seconds,
        now=now.timestamp(),
        extra_claims={"gen": generation},
    )

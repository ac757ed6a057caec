"""People and clients after registration: deactivation, reactivation, passwords, client secrets, sign-out.

Each change that must end existing sessions revokes the subject's tokens (``revocation.revoke_subject``):
registry and every other service refuse them within seconds. Every step is audited.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_registry.identity.revocation import revoke_subject
from govmedia_registry.identity.safeguards import require_strong_password, verify_or_dummy
from govmedia_registry.identity.tokens import hash_secret, new_client_secret
from govmedia_registry.models import Client
from govmedia_registry.models import Person as PersonRow


def _may_manage(principal: Principal, region_code: str, unit_id: str | None) -> bool:
    """Office admins manage their subtree; a unit admin manages the people of their own unit."""
    if not principal.can_see_region(region_code):
        return False
    if principal.has_role("office_admin"):
        return True
    return principal.has_role("unit_admin") and unit_id is not None and unit_id == principal.unit_id


def _require_reason(reason: str) -> str:
    # Checked after visibility, so a caller who may not see the target learns nothing from the refusal.
    if not reason.strip():
        raise DomainError(
            ErrorKind.UNPROCESSABLE, "reason-required", "Say why (reason): it goes on the audit record."
        )
    return reason.strip()


async def _managed_person(session: AsyncSession, principal: Principal, person_id: str) -> PersonRow:
    row = await session.get(PersonRow, person_id, with_for_update=True)
    if row is None or not _may_manage(principal, row.region_code, row.unit_id):
        raise not_found("person", person_id)  # never confirm people outside the caller's reach
    return row


async def set_active(
    session: AsyncSession, principal: Principal, person_id: str, *, active: bool, reason: str
) -> PersonRow:
    """Deactivate (tokens revoked at once, no new sign-in) or reactivate a person."""
    row = await _managed_person(session, principal, person_id)
    reason = _require_reason(reason)
    if row.id == principal.subject and not active:
        raise DomainError(ErrorKind.CONFLICT, "cannot-deactivate-self", "Nobody deactivates themselves.")
    if row.active != active:
        row.active = active
        if not active:
            await revoke_subject(session, row.id, "person deactivated")
        await audit.record(
            session,
            principal=principal,
            action="person.deactivate" if not active else "person.reactivate",
            target=row.id,
            detail={"reason": reason},
        )
    return row


async def change_own_password(
    session: AsyncSession, principal: Principal, *, current: str, new: str, min_score: int
) -> None:
    """A person changes their password; every token issued before stops working."""
    row = await session.get(PersonRow, principal.subject, with_for_update=True)
    if row is None or principal.kind != "person" or not row.active:
        raise DomainError(ErrorKind.FORBIDDEN, "not-a-person", "Only a signed-in person has a password.")
    # The new password is judged first: that reveals nothing, and spares a hash for a refused one.
    require_strong_password(new, (row.username, row.display_name), min_score)
    if not await verify_or_dummy(row.password_hash, current):
        await audit.record(
            session, principal=principal, action="person.password_change", target=row.id, outcome="refused"
        )
        raise DomainError(ErrorKind.FORBIDDEN, "wrong-password", "The current password is not right.")
    row.password_hash = await asyncio.to_thread(hash_secret, new)
    await revoke_subject(session, row.id, "password changed")
    await audit.record(session, principal=principal, action="person.password_change", target=row.id)


async def reset_password(
    session: AsyncSession, principal: Principal, person_id: str, *, new: str, min_score: int
) -> None:
    """An admin sets a new password for someone who lost theirs; their tokens stop working."""
    row = await _managed_person(session, principal, person_id)
    require_strong_password(new, (row.username, row.display_name), min_score)
    row.password_hash = await asyncio.to_thread(hash_secret, new)
    await revoke_subject(session, row.id, "password reset")
    await audit.record(session, principal=principal, action="person.password_reset", target=row.id)


async def revoke_tokens(session: AsyncSession, principal: Principal, subject: str, *, reason: str) -> None:
    """Sign a person out everywhere (someone the caller manages)."""
    await _managed_person(session, principal, subject)
    reason = _require_reason(reason)
    await revoke_subject(session, subject, "signed out everywhere")
    await audit.record(
        session, principal=principal, action="tokens.revoke", target=subject, detail={"reason": reason}
    )


async def rotate_client_secret(
    session: AsyncSession, principal: Principal, client_id: str, *, reason: str
) -> str:
    """A new secret for a machine client (shown once); the old secret and its tokens stop working."""
    client = await session.get(Client, client_id, with_for_update=True)
    if client is None or not principal.can_see_region(client.region_code):
        raise not_found("client", client_id)
    reason = _require_reason(reason)
    secret = new_client_secret()
    client.secret_hash = await asyncio.to_thread(hash_secret, secret)
    await revoke_subject(session, client.id, "client secret rotated")
    await audit.record(
        session,
        principal=principal,
        action="client.rotate_secret",
        target=client.id,
        detail={"reason": reason},
    )
    return secret

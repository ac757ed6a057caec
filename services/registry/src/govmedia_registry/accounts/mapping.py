"""The one mapping between an ``accounts`` row and the :class:`Account` domain object."""

from __future__ import annotations

from govmedia_common.events import AccountStatus, AttentionTier, Platform
from govmedia_registry.accounts.domain import Account
from govmedia_registry.mapping_kit import assign
from govmedia_registry.models import Account as AccountRow


def account_from_row(row: AccountRow, unit_name: str) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        platform=Platform(row.platform),
        unit_id=row.unit_id,
        unit_name=unit_name,
        region_code=row.region_code,
        status=AccountStatus(row.status),
        platform_account_id=row.platform_account_id,
        attention_tier=AttentionTier(row.attention_tier),
        interaction_enabled=row.interaction_enabled,
        review_levels=row.review_levels,
        certified=row.certified,
        matrix_badge=row.matrix_badge,
        operators=dict(row.operators or {}),
        outsourcing=dict(row.outsourcing) if row.outsourcing is not None else None,
        stop_update_notice=dict(row.stop_update_notice) if row.stop_update_notice is not None else None,
        merged_into=row.merged_into,
        effective_on=row.effective_on,
        updated_at=row.updated_at,
        version=row.version or 0,
    )


def account_to_row(account: Account, row: AccountRow | None = None) -> AccountRow:
    """Write the account onto ``row`` (a new row when None); the version counter is the database's."""
    if row is None:
        row = AccountRow(id=account.id)
    assign(row, "name", account.name)
    assign(row, "platform", str(account.platform))
    assign(row, "unit_id", account.unit_id)
    assign(row, "region_code", account.region_code)
    assign(row, "status", str(account.status))
    assign(row, "platform_account_id", account.platform_account_id)
    assign(row, "attention_tier", str(account.attention_tier))
    assign(row, "interaction_enabled", account.interaction_enabled)
    assign(row, "review_levels", account.review_levels)
    assign(row, "certified", account.certified)
    assign(row, "matrix_badge", account.matrix_badge)
    assign(row, "operators", dict(account.operators))
    assign(row, "outsourcing", dict(account.outsourcing) if account.outsourcing is not None else None)
    assign(
        row,
        "stop_update_notice",
        (dict(account.stop_update_notice) if account.stop_update_notice is not None else None),
    )
    assign(row, "merged_into", account.merged_into)
    assign(row, "effective_on", account.effective_on)
    if account.updated_at is not None:
        row.updated_at = account.updated_at
    return row

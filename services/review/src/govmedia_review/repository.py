"""Every query of the review service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Insert, Table, Text, any_, bindparam, column, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import Principal, region_prefix
from govmedia_common.db import RecordJson, audit_table, outbox_table
from govmedia_common.events import AccountSnapshot
from govmedia_common.scoping import scoped, sees_only_own_unit
from govmedia_review.models import (
    AccountView,
    Campaign,
    CampaignTarget,
    Lexicon,
    Post,
    PostRevision,
    ReviewStep,
)

# ------------------------------------------------------------------------------------------------ accounts


async def upsert_account(session: AsyncSession, account: AccountSnapshot, occurred_at: datetime) -> bool:
    """Keep the newest snapshot of an account; an older event arriving late changes nothing.

    An event exactly as old as the stored one applies: events of one registry transaction share an instant
    and arrive in order on the account's partition.
    """
    values = {
        "account_id": account.account_id,
        "name": account.name,
        "platform": str(account.platform),
        "unit_id": account.unit_id,
        "unit_name": account.unit_name,
        "region_code": account.region_code,
        "status": str(account.status),
        "review_levels": account.review_levels,
        "as_of": occurred_at,
    }
    stmt = insert(AccountView).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=[AccountView.account_id],
        set_={**{k: stmt.excluded[k] for k in values if k != "account_id"}, "updated_at": func.now()},
        where=AccountView.as_of <= stmt.excluded.as_of,
    ).returning(AccountView.account_id)
    return (await session.execute(upsert)).first() is not None


async def get_account(session: AsyncSession, account_id: str) -> AccountView | None:
    return await session.get(AccountView, account_id)


def _account_with_lexicon_versions() -> Any:
    versions = (
        select(
            func.json_agg(func.json_build_array(Lexicon.scope_region, Lexicon.kind, Lexicon.seq), type_=JSONB)
        )
        .where(Lexicon.active, Lexicon.scope_region == any_(bindparam("scopes", type_=ARRAY(Text))))
        .scalar_subquery()
    )
    return select(AccountView, versions).where(AccountView.account_id == bindparam("account_id"))


# Built once (the submit path runs it for every submission; see _NEW_POST_STATEMENTS below).
_ACCOUNT_WITH_LEXICON_VERSIONS = _account_with_lexicon_versions()


async def account_with_lexicon_versions(
    session: AsyncSession, account_id: str, scopes: Sequence[str]
) -> tuple[AccountView | None, list[tuple[str, str, int]]]:
    """The account and (scope, kind, seq) of the active lists at ``scopes``, in one round trip (submit)."""
    row = (
        await session.execute(
            _ACCOUNT_WITH_LEXICON_VERSIONS, {"account_id": account_id, "scopes": list(scopes)}
        )
    ).first()
    if row is None:
        return None, []
    return row[0], [(str(scope), str(kind), int(seq)) for scope, kind, seq in row[1] or ()]


async def accounts_by_id(session: AsyncSession, ids: Sequence[str]) -> Sequence[AccountView]:
    return (await session.execute(select(AccountView).where(AccountView.account_id.in_(ids)))).scalars().all()


async def active_accounts_in(
    session: AsyncSession, region: str, platform: str | None
) -> Sequence[AccountView]:
    """Active accounts of a region's subtree, optionally on one platform."""
    stmt = select(AccountView).where(
        AccountView.region_code.startswith(region_prefix(region), autoescape=True),
        AccountView.status == "active",
    )
    if platform:
        stmt = stmt.where(AccountView.platform == platform)
    return (await session.execute(stmt.order_by(AccountView.account_id))).scalars().all()


# ------------------------------------------------------------------------------------------------ posts


# The submit path's statements are built once and executed with parameters: building a statement with
# its values (coercing every value into a bound parameter, the ORM's per-column work) cost more CPU per
# submission than executing it (bench/bench_write_path.py).
_NEW_POST_STATEMENTS: dict[tuple[str, ...], tuple[Insert, list[tuple[str, list[Column[Any]]]]]] = {}


def _insertable(table: Table) -> list[Column[Any]]:
    """The columns a new row's insert writes: identity and server-default columns are the database's."""
    return [c for c in table.columns if c.identity is None and c.server_default is None]


def _bound_insert(table: Table, prefix: str) -> Insert:
    """INSERT INTO ``table`` one row whose every value is a bound parameter named ``prefix`` + column."""
    return table.insert().values(
        {c.key: bindparam(f"{prefix}{c.key}", type_=c.type) for c in _insertable(table)}
    )


def _outbox_insert(name: str) -> Insert:
    """INSERT INTO outbox the rows of one JSON array parameter ``name``, in array order: one cacheable
    statement for any number of events (a multi-row VALUES is compiled again at every execution), and
    the rows' ``seq`` follows their order (the insert takes them ordered by their position). ``json``,
    like the outbox's columns: each payload is stored as the text the parameter carries (RecordJson)."""
    rows = (
        func.json_array_elements(bindparam(name, type_=RecordJson))
        .table_valued(column("value", JSON), with_ordinality="n")
        .render_derived(name="event_rows")
    )
    cols = ["id", "aggregatetype", "aggregateid", "type", "topic", "payload", "headers"]
    values = [rows.c.value[c] if c in ("payload", "headers") else rows.c.value[c].astext for c in cols]
    return outbox_table.insert().from_select(cols, select(*values).order_by(rows.c.n))


def _new_post_statement(
    tables: tuple[Table, ...],
) -> tuple[Insert, list[tuple[str, list[Column[Any]]]]]:
    """INSERT INTO the first table, the others as data-modifying CTEs (the outbox, when present, last and
    as one JSONB parameter ``outbox_rows``); the (parameter prefix, columns) of every other part."""
    key = tuple(t.name for t in tables)
    if (known := _NEW_POST_STATEMENTS.get(key)) is not None:
        return known
    rows = [(f"p{i}_", _insertable(t)) for i, t in enumerate(tables) if t is not outbox_table]
    inserts = [_bound_insert(t, prefix) for t, (prefix, _) in zip(tables, rows, strict=False)]
    if outbox_table in tables:
        inserts.append(_outbox_insert("outbox_rows"))
    stmt = inserts[0].add_cte(*(insert.cte(f"part_{i}") for i, insert in enumerate(inserts) if i))
    _NEW_POST_STATEMENTS[key] = (stmt, rows)
    return stmt, rows


def _column_value(row: Any, column: Column[Any]) -> Any:
    if isinstance(row, dict):
        return row.get(column.key)
    value = getattr(row, column.key)
    if value is None and column.default is not None:  # what the ORM would have filled in
        default: Any = column.default
        if default.is_scalar:
            return default.arg
        if default.is_callable:
            return default.arg(None)
    return value


async def insert_new_post(
    session: AsyncSession,
    row: Post,
    children: Sequence[Any],
    *,
    audit_entry: dict[str, Any] | None = None,
    outbox_rows: Sequence[dict[str, Any]] = (),
) -> None:
    """A new post row, its first history rows, the audit entry of its submission
    (``govmedia_common.audit.audit_values``) and its outbox rows in ONE statement: data-modifying CTEs,
    one round trip instead of five on the submit path. The history rows' foreign keys are checked at the
    end of the statement, when the post row exists; the outbox rows are inserted in their order, so their
    ``seq`` follows it. Identity and server-default columns are left to the database."""
    sources: list[Any] = [row, *children]
    tables = [cast(Table, type(r).__table__) for r in sources]
    if audit_entry is not None:
        sources.append(audit_entry)
        tables.append(audit_table)
    if outbox_rows:
        tables.append(outbox_table)
    stmt, rows = _new_post_statement(tuple(tables))
    params: dict[str, Any] = {"outbox_rows": list(outbox_rows)} if outbox_rows else {}
    for source, (prefix, columns) in zip(sources, rows, strict=True):
        params.update({f"{prefix}{c.key}": _column_value(source, c) for c in columns})
    await session.execute(stmt, params)


async def get_post(session: AsyncSession, post_id: str, *, lock: bool = False) -> Post | None:
    stmt = select(Post).where(Post.id == post_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def list_posts(
    session: AsyncSession,
    principal: Principal,
    *,
    limit: int,
    cursor: list[Any] | None,
    status: str | None = None,
    account_id: str | None = None,
    campaign_id: str | None = None,
) -> Sequence[Post]:
    """Newest first."""
    stmt = scoped(select(Post), principal, Post.region_code, Post.unit_id)
    if status:
        stmt = stmt.where(Post.status == status)
    if account_id:
        stmt = stmt.where(Post.account_id == account_id)
    if campaign_id:
        stmt = stmt.where(Post.campaign_id == campaign_id)
    if cursor:
        stmt = stmt.where(Post.seq < int(cursor[0]))
    return (await session.execute(stmt.order_by(Post.seq.desc()).limit(limit))).scalars().all()


async def revisions_of(session: AsyncSession, post_id: str) -> Sequence[PostRevision]:
    stmt = select(PostRevision).where(PostRevision.post_id == post_id).order_by(PostRevision.revision)
    return (await session.execute(stmt)).scalars().all()


async def get_revision(session: AsyncSession, post_id: str, revision: int) -> PostRevision | None:
    return await session.get(PostRevision, (post_id, revision))


async def steps_of(session: AsyncSession, post_id: str) -> Sequence[ReviewStep]:
    stmt = select(ReviewStep).where(ReviewStep.post_id == post_id).order_by(ReviewStep.id)
    return (await session.execute(stmt)).scalars().all()


# ------------------------------------------------------------------------------------------------ lexicons


async def active_lexicons(session: AsyncSession, scopes: Sequence[str]) -> Sequence[Lexicon]:
    """The active version of every list stored at these scopes."""
    stmt = (
        select(Lexicon)
        .where(Lexicon.active, Lexicon.scope_region.in_(list(scopes)))
        .order_by(Lexicon.scope_region, Lexicon.kind)
    )
    return (await session.execute(stmt)).scalars().all()


async def active_versions(session: AsyncSession, scopes: Sequence[str]) -> list[tuple[str, str, int]]:
    """(scope, kind, seq) of every active list at these scopes: the key of the engine built from them."""
    rows = await session.execute(
        select(Lexicon.scope_region, Lexicon.kind, Lexicon.seq)
        .where(Lexicon.active, Lexicon.scope_region.in_(list(scopes)))
        .order_by(Lexicon.scope_region, Lexicon.kind)
    )
    return [(scope, kind, seq) for scope, kind, seq in rows.all()]


async def lexicon_versions_of(session: AsyncSession, kind: str, scope: str) -> Sequence[Lexicon]:
    stmt = (
        select(Lexicon)
        .where(Lexicon.kind == kind, Lexicon.scope_region == scope)
        .order_by(Lexicon.seq.desc())
    )
    return (await session.execute(stmt)).scalars().all()


async def get_lexicon(
    session: AsyncSession, kind: str, scope: str, *, version: str | None = None, lock: bool = False
) -> Lexicon | None:
    """The active version of a kind at a scope, or the named one."""
    stmt = select(Lexicon).where(Lexicon.kind == kind, Lexicon.scope_region == scope)
    stmt = stmt.where(Lexicon.version == version) if version else stmt.where(Lexicon.active)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def count_lexicons(session: AsyncSession, scope: str) -> dict[str, int]:
    """Kind → number of versions stored at a scope."""
    rows = await session.execute(
        select(Lexicon.kind, func.count()).where(Lexicon.scope_region == scope).group_by(Lexicon.kind)
    )
    return {kind: int(n) for kind, n in rows.all()}


async def deactivate_lexicon(session: AsyncSession, kind: str, scope: str) -> None:
    await session.execute(
        update(Lexicon)
        .where(Lexicon.kind == kind, Lexicon.scope_region == scope, Lexicon.active)
        .values(active=False)
    )


async def lock_lexicon_kind(session: AsyncSession, kind: str) -> None:
    """Serialise changes of one kind (every scope) until the transaction ends: seq and If-Match stay exact."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext("govmedia.review.lexicon:" + kind)))
    )


async def next_lexicon_seq(session: AsyncSession, kind: str) -> int:
    # One sequence per kind across scopes: a version's seq alone orders every change of that kind.
    value = (await session.execute(select(func.max(Lexicon.seq)).where(Lexicon.kind == kind))).scalar_one()
    return int(value or 0) + 1


# ------------------------------------------------------------------------------------------------ campaigns


async def get_campaign(session: AsyncSession, campaign_id: str) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def list_campaigns(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: list[Any] | None
) -> Sequence[Campaign]:
    """Office staff: campaigns issued in their subtree; unit staff: campaigns targeting their unit."""
    stmt = select(Campaign)
    if sees_only_own_unit(principal):
        targeted = select(CampaignTarget.campaign_id).where(CampaignTarget.unit_id == principal.unit_id)
        stmt = stmt.where(Campaign.id.in_(targeted))
    else:
        stmt = stmt.where(
            or_(
                Campaign.issuer_region_code.startswith(principal.region_prefix, autoescape=True),
                Campaign.id.in_(
                    select(CampaignTarget.campaign_id).where(
                        CampaignTarget.region_code.startswith(principal.region_prefix, autoescape=True)
                    )
                ),
            )
        )
    if cursor:
        stmt = stmt.where(Campaign.seq < int(cursor[0]))
    return (await session.execute(stmt.order_by(Campaign.seq.desc()).limit(limit))).scalars().all()


async def targets_of(session: AsyncSession, campaign_id: str) -> Sequence[CampaignTarget]:
    stmt = (
        select(CampaignTarget)
        .where(CampaignTarget.campaign_id == campaign_id)
        .order_by(CampaignTarget.account_id)
    )
    return (await session.execute(stmt)).scalars().all()


async def get_target(
    session: AsyncSession, campaign_id: str, account_id: str, *, lock: bool = False
) -> CampaignTarget | None:
    stmt = select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id, CampaignTarget.account_id == account_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalars().first()

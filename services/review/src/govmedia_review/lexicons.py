"""Lexicon use cases: which lists a check uses, who stores which list where, and the announcement of each.

Lists are scoped (``govmedia_checks.scopes``); who may write where is the domain's rule
(``domain/lexicons.py``). Refusals are ``DomainError``; nothing here knows HTTP. Never commits.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_checks import CheckEngine, LexiconError, LexiconSet, combine_scoped, load_starter_lexicons
from govmedia_common import audit
from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind, not_found
from govmedia_common.events import LexiconPublished
from govmedia_common.outbox import add_event
from govmedia_common.scoping import region_named, unknown_region
from govmedia_review import domain as d
from govmedia_review import repository as repo
from govmedia_review import schemas as s
from govmedia_review.models import Lexicon


@cache
def lexicon_kinds() -> dict[str, str]:
    """Lexicon kind (as the API and the engine's version map name it) → the document's own ``kind``."""
    return {key: str(doc["kind"]) for key, doc in load_starter_lexicons().to_dict().items()}


def canonical_kind(kind: str) -> str | None:
    """Accept the set's key (``sensitive``) or the document kind (``sensitive_terms``)."""
    kinds = lexicon_kinds()
    if kind in kinds:
        return kind
    return next((key for key, doc_kind in kinds.items() if doc_kind == kind), None)


class EngineCache:
    """Check engines per combination of active lists (default or province base, plus additions), LRU.

    Regions that share their lists share one engine; the big automata inside (the protected
    formulations) are shared by content across engines in ``govmedia_checks``.
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self._engines: OrderedDict[tuple[tuple[str, str, int], ...], CheckEngine] = OrderedDict()
        self._lock = asyncio.Lock()

    async def engine(self, session: AsyncSession, region_code: str) -> CheckEngine:
        """The engine for a post or text in ``region_code`` (one query when cached)."""
        chain = d.scope_chain(region_code)
        return await self.engine_for(session, chain, await repo.active_versions(session, chain))

    async def engine_for(
        self, session: AsyncSession, chain: Sequence[str], versions: Sequence[tuple[str, str, int]]
    ) -> CheckEngine:
        """The engine of the scope ``chain`` whose active lists are ``versions`` (read by the caller in the
        same transaction); no query when cached."""
        key = tuple(sorted(versions))
        engine = self._engines.get(key)
        if engine is not None:
            self._engines.move_to_end(key)
            return engine
        async with self._lock:
            if (engine := self._engines.get(key)) is not None:
                return engine
            rows = await repo.active_lexicons(session, chain)
            try:
                lexicons = combine_lexicons(rows)
                engine = await asyncio.to_thread(CheckEngine, lexicons)
            except LexiconError as exc:
                raise DomainError(
                    ErrorKind.UNAVAILABLE,
                    "lexicons-unavailable",
                    f"The active lexicons cannot be used: {exc}",
                ) from exc
            self._engines[key] = engine
            while len(self._engines) > self.size:
                self._engines.popitem(last=False)
            return engine


def combine_lexicons(rows: Sequence[Lexicon]) -> LexiconSet:
    """Per kind: the province's list if it has one, else the default; then the lower offices' additions."""
    return combine_scoped((r.scope_region, r.kind, r.document) for r in rows)


def document_hash(document: dict[str, Any]) -> tuple[str, int]:
    """``sha256:`` of a lexicon document's canonical JSON, and the size of that JSON in bytes."""
    raw = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest(), len(raw)


# A document above this travels by reference (document_path + document_hash), far below the 1 MiB record.
INLINE_DOCUMENT_BYTES = 256 * 1024


def lexicon_published(row: Lexicon, at: datetime) -> LexiconPublished:
    """The event announcing a stored lexicon version (the monitor rebuilds its check engine from it)."""
    digest, size = document_hash(row.document)
    return LexiconPublished(
        occurred_at=at,
        lexicon_key=f"{row.scope_region}/{row.kind}",
        kind=row.kind,
        scope_region_code=row.scope_region,
        replaces_base=d.is_base_scope(row.scope_region),
        name=row.name,
        version=row.version,
        seq=row.seq,
        entries_count=row.entries,
        document_hash=digest,
        document=row.document if size <= INLINE_DOCUMENT_BYTES else None,
        document_path=f"/v1/lexicons/{row.kind}?region={row.scope_region}&version={row.version}",
        published_by=row.created_by,
    )


async def seed_lexicons(session: AsyncSession, at: datetime) -> int:
    """Store the starter set as the default list of every kind the default scope lacks (new kinds too)."""
    present = await repo.count_lexicons(session, d.DEFAULT_SCOPE)
    added = 0
    for kind, doc in load_starter_lexicons().to_dict().items():
        if present.get(kind):
            continue
        seq = await repo.next_lexicon_seq(session, kind)
        result = await session.execute(
            insert(Lexicon)
            .values(
                kind=kind,
                seq=seq,
                scope_region=d.DEFAULT_SCOPE,
                name=doc["name"],
                version=doc["version"],
                document=doc,
                entries=len(doc["entries"]),
                active=True,
                created_by="system",
            )
            .on_conflict_do_nothing()
            .returning(Lexicon.kind)
        )
        if result.first() is None:
            continue  # another replica seeded it meanwhile
        added += 1
        row = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE)
        if row is not None:
            await add_event(session, lexicon_published(row, at))
    return added


async def known_scope(session: AsyncSession, principal: Principal, scope: str) -> None:
    """404 unknown-region for a scope no account of the registry lies in, as every region parameter of
    the supervision services answers: the shipped default, the caller's own region and the regions above
    it are always known (the registry signed the caller in there)."""
    if scope == d.DEFAULT_SCOPE or scope in d.scope_chain(principal.region_code):
        return
    if not await region_named(session, scope, ("accounts",)):
        raise unknown_region(scope)


async def lexicon_scope(
    session: AsyncSession, principal: Principal, region: str | None, kind: str
) -> d.LexiconScope:
    """Where the caller's change of ``kind`` goes: its own region unless it names one in its subtree (a
    region some account of the registry lies in: a list of nobody's region would apply nowhere)."""
    target = region or principal.region_code
    if target != d.DEFAULT_SCOPE and not principal.can_see_region(target):
        raise not_found("region", target)
    await known_scope(session, principal, target)
    return d.writable_scope(target, kind)


async def readable_lexicon(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    region: str | None,
    version: str | None,
    now: datetime,
) -> Lexicon:
    """The list of ``kind`` stored at a scope (default: the caller's region), as the caller may read it.

    Any scope that applies to the caller or lies in its subtree is readable. A province without a list of its
    own shows the default it uses; a lower region without additions shows an empty list (seq 0).
    """
    scope = region or principal.region_code
    if scope != d.DEFAULT_SCOPE and not (
        principal.can_see_region(scope) or scope in d.scope_chain(principal.region_code)
    ):
        raise not_found("region", scope)
    await known_scope(session, principal, scope)
    row = await repo.get_lexicon(session, kind, scope, version=version)
    if row is None and d.is_base_scope(scope):
        row = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE, version=version)
    if row is None:
        if version is not None:
            raise not_found(f"{kind} lexicon version", version)
        row = empty_lexicon(kind, scope, now)
    return row


def empty_lexicon(kind: str, scope: str, now: datetime) -> Lexicon:
    """An unsaved, empty list at a scope that has none yet (what a first change is based on)."""
    doc_kind = lexicon_kinds()[kind]
    name = f"{scope}-{kind}"
    return Lexicon(
        kind=kind,
        seq=0,
        scope_region=scope,
        name=name,
        version="none",
        document={"kind": doc_kind, "name": name, "version": "none", "entries": []},
        entries=0,
        active=False,
        created_by="system",
        created_at=now,
    )


async def current_lexicon(session: AsyncSession, scope: d.LexiconScope, kind: str, now: datetime) -> Lexicon:
    """What a change of ``kind`` at a scope replaces (the API compares its ``seq`` with If-Match).

    Changes of one kind are serialised from here to the end of the transaction.
    """
    await repo.lock_lexicon_kind(session, kind)
    current = await repo.get_lexicon(session, kind, scope.scope)
    if current is None and scope.replaces_base:
        current = await repo.get_lexicon(session, kind, d.DEFAULT_SCOPE)
    return current or empty_lexicon(kind, scope.scope, now)


async def put_lexicon(
    session: AsyncSession,
    principal: Principal,
    scope: d.LexiconScope,
    current: Lexicon,
    body: s.LexiconIn,
    at: datetime,
) -> Lexicon:
    """A new version of one list becomes active at its scope; older versions stay for the record."""
    kind = current.kind
    seq = await repo.next_lexicon_seq(session, kind)
    doc: dict[str, Any] = {
        "kind": lexicon_kinds()[kind],
        "name": body.name
        or (current.name if current.scope_region == scope.scope else f"{scope.scope}-{kind}"),
        "version": body.version or f"r{seq}",
        "entries": body.entries,
    }
    if body.policy is not None:
        if kind != "protected" or not scope.replaces_base:
            raise DomainError(
                ErrorKind.UNPROCESSABLE,
                "lexicon-policy-not-here",
                "A near-miss policy goes with a province's protected formulations only.",
            )
        doc["policy"] = body.policy
    documents: dict[str, Any] = {
        r.kind: r.document for r in await repo.active_lexicons(session, [d.DEFAULT_SCOPE])
    }
    try:
        if scope.replaces_base:
            documents[kind] = doc
            candidate = LexiconSet.from_dict(documents)
            normalised = getattr(candidate, kind).to_dict()
        else:
            parsed = LexiconSet.kind_class(kind).from_dict(doc)
            candidate = LexiconSet.from_dict(documents).extended({kind: [parsed]})
            normalised = parsed.to_dict()
        # Compiled before it is stored: a list the engine cannot use (an exception phrase that does not
        # contain its term, a term that normalises to nothing) is refused here, not at the next check.
        await asyncio.to_thread(CheckEngine, candidate)
    except LexiconError as exc:
        raise DomainError(ErrorKind.UNPROCESSABLE, "invalid-lexicon", str(exc)) from exc
    if await repo.get_lexicon(session, kind, scope.scope, version=normalised["version"]) is not None:
        raise DomainError(
            ErrorKind.CONFLICT,
            "lexicon-version-exists",
            f"{kind} version {normalised['version']!r} exists for region {scope.scope}; "
            "lexicon versions are never rewritten.",
        )
    await repo.deactivate_lexicon(session, kind, scope.scope)
    await session.flush()
    row = Lexicon(
        kind=kind,
        seq=seq,
        scope_region=scope.scope,
        name=normalised["name"],
        version=normalised["version"],
        document=normalised,
        entries=len(normalised["entries"]),
        active=True,
        created_by=principal.subject,
    )
    session.add(row)
    await session.flush()
    await add_event(session, lexicon_published(row, at))
    await audit.record(
        session,
        principal=principal,
        action="lexicon.put",
        target=f"{scope.scope}/{kind}",
        detail={
            "scope": scope.scope,
            "replaces_base": scope.replaces_base,
            "version": row.version,
            "previous": current.version if current.scope_region == scope.scope else None,
            "entries": row.entries,
        },
    )
    return row

"""Who may change which lexicon list, and which lists a check in a region combines (authority is a tree).

A lexicon list is stored per *scope* (a region code) and kind:

* ``000000`` — the shipped default (the starter set), used wherever a province has no list of its own;
* a province (``330000``) — its *base* list: replaces the default for the whole province, any kind;
* a city or county (``331000``, ``331004``) — *additions* for its own subtree only, and only of the kinds
  whose entries add findings (``govmedia_checks.ADDITIVE_KINDS``): a lower office tightens the check, it can
  never remove or replace a province term, and never widen an allowlist (link domains, reprint sources).

The check for a post in region R uses, for each kind, the base of R's province (or the default) plus the
additions stored at R's city and at R itself (``govmedia_checks.scopes``, the same rule the monitor applies).
A county's list therefore never reaches a sibling county.
"""

from __future__ import annotations

from dataclasses import dataclass

from govmedia_checks import ADDITIVE_KINDS
from govmedia_checks.scopes import DEFAULT_SCOPE, is_base_scope, province_of, scope_chain
from govmedia_common.errors import DomainError, ErrorKind

__all__ = [
    "DEFAULT_SCOPE",
    "LexiconKindProvinceOnly",
    "LexiconScope",
    "is_base_scope",
    "province_of",
    "scope_chain",
    "writable_scope",
]


class LexiconKindProvinceOnly(DomainError):
    """A city or county tried to change a kind only the province may set (an allowlist), or the default."""

    kind = ErrorKind.FORBIDDEN
    code = "lexicon-kind-province-only"


@dataclass(frozen=True, slots=True)
class LexiconScope:
    """Where a change is stored and how it combines."""

    scope: str
    replaces_base: bool


def writable_scope(target_region: str, kind: str) -> LexiconScope:
    """The scope a lexicon change for ``target_region`` is stored at, if that kind may be changed there."""
    if target_region == DEFAULT_SCOPE:
        raise LexiconKindProvinceOnly(
            "The shipped default lexicons change with a release; a province loads its own list instead.",
            lexicon_kind=kind,
        )
    if is_base_scope(target_region):
        return LexiconScope(scope=target_region, replaces_base=True)
    if kind not in ADDITIVE_KINDS:
        raise LexiconKindProvinceOnly(
            f"The {kind} list widens what the check allows; only a province office may set it.",
            lexicon_kind=kind,
        )
    return LexiconScope(scope=target_region, replaces_base=False)

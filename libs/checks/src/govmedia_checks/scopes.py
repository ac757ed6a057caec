"""Which lexicon lists apply in a region, and how they combine: the same rule for review and monitor.

Lists are stored per *scope* (a GB/T 2260 region code) and kind:

* ``000000`` — the shipped default, used wherever a province has no list of its own;
* a province (``330000``) — its list replaces the default for the whole province;
* a city or county — terms it adds for its own subtree (only `ADDITIVE_KINDS`).

For a post in region R, each kind is the base of R's province (else the default) plus the additions stored at
R's city and at R itself, in that order. A county's list never reaches a sibling county.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from govmedia_checks.lexicon import LexiconSet

__all__ = ["DEFAULT_SCOPE", "combine_scoped", "is_base_scope", "province_of", "scope_chain"]

DEFAULT_SCOPE = "000000"


def province_of(region_code: str) -> str:
    """The province-level code of a region code (``331004`` → ``330000``)."""
    return region_code[:2] + "0000"


def is_base_scope(scope: str) -> bool:
    """The default and province lists replace; every other scope only adds."""
    return scope == DEFAULT_SCOPE or scope.endswith("0000")


def scope_chain(region_code: str) -> tuple[str, ...]:
    """Scopes whose lists apply in a region, from the default down to the region itself."""
    chain = [DEFAULT_SCOPE, province_of(region_code), region_code[:4] + "00", region_code]
    return tuple(dict.fromkeys(chain))  # drops repeats (a province's own chain is default, province)


def combine_scoped(lists: Iterable[tuple[str, str, Mapping[str, Any]]]) -> LexiconSet:
    """The lexicon set from the active ``(scope, kind, document)`` lists of one region's chain.

    Raises `LexiconError` when a document is malformed or an allowlist kind comes from a lower scope.
    """
    base: dict[str, Mapping[str, Any]] = {}
    base_rank: dict[str, int] = {}
    additions: dict[str, list[Any]] = {}
    # Shallow scopes first: the province's list outranks the default, a city's additions precede a county's.
    for scope, kind, document in sorted(lists, key=lambda x: (len(x[0].rstrip("0")), x[0], x[1])):
        if is_base_scope(scope):
            rank = 0 if scope == DEFAULT_SCOPE else 1
            if rank >= base_rank.get(kind, -1):
                base[kind], base_rank[kind] = document, rank
        else:
            additions.setdefault(kind, []).append(LexiconSet.kind_class(kind).from_dict(document))
    return LexiconSet.from_dict(base).extended(additions)

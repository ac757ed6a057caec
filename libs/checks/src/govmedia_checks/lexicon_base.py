"""What every lexicon kind is made of: categories and severities, entries, parsing helpers, the base class.

Plain data. `govmedia_checks.lexicon` builds the kinds and the set from these and re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, Self, TypeVar

__all__ = [
    "PROHIBITION_CATEGORIES",
    "AllowedDomain",
    "AllowedSource",
    "Category",
    "ExpressionPair",
    "LeaderName",
    "LexiconError",
    "NearMissPolicy",
    "ProtectedForm",
    "ProtectedKind",
    "SensitiveTerm",
    "Severity",
    "SourceMatch",
    "Topic",
    "TopicTerm",
]


class Category(StrEnum):
    """What a finding is about: the six prohibitions (六严禁), expression errors and reprint sources."""

    ILLEGAL = "illegal"
    SECURITY_STABILITY = "security_stability"
    SECRETS_PRIVACY = "secrets_privacy"
    ADS_LINKS = "ads_links"
    PERSONAL_OPINION = "personal_opinion"
    SENSITIVE_TOPIC = "sensitive_topic"
    SERIOUS_EXPRESSION_ERROR = "serious_expression_error"
    TYPO = "typo"
    REPRINT_SOURCE = "reprint_source"


PROHIBITION_CATEGORIES: frozenset[Category] = frozenset(
    {
        Category.ILLEGAL,
        Category.SECURITY_STABILITY,
        Category.SECRETS_PRIVACY,
        Category.ADS_LINKS,
        Category.PERSONAL_OPINION,
        Category.SENSITIVE_TOPIC,
    }
)


class Severity(StrEnum):
    """`block` stops publication until fixed or overridden; `warn` asks a reviewer to look."""

    BLOCK = "block"
    WARN = "warn"


class Topic(StrEnum):
    """Kinds of sensitive topic that may only be published with the unit's consent (需经单位同意)."""

    INVESTIGATION = "investigation"
    TRIAL = "trial"
    DISASTER_EPIDEMIC = "disaster_epidemic"
    STATISTICS = "statistics"
    ENVIRONMENTAL_RATING = "environmental_rating"


class SourceMatch(StrEnum):
    """How an allowed reprint source is compared with the declared source name."""

    CONTAINS = "contains"  # an outlet's name, e.g. 新华社 in "新华社客户端"
    SUFFIX = "suffix"  # an organ's generic ending, e.g. 人民政府 in "台州市人民政府"


class LexiconError(ValueError):
    """A lexicon document is malformed or an entry cannot be used."""


# --- entries -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SensitiveTerm:
    """A word or phrase that must not appear, with the prohibition it falls under."""

    term: str
    category: Category
    severity: Severity
    note: str = ""
    suggestion: str = ""
    # Longer phrases in which the term is harmless, e.g. "讲真话" for "讲真".
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExpressionPair:
    """A wrong form and its right form; `serious` marks 严重表述错误, otherwise 一般表述错误."""

    wrong: str
    right: str
    serious: bool
    note: str = ""
    exceptions: tuple[str, ...] = ()

    @property
    def category(self) -> Category:
        """Category derived from seriousness."""
        return Category.SERIOUS_EXPRESSION_ERROR if self.serious else Category.TYPO

    @property
    def severity(self) -> Severity:
        """Serious errors block, ordinary ones warn."""
        return Severity.BLOCK if self.serious else Severity.WARN


@dataclass(frozen=True, slots=True)
class TopicTerm:
    """A word that signals a sensitive topic needing the unit's consent."""

    term: str
    topic: Topic
    note: str = ""
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AllowedDomain:
    """A host suffix outbound links may point to (``gov.cn`` allows ``www.zj.gov.cn``)."""

    domain: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class AllowedSource:
    """A source a repost may come from: a Party or government body or an authoritative outlet."""

    name: str
    match: SourceMatch = SourceMatch.CONTAINS
    note: str = ""


@dataclass(frozen=True, slots=True)
class NearMissPolicy:
    """Minimum length (in characters) of a protected form for each kind of slip to be looked for.

    Defaults are chosen so that the slip leaves a string that is rare in correct government text: a deletion
    in a five-character slogan can produce an ordinary phrase (最多跑一次 → 最多一次), one in a six-character
    name hardly ever does. Names are separate because they are short by nature and loaded by each office.
    A province sets its own values with its protected list (``"policy": {...}``); lower offices cannot.
    """

    similar_substitution: int = 4  # homophone or look-alike character anywhere in the form
    any_substitution: int = 6  # any Chinese character, inner positions only
    deletion: int = 6  # an inner character dropped
    insertion: int = 5  # a character inserted inside the form
    transposition: int = 4  # two adjacent characters swapped
    name_similar_substitution: int = 3
    name_insertion: int = 4
    name_transposition: int = 3
    name_deletion: int = 4

    @classmethod
    def from_dict(cls, data: object, where: str) -> NearMissPolicy:
        """From ``{"deletion": 6, ...}``: known keys only, each a length from 2 to 50."""
        if not isinstance(data, Mapping):
            raise LexiconError(f"{where}: 'policy' must be an object")
        known = set(cls.__dataclass_fields__)
        _check_keys(data, known, f"{where} policy")
        for key, value in data.items():
            if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 50:
                raise LexiconError(f"{where}: policy {key!r} must be a whole number from 2 to 50")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, int]:
        """Only the values that differ from the defaults."""
        default = NearMissPolicy()
        return {
            k: getattr(self, k) for k in self.__dataclass_fields__ if getattr(self, k) != getattr(default, k)
        }


class ProtectedKind(StrEnum):
    """What a protected formulation names (规范表述): used in messages and to review the list."""

    COUNTRY = "country"  # 国名
    STATE_ORGAN = "state_organ"  # 国家机关
    PARTY_ORGAN = "party_organ"  # 党的机关
    LEADING_GROUP = "leading_group"  # 领导小组、委员会
    FORMULATION = "formulation"  # 固定政治表述
    SLOGAN = "slogan"  # 活动口号
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ProtectedForm:
    """A canonical fixed formulation or organ name; a one-character slip of it is a serious error.

    ``variants`` are legitimate near forms (an official short name, an older name still in use) that are
    within one character of the canonical text and must not be flagged.
    """

    text: str
    kind: ProtectedKind = ProtectedKind.FORMULATION
    note: str = ""
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaderName:
    """A leader's name an office loads for its region; a one-character slip of it is a serious error."""

    name: str
    title: str = ""
    note: str = ""


# --- parsing helpers ---------------------------------------------------------------------------------


def _require_str(data: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise LexiconError(f"{where}: '{key}' must be a string")
    return value


def _require_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _require_str(data, key, where).strip()
    if not value:
        raise LexiconError(f"{where}: '{key}' must not be empty")
    return value


_E = TypeVar("_E", bound=StrEnum)


def _enum(enum: type[_E], data: Mapping[str, Any], key: str, where: str, default: _E | None = None) -> _E:
    raw = data.get(key, default)
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise LexiconError(f"{where}: '{key}' is {raw!r}, expected one of {allowed}") from None


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    raw = data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise LexiconError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(x.strip() for x in raw)


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    # Unknown keys are refused so a misspelt field ("severty") cannot silently fall back to a default.
    unknown = set(data) - allowed
    if unknown:
        raise LexiconError(f"{where}: unknown field(s) {sorted(unknown)}")


def _drop_defaults(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in ("", [], ())}


EntryT = TypeVar("EntryT")


# --- lexicon kinds -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Lexicon(Generic[EntryT]):
    """Common shape of every lexicon kind: a name, a version and entries."""

    KIND: ClassVar[str] = ""

    name: str
    version: str
    entries: tuple[EntryT, ...] = field(default_factory=tuple)
    # After `LexiconSet.extended`: how many leading entries are the base list's (the rest are additions).
    # Lets a compiler reuse what it built for the base; not part of the lexicon's value.
    base_entries: int | None = field(default=None, compare=False)

    @classmethod
    def _parse_entry(cls, data: Mapping[str, Any], where: str) -> EntryT:
        raise NotImplementedError

    @staticmethod
    def _dump_entry(entry: EntryT) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a JSON-ready dict ``{"kind", "name", "version", "entries": [...]}``."""
        if not isinstance(data, Mapping):
            raise LexiconError(f"{cls.KIND}: expected an object")
        _check_keys(data, {"kind", "name", "version", "entries"}, cls.KIND)
        kind = data.get("kind", cls.KIND)
        if kind != cls.KIND:
            raise LexiconError(f"expected kind {cls.KIND!r}, got {kind!r}")
        name = _require_text(data, "name", cls.KIND)
        version = _require_text(data, "version", cls.KIND)
        raw_entries = data.get("entries")
        if not isinstance(raw_entries, list):
            raise LexiconError(f"{cls.KIND} {name}: 'entries' must be a list")
        entries = []
        for i, raw in enumerate(raw_entries):
            where = f"{cls.KIND} {name}@{version} entry {i}"
            if not isinstance(raw, Mapping):
                raise LexiconError(f"{where}: expected an object")
            entries.append(cls._parse_entry(raw, where))
        return cls(name=name, version=version, entries=tuple(entries))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; `from_dict(to_dict())` gives an equal lexicon."""
        return {
            "kind": self.KIND,
            "name": self.name,
            "version": self.version,
            "entries": [self._dump_entry(e) for e in self.entries],
        }

    @property
    def label(self) -> str:
        """``name@version``, recorded with every check result."""
        return f"{self.name}@{self.version}"

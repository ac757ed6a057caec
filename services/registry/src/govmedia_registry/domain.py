"""Registry rules: the region tree, account naming rules, filings approved level by level, account life cycle.

Plain Python, no I/O and no framework: the service layer loads state, calls these functions and saves the
result. Every threshold (deadlines, announcement length, approval chain) comes from :class:`RegistryRules`,
which administrators configure per region; the defaults are those of the policy documents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from govmedia_common.workdays import SHANGHAI, WorkCalendar

# --------------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------------


class Platform(StrEnum):
    WECHAT = "wechat"
    WEIBO = "weibo"
    DOUYIN = "douyin"
    TOUTIAO = "toutiao"
    KUAISHOU = "kuaishou"
    BILIBILI = "bilibili"
    APP = "app"
    MINIPROGRAM = "miniprogram"
    OTHER = "other"


class AccountStatus(StrEnum):
    PENDING = "pending"  # an open filing is under review
    ANNOUNCING = "announcing"  # approved; the public announcement of an open, merge or deregister runs
    ACTIVE = "active"
    SUSPENDED = "suspended"  # 关停
    DEREGISTERED = "deregistered"  # 注销
    MERGED = "merged"  # 整合 into another account
    REJECTED = "rejected"  # the open filing was rejected or withdrawn


class FilingType(StrEnum):
    OPEN = "open"  # 开设
    CHANGE = "change"  # 变更
    MERGE = "merge"  # 整合
    SUSPEND = "suspend"  # 关停
    DEREGISTER = "deregister"  # 注销


class FilingStatus(StrEnum):
    PENDING = "pending"
    RETURNED = "returned"  # sent back for amendment (退回修改)
    REJECTED = "rejected"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class Role(StrEnum):
    EDITOR = "editor"
    REVIEWER = "reviewer"
    APPROVER = "approver"  # 终审, a unit leader
    UNIT_ADMIN = "unit_admin"
    LIAISON = "liaison"  # 联络员
    OFFICE_STAFF = "office_staff"  # staff of a competent office (主管单位)
    OFFICE_ADMIN = "office_admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


class AttentionTier(StrEnum):
    ORDINARY = "ordinary"
    HIGH = "high"  # 群众关注度高: must update weekly


class UnitKind(StrEnum):
    COMPETENT_OFFICE = "competent_office"  # 主管单位
    HOST_UNIT = "host_unit"  # 主办单位


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class ApprovalLevel(StrEnum):
    """A step of 逐级审核, bottom-up: the host unit, then the competent offices of county, city, province."""

    UNIT = "unit"
    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {
    ApprovalLevel.UNIT: 0,
    ApprovalLevel.COUNTY: 1,
    ApprovalLevel.CITY: 2,
    ApprovalLevel.PROVINCE: 3,
}
_OFFICE_LEVEL_OF_REGION = {
    RegionLevel.COUNTY: ApprovalLevel.COUNTY,
    RegionLevel.CITY: ApprovalLevel.CITY,
    RegionLevel.PROVINCE: ApprovalLevel.PROVINCE,
}


# --------------------------------------------------------------------------------------------------------
# Errors: each has a stable ``code`` that the API returns as the problem type
# --------------------------------------------------------------------------------------------------------


class DomainError(Exception):
    """A registry rule refused the operation."""

    code: ClassVar[str] = "registry-rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRegionCode(DomainError, ValueError):
    code = "invalid-region-code"


class InvalidRules(DomainError, ValueError):
    code = "invalid-registry-rules"


class FilingNotOpen(DomainError):
    """The filing is not in a state that allows this step (e.g. already decided)."""

    code = "filing-not-open"


class WrongApprovalLevel(DomainError):
    """The decision names a level other than the one the filing is waiting at (a stale or misrouted click)."""

    code = "filing-wrong-level"


class ApproverNotAuthorised(DomainError):
    code = "filing-approver-not-authorised"


class SelfApproval(DomainError):
    code = "filing-self-approval"


class ApproverAlreadyDecided(DomainError):
    code = "filing-approver-already-decided"


class ReasonRequired(DomainError):
    code = "filing-reason-required"


class NotTheFiler(DomainError):
    code = "filing-not-filer"


class FilingNotAllowed(DomainError):
    """The account's status does not allow this kind of filing."""

    code = "account-filing-not-allowed"


class FilingInProgress(DomainError):
    code = "account-filing-in-progress"


class StopNoticeRequired(DomainError):
    code = "account-stop-notice-required"


class IllegalTransition(DomainError):
    code = "account-illegal-transition"


# --------------------------------------------------------------------------------------------------------
# Regions: GB/T 2260 six-digit codes, PPCCDD (province, city, county)
# --------------------------------------------------------------------------------------------------------

# Beijing, Tianjin, Shanghai, Chongqing: their city part (01 市辖区, 02 县) is a grouping with no government.
MUNICIPALITY_PREFIXES = frozenset({"11", "12", "31", "50"})
# City part 90 groups the county-level units a province administers directly (省直辖县级行政区划), e.g.
# 429004 仙桃市, 419001 济源市, 469001 五指山市: no city government stands between them and the province.
_PROVINCE_ADMINISTERED = "90"
_CODE = re.compile(r"[0-9]{6}")


def validate_region_code(code: str) -> str:
    """Return ``code`` when it is a GB/T 2260 six-digit code, else raise InvalidRegionCode."""
    if not isinstance(code, str) or not _CODE.fullmatch(code) or code[:2] == "00":
        raise InvalidRegionCode(f"region code must be six digits such as 331004, got {code!r}")
    if code[2:4] == "00" and code[4:] != "00":
        raise InvalidRegionCode(f"region code {code} has a county part but no city part")
    return code


def region_level(code: str) -> RegionLevel:
    """Province (PP0000), city (PPCC00) or county (PPCCDD) by the shape of the code."""
    validate_region_code(code)
    if code[2:] == "0000":
        return RegionLevel.PROVINCE
    if code[4:] == "00":
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def is_grouping_code(code: str) -> bool:
    """True for city-level codes grouping counties without a government of their own (市辖区, PP9000)."""
    if region_level(code) is not RegionLevel.CITY:
        return False
    return code[:2] in MUNICIPALITY_PREFIXES or code[2:4] == _PROVINCE_ADMINISTERED


def region_prefix(code: str) -> str:
    """The prefix every code of the region's subtree starts with ("330000"→"33", "331000"→"3310")."""
    level = region_level(code)
    if level is RegionLevel.PROVINCE:
        return code[:2]
    if level is RegionLevel.CITY:
        return code[:4]
    return code


def is_within(code: str, ancestor_code: str) -> bool:
    """True when ``code`` is ``ancestor_code`` itself or lies below it in the tree."""
    validate_region_code(code)
    return code.startswith(region_prefix(ancestor_code))


def province_code(code: str) -> str:
    """The code of the province (or municipality, autonomous region) a region belongs to."""
    validate_region_code(code)
    return code[:2] + "0000"


def parent_code(code: str) -> str | None:
    """The region directly above, skipping grouping codes: 331004→331000, 110108→110000, 429004→420000."""
    level = region_level(code)
    if level is RegionLevel.PROVINCE:
        return None
    if level is RegionLevel.CITY:
        return province_code(code)
    city = code[:4] + "00"
    return province_code(code) if is_grouping_code(city) else city


def region_path(code: str) -> tuple[str, ...]:
    """The codes from the province down to ``code`` (331004 → 330000, 331000, 331004)."""
    path = [code]
    parent = parent_code(code)
    while parent is not None:
        path.append(parent)
        parent = parent_code(parent)
    return tuple(reversed(path))


def office_region(code: str, level: ApprovalLevel) -> str | None:
    """The region whose competent office decides ``level`` for a unit in ``code``; None when there is none.

    A county has no county office above a city-level unit, and a district of a municipality or a county
    administered by its province has no city office: those levels are skipped.
    """
    own = region_level(code)
    if level is ApprovalLevel.UNIT:
        return code
    if level is ApprovalLevel.PROVINCE:
        return province_code(code)
    if level is ApprovalLevel.COUNTY:
        return code if own is RegionLevel.COUNTY else None
    # the city level
    if own is RegionLevel.PROVINCE:
        return None
    if own is RegionLevel.CITY:
        return None if is_grouping_code(code) else code
    parent = parent_code(code)
    return parent if parent is not None and region_level(parent) is RegionLevel.CITY else None


@dataclass(frozen=True)
class RegionRecord:
    """One administrative division: its code, official name, level and parent (None for a province)."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None

    @classmethod
    def of(cls, code: str, name: str) -> RegionRecord:
        """Build a record, deriving level and parent from the code."""
        return cls(code=code, name=name, level=region_level(code), parent_code=parent_code(code))


# Longest first: "自治区" must win over "区".
_REGION_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "省",
    "市",
    "区",
    "县",
    "州",
    "盟",
    "旗",
)
# The 55 recognised minority nationalities, which sit between the place name and 自治区/州/县/旗
# (广西壮族自治区, 恩施土家族苗族自治州, 新疆维吾尔自治区): the short form is the place name before them.
_NATIONALITIES: tuple[str, ...] = tuple(
    sorted(
        (
            "蒙古",
            "回",
            "藏",
            "维吾尔",
            "苗",
            "彝",
            "壮",
            "布依",
            "朝鲜",
            "满",
            "侗",
            "瑶",
            "白",
            "土家",
            "哈尼",
            "哈萨克",
            "傣",
            "黎",
            "傈僳",
            "佤",
            "畲",
            "高山",
            "拉祜",
            "水",
            "东乡",
            "纳西",
            "景颇",
            "柯尔克孜",
            "土",
            "达斡尔",
            "仫佬",
            "羌",
            "布朗",
            "撒拉",
            "毛南",
            "仡佬",
            "锡伯",
            "阿昌",
            "普米",
            "塔吉克",
            "怒",
            "乌孜别克",
            "俄罗斯",
            "鄂温克",
            "德昂",
            "保安",
            "裕固",
            "京",
            "塔塔尔",
            "独龙",
            "鄂伦春",
            "赫哲",
            "门巴",
            "珞巴",
            "基诺",
            "各",
        ),
        key=len,
        reverse=True,
    )
)


def region_short_name(full_name: str) -> str | None:
    """The usual short form of a region name (台州市→台州, 广西壮族自治区→广西); None if under 2 chars."""
    name = _normalise(full_name)
    for suffix in _REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            if suffix.startswith("自治"):
                name = _strip_nationalities(name)
            break
    return name if len(name) >= 2 else None


def _strip_nationalities(name: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for nationality in _NATIONALITIES:
            # 维吾尔 stands without 族 in 新疆维吾尔自治区; at least two characters of place name remain.
            form = nationality if nationality == "维吾尔" else nationality + "族"
            if name.endswith(form) and len(name) - len(form) >= 2:
                name = name[: -len(form)]
                stripped = True
                break
    return name


# --------------------------------------------------------------------------------------------------------
# Rules that administrators configure per region
# --------------------------------------------------------------------------------------------------------

DEFAULT_APPROVAL_LEVELS: tuple[ApprovalLevel, ...] = (
    ApprovalLevel.UNIT,
    ApprovalLevel.COUNTY,
    ApprovalLevel.CITY,
)
DEFAULT_APPROVER_ROLES: Mapping[ApprovalLevel, frozenset[Role]] = MappingProxyType(
    {
        ApprovalLevel.UNIT: frozenset({Role.UNIT_ADMIN}),
        ApprovalLevel.COUNTY: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
        ApprovalLevel.CITY: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
        ApprovalLevel.PROVINCE: frozenset({Role.OFFICE_STAFF, Role.OFFICE_ADMIN}),
    }
)
# Seed 003: open, merge, change and deregister are announced to the public first; a suspension is immediate.
DEFAULT_ANNOUNCED = frozenset({FilingType.OPEN, FilingType.CHANGE, FilingType.MERGE, FilingType.DEREGISTER})


def _freeze_levels(
    given: Mapping[FilingType, Sequence[ApprovalLevel]],
) -> Mapping[FilingType, tuple[ApprovalLevel, ...]]:
    levels = {t: DEFAULT_APPROVAL_LEVELS for t in FilingType}
    for filing_type, chain in given.items():
        levels[FilingType(filing_type)] = tuple(ApprovalLevel(level) for level in chain)
    return MappingProxyType(levels)


@dataclass(frozen=True)
class RegistryRules:
    """Thresholds and approval chains of the registry; defaults from seeds 000 and 003.

    ``approval_levels`` is the chain configured for a unit at county level; for other units the levels that
    do not exist above them are skipped (see :meth:`levels_for`).
    """

    filing_deadline_workdays: int = 7
    announcement_workdays: int = 15
    zombie_days: int = 90
    approval_levels: Mapping[FilingType, tuple[ApprovalLevel, ...]] = field(
        default_factory=lambda: _freeze_levels({})
    )
    approver_roles: Mapping[ApprovalLevel, frozenset[Role]] = field(
        default_factory=lambda: DEFAULT_APPROVER_ROLES
    )
    announced_filing_types: frozenset[FilingType] = DEFAULT_ANNOUNCED

    def __post_init__(self) -> None:
        for name in ("filing_deadline_workdays", "announcement_workdays", "zombie_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRules(f"{name} must be a positive whole number, got {value!r}")
        object.__setattr__(self, "approval_levels", _freeze_levels(self.approval_levels))
        for filing_type, chain in self.approval_levels.items():
            if not any(level is not ApprovalLevel.UNIT for level in chain):
                raise InvalidRules(
                    f"the approval chain of {filing_type} filings needs at least one office level"
                )
            ranks = [level.rank for level in chain]
            if ranks != sorted(set(ranks)):
                raise InvalidRules(
                    f"the approval chain of {filing_type} filings must go bottom-up without repeats "
                    f"(unit, county, city, province), got {[str(level) for level in chain]}"
                )
        roles = {level: DEFAULT_APPROVER_ROLES[level] for level in ApprovalLevel}
        roles.update(
            {ApprovalLevel(k): frozenset(Role(r) for r in v) for k, v in self.approver_roles.items()}
        )
        for level, allowed in roles.items():
            if not allowed:
                raise InvalidRules(f"no role may decide the {level} level")
        object.__setattr__(self, "approver_roles", MappingProxyType(roles))
        object.__setattr__(
            self, "announced_filing_types", frozenset(FilingType(t) for t in self.announced_filing_types)
        )

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RegistryRules:
        """Build rules from a region's settings document; missing keys keep their defaults.

        Unknown keys are refused, so a misspelt setting is never silently ignored. Shape::

            {"filing_deadline_workdays": 7, "announcement_workdays": 15, "zombie_days": 90,
             "approval_levels": {"open": ["unit", "county", "city", "province"]},
             "approver_roles": {"unit": ["unit_admin", "approver"]},
             "announced_filing_types": ["open", "change", "merge", "deregister"]}
        """
        known = {
            "filing_deadline_workdays",
            "announcement_workdays",
            "zombie_days",
            "approval_levels",
            "approver_roles",
            "announced_filing_types",
        }
        unknown = sorted(set(settings) - known)
        if unknown:
            raise InvalidRules(f"unknown registry setting(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {
            k: settings[k]
            for k in ("filing_deadline_workdays", "announcement_workdays", "zombie_days")
            if k in settings
        }
        try:
            if "approval_levels" in settings:
                kwargs["approval_levels"] = {
                    FilingType(t): tuple(ApprovalLevel(level) for level in chain)
                    for t, chain in dict(settings["approval_levels"]).items()
                }
            if "approver_roles" in settings:
                kwargs["approver_roles"] = {
                    ApprovalLevel(level): frozenset(Role(r) for r in roles)
                    for level, roles in dict(settings["approver_roles"]).items()
                }
            if "announced_filing_types" in settings:
                kwargs["announced_filing_types"] = frozenset(
                    FilingType(t) for t in settings["announced_filing_types"]
                )
        except (ValueError, TypeError) as exc:
            raise InvalidRules(f"invalid registry setting: {exc}") from exc
        return cls(**kwargs)

    @classmethod
    def from_layers(cls, layers: Iterable[Mapping[str, Any]]) -> RegistryRules:
        """Build rules from the settings of a region path, province first: a lower region overrides.

        ``approval_levels`` and ``approver_roles`` merge per filing type or level, so a county that only
        changes who approves at the unit keeps the province's approval chains.
        """
        merged: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if key in ("approval_levels", "approver_roles") and isinstance(value, Mapping):
                    merged[key] = {**merged.get(key, {}), **value}
                else:
                    merged[key] = value
        return cls.from_settings(merged)

    def to_settings(self) -> dict[str, Any]:
        """The settings document that :meth:`from_settings` reads back into equal rules."""
        return {
            "filing_deadline_workdays": self.filing_deadline_workdays,
            "announcement_workdays": self.announcement_workdays,
            "zombie_days": self.zombie_days,
            "approval_levels": {
                str(t): [str(lv) for lv in chain] for t, chain in self.approval_levels.items()
            },
            "approver_roles": {
                str(lv): sorted(str(r) for r in roles) for lv, roles in self.approver_roles.items()
            },
            "announced_filing_types": sorted(str(t) for t in self.announced_filing_types),
        }

    def levels_for(self, filing_type: FilingType, region_code: str) -> tuple[ApprovalLevel, ...]:
        """The approval chain of a filing by a unit in ``region_code``.

        Levels with no office above the unit are skipped (a city-level unit has no county office; a
        district of a municipality has no city office). The competent office of the unit's own region
        decides when the configured chain would stop below it: that office is appended, since every filing
        is reported to the office of the unit's own level (向本级主管单位报备, seed 000). A chain that
        reaches past the unit's level is kept as configured.
        """
        chain = [lv for lv in self.approval_levels[filing_type] if office_region(region_code, lv) is not None]
        own = _OFFICE_LEVEL_OF_REGION[region_level(region_code)]
        if max((lv.rank for lv in chain), default=-1) < own.rank:
            chain.append(own)
        return tuple(chain)

    def is_announced(self, filing_type: FilingType) -> bool:
        """True when this kind of filing takes effect only after a public announcement."""
        return filing_type in self.announced_filing_types


def filing_deadline(event_date: date, calendar: WorkCalendar, days: int = 7) -> date:
    """The last day on which a filing about an event is on time: the ``days``-th working day after it.

    The event day itself is not counted (民法典 第二百零一条), so an event on Friday 26 September 2025
    must be filed by Monday 13 October 2025 (the National Day holiday and its swapped weekends in between).
    """
    deadline: date = calendar.add_workdays(event_date, days)
    return deadline


def announcement_ends_on(start: date, calendar: WorkCalendar, days: int = 15) -> date:
    """The last day of a public announcement published on ``start`` that must run ``days`` working days.

    ``start`` is not counted (the announcement runs from the next day); the announced change takes effect
    the day after the returned date.
    """
    last_day: date = calendar.add_workdays(start, days)
    return last_day


def is_cleanup_candidate(
    last_post_on: date | None, active_since: date, today: date, rules: RegistryRules
) -> bool:
    """True when an account has gone ``zombie_days`` calendar days without a post (僵尸/空壳 account)."""
    quiet_since = last_post_on or active_since
    return (today - quiet_since).days >= rules.zombie_days


# --------------------------------------------------------------------------------------------------------
# Filings approved level by level (逐级审核)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who performs a step: the fields of a verified principal that the rules need."""

    user_id: str
    roles: frozenset[Role]
    region_code: str
    unit_id: str | None = None


@dataclass(frozen=True)
class ApproverRequirement:
    """Who may decide a level: one of ``roles``, sitting in ``region_code`` (and ``unit_id`` for the unit)."""

    level: ApprovalLevel
    roles: frozenset[Role]
    region_code: str
    region_level: RegionLevel
    unit_id: str | None

    def admits(self, actor: Actor) -> bool:
        """True when ``actor`` may decide this level."""
        if not actor.roles & self.roles or actor.region_code != self.region_code:
            return False
        return self.unit_id is None or actor.unit_id == self.unit_id


class FilingAction(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # one level approved
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class FilingStep:
    """One entry of a filing's history; the history is never rewritten."""

    action: FilingAction
    actor_id: str
    at: datetime
    revision: int
    level: ApprovalLevel | None = None
    reason: str | None = None


@dataclass
class FilingFlow:
    """A filing (备案) travelling up its approval chain.

    Status: pending → (approve at each level) → approved; any level may return it for amendment
    (returned → resubmit → pending again) or reject it (terminal); the filer may withdraw it while it is
    pending or returned.

    A resubmitted filing starts again at the first level, not at the level that returned it: an amendment
    changes what the lower levels approved, and each level vouches for exactly the version it passes up
    (谁主办谁负责: the host unit answers for the amended text too). ``revision`` counts the versions.
    """

    filing_id: str
    filing_type: FilingType
    unit_id: str
    region_code: str
    filed_by: str
    levels: tuple[ApprovalLevel, ...]
    event_date: date
    filed_on: date
    deadline: date
    approver_roles: Mapping[ApprovalLevel, frozenset[Role]] = field(
        default_factory=lambda: DEFAULT_APPROVER_ROLES
    )
    status: FilingStatus = FilingStatus.PENDING
    current_index: int = 0
    revision: int = 1
    decided_on: date | None = None
    history: list[FilingStep] = field(default_factory=list)

    @classmethod
    def submit(
        cls,
        *,
        filing_id: str,
        filing_type: FilingType,
        unit_id: str,
        region_code: str,
        filed_by: str,
        event_date: date,
        filed_at: datetime,
        rules: RegistryRules,
        calendar: WorkCalendar,
    ) -> FilingFlow:
        """Open a filing; its chain and deadline are fixed now, so later rule changes don't reroute it.

        An event may lie in the future (a unit files before opening an account); a filing made after the
        deadline is accepted and flagged ``late``.
        """
        validate_region_code(region_code)
        filed_on = _local_day(filed_at)
        flow = cls(
            filing_id=filing_id,
            filing_type=filing_type,
            unit_id=unit_id,
            region_code=region_code,
            filed_by=filed_by,
            levels=rules.levels_for(filing_type, region_code),
            event_date=event_date,
            filed_on=filed_on,
            deadline=filing_deadline(event_date, calendar, rules.filing_deadline_workdays),
            approver_roles=rules.approver_roles,
        )
        flow.history.append(FilingStep(FilingAction.SUBMITTED, filed_by, filed_at, flow.revision))
        return flow

    @property
    def late(self) -> bool:
        """True when the filing was made after its deadline (accepted, but reported as late)."""
        return self.filed_on > self.deadline

    @property
    def current_level(self) -> ApprovalLevel | None:
        """The level the filing waits at; None unless it is pending."""
        return self.levels[self.current_index] if self.status is FilingStatus.PENDING else None

    @property
    def is_terminal(self) -> bool:
        return self.status in (FilingStatus.APPROVED, FilingStatus.REJECTED, FilingStatus.WITHDRAWN)

    def requirement(self, level: ApprovalLevel | None = None) -> ApproverRequirement:
        """Who may decide ``level`` (default: the current level) of this filing."""
        level = level or self.current_level
        if level is None or level not in self.levels:
            raise FilingNotOpen(f"filing {self.filing_id} waits at no level (status {self.status})")
        region = office_region(self.region_code, level)
        assert region is not None  # levels_for kept only levels that have an office
        return ApproverRequirement(
            level=level,
            roles=self.approver_roles[level],
            region_code=region,
            region_level=region_level(region),
            unit_id=self.unit_id if level is ApprovalLevel.UNIT else None,
        )

    def approve(self, level: ApprovalLevel, actor: Actor, *, at: datetime) -> FilingStatus:
        """Approve the current level; the filing moves up, or is approved when this was the last level."""
        self._check_decider(level, actor)
        self.history.append(FilingStep(FilingAction.APPROVED, actor.user_id, at, self.revision, level))
        if self.current_index + 1 < len(self.levels):
            self.current_index += 1
        else:
            self.status = FilingStatus.APPROVED
            self.decided_on = _local_day(at)
        return self.status

    def return_for_amendment(self, level: ApprovalLevel, actor: Actor, reason: str, *, at: datetime) -> None:
        """Send the filing back to the filer for amendment (退回修改), with the reason."""
        self._check_decider(level, actor)
        reason = _require_reason(reason)
        self.status = FilingStatus.RETURNED
        self.history.append(
            FilingStep(FilingAction.RETURNED, actor.user_id, at, self.revision, level, reason)
        )

    def resubmit(self, actor: Actor, *, at: datetime) -> None:
        """The filer sends the amended filing again; it restarts at the first level as a new revision."""
        self._check_filer(actor)
        if self.status is not FilingStatus.RETURNED:
            raise FilingNotOpen(
                f"only a returned filing can be resubmitted; filing {self.filing_id} is {self.status}"
            )
        self.status = FilingStatus.PENDING
        self.current_index = 0
        self.revision += 1
        self.history.append(FilingStep(FilingAction.RESUBMITTED, actor.user_id, at, self.revision))

    def reject(self, level: ApprovalLevel, actor: Actor, reason: str, *, at: datetime) -> None:
        """Refuse the filing for good (terminal)."""
        self._check_decider(level, actor)
        reason = _require_reason(reason)
        self.status = FilingStatus.REJECTED
        self.decided_on = _local_day(at)
        self.history.append(
            FilingStep(FilingAction.REJECTED, actor.user_id, at, self.revision, level, reason)
        )

    def withdraw(self, actor: Actor, *, at: datetime, reason: str | None = None) -> None:
        """The filer takes the filing back while it is pending or returned (terminal)."""
        self._check_filer(actor)
        if self.is_terminal:
            raise FilingNotOpen(f"filing {self.filing_id} is already {self.status}")
        level = self.current_level
        self.status = FilingStatus.WITHDRAWN
        self.decided_on = _local_day(at)
        self.history.append(
            FilingStep(FilingAction.WITHDRAWN, actor.user_id, at, self.revision, level, reason)
        )

    def _check_decider(self, level: ApprovalLevel, actor: Actor) -> None:
        if self.status is not FilingStatus.PENDING:
            raise FilingNotOpen(f"filing {self.filing_id} is {self.status}; there is nothing to decide")
        current = self.levels[self.current_index]
        if level is not current:
            raise WrongApprovalLevel(
                f"filing {self.filing_id} waits at the {current} level, not the {level} level"
            )
        requirement = self.requirement(current)
        if not requirement.admits(actor):
            where = (
                f"unit {requirement.unit_id}" if requirement.unit_id else f"region {requirement.region_code}"
            )
            raise ApproverNotAuthorised(
                f"the {current} level of filing {self.filing_id} is decided by "
                f"{' or '.join(sorted(requirement.roles))} of {where}"
            )
        # Four eyes: whoever filed may not also decide it, and nobody decides two levels of one version
        # (possible when the host unit is itself the competent office, e.g. the county office's own account).
        if actor.user_id == self.filed_by:
            raise SelfApproval(f"{actor.user_id} filed {self.filing_id} and cannot also decide it")
        if any(
            step.action is FilingAction.APPROVED
            and step.actor_id == actor.user_id
            and step.revision == self.revision
            for step in self.history
        ):
            raise ApproverAlreadyDecided(
                f"{actor.user_id} already approved a level of {self.filing_id}; someone else decides this one"
            )

    def _check_filer(self, actor: Actor) -> None:
        if actor.user_id != self.filed_by:
            raise NotTheFiler(f"only the filer of {self.filing_id} can resubmit or withdraw it")


def _local_day(at: datetime) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("timestamps must be timezone-aware (take them from the injected clock)")
    return at.astimezone(SHANGHAI).date()


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("a reason is required to return or reject a filing")
    return reason


# --------------------------------------------------------------------------------------------------------
# Account life cycle
# --------------------------------------------------------------------------------------------------------


class MergeSide(StrEnum):
    """In a merge filing, the accounts that disappear (sources) and the one that absorbs them (target)."""

    SOURCE = "source"
    TARGET = "target"


_LIVE = frozenset({AccountStatus.ACTIVE, AccountStatus.SUSPENDED})
ALLOWED_FROM: Mapping[FilingType, frozenset[AccountStatus]] = MappingProxyType(
    {
        FilingType.OPEN: frozenset({AccountStatus.PENDING}),
        FilingType.CHANGE: _LIVE,
        FilingType.MERGE: _LIVE,  # sources; the target must be active
        FilingType.SUSPEND: frozenset({AccountStatus.ACTIVE}),
        FilingType.DEREGISTER: _LIVE,
    }
)
MERGE_TARGET_ALLOWED_FROM = frozenset({AccountStatus.ACTIVE})
# Status once the filing has taken effect; None keeps the status (a change edits fields, a target stays).
_EFFECT: Mapping[FilingType, AccountStatus | None] = MappingProxyType(
    {
        FilingType.OPEN: AccountStatus.ACTIVE,
        FilingType.CHANGE: None,
        FilingType.MERGE: AccountStatus.MERGED,
        FilingType.SUSPEND: AccountStatus.SUSPENDED,
        FilingType.DEREGISTER: AccountStatus.DEREGISTERED,
    }
)


@dataclass(frozen=True)
class AccountState:
    """What the life-cycle rules need to know about an account."""

    status: AccountStatus
    open_filing_id: str | None = None  # a filing about the account that is still undecided
    stop_notice_on: date | None = None  # date of the 停更公告 on record


@dataclass(frozen=True)
class ApprovalOutcome:
    """What an approved filing does to one account."""

    status: AccountStatus  # the status right after approval
    announcement_ends_on: date | None  # last day of the public announcement, if one runs
    takes_effect_on: date  # the day the filing's effect applies (fields changed, status final)
    final_status: AccountStatus  # the status once the effect applies


def check_filing_allowed(
    filing_type: FilingType,
    account: AccountState,
    *,
    on: date,
    side: MergeSide = MergeSide.SOURCE,
) -> None:
    """Raise unless a filing of ``filing_type`` may be made about ``account`` on day ``on``."""
    if account.open_filing_id is not None:
        raise FilingInProgress(f"filing {account.open_filing_id} about this account is still undecided")
    allowed = (
        MERGE_TARGET_ALLOWED_FROM
        if filing_type is FilingType.MERGE and side is MergeSide.TARGET
        else ALLOWED_FROM[filing_type]
    )
    if account.status not in allowed:
        raise FilingNotAllowed(
            f"a {filing_type} filing is not possible for an account that is {account.status} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    if filing_type is FilingType.DEREGISTER and (
        account.stop_notice_on is None or account.stop_notice_on > on
    ):
        raise StopNoticeRequired("deregistering needs a stop-update notice (停更公告) published beforehand")


def approval_outcome(
    filing_type: FilingType,
    current: AccountStatus,
    *,
    approved_on: date,
    rules: RegistryRules,
    calendar: WorkCalendar,
    side: MergeSide = MergeSide.SOURCE,
) -> ApprovalOutcome:
    """Apply an approved filing to an account: the announcement (if any), then the effect.

    open: pending → announcing → active; change: status kept, fields applied when the announcement ends;
    suspend: active → suspended at approval; deregister: active|suspended → announcing → deregistered;
    merge: each source → announcing → merged, the target stays active. The announcement is taken to be
    published on the approval day.
    """
    target = filing_type is FilingType.MERGE and side is MergeSide.TARGET
    allowed = MERGE_TARGET_ALLOWED_FROM if target else ALLOWED_FROM[filing_type]
    if current not in allowed:
        raise IllegalTransition(
            f"an approved {filing_type} filing cannot apply to an account that is {current}"
        )
    effect = None if target else _EFFECT[filing_type]
    final = effect or current
    if not rules.is_announced(filing_type):
        return ApprovalOutcome(final, None, approved_on, final)
    ends = announcement_ends_on(approved_on, calendar, rules.announcement_workdays)
    during = AccountStatus.ANNOUNCING if effect is not None else current
    return ApprovalOutcome(during, ends, ends + timedelta(days=1), final)


def status_after_announcement(
    filing_type: FilingType, current: AccountStatus, *, side: MergeSide = MergeSide.SOURCE
) -> AccountStatus:
    """The status once the announcement of an approved filing has run its course."""
    effect = None if filing_type is FilingType.MERGE and side is MergeSide.TARGET else _EFFECT[filing_type]
    if effect is None:
        return current
    if current is not AccountStatus.ANNOUNCING:
        raise IllegalTransition(f"the {filing_type} announcement has not started: the account is {current}")
    return effect


def status_on_refusal(filing_type: FilingType, current: AccountStatus) -> AccountStatus:
    """The status after a filing is rejected or withdrawn: an account never opened is rejected."""
    if filing_type is FilingType.OPEN:
        if current is not AccountStatus.PENDING:
            raise IllegalTransition(f"an open filing concerns a pending account, not a {current} one")
        return AccountStatus.REJECTED
    return current


# --------------------------------------------------------------------------------------------------------
# Naming rules (命名规范, seed 000)
# --------------------------------------------------------------------------------------------------------


class NamingRule(StrEnum):
    R1_REGION = "R1"  # contains the name of a county-level-or-above region
    R2_DUTIES = "R2"  # relates to the host unit's duties
    R3_SAME_NAME = "R3"  # the same unit uses the same name on every platform
    R4_ONE_PER_PLATFORM = "R4"  # one account per unit per platform
    R5_PERSONAL = "R5"  # no account in a person's name
    R6_CAMPAIGN = "R6"  # no account opened for one campaign


@dataclass(frozen=True)
class NamingViolation:
    """One broken naming rule, explained in Chinese and English."""

    rule: NamingRule
    message_zh: str
    message_en: str

    @property
    def code(self) -> str:
        return f"naming-{self.rule.value.lower()}"


@dataclass(frozen=True)
class UnitInfo:
    """The host unit as the naming rules see it. ``short_name`` is without the region (e.g. 市场监管局)."""

    name: str
    short_name: str
    region_code: str
    duty_keywords: tuple[str, ...] = ()
    kind: UnitKind = UnitKind.HOST_UNIT


@dataclass(frozen=True)
class ExistingAccount:
    """Another account of the same unit."""

    platform: Platform
    name: str
    status: AccountStatus
    account_id: str | None = None


_PLATFORM_ZH = {
    Platform.WECHAT: "微信",
    Platform.WEIBO: "微博",
    Platform.DOUYIN: "抖音",
    Platform.TOUTIAO: "今日头条",
    Platform.KUAISHOU: "快手",
    Platform.BILIBILI: "哔哩哔哩",
    Platform.APP: "移动客户端",
    Platform.MINIPROGRAM: "小程序",
    Platform.OTHER: "其他平台",
}
_STATUS_ZH = {
    AccountStatus.PENDING: "开设审核中",
    AccountStatus.ANNOUNCING: "公告中",
    AccountStatus.ACTIVE: "运营中",
    AccountStatus.SUSPENDED: "已关停",
    AccountStatus.DEREGISTERED: "已注销",
    AccountStatus.MERGED: "已整合",
    AccountStatus.REJECTED: "未获批准",
}

# Accounts that still carry the unit's name on a platform. A suspended account counts: it is still there
# (关停 is not 注销), so a second one on the same platform needs the first deregistered or merged.
_OCCUPYING = frozenset(
    {AccountStatus.PENDING, AccountStatus.ANNOUNCING, AccountStatus.ACTIVE, AccountStatus.SUSPENDED}
)

DEFAULT_CAMPAIGN_MARKERS: tuple[str, ...] = (
    "活动",
    "专项",
    "大赛",
    "竞赛",
    "比赛",
    "晚会",
    "庆典",
    "博览会",
    "运动会",
    "组委会",
    "倒计时",
)
# A year in a name ties the account to a dated event ("2026…"); digits around it rule out hotlines (12345).
_YEAR = re.compile(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
# 节 as a festival: at the end of the name or followed by an event word. Words that merely end in 节 (调节,
# 环节 …) are not festivals; 节能/节水 don't match because 节 is not last there.
_FESTIVAL = re.compile(r"[\u4e00-\u9fff]节(?:$|活动|晚会|组委会|官方)")
_NOT_FESTIVAL = ("调节", "环节", "季节", "关节", "章节", "细节", "礼节", "气节", "时节", "音节", "情节")

_TITLES: tuple[str, ...] = (
    "书记",
    "局长",
    "县长",
    "区长",
    "市长",
    "省长",
    "州长",
    "旗长",
    "镇长",
    "乡长",
    "主任",
    "厅长",
    "部长",
    "处长",
    "科长",
    "所长",
    "院长",
    "校长",
    "队长",
    "站长",
    "主席",
    "行长",
    "社长",
    "馆长",
    "台长",
)
_TITLE = "|".join(_TITLES)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘"
    "池查麻苑迟邝"
)
_COMPOUND_SURNAMES = (
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|轩辕|端木|独孤|南宫|西门"
)
# Characters that end organisation words (管委会, 办公室, 服务中心 …): a "given name" with one is no name.
_ORGANISATION_CHARS = "会委局办室部厅处科所院站队区县市省镇乡村街道心组司厂校馆团社台府政务署"
_PERSON = rf"(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])[^\W\d_{_ORGANISATION_CHARS}|]{{0,2}}"
_FAMILIAR = rf"[老小](?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])"
_PERSON_WITH_TITLE = re.compile(rf"{_PERSON}(?:{_TITLE})")
_PERSONAL_VOICE = re.compile(rf"(?:{_PERSON}|{_FAMILIAR}|{_TITLE})(?:说|谈|讲|聊)(?:事|话|吧)?$")
_PERSONAL_STUDIO = re.compile(rf"(?:(?:{_PERSON}|{_FAMILIAR})工作室|的工作室)")


def _normalise(text: str) -> str:
    # NFKC folds full-width letters and digits (ＡＢ１２) into plain ones; spaces never matter in a name.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def check_account_name(
    name: str,
    *,
    unit: UnitInfo,
    region_names_in_scope: Iterable[str],
    existing_accounts_of_unit: Iterable[ExistingAccount],
    platform: Platform,
    person_names: Iterable[str] = (),
    campaign_markers: Sequence[str] = DEFAULT_CAMPAIGN_MARKERS,
    renaming_account_id: str | None = None,
) -> list[NamingViolation]:
    """Check a proposed account name against the naming rules R1–R6; an empty list means it complies.

    ``region_names_in_scope``: official names of the regions the name may refer to, normally those on the
    unit's region path (浙江省, 台州市, 路桥区), so a Luqiao unit cannot name its account after Jiaojiang.
    ``renaming_account_id``: when an existing account is renamed (a change filing), that account is not
    compared with itself.
    """
    proposed = _normalise(name)
    regions = list(dict.fromkeys(n for n in map(_normalise, region_names_in_scope) if n))
    others = [
        a
        for a in existing_accounts_of_unit
        if renaming_account_id is None or a.account_id != renaming_account_id
    ]
    violations = [
        _check_region(proposed, regions),
        _check_duties(proposed, unit),
        _check_same_name(proposed, platform, others),
        _check_one_per_platform(platform, others),
        _check_personal(proposed, unit, regions, person_names),
        _check_campaign(proposed, campaign_markers),
    ]
    return [v for v in violations if v is not None]


def _short_forms(regions: Sequence[str]) -> dict[str, str]:
    """Short form → full name, keeping only short forms that point at exactly one region in scope."""
    owners: dict[str, set[str]] = {}
    for full in regions:
        short = region_short_name(full)
        if short is not None:
            owners.setdefault(short, set()).add(full)
    return {short: next(iter(fulls)) for short, fulls in owners.items() if len(fulls) == 1}


def _check_region(proposed: str, regions: Sequence[str]) -> NamingViolation | None:
    if any(full in proposed for full in regions):
        return None
    if any(short in proposed for short in _short_forms(regions)):
        return None
    examples = "、".join(regions[:3]) or "本地行政区域"
    return NamingViolation(
        NamingRule.R1_REGION,
        f"名称须体现县级以上行政区域名称(如{examples},或其无歧义的简称)。",
        "The name must contain the name of a county-level or higher region, in full or as an unambiguous "
        f"short form (e.g. {examples}).",
    )


_UNIT_SUFFIXES = ("委员会", "办公室", "分局", "中心", "局", "委", "办", "厅", "所", "站", "院", "处", "队")


def _duty_words(unit: UnitInfo) -> list[str]:
    words = [_normalise(unit.name), _normalise(unit.short_name), *(_normalise(k) for k in unit.duty_keywords)]
    short = _normalise(unit.short_name)
    for suffix in _UNIT_SUFFIXES:
        if short.endswith(suffix) and len(short) - len(suffix) >= 2:
            words.append(short[: -len(suffix)])  # 人社局 → 人社, 市场监管局 → 市场监管
            break
    return [w for w in words if len(w) >= 2]


def _check_duties(proposed: str, unit: UnitInfo) -> NamingViolation | None:
    if any(word in proposed for word in _duty_words(unit)):
        return None
    hint = "、".join(_duty_words(unit)[1:4]) or unit.short_name
    return NamingViolation(
        NamingRule.R2_DUTIES,
        f"名称须与主办单位“{unit.name}”的工作职责相关(如包含{hint})。",
        f"The name must relate to the duties of the host unit {unit.name} (e.g. contain {hint}).",
    )


def _check_same_name(
    proposed: str, platform: Platform, others: Sequence[ExistingAccount]
) -> NamingViolation | None:
    names = sorted(
        {_normalise(a.name) for a in others if a.platform is not platform and a.status in _OCCUPYING}
        - {proposed}
    )
    if not names:
        return None
    listed = "、".join(f"“{n}”" for n in names)
    return NamingViolation(
        NamingRule.R3_SAME_NAME,
        f"同一单位在不同平台开设的账号名称应保持一致:本单位其他平台账号名为{listed}。",
        f"A unit uses the same name on every platform; its accounts on other platforms are named {listed}.",
    )


def _check_one_per_platform(platform: Platform, others: Sequence[ExistingAccount]) -> NamingViolation | None:
    taken = [a for a in others if a.platform is platform and a.status in _OCCUPYING]
    if not taken:
        return None
    holder = taken[0]
    return NamingViolation(
        NamingRule.R4_ONE_PER_PLATFORM,
        f"同一单位在同一平台只能开设一个账号:本单位已有{_PLATFORM_ZH[platform]}账号“{holder.name}”"
        f"({_STATUS_ZH[holder.status]})。",
        f"One account per unit per platform: the unit already has the {platform} account "
        f"{holder.name} ({holder.status}).",
    )


def _mask(text: str, words: Iterable[str]) -> str:
    # Region and duty words are taken out before looking for personal names, so the 路 of 路桥 or the 安 of
    # 公安 is not read as a surname; a bar keeps the pieces around them from joining into a new word.
    for word in sorted({w for w in words if len(w) >= 2}, key=len, reverse=True):
        text = text.replace(word, "|")
    return text


def _check_personal(
    proposed: str, unit: UnitInfo, regions: Sequence[str], person_names: Iterable[str]
) -> NamingViolation | None:
    found = next((p for p in map(_normalise, person_names) if len(p) >= 2 and p in proposed), None)
    if found is None:
        masked = _mask(proposed, [*regions, *_short_forms(regions), *_duty_words(unit)])
        for pattern in (_PERSON_WITH_TITLE, _PERSONAL_VOICE, _PERSONAL_STUDIO):
            if match := pattern.search(masked):
                found = match.group(0)
                break
    if found is None:
        return None
    return NamingViolation(
        NamingRule.R5_PERSONAL,
        f"不得以个人名义开设政务新媒体:名称中的“{found}”指向个人。",
        f"No account may be opened in a person's name: “{found}” in the name refers to a person.",
    )


def _check_campaign(proposed: str, markers: Sequence[str]) -> NamingViolation | None:
    hits = [m for m in markers if m and _normalise(m) in proposed]
    hits += [m.group(0) for m in _YEAR.finditer(proposed)]
    if any(proposed[m.start() : m.start() + 2] not in _NOT_FESTIVAL for m in _FESTIVAL.finditer(proposed)):
        hits.append("…节")
    if not hits:
        return None
    listed = "、".join(f"“{h}”" for h in dict.fromkeys(hits))
    return NamingViolation(
        NamingRule.R6_CAMPAIGN,
        f"不得为专项活动或专项工作单独开设政务新媒体:名称含{listed}。",
        f"No account may be opened just for one campaign or event: the name contains {listed}.",
    )

"""The region tree: GB/T 2260 six-digit codes (PPCCDD), levels, parents, official and short names.

Plain Python, no I/O. Which office decides which approval level of a unit's filing also follows from the
code, so :func:`office_region` lives here.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import opencc

from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.events import ApprovalLevel, RegionSettingsChanged
from govmedia_common.events.recorder import RecordsEvents


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


# A step of 逐级审核, bottom-up: the host unit, then the competent offices of county, city, province.
LEVEL_RANK = {
    ApprovalLevel.UNIT: 0,
    ApprovalLevel.COUNTY: 1,
    ApprovalLevel.CITY: 2,
    ApprovalLevel.PROVINCE: 3,
}
OFFICE_LEVEL_OF_REGION = {
    RegionLevel.COUNTY: ApprovalLevel.COUNTY,
    RegionLevel.CITY: ApprovalLevel.CITY,
    RegionLevel.PROVINCE: ApprovalLevel.PROVINCE,
}


class InvalidRegionCode(DomainError, ValueError):
    kind = ErrorKind.UNPROCESSABLE
    code = "invalid-region-code"


def normalise(text: str) -> str:
    """How names are compared (never how they are stored): NFKC (full-width letters and digits → plain
    ones, compatibility ideographs → unified ones), whitespace left out, and traditional characters read as
    simplified ones (OpenCC t2s: 臺州 is 台州, 路橋 is 路桥)."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    return _simplified().convert(folded) if folded else folded


@functools.cache
def _simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


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
    name = normalise(full_name)
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


@dataclass
class RegionSettingsDocument(RecordsEvents):
    """A region's own settings (sections per service; absent keys inherit) and their version."""

    region_code: str
    settings: dict[str, Any] = field(default_factory=dict)
    version: int = 0  # 0: nothing set at this region yet
    updated_by: str | None = None

    def replace(self, settings: dict[str, Any], *, actor_id: str, at: datetime) -> tuple[str, ...]:
        """Set the region's own settings; records RegionSettingsChanged naming the keys that changed."""
        before = self.settings
        changed = tuple(sorted({k for k in set(before) | set(settings) if before.get(k) != settings.get(k)}))
        self.settings = copy.deepcopy(settings)
        self.version += 1
        self.updated_by = actor_id
        self.record(
            RegionSettingsChanged(
                occurred_at=at,
                region_code=self.region_code,
                settings=self.settings,
                changed_keys=changed,
                version=self.version,
                actor_id=actor_id,
            )
        )
        return changed

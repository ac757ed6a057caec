"""Account naming rules (命名规范, seed 000): R1 region, R2 duties, R3 same name, R4 one per platform,
R5 no personal accounts, R6 no campaign accounts. Plain Python, no I/O.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from govmedia_common.events import AccountStatus, Platform
from govmedia_registry.regions.domain import normalise as _normalise
from govmedia_registry.regions.domain import region_short_name
from govmedia_registry.units.domain import UnitKind


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


# Generic words of government information release (政务信息发布): "<region>发布", "<region>之声" … relate to
# the duties of a unit that publishes government information. Defaults of the registry setting
# ``naming_release_words``; a region changes them for itself and the regions below it.
DEFAULT_RELEASE_WORDS: tuple[str, ...] = (
    "发布",
    "政务",
    "在线",
    "之声",
    "微政务",
    "微发布",
    "政务发布",
    "权威发布",
)
# Duty keywords that make a unit one that publishes government information (setting
# ``naming_release_duties``). A competent office (the government's general office, 主管单位) always is one:
# it runs the government's information release and open-government work.
DEFAULT_RELEASE_DUTIES: tuple[str, ...] = ("信息发布", "新闻发布", "政务公开", "政府信息公开", "发布")


def publishes_information(unit: UnitInfo, release_duties: Sequence[str] = DEFAULT_RELEASE_DUTIES) -> bool:
    """Whether the unit's duties include publishing government information."""
    if unit.kind is UnitKind.COMPETENT_OFFICE:
        return True
    duties = [_normalise(k) for k in unit.duty_keywords]
    return any(_normalise(d) in k for d in release_duties if d for k in duties)


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
    release_words: Sequence[str] = DEFAULT_RELEASE_WORDS,
    release_duties: Sequence[str] = DEFAULT_RELEASE_DUTIES,
) -> list[NamingViolation]:
    """Check a proposed account name against the naming rules R1–R6; an empty list means it complies.

    ``region_names_in_scope``: official names of the regions the name may refer to, normally those on the
    unit's region path (浙江省, 台州市, 路桥区), so a Luqiao unit cannot name its account after Jiaojiang.
    ``person_names``: names of registered people (and the unit's heads); none may appear in the name.
    ``renaming_account_id``: when an existing account is renamed (a change filing), that account is not
    compared with itself. ``release_words``/``release_duties``: see :data:`DEFAULT_RELEASE_WORDS`.
    """
    proposed = _normalise(name)
    regions = list(dict.fromkeys(n for n in map(_normalise, region_names_in_scope) if n))
    others = [
        a
        for a in existing_accounts_of_unit
        if renaming_account_id is None or a.account_id != renaming_account_id
    ]
    generic = tuple(release_words) if publishes_information(unit, release_duties) else ()
    violations = [
        _check_region(proposed, regions),
        _check_duties(proposed, unit, generic),
        _check_same_name(proposed, platform, others),
        _check_one_per_platform(platform, others),
        _check_personal(proposed, unit, regions, person_names, generic),
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


def _check_duties(proposed: str, unit: UnitInfo, release_words: Sequence[str]) -> NamingViolation | None:
    generic = [w for w in map(_normalise, release_words) if w]
    if any(word in proposed for word in [*_duty_words(unit), *generic]):
        return None
    hint = "、".join(_duty_words(unit)[1:4]) or unit.short_name
    release_zh = "" if generic else ";“发布”“政务”等通用发布用语仅适用于职责包含信息发布的单位"
    release_en = (
        ""
        if generic
        else "; generic release words (发布, 政务 …) apply only to units whose duties include publishing "
        "government information"
    )
    return NamingViolation(
        NamingRule.R2_DUTIES,
        f"名称须与主办单位“{unit.name}”的工作职责相关(如包含{hint}){release_zh}。",
        f"The name must relate to the duties of the host unit {unit.name} (e.g. contain {hint}){release_en}.",
    )


def _check_same_name(
    proposed: str, platform: Platform, others: Sequence[ExistingAccount]
) -> NamingViolation | None:
    # named as written (路橋 人社), compared as read (路桥人社)
    names = sorted(
        {
            a.name
            for a in others
            if a.platform is not platform and a.status in _OCCUPYING and _normalise(a.name) != proposed
        }
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
    proposed: str,
    unit: UnitInfo,
    regions: Sequence[str],
    person_names: Iterable[str],
    release_words: Sequence[str] = (),
) -> NamingViolation | None:
    found = next((p for p in map(_normalise, person_names) if len(p) >= 2 and p in proposed), None)
    if found is None:
        masked = _mask(proposed, [*regions, *_short_forms(regions), *_duty_words(unit), *release_words])
        for pattern in (_PERSON_WITH_TITLE, _PERSONAL_VOICE, _PERSONAL_STUDIO):
            if match := pattern.search(masked):
                found = match.group(0)
                break
        if found is None:
            found = _tagged_person_name(masked)
    if found is None:
        return None
    return NamingViolation(
        NamingRule.R5_PERSONAL,
        f"不得以个人名义开设政务新媒体:名称中的“{found}”指向个人。",
        f"No account may be opened in a person's name: “{found}” in the name refers to a person.",
    )


def _tagged_person_name(masked: str) -> str | None:
    """A person's name (jieba part of speech ``nr``) in what remains of the name once the region, duty and
    release words are taken out; those would otherwise be misread (黄岩 is tagged as a name)."""
    for piece in masked.split("|"):
        if len(piece) < 2:
            continue
        for token in _posseg().lcut(piece):
            if token.flag == "nr" and len(token.word) >= 2:
                return str(token.word)
    return None


@functools.cache
def _posseg() -> Any:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)  # jieba logs its dictionary loading at INFO
    return jieba.posseg


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

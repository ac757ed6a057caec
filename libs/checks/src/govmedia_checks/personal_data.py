"""Unmasked personal numbers (两秘密一隐私): resident ID numbers, mainland mobile numbers, bank cards.

Numbers are read from the folded view (full-width digits already half-width) as *chunks*: digit groups
joined by up to three separator characters (spaces, hyphens, zero-width characters). A chunk is judged
whole first, then as runs of consecutive groups, so "0576-88123456 13812345678" still yields the mobile
while the landline is left alone. Groups are never split, so a mobile number buried in a longer code is not
reported. Masked numbers ("138****5678") break into short chunks at the asterisks and never qualify.

A number written as a quantity is an amount, not an identifier, whatever its digits: one with a decimal part
("13812345678.5元"), one that is itself the decimal part of another ("3.13812345678"), one followed by a unit
of money, measure or count ("13812345678元", "…万元", "…吨", "…%", "…人次") or preceded by a
currency sign or name ("￥", "$", "人民币", "RMB"). A unit must be one: 元 of 元旦 or 元宵 after a
mobile number is the next word.
A number after the name of a sum (金额, 余额, 合计, 累计 …) is an amount too; the number of a record
after its name (订单编号, 快递单号, 流水号, 批号, 股票代码, 条码, 案号) is no person's either; a 手机号,
账号 or 微信号 is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, Severity
from govmedia_checks.normalize import COMBINING_MARKS, INVISIBLE_CHARS, NormalizedText

__all__ = [
    "NumberKind",
    "find_personal_numbers",
    "id_check_char",
    "is_resident_id",
    "luhn_valid",
    "mask",
]

# What may split a number: spaces, hyphens and dashes, invisible characters and combining marks, and dots
# and middle dots (138.1234.5678, 138·1234·5678), which decimals, IP addresses and versions use too: a number
# read across a dot must be grouped as the number is written (see `_classify`).
_DOTS = "\\.\u00b7\u2022\u2027\u2219\u22c5\u30fb"
_SEP = f"[ \t\u00a0\u2000-\u200a\u2010-\u2015\u202f\u2212{INVISIBLE_CHARS}{COMBINING_MARKS}{_DOTS}-]"
_DOT_RE = re.compile(f"[{_DOTS}]")
# A chunk starts and ends on a digit (or the X of an ID) and is not glued to letters or further digits.
# At least 11 digits: shorter chunks (dates, amounts, hotlines) can hold none of the numbers sought.
_CHUNK_RE = re.compile(rf"(?<![0-9a-z])[0-9](?:{_SEP}{{0,3}}[0-9]){{10,}}(?:{_SEP}{{0,3}}x)?(?![0-9a-z])")
_GROUP_RE = re.compile("[0-9x]+")
# Chinese numerals as a number is read out digit by digit (一三八…, 幺 for 1, the financial 壹贰叁…): a run of
# eleven or more of them and of digits is read as digits, so "一三八一二三四五六七八" is a mobile number while
# 二〇二六年 or 一千三百八十一万 (numerals with units) are not.
_CHINESE_DIGITS = "〇零一二三四五六七八九幺壹贰叁肆伍陆柒捌玖"
_CHINESE_TO_ASCII = str.maketrans(_CHINESE_DIGITS, "001234567891123456789")
_ANY_DIGIT = f"[0-9{_CHINESE_DIGITS}]"
_CHINESE_RUN_RE = re.compile(f"{_ANY_DIGIT}(?:{_SEP}{{0,3}}{_ANY_DIGIT}){{10,}}")
_CHINESE_DIGIT_RE = re.compile(f"[{_CHINESE_DIGITS}]")


def _digits_view(folded: str) -> str:
    """``folded`` with runs of eleven or more Chinese numerals and digits as ASCII digits (same length)."""
    if _CHINESE_DIGIT_RE.search(folded) is None:
        return folded
    pieces: list[str] = []
    at = 0
    for m in _CHINESE_RUN_RE.finditer(folded):
        pieces.append(folded[at : m.start()])
        pieces.append(m.group().translate(_CHINESE_TO_ASCII))
        at = m.end()
    pieces.append(folded[at:])
    return "".join(pieces)


# What makes a number an amount (read on the folded view, digits already ASCII): a decimal part or a unit
# right after it (spaces allowed), a currency sign or name, or a decimal point and digit, right before it.
_AMOUNT_AFTER_RE = re.compile(
    "[ \t\u00a0]*(?:[.\u00b7][0-9]|[%\u2030]|元(?![旦宵素年月首老])|圆|块|角|"
    "[万亿](?:[元人户吨股份个台辆次]|[^\u4e00-\u9fff]|$)|千元|百元|美元|欧元|港元|日元|英镑|"
    "吨|公斤|千克|斤|公里|千米|平方|立方|亩|公顷|升|千瓦|度电|"
    # counts: a number of visits, people served, households, cases (次日 is the next day)
    "次(?![日月年])|人次|户|件|篇)"
)
_AMOUNT_BEFORE_RE = re.compile(
    "(?:[$\u00a3\u00a5\u20ac\uffe5]|人民币|rmb|usd|[0-9][.\u00b7]"
    # the number of a record, not of a person: an order, waybill, serial, batch, stock, case number
    "|编号|单号|流水号|批号|文号|序号|代码|条码|案号"
    # a sum named before it: 金额, 总额, 余额, 合计, 共计, 总计, 累计
    "|金额|总额|余额|合计|共计|总计|累计)[ \t\u00a0:]*$"
)
_AMOUNT_CONTEXT = 8  # characters before a number read for a currency sign or a record's name


def _is_amount(view: str, start: int, end: int) -> bool:
    """True if ``view[start:end]`` (a number found by `_scan`) is written as a quantity (see above)."""
    if _AMOUNT_AFTER_RE.match(view, end) is not None:
        return True
    return _AMOUNT_BEFORE_RE.search(view, max(0, start - _AMOUNT_CONTEXT), start) is not None


_SHORTEST = 11  # digits of the shortest number sought (a mobile): shorter joins of groups are not tried
_MOBILE_RE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# First two digits of GB/T 2260 province-level codes (plus 71/81/82 for Taiwan, Hong Kong, Macao and 83
# for residence permits of Taiwan residents).
_ID_PROVINCES = frozenset(
    [
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    ]
)
# ISO/IEC 7812 major industry identifiers of payment cards; a Luhn pass alone is one number in ten.
_CARD_FIRST_DIGITS = frozenset("3456")


class NumberKind(StrEnum):
    """Kinds of personal number the detector reports."""

    RESIDENT_ID = "id_card"
    MOBILE = "mobile"
    BANK_CARD = "bank_card"


_MESSAGES: dict[NumberKind, str] = {
    NumberKind.RESIDENT_ID: "未脱敏的居民身份证号码 / unmasked resident ID number",
    NumberKind.MOBILE: "未脱敏的手机号码 / unmasked mobile number",
    NumberKind.BANK_CARD: "未脱敏的银行卡号 / unmasked bank card number",
}


def id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _id_shaped(number: str) -> bool:
    """Region and birth date plausible (the check digit is not examined)."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789Xx":
        return False
    if int(number[:2]) not in _ID_PROVINCES:
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_resident_id(number: str) -> bool:
    """18-character resident ID number with plausible region and birth date and a valid check character."""
    return _id_shaped(number) and id_check_char(number[:17]) == number[17].upper()


def luhn_valid(number: str) -> bool:
    """Luhn (mod 10) checksum of a digit string."""
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask(kind: NumberKind, number: str) -> str:
    """The masked form to publish instead, e.g. ``138****5678``."""
    if kind is NumberKind.RESIDENT_ID:
        return f"{number[:6]}{'*' * 8}{number[-4:].upper()}"
    if kind is NumberKind.MOBILE:
        core = number[-11:]
        return f"{core[:3]}****{core[-4:]}"
    stars = " ".join(["****"] * ((len(number) - 8 + 3) // 4))
    return f"{number[:4]} {stars} {number[-4:]}"


def _classify(number: str, group_lengths: list[int], dotted: bool = False) -> NumberKind | None:
    if _MOBILE_RE.fullmatch(number):
        # Across dots only as a mobile is grouped (3-4-4, after a country code): 139.224.105.12 is an address.
        if not dotted or (group_lengths[-3:] == [3, 4, 4] and len(group_lengths) <= 4):
            return NumberKind.MOBILE
        return None
    if _id_shaped(number):
        # A number shaped like an ID is judged as one only: with a wrong check digit it is a typo'd ID or
        # an unrelated code, not a bank card that happens to pass Luhn.
        if dotted and group_lengths != [6, 8, 4]:
            return None
        return NumberKind.RESIDENT_ID if is_resident_id(number) else None
    if (
        16 <= len(number) <= 19
        and number[0] in _CARD_FIRST_DIGITS
        # Cards are written whole or in fours; other groupings are separate numbers side by side.
        and (len(group_lengths) == 1 or all(n == 4 for n in group_lengths[:-1]))
        and luhn_valid(number)
    ):
        return NumberKind.BANK_CARD
    return None


@dataclass(frozen=True, slots=True)
class _Found:
    kind: NumberKind
    start: int  # folded offsets
    end: int
    number: str


def _scan(folded: str) -> Iterable[_Found]:
    for chunk in _CHUNK_RE.finditer(folded):
        groups = [
            (m.start() + chunk.start(), m.end() + chunk.start()) for m in _GROUP_RE.finditer(chunk.group())
        ]
        texts = [folded[s:e] for s, e in groups]
        # dots_before[k]: gaps holding a dot among the first k (a prefix count, so a join asks in O(1))
        dots_before = [0]
        for k in range(len(groups) - 1):
            gap = folded[groups[k][1] : groups[k + 1][0]]
            dots_before.append(dots_before[-1] + (1 if gap != " " and _DOT_RE.search(gap) else 0))
        i = 0
        while i < len(groups):
            found: tuple[int, NumberKind, str] | None = None
            total = 0
            ends: list[int] = []
            for j in range(i, len(groups)):
                total += len(texts[j])
                if total > 19:  # longest candidates: bank card 19, ID 18, 0086 + mobile 15
                    break
                if total >= _SHORTEST:
                    ends.append(j)
            for j in reversed(ends):  # longest interpretation first
                number = "".join(texts[i : j + 1])
                dotted = dots_before[j] > dots_before[i]
                kind = _classify(number, [len(t) for t in texts[i : j + 1]], dotted)
                if kind is not None:
                    found = (j, kind, number)
                    break
            if found is None:
                i += 1
                continue
            j, kind, number = found
            start = groups[i][0]
            if kind is NumberKind.MOBILE and start > 0 and folded[start - 1] == "+":
                start -= 1
            yield _Found(kind, start, groups[j][1], number)
            i = j + 1


def find_personal_numbers(
    norm: NormalizedText, field: Field, *, skip: Iterable[tuple[int, int]] = ()
) -> list[Finding]:
    """Unmasked ID, mobile and bank-card numbers; ``skip`` holds folded spans (e.g. URLs) to ignore."""
    skipped = list(skip)
    findings: list[Finding] = []
    view = _digits_view(norm.folded)
    for found in _scan(view):
        if any(s <= found.start and found.end <= e for s, e in skipped):
            continue
        if _is_amount(view, found.start, found.end):
            continue
        start, end = norm.folded_span(found.start, found.end)
        findings.append(
            Finding(
                category=Category.SECRETS_PRIVACY,
                severity=Severity.BLOCK,
                start=start,
                end=end,
                excerpt=norm.original[start:end],
                message=_MESSAGES[found.kind],
                suggestion=mask(found.kind, found.number),
                rule_id=f"pii.{found.kind.value}",
                field=field,
            )
        )
    return findings

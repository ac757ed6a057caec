"""Solicitation to a private messaging account written around the ad lexicon (加微信 and its kin are lexicon
terms; what is found here is found whatever lexicon a region stores).

Four shapes, the first read on the folded view (full-width forms half-width, ASCII letters lower case),
the others on the lexicon view (noise dropped, letters of other scripts that look Latin read as Latin):

* a plus sign for 加 before the account's name: "+V咨询", "➕V", "＋vx", "+微信", "+QQ", "+薇", "➕我vx";
* an abbreviation or sound-alike of 微信 (vx, wx, v信, 薇信, 徽信, weixin) with 号 or a verb of contact:
  "vx号", "wx咨询", "v信号", also spelt out ("v x号", "Ｖ-Ｘ号");
* such a name, or 威信, 扣扣, 企鹅, followed by an account id: "威信：abc12345", "VX zhang_san88",
  "扣扣：123456789";
* 加我 or 私信 and such a name: "加我v", "私信vx".

What stays quiet: 威信 (prestige) without an id, 微信 and QQ written plainly (official accounts are
published so: "关注微信公众号"), a plus between words or digits ("互联网+政务服务", "5G+VR", "C++", "A+级").
"""

from __future__ import annotations

import re

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, Severity
from govmedia_checks.normalize import INVISIBLE_CHARS, NormalizedText

__all__ = ["find_private_accounts"]

_GAP = f"[ \\t\\u00a0\\u3000{INVISIBLE_CHARS}]{{0,3}}"
_PLUS = "[+\u2795\u271a\u2719]"
_ABBREVIATED = "vx|wx|v信|薇信|徽信|weixin|wechat"
_NAMES = f"{_ABBREVIATED}|v|微信|威信|薇|qq|扣扣"
# A plus for 加, not between two words or digits; read on the folded view (the lexicon view drops '+').
_PLUS_RE = re.compile(f"{_PLUS}(?<![0-9a-z+]{_PLUS}){_GAP}(?:我{_GAP})?(?:{_NAMES})(?![0-9a-z])")
# Read on the lexicon view (noise dropped, look-alike letters Latin: "v x号", "Ｖ-Ｘ号" read vx号).
_ID = "(?:[a-z][a-z0-9]{4,19}|[1-9][0-9]{4,11})(?![a-z0-9])"
_NAMED_RE = re.compile(
    # an abbreviated name with 号 or a verb of contact
    f"(?<![0-9a-z])(?:{_ABBREVIATED})(?:号|联系|咨询|私聊|私信|详聊|了解|下单)"
    # an abbreviated or sound-alike name and an account id
    f"|(?<![0-9a-z])(?:{_ABBREVIATED}|威信|扣扣|企鹅)(?:号码?|id)?:?{_ID}"
    # 加我 or 私信 and an abbreviated name (加我微信 is a lexicon term; 增加我… is not asking)
    f"|(?<![增参添追附叠])加我(?:{_ABBREVIATED}|v|qq)(?![0-9a-z])|私信(?:{_ABBREVIATED}|v)(?![0-9a-z])"
)
# Where a match can begin (a class is a fast scan; the patterns, lookbehinds first, are tried only there).
_PLUS_LEAD_RE = re.compile(_PLUS)
_NAMED_LEAD_RE = re.compile("[vw薇徽威扣企私加]")


def _matches(view: str, lead: re.Pattern[str], pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    after = 0
    for m in lead.finditer(view):
        if m.start() < after:
            continue
        found = pattern.match(view, m.start())
        if found is not None:
            spans.append(found.span())
            after = found.end()
    return spans


def find_private_accounts(norm: NormalizedText, field: Field) -> list[Finding]:
    """Solicitations to a private messaging account (see the module's docstring)."""
    spans = [norm.folded_span(s, e) for s, e in _matches(norm.folded, _PLUS_LEAD_RE, _PLUS_RE)]
    spans += [norm.span(s, e) for s, e in _matches(norm.text, _NAMED_LEAD_RE, _NAMED_RE)]
    findings: list[Finding] = []
    for start, end in sorted(spans):
        if findings and start < findings[-1].end:
            continue
        findings.append(
            Finding(
                category=Category.ADS_LINKS,
                severity=Severity.BLOCK,
                start=start,
                end=end,
                excerpt=norm.original[start:end],
                message="商业广告：引导添加私人即时通讯账号（微信、QQ 的变体写法）/ "
                "advertising: asks readers to add a private messaging account",
                suggestion="删除商业广告内容",
                rule_id="ad.private_account",
                field=field,
            )
        )
    return findings

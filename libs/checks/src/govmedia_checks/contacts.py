"""Solicitation to a private messaging account written around the ad lexicon (加微信 and its kin are lexicon
terms; what is found here is found whatever lexicon a region stores).

Three shapes, read on the folded view (full-width forms half-width, ASCII letters lower case):

* a plus sign for 加 before the account's name: "+V咨询", "➕V", "＋vx", "+微信", "+QQ";
* an abbreviation or sound-alike of 微信 (vx, wx, v信, 薇信, 徽信, weixin) with 号 or a verb of contact:
  "vx号", "wx咨询", "v信号";
* such a name, or 威信, 扣扣, followed by an account id: "威信：abc12345", "VX zhang_san88",
  "扣扣：123456789".

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
_ID = "(?:[a-z][a-z0-9_-]{4,19}|[1-9][0-9]{4,11})(?![a-z0-9_-])"
_ACCOUNT_RE = re.compile(
    # a plus for 加, not between two words or digits
    f"(?<![0-9a-z+]){_PLUS}{_GAP}(?:{_ABBREVIATED}|v|微信|威信|qq|扣扣)(?![0-9a-z])"
    # an abbreviated name with 号 or a verb of contact
    f"|(?<![0-9a-z])(?:{_ABBREVIATED}){_GAP}(?:号|联系|咨询|私聊|私信|详聊|了解|下单)"
    # an abbreviated or sound-alike name and an account id
    f"|(?<![0-9a-z])(?:{_ABBREVIATED}|威信|扣扣)(?:号码?|id)?{_GAP}[:：]?{_GAP}{_ID}"
)
# Where a match can begin (a class is a fast scan; the pattern above, lookbehinds first, is tried only there).
_LEAD_RE = re.compile("[+\u2795\u271a\u2719vw薇徽威扣]")


def find_private_accounts(norm: NormalizedText, field: Field) -> list[Finding]:
    """Solicitations to a private messaging account (see the module's docstring)."""
    folded = norm.folded
    findings: list[Finding] = []
    after = 0
    for lead in _LEAD_RE.finditer(folded):
        if lead.start() < after:
            continue
        m = _ACCOUNT_RE.match(folded, lead.start())
        if m is None:
            continue
        after = m.end()
        start, end = norm.folded_span(m.start(), m.end())
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

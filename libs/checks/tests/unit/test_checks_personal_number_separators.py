"""Personal numbers written with the separators people use between their groups: dots and middle dots
(138.1234.5678, 138·1234·5678), as well as spaces and dashes; and what must stay quiet (decimal amounts,
IP addresses, version numbers).

Found by the outside-testing round (privacy leaks in real formats): a mobile number written 138.1234.5678
or 138·1234·5678 and an ID number written 330102.19900307.1230 passed the machine check with no finding.
"""

import pytest

from govmedia_checks import CheckEngine
from govmedia_checks.personal_data import id_check_char

_ID17 = "33010219900307123"
ID = _ID17 + id_check_char(_ID17)


def _numbers(engine: CheckEngine, text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.excerpt) for f in engine.check(text).findings if f.rule_id.startswith("pii.")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("联系电话138.1234.5678。", ("pii.mobile", "138.1234.5678")),
        ("联系电话138·1234·5678。", ("pii.mobile", "138·1234·5678")),
        ("联系电话138・1234・5678。", ("pii.mobile", "138・1234・5678")),
        ("联系电话+86.138.1234.5678。", ("pii.mobile", "+86.138.1234.5678")),
        ("联系电话１３８．１２３４．５６７８。", ("pii.mobile", "１３８．１２３４．５６７８")),
        (f"身份证号{ID[:6]}.{ID[6:14]}.{ID[14:]}。", ("pii.id_card", f"{ID[:6]}.{ID[6:14]}.{ID[14:]}")),
        (f"身份证号{ID[:6]}·{ID[6:14]}·{ID[14:]}。", ("pii.id_card", f"{ID[:6]}·{ID[6:14]}·{ID[14:]}")),
        ("卡号6222.0212.3456.7890.128。", ("pii.bank_card", "6222.0212.3456.7890.128")),
    ],
)
def test_numbers_grouped_with_dots_are_found(engine: CheckEngine, text: str, found: tuple[str, str]) -> None:
    assert _numbers(engine, text) == [found]


@pytest.mark.parametrize(
    "text",
    [
        "全年完成投资3812345678.50元。",  # a decimal amount
        "服务器地址139.224.105.12，端口8080。",  # an IPv4 address of 11 digits starting 13
        "升级到版本13.8123.4567.8。",  # a version number
        "2026.03.07发布，2026.03.08生效。",
        "图1.2.3.4.5.6.7.8.9.10.11所示",
    ],
)
def test_dotted_numbers_that_are_not_personal_numbers_stay_quiet(engine: CheckEngine, text: str) -> None:
    assert _numbers(engine, text) == []

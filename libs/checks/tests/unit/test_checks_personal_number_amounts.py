"""A number written as a quantity (a decimal part, a unit or a currency sign beside it) is an amount, not a
personal number; the same digits written as a contact stay a leak.

Found by the outside-testing round (false positives of the machine check): "13812345678.5元" and
"共计13812345678元" were blocked as unmasked mobile numbers.
"""

import pytest

from govmedia_checks import CheckEngine
from govmedia_checks.personal_data import id_check_char

_ID17 = "33010219900307123"
ID = _ID17 + id_check_char(_ID17)
CARD = "6222021234567894"  # passes Luhn


def _numbers(engine: CheckEngine, text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.excerpt) for f in engine.check(text).findings if f.rule_id.startswith("pii.")]


@pytest.mark.parametrize(
    "text",
    [
        "项目投资13812345678.5元。",
        "共计13812345678元。",
        "合计13812345678.00元",
        "总额 13812345678 元",
        "金额13812345678万元",
        "规模达13812345678亿",
        "产值13812345678美元",
        "￥13812345678",
        "¥ 13812345678.50",
        "$13812345678",
        "人民币13812345678",
        "RMB13812345678",
        "增长13812345678%",
        "面积13812345678平方米",
        "13 812 345 678元",  # spaces as thousands separators
        "重量13812345678吨",
        "共13812345678块",
        "合同金额：13812345678",  # a sum named before it, no unit after
        "累计13812345678",
        "账户余额 13812345678",
        "页面访问量13812345678次",  # counts
        "累计服务13812345678人次",
        "覆盖13812345678户",
        "办理13812345678件",
        "圆周率3.13812345678",  # the digits of a decimal part
        f"合计{ID}元",
        f"合计{CARD}.00元",
    ],
)
def test_an_amount_is_not_a_personal_number(engine: CheckEngine, text: str) -> None:
    assert _numbers(engine, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "订单编号13812345678",
        "快递单号：13812345678",
        "运单号 13812345678",
        "流水号13812345678",
        "股票代码13812345678",
        "药品批号13812345678",
        "商品条码13812345678",
        "案号13812345678",
    ],
)
def test_the_number_of_a_record_is_not_a_personal_number(engine: CheckEngine, text: str) -> None:
    """Found looking for neighbours of the amounts (other number contexts): an order, waybill or batch number
    of eleven digits beginning 13-19 was blocked as a mobile number."""
    assert _numbers(engine, text) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("手机13812345678", ("pii.mobile", "13812345678")),
        ("手机13812345678。", ("pii.mobile", "13812345678")),
        ("手机13812345678.", ("pii.mobile", "13812345678")),
        ("联系13812345678，谢谢", ("pii.mobile", "13812345678")),
        ("联系13812345678张先生", ("pii.mobile", "13812345678")),
        ("手机13812345678（王）", ("pii.mobile", "13812345678")),
        ("电话138.1234.5678元旦值班", ("pii.mobile", "138.1234.5678")),
        ("手机号13812345678", ("pii.mobile", "13812345678")),
        ("手机13812345678次日联系", ("pii.mobile", "13812345678")),
        ("电话号码：13812345678", ("pii.mobile", "13812345678")),
        ("微信号13812345678", ("pii.mobile", "13812345678")),
        ("账号13812345678", ("pii.mobile", "13812345678")),
        (f"身份证{ID}。", ("pii.id_card", ID)),
    ],
)
def test_a_contact_number_beside_ordinary_words_is_still_a_leak(
    engine: CheckEngine, text: str, found: tuple[str, str]
) -> None:
    assert _numbers(engine, text) == [found]

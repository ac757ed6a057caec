"""Unmasked ID, mobile and bank-card numbers are blocked; masked, invalid and service numbers are not."""

import pytest

from govmedia_checks import Category, CheckEngine, Severity
from govmedia_checks.personal_data import id_check_char, is_resident_id, luhn_valid

# 110101199003071233 and 33100219850612004X carry valid GB 11643 check characters;
# 6222021234567894 passes Luhn, 6222021234567895 does not.
POSITIVES = [
    (
        "id-plain",
        "申请人张某，身份证号码110101199003071233，已受理。",
        "pii.id_card",
        "110101199003071233",
        "110101********1233",
    ),
    (
        "id-x-lowercase",
        "证件号：33100219850612004x",
        "pii.id_card",
        "33100219850612004x",
        "331002********004X",
    ),
    (
        "id-full-width",
        "身份证：１１０１０１１９９００３０７１２３３。",
        "pii.id_card",
        "１１０１０１１９９００３０７１２３３",
        "110101********1233",
    ),
    (
        "id-spaced",
        "身份证号 110101 19900307 1233 请核对",
        "pii.id_card",
        "110101 19900307 1233",
        "110101********1233",
    ),
    ("id-hyphens", "号码110101-1990-0307-1233", "pii.id_card", "110101-1990-0307-1233", "110101********1233"),
    ("mobile-plain", "如有疑问请联系王老师13812345678。", "pii.mobile", "13812345678", "138****5678"),
    ("mobile-spaced", "联系电话：138 1234 5678", "pii.mobile", "138 1234 5678", "138****5678"),
    (
        "mobile-full-width",
        "电话：１３９－８７６５－４３２１",
        "pii.mobile",
        "１３９－８７６５－４３２１",
        "139****4321",
    ),
    ("mobile-plus86", "境外来电请拨+86 138-1234-5678", "pii.mobile", "+86 138-1234-5678", "138****5678"),
    ("mobile-0086", "联系：0086 15912345678", "pii.mobile", "0086 15912345678", "159****5678"),
    ("mobile-zero-width", "手机1\u200b3812345678", "pii.mobile", "1\u200b3812345678", "138****5678"),
    ("mobile-after-landline", "电话0576-88123456 13812345678", "pii.mobile", "13812345678", "138****5678"),
    (
        "card-plain",
        "请将款项汇入6222021234567894账户",
        "pii.bank_card",
        "6222021234567894",
        "6222 **** **** 7894",
    ),
    (
        "card-grouped",
        "卡号：6222 0212 3456 7894",
        "pii.bank_card",
        "6222 0212 3456 7894",
        "6222 **** **** 7894",
    ),
    (
        "card-19-digits",
        "卡号6222021234567890128",
        "pii.bank_card",
        "6222021234567890128",
        "6222 **** **** **** 0128",
    ),
]


@pytest.mark.parametrize(
    ("text", "rule", "excerpt", "masked"), [p[1:] for p in POSITIVES], ids=[p[0] for p in POSITIVES]
)
def test_unmasked_number_is_blocked_with_masked_suggestion(
    engine: CheckEngine, text: str, rule: str, excerpt: str, masked: str
) -> None:
    findings = [f for f in engine.check(text).findings if f.rule_id.startswith("pii.")]
    assert len(findings) == 1
    f = findings[0]
    assert (f.rule_id, f.excerpt, f.suggestion) == (rule, excerpt, masked)
    assert text[f.start : f.end] == excerpt
    assert f.category is Category.SECRETS_PRIVACY
    assert f.severity is Severity.BLOCK


NEGATIVES = [
    ("masked-mobile", "联系人：李先生，电话138****5678。"),
    ("masked-id", "身份证号110101********1233已核验。"),
    ("masked-card", "尾号为6222 **** **** 7894的银行卡"),
    ("masked-card-compact", "卡号6222********7894"),
    ("id-wrong-check-digit", "身份证号码110101199003071234"),
    ("id-impossible-date", "编号110101199002301233"),
    ("luhn-invalid-order-number", "订单号6222021234567895已发货"),
    ("luhn-invalid-16-digits", "合同编号：2026031512345678"),
    ("hotline", "请拨打12345政务服务便民热线或12366纳税服务热线"),
    ("landline", "咨询电话：0576-88123456，传真0576-88123457"),
    ("landline-no-hyphen", "电话057688123456"),
    ("dates-and-times", "2026-03-15 14:30至2026-03-16 17:30"),
    ("document-number", "台政办发〔2026〕12号，邮政编码318000"),
    ("mobile-inside-longer-code", "设备序列号413812345678901"),
    ("mobile-glued-to-letters", "型号ab13812345678cd"),
    ("mobile-wrong-prefix", "编号12812345678"),
    ("number-in-gov-link", "详见https://www.gov.cn/zhengce/content/6222021234567894.htm"),
    ("decimal", "增长3.1415926535897932个百分点"),
]


@pytest.mark.parametrize("text", [n[1] for n in NEGATIVES], ids=[n[0] for n in NEGATIVES])
def test_masked_invalid_or_public_numbers_are_not_flagged(engine: CheckEngine, text: str) -> None:
    assert [f for f in engine.check(text).findings if f.rule_id.startswith("pii.")] == []


def test_a_number_split_by_characters_that_show_nothing_is_still_found(
    engine: CheckEngine, default_ignorable: list[int]
) -> None:
    """A bidi control or a Hangul filler between digits shows the number whole on screen."""
    for cp in default_ignorable:
        text = f"联系电话138{chr(cp)}1234{chr(cp)}5678，身份证号110101{chr(cp)}199003074514"
        rules = sorted(f.rule_id for f in engine.check(text).findings if f.rule_id.startswith("pii."))
        assert len(rules) == 2, f"U+{cp:04X}: {rules}"


def test_two_mobiles_separated_by_a_space_are_two_findings(engine: CheckEngine) -> None:
    findings = engine.check("值班电话13812345678 13987654321").findings
    assert [f.excerpt for f in findings] == ["13812345678", "13987654321"]


@pytest.mark.parametrize(
    ("first17", "check"), [("11010119900307123", "3"), ("33100219850612004", "X"), ("11010520000229001", "3")]
)
def test_gb11643_check_character(first17: str, check: str) -> None:
    assert id_check_char(first17) == check
    assert is_resident_id(first17 + check)
    wrong = "0" if check != "0" else "1"
    assert not is_resident_id(first17 + wrong)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("6222021234567894", True),
        ("6222021234567895", False),
        ("79927398713", True),
    ],
)
def test_luhn(number: str, valid: bool) -> None:
    assert luhn_valid(number) is valid

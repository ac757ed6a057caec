"""Personal numbers written in Chinese numerals (一三八一二三四五六七八, 幺三八…, 壹叁捌…) are read as the
digits a reader reads.

Found by the outside-testing round (privacy leaks in real formats): "联系电话一三八一二三四五六七八" and
"手机：幺三八 一二三四 五六七八" passed the machine check; an ad's phone number is commonly written so to
slip past filters. Years and ordinary numerals (二〇二六年, 一二三四五六, 第一二三组) stay quiet.
"""

import pytest

from govmedia_checks import CheckEngine


def _numbers(engine: CheckEngine, text: str) -> list[tuple[str, str, str]]:
    return [
        (f.rule_id, f.excerpt, f.suggestion)
        for f in engine.check(text).findings
        if f.rule_id.startswith("pii.")
    ]


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("联系电话一三八一二三四五六七八。", "一三八一二三四五六七八"),
        ("手机：幺三八 一二三四 五六七八", "幺三八 一二三四 五六七八"),
        ("电话壹叁捌壹贰叁肆伍陆柒捌", "壹叁捌壹贰叁肆伍陆柒捌"),
        ("电话138一二三四5678", "138一二三四5678"),
        ("电话一三八-一二三四-五六七八", "一三八-一二三四-五六七八"),
        ("电话一三八〇〇〇〇五六七八", "一三八〇〇〇〇五六七八"),
        ("电话一三八零零零零五六七八", "一三八零零零零五六七八"),
    ],
)
def test_a_mobile_number_in_chinese_numerals_is_found(engine: CheckEngine, text: str, excerpt: str) -> None:
    found = _numbers(engine, text)
    assert [(rule, ex) for rule, ex, _ in found] == [("pii.mobile", excerpt)]
    assert "****" in found[0][2]


@pytest.mark.parametrize(
    "text",
    [
        "二〇二六年三月七日",
        "一二三四五六七八九十",  # counting
        "第一二三组和四五六组",
        "一一对应，三三两两，五五开",
        "全年完成一千三百八十一万二千三百四十五元",
    ],
)
def test_ordinary_chinese_numerals_stay_quiet(engine: CheckEngine, text: str) -> None:
    assert _numbers(engine, text) == []

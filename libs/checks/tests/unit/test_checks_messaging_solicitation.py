"""Ads for a private messaging account written around the lexicon: a plus sign for 加 ("+V咨询", "➕V"), an
abbreviation or sound-alike of 微信 with 号 or an account id ("vx号", "威信：abc123"), whatever lexicon a
region stores; 威信 (prestige) and a TV signal stay ordinary words.

Found by the outside-testing round (misses of the machine check): "+V咨询", "+v", "➕V", "威信 abc123" and
"vx号" passed with no finding.
"""

import pytest

from govmedia_checks import Category, CheckEngine, Severity


def _ads(engine: CheckEngine, text: str) -> list[str]:
    out = []
    for f in engine.check(text).findings:
        if f.category is Category.ADS_LINKS and f.severity is Severity.BLOCK:
            assert text[f.start : f.end] == f.excerpt
            out.append(f.excerpt)
    return out


@pytest.mark.parametrize(
    "text",
    [
        "详情+V咨询",
        "有意者+v",
        "有意者 +V 了解",
        "详情➕V咨询",
        "详情＋V咨询",
        "详情﹢vx咨询",
        "详情✚wx咨询",
        "详情+微信咨询",
        "详情+QQ咨询",
        "我的vx号是abc12345",
        "wx号：abc12345",
        "详情v信号：abc12345",
        "威信：abc12345",
        "威信 abc_12345",
        "薇信abc12345",
        "徽信：abc12345",
        "VX：zhang_san88",
        "有需要vx联系",
        "wx咨询",
        "扣扣：123456789",
        # neighbours: spelt out, other names, 加我 and 私信
        "详情+薇咨询",
        "v x号：abc12345",
        "详情Ｖ Ｘ 号",
        "详情v-x号",
        "详情v\u200bx号",
        "企鹅号：12345678",
        "有事私信vx",
        "感兴趣加我v",
        "详情➕我vx",
        "详情+我微信",
    ],
)
def test_a_private_messaging_account_written_around_the_lexicon_is_advertising(
    engine: CheckEngine, text: str
) -> None:
    assert _ads(engine, text) != []


@pytest.mark.parametrize(
    "text",
    [
        "树立政府威信，提高公信力。",
        "党的威信和群众的信任。",
        "电视信号和TV信号覆盖全县。",
        "打造“互联网+政务服务”，推进5G+VR应用。",
        "C++课程和1+1活动。",
        "请关注“浙江发布”微信公众号。",
        "A+级景区。",
        "TV 信号覆盖全县。",
        "增加我qq群的人数。",
        "李薇：大家好。",
    ],
)
def test_ordinary_words_are_not_messaging_ads(engine: CheckEngine, text: str) -> None:
    assert _ads(engine, text) == []

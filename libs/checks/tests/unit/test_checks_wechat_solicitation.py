"""Asking to be added on WeChat (加微信) and its variants are solicitation wherever they stand;
"增加微信公众号的关注度" (to grow the official account's audience) is not.

Found by the outside-testing round (links and ads: WeChat IDs and 加微信 variants): "加wx咨询",
"加威信咨询", "加徽信咨询", "加weixin咨询" and "加QQ咨询" passed the machine check, while
"增加微信公众号的关注度", "参加微信投票活动" and "添加微信小程序" were blocked as advertising (加微信 inside
增加/参加/添加).
"""

import pytest

from govmedia_checks import CheckEngine


def _ads(engine: CheckEngine, text: str) -> list[str]:
    return [f.excerpt for f in engine.check(text).findings if f.rule_id.startswith("ad:")]


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("详情加wx咨询", "加wx"),
        ("详情加WX：abc123", "加WX"),
        ("详情加威信咨询", "加威信"),
        ("详情加徽信咨询", "加徽信"),
        ("详情加weixin咨询", "加weixin"),
        ("详情加QQ咨询", "加QQ"),
        ("详情加 w x 咨询", "加 w x"),
        ("详情加ｗｘ咨询", "加ｗｘ"),
        ("详情加微，信，咨询", "加微，信，咨询"),
    ],
)
def test_wechat_solicitation_variants_are_advertising(engine: CheckEngine, text: str, excerpt: str) -> None:
    assert excerpt in _ads(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "进一步增加微信公众号的关注度。",
        "欢迎参加微信投票活动。",
        "请添加微信小程序“浙里办”到桌面。",
        "追加微信支付渠道后，缴费更方便。",
    ],
)
def test_adding_wechat_as_a_channel_is_not_advertising(engine: CheckEngine, text: str) -> None:
    assert _ads(engine, text) == []

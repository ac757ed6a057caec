"""Advertising wording without a link, and emotional or colloquial judgements, have lexicons of their own."""

import pytest

from govmedia_checks import Category, CheckEngine, Severity

ADS = [
    ("limited-offer", "本店限时优惠，欢迎选购。", "限时优惠", Severity.WARN),
    ("red-packet", "关注后扫码领红包，先到先得。", "扫码领红包", Severity.WARN),
    ("contact", "需要的朋友加微信咨询。", "加微信咨询", Severity.BLOCK),
    ("agents", "诚招代理，零投资。", "诚招代理", Severity.BLOCK),
    ("rebates", "推荐好友下单返现，高额返利。", "下单返现", Severity.BLOCK),
]


@pytest.mark.parametrize(("text", "excerpt", "severity"), [a[1:] for a in ADS], ids=[a[0] for a in ADS])
def test_advertising_without_a_link_is_found(
    engine: CheckEngine, text: str, excerpt: str, severity: Severity
) -> None:
    findings = [f for f in engine.check(text).findings if f.category is Category.ADS_LINKS]
    assert findings, text
    assert findings[0].excerpt == excerpt
    assert findings[0].severity is severity
    assert findings[0].rule_id == f"ad:{excerpt}"
    assert not any(f.rule_id.startswith("link.") for f in findings)  # no link involved


OPINIONS = [
    ("nonsense", "这个新规就是胡闹。", "胡闹"),
    ("angry", "群众对此十分气愤。", "气愤"),
    ("ripoff", "停车收费太坑了！", "太坑了"),
    ("absurd", "这种做法简直离谱。", "简直离谱"),
    ("pointless", "又在瞎折腾，劳民伤财。", "瞎折腾"),
    ("explicit", "我个人认为这项政策不妥。", "我个人认为"),
]


@pytest.mark.parametrize(("text", "excerpt"), [o[1:] for o in OPINIONS], ids=[o[0] for o in OPINIONS])
def test_emotional_judgement_on_policy_is_a_warning(engine: CheckEngine, text: str, excerpt: str) -> None:
    findings = [f for f in engine.check(text).findings if f.category is Category.PERSONAL_OPINION]
    assert [f.excerpt for f in findings] == [excerpt]
    assert findings[0].severity is Severity.WARN
    assert not engine.check(text).blocking


NEUTRAL = [
    ("symptoms", "出现发热、恶心、呕吐等症状请及时就医。"),
    ("bookkeeping", "提供代理记账、诉讼代理等法律服务。"),
    ("consultation", "政策咨询热线：12345。"),
    ("no-tossing", "坚持一张蓝图绘到底，不折腾、不反复。"),
    ("panic-buying", "市场供应充足，请勿恐慌。"),
]


@pytest.mark.parametrize("text", [n[1] for n in NEUTRAL], ids=[n[0] for n in NEUTRAL])
def test_official_wording_near_those_terms_is_quiet(engine: CheckEngine, text: str) -> None:
    assert engine.check(text).findings == []

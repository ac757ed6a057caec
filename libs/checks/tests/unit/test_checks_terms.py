"""Lexicon matching: sensitive words, sensitive topics, expression errors; evasions and false positives."""

import pytest

from govmedia_checks import (
    Category,
    CheckEngine,
    ExpressionLexicon,
    LexiconSet,
    SensitiveLexicon,
    Severity,
)


def _hits(engine: CheckEngine, text: str) -> list[tuple[str, str, str]]:
    return [(f.category.value, f.severity.value, f.excerpt) for f in engine.check(text).findings]


SENSITIVE = [
    ("illegal", "近日有人在群里兜售赌博网站链接，请群众提高警惕。", ("illegal", "block", "赌博网站")),
    ("illegal-invoice", "本公司长期代开发票，价格优惠。", ("illegal", "block", "代开发票")),
    ("illegal-guns", "某论坛发布枪支出售信息。", ("illegal", "block", "枪支出售")),
    ("security", "网传有人组织集体上访，请勿轻信。", ("security_stability", "warn", "集体上访")),
    ("secrets", "本材料为内部资料，仅供参考。", ("secrets_privacy", "warn", "内部资料")),
    ("secrets-block", "此件请勿外传。", ("secrets_privacy", "block", "请勿外传")),
    ("ads-block", "想要优惠名额的请加我微信。", ("ads_links", "block", "加我微信")),
    ("ads-warn", "关注后扫码领取精美礼品。", ("ads_links", "warn", "扫码领取")),
    ("ads-agency", "现面向全国开放代理加盟。", ("ads_links", "block", "代理加盟")),
    ("opinion", "我个人认为这个政策还可以更好。", ("personal_opinion", "warn", "我个人认为")),
    ("emotion", "排了两个小时的队，真是气死了！", ("personal_opinion", "warn", "气死了")),
    ("topic-investigation", "该局原局长已被立案调查。", ("sensitive_topic", "warn", "立案调查")),
    ("topic-trial", "市中级人民法院对该案进行一审宣判。", ("sensitive_topic", "warn", "一审宣判")),
    ("topic-disaster", "截至发稿时，遇难人数仍在核实中。", ("sensitive_topic", "warn", "遇难人数")),
    (
        "topic-statistics",
        "今年一季度全市地区生产总值同比增长5.2%。",
        ("sensitive_topic", "warn", "地区生产总值"),
    ),
    (
        "topic-environment",
        "本月全省空气质量排名中我市位列第三。",
        ("sensitive_topic", "warn", "空气质量排名"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), [s[1:] for s in SENSITIVE], ids=[s[0] for s in SENSITIVE])
def test_sensitive_phrase_is_found(engine: CheckEngine, text: str, expected: tuple[str, str, str]) -> None:
    assert _hits(engine, text) == [expected]


def test_sensitive_topic_suggests_unit_consent(engine: CheckEngine) -> None:
    (f,) = engine.check("该案于昨日开庭审理。").findings
    assert f.category is Category.SENSITIVE_TOPIC
    assert f.suggestion == "需经单位同意"


EVASIONS = [
    ("spaces", "兜售 赌 博 网 站 链接", "赌 博 网 站"),
    ("asterisks", "兜售赌*博*网*站链接", "赌*博*网*站"),
    ("mixed-symbols", "专业代·开_发|票", "代·开_发|票"),
    ("zero-width", "枪\u200b支\u200c出\u200d售", "枪\u200b支\u200c出\u200d售"),
    ("traditional", "長期代開發票", "代開發票"),
    ("traditional-and-noise", "賭 * 博 網 站", "賭 * 博 網 站"),
    ("full-width-ascii-term", "优惠请加ＶＸ详谈", "加ＶＸ"),
    ("emoji", "赌🎲博网站", "赌🎲博网站"),
]


@pytest.mark.parametrize(("text", "excerpt"), [e[1:] for e in EVASIONS], ids=[e[0] for e in EVASIONS])
def test_evasions_are_still_caught_with_original_offsets(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    (f,) = engine.check(text).findings
    assert f.excerpt == excerpt
    assert text[f.start : f.end] == excerpt


EXPRESSIONS = [
    (
        "country-name",
        "中国人民共和国成立以来",
        "serious_expression_error",
        "中国人民共和国",
        "中华人民共和国",
    ),
    ("state-organ", "国务院办公室印发通知", "serious_expression_error", "国务院办公室", "国务院办公厅"),
    ("leader-title", "国家副总理出席会议", "serious_expression_error", "国家副总理", "国务院副总理"),
    ("plenum", "深入学习十九大四中全会精神", "serious_expression_error", "十九大四中全会", "十九届四中全会"),
    ("formulation", "推进一路一带建设", "serious_expression_error", "一路一带", "一带一路"),
    ("typo-steps", "工作要按步就班推进", "typo", "按步就班", "按部就班"),
    ("typo-even-if", "既使遇到困难也不退缩", "typo", "既使", "即使"),
    ("typo-reflect", "群众可向社区反应问题", "typo", "反应问题", "反映问题"),
    ("typo-deploy", "会议对下一步工作作出布署", "typo", "布署", "部署"),
    ("typo-account", "请核对帐户信息", "typo", "帐户", "账户"),
    ("typo-as-of", "截止目前已完成八成", "typo", "截止目前", "截至目前"),
    ("missing-quotes", "深入开展两学一做学习教育", "typo", "两学一做", "“两学一做”"),
    ("missing-party", "十八大以来，我县发生了巨大变化", "typo", "十八大以来", "党的十八大以来"),
    ("spaced-wrong-form", "国务院 办公室印发", "serious_expression_error", "国务院 办公室", "国务院办公厅"),
]


@pytest.mark.parametrize(
    ("text", "category", "excerpt", "suggestion"),
    [e[1:] for e in EXPRESSIONS],
    ids=[e[0] for e in EXPRESSIONS],
)
def test_expression_error_suggests_the_right_form(
    engine: CheckEngine, text: str, category: str, excerpt: str, suggestion: str
) -> None:
    (f,) = engine.check(text).findings
    assert (f.category.value, f.excerpt, f.suggestion) == (category, excerpt, suggestion)
    expected = Severity.BLOCK if category == "serious_expression_error" else Severity.WARN
    assert f.severity is expected


CORRECT_PHRASES = [
    ("right-form-contains-wrong-quotes", "深入开展“两学一做”学习教育"),
    ("right-form-contains-wrong-party", "党的十八大以来，我县发生了巨大变化"),
    ("exception-both-make", "这既使得办事更便捷，也减少了跑腿次数"),
    ("exception-oneself-often", "他自己经常到一线调研"),
    ("exception-chemical-reaction", "实验中出现的化学反应问题已查明"),
    ("exception-destroy-abroad", "严禁破坏境外投资项目"),
    ("tent-is-not-account", "为受助群众登记帐篷数量"),
    ("check-account", "请核对账户信息，冻结账户需本人办理"),
    ("exception-share", "占全部份额的三成"),
    ("exception-truth", "讲真话、办实事"),
    ("exception-lowest-bid", "采用最低价中标方式"),
    ("opinion-word-in-ordinary-speech", "他克服了很多困难"),
    ("garbage-sorting", "推进垃圾分类工作"),
    ("symptoms", "出现恶心、呕吐等症状应及时就医"),
    ("modern-archaeology", "现代考古学的发展"),
    ("reflect-correct", "群众可向社区反映问题"),
]


@pytest.mark.parametrize("text", [c[1] for c in CORRECT_PHRASES], ids=[c[0] for c in CORRECT_PHRASES])
def test_correct_phrases_do_not_fire(engine: CheckEngine, text: str) -> None:
    assert engine.check(text).findings == []


def test_ascii_terms_need_word_boundaries(engine: CheckEngine) -> None:
    assert _hits(engine, "本月CPI同比上涨0.3%") == [("sensitive_topic", "warn", "CPI")]
    assert _hits(engine, "本月 cpi 同比上涨") == [("sensitive_topic", "warn", "cpi")]
    assert _hits(engine, "型号CPIX200") == []


def test_longer_match_of_the_same_category_absorbs_the_shorter(engine: CheckEngine) -> None:
    assert _hits(engine, "警惕通货膨涨") == [("typo", "warn", "通货膨涨")]


def test_serious_errors_are_counted_against_the_national_limit(engine: CheckEngine) -> None:
    text = "中国人民共和国国务院办公室发文。北韩代表团到访。一路一带倡议。"
    result = engine.check(text)
    assert result.serious_error_count == 4
    assert result.exceeds_serious_error_limit
    assert not engine.check("中国人民共和国国务院办公室发文。北韩代表团到访。").exceeds_serious_error_limit


def test_custom_lexicon_terms_and_exceptions_are_used(starter: LexiconSet) -> None:
    sensitive = SensitiveLexicon.from_dict(
        {
            "kind": "sensitive_terms",
            "name": "custom",
            "version": "7",
            "entries": [
                {
                    "term": "紫色蘑菇",
                    "category": "illegal",
                    "severity": "warn",
                    "exceptions": ["紫色蘑菇图鉴"],
                },
            ],
        }
    )
    expressions = ExpressionLexicon.from_dict(
        {
            "kind": "expression_pairs",
            "name": "custom-e",
            "version": "3",
            "entries": [{"wrong": "蓝天白去", "right": "蓝天白云", "serious": True}],
        }
    )
    engine = CheckEngine(starter.replace(sensitive=sensitive, expressions=expressions))
    assert _hits(engine, "山里有紫 色 蘑 菇") == [("illegal", "warn", "紫 色 蘑 菇")]
    assert _hits(engine, "翻阅紫色蘑菇图鉴") == []
    assert _hits(engine, "蓝天白去") == [("serious_expression_error", "block", "蓝天白去")]
    assert _hits(engine, "代开发票") == []  # the starter sensitive list was replaced
    assert engine.lexicon_versions["sensitive"] == "custom@7"

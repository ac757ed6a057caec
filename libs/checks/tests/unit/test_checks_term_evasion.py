"""Lexicon terms written so a reader still reads them, but the characters differ: compatibility forms
(NFKC), combining marks, letters of other scripts that look Latin, punctuation between the characters.

Found by the outside-testing round (the machine check as an adversary would try it): "赌\u0301博网站"
(a combining mark), "赌博网\uf9f4站" … "⾦" (a Kangxi radical for 金), "㊙密级" (秘密级), "法,轮,功" (ASCII
commas), "法，轮，功" (one character per clause) and a Latin term written with a
Cyrillic letter ("vрn" for vpn) passed with no finding. Every finding still points at the original text.
"""

import pytest

from govmedia_checks import CheckEngine, LexiconSet, SensitiveLexicon


@pytest.fixture(scope="module")
def custom(starter: LexiconSet) -> CheckEngine:
    sensitive = SensitiveLexicon.from_dict(
        {
            "kind": "sensitive_terms",
            "name": "latin",
            "version": "1",
            "entries": [
                {"term": "vpn", "category": "illegal", "severity": "block"},
                {"term": "casino", "category": "illegal", "severity": "block"},
                {"term": "黄金赌场", "category": "illegal", "severity": "block"},
                {"term": "秘密级", "category": "secrets_privacy", "severity": "block"},
            ],
        }
    )
    return CheckEngine(starter.replace(sensitive=sensitive))


def _excerpts(engine: CheckEngine, text: str) -> list[str]:
    out = []
    for f in engine.check(text).findings:
        assert text[f.start : f.end] == f.excerpt
        out.append(f.excerpt)
    return out


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("点击进入赌\u0301博网站", "赌\u0301博网站"),  # combining acute accent
        ("点击进入赌\u0332博\u0332网站", "赌\u0332博\u0332网站"),  # combining low line (underlined)
        ("点击进入赌博网\u20dd站", "赌博网\u20dd站"),  # combining enclosing circle
        ("点击进入赌博\uf9f4站", None),  # a compatibility ideograph is another character: no finding
    ],
    ids=["acute", "low-line", "enclosing-circle", "other-character"],
)
def test_combining_marks_inside_a_term_do_not_hide_it(
    engine: CheckEngine, text: str, excerpt: str | None
) -> None:
    assert _excerpts(engine, text) == ([excerpt] if excerpt else [])


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("欢迎光临黄\u2fa6赌场", "黄\u2fa6赌场"),  # KANGXI RADICAL GOLD for 金
        ("欢迎光临\uf90a金赌场", None),  # U+F90A is a compatibility form of 金 … but the term is 黄金
        ("本件为\u3299密级", "\u3299密级"),  # CIRCLED IDEOGRAPH SECRET
        ("连接𝐯𝐩𝐧上网", "𝐯𝐩𝐧"),  # mathematical bold letters
        ("连接ⓥⓟⓝ上网", "ⓥⓟⓝ"),  # circled letters
        ("连接ｖｐｎ上网", "ｖｐｎ"),  # full-width letters (held before)
    ],
    ids=["kangxi-radical", "compat-other", "circled-ideograph", "math-bold", "circled-latin", "full-width"],
)
def test_compatibility_forms_read_as_the_characters_they_show(
    custom: CheckEngine, text: str, excerpt: str | None
) -> None:
    assert _excerpts(custom, text) == ([excerpt] if excerpt else [])


def test_a_compatibility_ideograph_of_a_term_character_is_that_character(custom: CheckEngine) -> None:
    # U+F90A: CJK COMPATIBILITY IDEOGRAPH-F90A, the compatibility form of 金.
    assert _excerpts(custom, "欢迎光临黄\uf90a赌场") == ["黄\uf90a赌场"]


@pytest.mark.parametrize(
    "text",
    [
        "翻墙用v\u0440n",  # Cyrillic er
        "翻墙用\u03bdpn",  # Greek nu
        "翻墙用VР\u039d",  # Latin V, Cyrillic ER, Greek capital NU
        "去c\u0430sin\u043e玩",  # Cyrillic a and o
        "去cásino玩",  # Latin with a diacritic
        "去casi\u0301no玩",  # combining accent inside a Latin term
        "翻墙用\u1d20\u1d18\u0274",  # small capitals ᴠᴘɴ
        "翻墙用\U0001f185\U0001f17f\U0001f17d",  # negative squared letters 🆅🅿🅽
        "翻墙用\U0001f165\U0001f15f\U0001f15d",  # negative circled letters
    ],
)
def test_letters_of_other_scripts_that_look_latin_do_not_hide_a_latin_term(
    custom: CheckEngine, text: str
) -> None:
    found = _excerpts(custom, text)
    assert len(found) == 1
    assert found[0] in text


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("法,轮,功", "法,轮,功"),  # one character per clause
        ("加入法 ; 轮 ; 功组织", "法 ; 轮 ; 功"),
        ("加入法!轮!功", "法!轮!功"),
        ("加入法'轮'功", "法'轮'功"),
        ("法，轮，功", "法，轮，功"),
        ("法、轮、功", "法、轮、功"),
        ("法。轮。功。", "法。轮。功"),
        ("“法”“轮”“功”", "法”“轮”“功"),
        ("【赌】【博】【网】【站】", "赌】【博】【网】【站"),
        ("赌\n博\n网\n站", "赌\n博\n网\n站"),  # one character a line (written vertically)
        ("赌\r\n博\r\n网\r\n站", "赌\r\n博\r\n网\r\n站"),
    ],
)
def test_punctuation_between_the_characters_of_a_term_does_not_hide_it(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    assert excerpt in _excerpts(engine, text)


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("台，独", "台，独"),
        ("支持台，独", "台，独"),
        ("台、独分子", "台、独"),
        ("港、澳、台，独", "台，独"),
        ("台；独", "台；独"),
        ("台…独", "台…独"),
        ("台，\n独", "台，\n独"),
        ("约，炮", "约，炮"),
        ("支持港。独", "港。独"),
        ("法(轮)功", "法(轮)功"),
        ("法【轮】功", "法【轮】功"),
        ("法「轮」功", "法「轮」功"),
        ("法（轮）功", "法（轮）功"),
        ("法《轮》功", "法《轮》功"),
        ("法“轮”功", "法“轮”功"),
        ("法‘轮’功", "法‘轮’功"),
        ("法[轮]功", "法[轮]功"),
        ("法〔轮〕功", "法〔轮〕功"),
        ("法，轮、功", "法，轮、功"),
        ("赌(博)网站", "赌(博)网站"),
    ],
)
def test_punctuation_beside_a_character_that_stands_alone_does_not_split_a_term(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    """A character standing alone between punctuation (or the text's edge) is no clause of its own: the
    marks either side of it, alike or not, join it to its neighbours."""
    assert excerpt in _excerpts(engine, text)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("关于赌博，网站上的说法", "赌博网站"),  # a clause ending and the next beginning: two words, not one
        ("网上，赌场", "网上赌场"),
        ("不要去赌博。网站随后关闭。", "赌博网站"),
        ("我们讨论了赌博(网站另议)", "赌博网站"),
        ("关于赌博,网站上的说法", "赌博网站"),  # ASCII punctuation used as Chinese: a boundary all the same
        ("搭建平台，独立运营", "台独"),  # a word ends, the next begins: neither character stands alone
        ("舞台，独具匠心", "台独"),
        ("华东、突尼斯", "东突"),
        ("在香港，独自", "港独"),
        ("西藏、独龙族", "藏独"),
        ("县（市）级平台，独立核算", "台独"),
        ("港、澳、台，独具特色", "台独"),  # the last item of an enumeration, then the next clause
        ("培训覆盖党、政、军、民、学各条战线", "台独"),
        ("省、市、县三级联动，开展打击网络赌博专项行动。", "赌博网站"),
    ],
)
def test_ordinary_punctuation_between_words_is_still_a_boundary(
    engine: CheckEngine, text: str, term: str
) -> None:
    assert [f.excerpt for f in engine.check(text).findings if term in f.message] == []


def test_latin_words_are_not_glued_across_their_spaces(custom: CheckEngine) -> None:
    assert _excerpts(custom, "the cas ino") == []
    assert _excerpts(custom, "use v p n") == ["v p n"]
    assert _excerpts(custom, "a vpn b") == ["vpn"]


def test_a_latin_phrase_term_matches_its_words_however_they_are_spaced(starter: LexiconSet) -> None:
    sensitive = SensitiveLexicon.from_dict(
        {
            "kind": "sensitive_terms",
            "name": "phrase",
            "version": "1",
            "entries": [{"term": "free vpn", "category": "illegal", "severity": "block"}],
        }
    )
    engine = CheckEngine(starter.replace(sensitive=sensitive))
    assert _excerpts(engine, "get free  vpn now") == ["free  vpn"]
    assert _excerpts(engine, "get freevpn now") == []

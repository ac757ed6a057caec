"""A repost source written with spaces inside its name is the source a reader reads.

Found by the outside-testing round (the machine check under the same normalisation, as a careful reviewer
would try it): "来源：新 华 社" and "来源：中国 政府网" were blocked as "source not on the allowed list",
naming only their first character or word ("新", "中国"), while "来源：新华社" passes; the lexicons read
"新 华 社" whole, the source line did not. Words are joined while they are one or two characters long (a
name spaced out); "某某自媒体 新华社" is still 某某自媒体, named by its first word.
"""

import pytest

from govmedia_checks import CheckEngine


def _reprint(engine: CheckEngine, text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.excerpt) for f in engine.check(text).findings if f.rule_id.startswith("reprint.")]


@pytest.mark.parametrize(
    "text",
    [
        "正文。\n来源：新 华 社",
        "正文。\n来源：新\u3000华\u3000社 记者 张三",
        "正文。\n来源：人民 日报",
        "正文。\n来源： 新华社 客户端",
        "正文。\n信息来源：中国 政府网 编辑：王某",
    ],
)
def test_an_allowed_source_written_with_spaces_is_allowed(engine: CheckEngine, text: str) -> None:
    assert _reprint(engine, text) == []


@pytest.mark.parametrize(
    ("text", "excerpt"),
    [
        ("正文。\n来源：网络 编辑：王某", "网络"),
        ("正文。\n来源：某某 自媒体", "某某"),
        ("正文。\n来源：某某自媒体 新华社", "某某自媒体"),  # a space after a word is a boundary
    ],
)
def test_a_source_not_allowed_is_still_named_by_its_first_word(
    engine: CheckEngine, text: str, excerpt: str
) -> None:
    assert _reprint(engine, text) == [("reprint.source_not_allowed", excerpt)]

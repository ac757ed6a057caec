"""An invisible character inside a blocked term must not let a post through the machine check (风险识别).

Found by the outside-testing round: the check drops zero-width spaces before matching its lexicons
(``govmedia_checks.normalize.NOISE_CHARS``), but did not drop the other characters that show nothing: bidi
controls (U+202A-U+202E, U+2066-U+2069, U+061C), Hangul fillers (U+3164, U+115F), tag characters
(U+E0020 …), U+17B4. "赌" + U+202C + "博网站" passed review's machine check with no finding, the human
reviewer sees "赌博网站" on screen, and the monitor's check of what was published misses it too.

Fixed in ``libs/checks``: every default-ignorable code point (Unicode's Default_Ignorable_Code_Point) is
dropped before matching, keeping the offset map; the cases below stay as guards.
"""

from __future__ import annotations

import pytest

from govmedia_checks import CheckEngine, Severity, load_starter_lexicons


@pytest.fixture(scope="module")
def engine() -> CheckEngine:
    return CheckEngine(load_starter_lexicons())


def _blocked(engine: CheckEngine, text: str) -> bool:
    return any(f.severity is Severity.BLOCK for f in engine.check(text).findings)


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",  # zero-width space
        "\u00ad",  # soft hyphen
        "\u202c",
        "\u202e",
        "\u2066",
        "\u2069",
        "\u061c",
        "\u3164",
        "\u115f",
        "\U000e0020",
        "\u17b4",
    ],
)
def test_a_blocked_term_split_by_an_invisible_character_is_still_blocked(
    engine: CheckEngine, invisible: str
) -> None:
    term = "赌博网站"
    assert _blocked(engine, f"今天发布通知：{term}。")  # the term itself is blocked
    assert _blocked(engine, f"今天发布通知：{term[0]}{invisible}{term[1:]}。")

"""Texts a reader must see: names refuse characters that show nothing, required texts must show something."""

from __future__ import annotations

import pytest

from govmedia_common.text import invisible_in_name, shows_something

# One of each kind: zero-width space, bidi override, BOM, soft hyphen, a control, Hangul filler, Khmer
# inherent vowel, variation selector, tag, grapheme joiner, private use.
INVISIBLE = ["\u200b", "\u202e", "\ufeff", "\u00ad", "\x07", "\u3164", "\u17b4", "\ufe0f", "\U000e0041"]


@pytest.mark.parametrize("char", [*INVISIBLE, "\u034f", "\ue000"], ids=lambda c: f"U+{ord(c):04X}")
def test_a_name_holding_a_character_that_shows_nothing_is_refused_naming_it_and_where(char: str) -> None:
    with pytest.raises(ValueError, match=rf"U\+{ord(char):04X}.*position 3"):
        invisible_in_name(f"档案{char}局")


def test_a_name_as_people_write_it_passes() -> None:
    for name in ("台州市路桥区档案局", "Taizhou Archives", "路桥·发布", "第1号（试行）"):
        assert invisible_in_name(name) == name


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_required_text_of_spaces_and_invisible_characters_shows_nothing(char: str) -> None:
    with pytest.raises(ValueError, match="shows nothing"):
        shows_something(f" {char}\u3000{char} ")
    assert shows_something(f"{char}已整改") == f"{char}已整改"  # something shows: the text stands

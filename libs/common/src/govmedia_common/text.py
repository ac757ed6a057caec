"""Texts a reader must see: which characters show nothing, for the models of every service.

A name or a required free text pasted from a web page or a chat often carries characters that show nothing:
a zero-width space, a bidi override, a BOM, a Hangul filler. A name holding one looks exactly like another
name (a second unit "named" like the first) or shows reversed; a report made of them alone is blank.
Unicode names these the default-ignorable code points; most are format characters (category Cf), the rest
are listed in :data:`IGNORABLE`.
"""

from __future__ import annotations

import unicodedata

__all__ = ["IGNORABLE", "invisible_in_name", "shows_something"]

# The default-ignorable code points (Unicode's Default_Ignorable_Code_Point) outside the categories below:
# Hangul fillers (letters that show nothing), Khmer inherent vowels, variation selectors, the grapheme joiner.
IGNORABLE = frozenset(
    chr(cp)
    for first, last in (
        (0x034F, 0x034F),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180D),
        (0x180F, 0x180F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFFA0, 0xFFA0),
        (0xE0100, 0xE01EF),
    )
    for cp in range(first, last + 1)
)
# Control, format (zero-width, bidi, soft hyphen, BOM), private-use, unassigned, surrogate, line and
# paragraph separators: never part of a name.
_NOT_IN_A_NAME = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# What shows nothing at all: the above less private use (a font may draw it), plus spaces.
_SHOWS_NOTHING = frozenset({"Cc", "Cf", "Cn", "Cs", "Zl", "Zp", "Zs"})


def invisible_in_name(value: str) -> str:
    """A pydantic after-validator for names: the first character that shows nothing is refused, named
    with its code point and position."""
    for position, char in enumerate(value, start=1):
        if char in IGNORABLE or unicodedata.category(char) in _NOT_IN_A_NAME:
            what = unicodedata.name(char, "no name")
            raise ValueError(
                f"contains the invisible character U+{ord(char):04X} ({what}) at position {position}; "
                "remove it (it often comes with copy and paste)"
            )
    return value


def shows_something(value: str) -> str:
    """A pydantic after-validator for required texts: one of spaces and invisible characters alone (a
    zero-width space pasted from a chat) is as blank as an empty one."""
    if all(c in IGNORABLE or unicodedata.category(c) in _SHOWS_NOTHING for c in value):
        raise ValueError(
            "shows nothing (only spaces or invisible characters such as a zero-width space); write the text"
        )
    return value

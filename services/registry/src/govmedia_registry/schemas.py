"""What every request and response model of the registry shares."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Control, format (zero-width, bidi overrides, soft hyphen, BOM), separator, private-use and unassigned
# code points: none of them shows, so a name holding one looks like another (a second unit "named" like the
# first, as the rule compares the text) or shows reversed (U+202E). They mostly come with copy and paste.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})
# The default-ignorable code points (Unicode's Default_Ignorable_Code_Point) outside those categories: Hangul
# fillers (letters that show nothing), Khmer inherent vowels, variation selectors, the grapheme joiner.
_IGNORABLE = frozenset(
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


def _visible(value: str) -> str:
    for position, char in enumerate(value, start=1):
        if char in _IGNORABLE or unicodedata.category(char) in _INVISIBLE:
            what = unicodedata.name(char, "no name")
            raise ValueError(
                f"contains the invisible character U+{ord(char):04X} ({what}) at position {position}; "
                "remove it (it often comes with copy and paste)"
            )
    return value


RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["331004"])]
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_visible)]
# a duty word, a person's name in a list
ShortKeyword = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_visible)]


class In(BaseModel):
    """Base of request bodies: unknown fields are refused, surrounding spaces dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Base of response bodies: read from domain objects or rows directly."""

    model_config = ConfigDict(from_attributes=True)

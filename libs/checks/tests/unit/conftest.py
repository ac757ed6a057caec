"""Shared fixtures for the machine-check unit tests (the check engine over the starter lexicons)."""

import pytest

from govmedia_checks import CheckEngine, LexiconSet, load_starter_lexicons


@pytest.fixture(scope="session")
def starter() -> LexiconSet:
    return load_starter_lexicons()


@pytest.fixture(scope="session")
def engine(starter: LexiconSet) -> CheckEngine:
    return CheckEngine(starter)


# Default_Ignorable_Code_Point, as Unicode's DerivedCoreProperties.txt lists it (stable since Unicode 6).
_DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]


@pytest.fixture(scope="session")
def default_ignorable() -> list[int]:
    """Every default-ignorable code point: none shows on screen."""
    return [cp for first, last in _DEFAULT_IGNORABLE for cp in range(first, last + 1)]

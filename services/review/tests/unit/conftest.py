"""Shared fixtures for the machine-check unit tests."""

import pytest

from govmedia_checks import CheckEngine, LexiconSet, load_starter_lexicons


@pytest.fixture(scope="session")
def starter() -> LexiconSet:
    return load_starter_lexicons()


@pytest.fixture(scope="session")
def engine(starter: LexiconSet) -> CheckEngine:
    return CheckEngine(starter)

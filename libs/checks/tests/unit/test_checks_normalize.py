"""Normalisation: traditional, full-width and noise folded away, offsets always back to the original."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govmedia_checks import Normalizer
from govmedia_checks.normalize import fold

normalizer = Normalizer()


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("賭博網站", "赌博网站"),
        ("ＶＸ１２３", "vx123"),
        ("赌 博\u3000网\t站", "赌博网站"),
        ("赌\u200b博\u200d网\ufeff站", "赌博网站"),
        ("赌*博.网_站", "赌博网站"),
        ("枪-支|出/售", "枪支出售"),
        ("代·开★发☆票", "代开发票"),
        ("代＊开＿发－票", "代开发票"),
        ("代🔥开发票", "代开发票"),
    ],
    ids=[
        "traditional",
        "full-width",
        "spaces",
        "zero-width",
        "ascii-symbols",
        "dash-bar-slash",
        "dots-stars",
        "full-width-symbols",
        "emoji",
    ],
)
def test_normalised_text_reads_through_evasions(original: str, expected: str) -> None:
    assert normalizer.normalize(original).text == expected


@pytest.mark.parametrize(
    "original",
    ["赌博\n网站", "赌博，网站", "赌博。网站", "赌博、网站", "赌博；网站", "“赌博”网站"],
    ids=["newline", "comma", "full-stop", "enumeration-comma", "semicolon", "quotes"],
)
def test_sentence_punctuation_stays_a_boundary(original: str) -> None:
    assert "赌博网站" not in normalizer.normalize(original).text


def test_span_maps_back_to_original_including_inserted_noise() -> None:
    original = "本站 賭 * 博網站 入口"
    norm = normalizer.normalize(original)
    start = norm.text.index("赌博网站")
    s, e = norm.span(start, start + 4)
    assert original[s:e] == "賭 * 博網站"


def test_fold_is_length_preserving() -> None:
    text = "ＡＢＣ１２３　ｘｙｚ！ABC"
    assert fold(text) == "abc123 xyz!abc"
    assert len(fold(text)) == len(text)


def test_length_changing_t2s_falls_back_to_per_character_map() -> None:
    class Expanding:
        def convert(self, text: str) -> str:
            return text.replace("乾", "干干")

    n = Normalizer()
    n._t2s = Expanding()  # type: ignore[assignment]  # a stand-in converter whose output is longer
    norm = n.normalize("乾坤赌博网站")
    assert norm.text == "干干坤赌博网站"
    start = norm.text.index("赌博网站")
    assert norm.span(start, start + 4) == (2, 6)
    assert norm.span(0, 2) == (0, 1)


@given(st.text(alphabet=st.sampled_from("赌博網站 *.\u200bＡa1１\n，·國发ab"), max_size=60))
def test_index_is_monotonic_and_points_at_source_characters(text: str) -> None:
    norm = normalizer.normalize(text)
    assert len(norm.index) == len(norm.text)
    assert list(norm.index) == sorted(norm.index)
    for j, ch in enumerate(norm.text):
        source = text[norm.index[j]]
        # Spaces between two Latin words are one boundary (a line break) in the text view.
        assert normalizer.normalize(source).text == ch or (ch == "\n" and source.isspace())


def test_every_default_ignorable_code_point_inside_a_term_is_dropped_keeping_the_offsets(
    default_ignorable: list[int],
) -> None:
    """A character that shows nothing (bidi control, Hangul filler, tag, variation selector …) inside a
    term must not split it for matching: the reader sees the term whole."""
    for cp in default_ignorable:
        original = f"赌{chr(cp)}博网站"
        normalized = normalizer.normalize(original)
        assert normalized.text == "赌博网站", f"U+{cp:04X} kept"
        assert normalized.span(0, 4) == (0, len(original))

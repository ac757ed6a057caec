"""Matching an observed post to approved ones: hash, platform id, similarity bars."""

from __future__ import annotations

from collections.abc import Iterable

from govmedia_common.hashing import content_hash
from govmedia_monitor.observations.matching import Candidate, Match, MatchKind, match, similarity_form

TITLE = "关于国庆假期政务服务安排的通知"
TEXT = "国庆假期期间，区政务服务中心10月1日至8日暂停现场办理业务，10月9日起恢复正常。"


def candidate(
    title: str = TITLE, text: str = TEXT, post_id: str = "p1", platform_post_id: str | None = None
) -> Candidate:
    return Candidate(post_id, content_hash(title, text), similarity_form(title, text), platform_post_id)


def run(title: str, text: str, candidates: Iterable[Candidate], platform_post_id: str = "wx-1") -> Match:
    return match(
        content_hash=content_hash(title, text),
        similarity_text=similarity_form(title, text),
        platform_post_id=platform_post_id,
        candidates=candidates,
        noise_similarity=1.0,
        same_post_similarity=0.6,
    )


def test_the_same_content_matches_exactly() -> None:
    assert run(TITLE, TEXT, [candidate()]) == run(TITLE, TEXT, [candidate()])
    result = run(TITLE, TEXT, [candidate(text="别的内容", post_id="p0"), candidate()])
    assert (result.kind, result.post_id, result.score) == (MatchKind.EXACT, "p1", 1.0)


def test_punctuation_width_spaces_and_line_breaks_are_noise() -> None:
    reflowed = TEXT.replace("，", ", ").replace("。", ".\n")
    result = run(f" {TITLE}", reflowed, [candidate()])
    assert result.kind is MatchKind.NEAR and result.post_id == "p1" and result.score == 1.0


def test_an_edit_after_approval_is_a_mismatch_and_other_content_matches_nothing() -> None:
    edited = TEXT.replace("10月9日起恢复正常", "10月12日起恢复正常")
    result = run(TITLE, edited, [candidate()])
    # One digit in a short notice: 97% similar, still an edit, not noise.
    assert result.kind is MatchKind.MISMATCH and 0.95 <= (result.score or 0) < 1.0
    other = run("便民集市", "本周六上午举行便民服务集市活动。", [candidate()])
    assert (other.kind, other.post_id) == (MatchKind.NONE, None)
    assert run(TITLE, TEXT, []).kind is MatchKind.NONE


def test_the_post_the_review_published_under_this_platform_id_is_compared_even_when_rewritten() -> None:
    rewritten = run("完全不同的标题", "完全不同的正文内容。", [candidate(platform_post_id="wx-1")])
    assert (rewritten.kind, rewritten.post_id) == (MatchKind.MISMATCH, "p1")


def test_an_approval_given_after_the_publication_is_not_a_review_beyond_the_grace() -> None:
    from datetime import datetime, timedelta

    from govmedia_common.workdays import SHANGHAI

    published = datetime(2025, 9, 1, 10, 0, tzinfo=SHANGHAI)

    def with_approval(minutes_after: int) -> Match:
        late = Candidate(
            "p1",
            content_hash(TITLE, TEXT),
            similarity_form(TITLE, TEXT),
            None,
            False,
            published + timedelta(minutes=minutes_after),
        )
        return match(
            content_hash=content_hash(TITLE, TEXT),
            similarity_text=similarity_form(TITLE, TEXT),
            platform_post_id="wx-1",
            candidates=[late],
            noise_similarity=1.0,
            same_post_similarity=0.6,
            published_at=published,
            approval_grace=timedelta(minutes=5),
        )

    assert with_approval(60).kind is MatchKind.NONE
    assert with_approval(3).kind is MatchKind.EXACT  # the platform rounded the publication time
    assert with_approval(-60).kind is MatchKind.EXACT

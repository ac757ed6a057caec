"""Matching an observed post to an approved one (双向反馈): exact content hash first, then similarity.

Platforms reflow text, swap half- and full-width punctuation, add or drop spaces and line breaks. Those
differences must not raise "published without review". The similarity form drops everything but letters
and digits (after NFKC), and :func:`rapidfuzz.fuzz.ratio` (normalised Indel similarity, maintained and
fast) scores two such forms between 0 and 1. Pure: no I/O.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from rapidfuzz import fuzz, process


class MatchKind(StrEnum):
    """How an observed post relates to the approved posts of its account."""

    EXACT = "exact"  # same content hash as an approved post
    NEAR = "near"  # differs only by formatting noise (similarity at or above the noise bar)
    MISMATCH = "mismatch"  # an approved post edited after approval (双向反馈 finding)
    NONE = "none"  # matches no approved post: published without review (未审先发)


@dataclass(frozen=True)
class Candidate:
    """An approved post of the account, as matching needs it."""

    post_id: str
    content_hash: str
    similarity_text: str
    platform_post_id: str | None = None
    override: bool = False  # approved over a blocking finding
    approved_at: datetime | None = None  # an approval after publication does not make a post reviewed


@dataclass(frozen=True)
class Match:
    """The outcome of matching one observed post."""

    kind: MatchKind
    post_id: str | None
    score: float | None


def similarity_form(title: str, text: str) -> str:
    """Letters and digits only, NFKC-normalised and case-folded: what similarity compares."""
    joined = unicodedata.normalize("NFKC", f"{title or ''}{text or ''}").casefold()
    return "".join(ch for ch in joined if unicodedata.category(ch)[0] in "LN")


def match(
    *,
    content_hash: str,
    similarity_text: str,
    platform_post_id: str,
    candidates: Iterable[Candidate],
    noise_similarity: float,
    same_post_similarity: float,
    published_at: datetime | None = None,
    approval_grace: timedelta = timedelta(0),
) -> Match:
    """Match one observed post against its account's approved posts.

    Only posts approved before the publication (plus ``approval_grace``) count. Order: the same content
    hash; else the approved post the review published under this platform id; else the most similar one.
    The score decides: noise bar → NEAR, same-post bar → MISMATCH, below → NONE.
    """
    # An approval given after the publication is not a review (未审先发 approved after the fact); a few
    # minutes of grace absorb platforms that show publication times rounded to the minute.
    pool = [
        c
        for c in candidates
        if published_at is None or c.approved_at is None or c.approved_at <= published_at + approval_grace
    ]
    for c in pool:
        if c.content_hash == content_hash:
            return Match(MatchKind.EXACT, c.post_id, 1.0)
    published = next((c for c in pool if c.platform_post_id and c.platform_post_id == platform_post_id), None)
    if published is not None:
        score = fuzz.ratio(similarity_text, published.similarity_text) / 100.0
        best: tuple[Candidate, float] | None = (published, score)
    else:
        best = None
        # An approved post the review already published under another platform id is that other post: a
        # template notice with a new date, published without review, is 未审先发, not an edit of it.
        unclaimed = [c for c in pool if not c.platform_post_id]
        if unclaimed:
            found = process.extractOne(
                similarity_text, [c.similarity_text for c in unclaimed], scorer=fuzz.ratio
            )
            if found is not None:
                best = (unclaimed[found[2]], found[1] / 100.0)
    if best is None:
        return Match(MatchKind.NONE, None, None)
    candidate, score = best
    if candidate.similarity_text == similarity_text:
        score = 1.0
    # Shown rounded, never as 1.0 unless the letters and digits are identical.
    shown = 1.0 if score == 1.0 else min(round(score, 4), 0.9999)
    if score >= noise_similarity:
        return Match(MatchKind.NEAR, candidate.post_id, shown)
    if score >= same_post_similarity or published is not None:
        # The review says this platform post is that approved post: whatever differs was edited after it.
        return Match(MatchKind.MISMATCH, candidate.post_id, shown)
    return Match(MatchKind.NONE, None, shown)

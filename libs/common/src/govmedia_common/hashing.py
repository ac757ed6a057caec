"""Content hashes that review (what was approved) and monitor (what was published) compare.

Both sides must hash the same way, so the normalisation lives here: Unicode NFKC, line endings unified,
whitespace runs collapsed, surrounding whitespace trimmed; title and body joined by a newline.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WS = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """The form of a text that is hashed: insensitive to layout, sensitive to every visible character."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def content_hash(title: str, body: str) -> str:
    """``sha256:<hex>`` of a post's normalised title and body."""
    joined = normalise_for_hash(title) + "\n" + normalise_for_hash(body)
    return "sha256:" + hashlib.sha256(joined.encode("utf-8")).hexdigest()

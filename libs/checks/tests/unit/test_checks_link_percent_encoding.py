"""A host written with percent-encoding (gov.cn%2eevil.com) must not crash the machine check.

Found by the outside-testing round (links: hosts as an adversary writes them): "见https://gov.cn%2eevil.com/"
and even "a%2eb.com" raised IndexError from the link check, so the review's check of such a post failed
instead of answering (urlextract reports offsets of the decoded host, past the end of the text). A browser
decodes the host (gov.cn.evil.com), so the host is judged decoded.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govmedia_checks import CheckEngine
from govmedia_checks.links import find_links


@pytest.mark.parametrize(
    ("text", "excerpt", "host"),
    [
        ("见https://gov.cn%2eevil.com/x", "https://gov.cn%2eevil.com/x", "gov.cn.evil.com"),
        ("见http://ev%69l.com/", "http://ev%69l.com/", "evil.com"),
        ("见a%2eb.com查看", None, None),
    ],
)
def test_a_percent_encoded_host_is_judged_decoded_and_never_crashes(
    engine: CheckEngine, text: str, excerpt: str | None, host: str | None
) -> None:
    findings = [f for f in engine.check(text).findings if f.rule_id.startswith("link.")]
    for f in findings:
        assert text[f.start : f.end] == f.excerpt
    if excerpt is not None:
        assert [f.excerpt for f in findings] == [excerpt]
        assert host is not None and host in findings[0].message


def test_a_percent_encoded_allowed_host_is_allowed(engine: CheckEngine) -> None:
    assert [f.rule_id for f in engine.check("见https://www%2egov%2ecn/x").findings] == []


_PIECES = [*"ab.cn%2e4:/?#@-", "http://", ".com", "%2e", "%41"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=20).map("".join))
def test_the_link_search_never_raises_and_keeps_its_offsets(text: str) -> None:
    for link in find_links(text):
        assert 0 <= link.start <= link.end <= len(text)

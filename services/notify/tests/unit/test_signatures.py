"""Webhook signatures and retry backoff."""

from __future__ import annotations

from govmedia_notify.channels.domain import backoff_seconds, delivery_id, sign, verify


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    body = b'{"delivery_id":"d","kind":"notice"}'
    header = sign("secret", 1_700_000_000, body)
    assert header.startswith("t=1700000000,v1=")
    assert verify("secret", header, body, now=1_700_000_100)
    assert not verify("secret", header, body + b" ", now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("secret", header, body, now=1_700_001_000)  # outside the tolerance: a replay
    assert not verify("secret", header.replace("t=1700000000", "t=1700000001"), body, now=1_700_000_000)
    assert not verify("secret", "garbage", body, now=1_700_000_000)


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, 30, 200) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_delivery_ids_are_stable_per_message_channel_and_recipient() -> None:
    assert delivery_id("notice", "c1", "email", "a@b") == delivery_id("notice", "c1", "email", "a@b")
    assert delivery_id("notice", "c1", "email", "a@b") != delivery_id("notice", "c1", "email", "x@b")

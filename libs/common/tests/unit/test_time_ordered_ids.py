"""Time-ordered ids of the bulk outbox writers: valid UUIDv7, and later batches sort after earlier ones."""

from __future__ import annotations

import time
import uuid

from govmedia_common.ids import time_ordered_prefix


def test_a_batch_id_is_a_canonical_uuid_version_7_variant_rfc_4122() -> None:
    prefix = time_ordered_prefix()
    for number in (1, 2, 16**12 - 1):
        text = f"{prefix}{number:012x}"
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        now_ms = time.time_ns() // 1_000_000
        assert abs((parsed.int >> 80) - now_ms) < 60_000, "its first 48 bits are the time in ms"


def test_ids_of_a_later_batch_sort_after_an_earlier_batch_s_so_the_unique_index_appends() -> None:
    first = time_ordered_prefix()
    time.sleep(0.002)
    second = time_ordered_prefix()
    assert f"{first}{16**12 - 1:012x}" < f"{second}{1:012x}"
    assert len({time_ordered_prefix() for _ in range(1000)}) == 1000, "26 random bits per batch"

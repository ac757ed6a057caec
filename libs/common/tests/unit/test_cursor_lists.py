"""A cursor belongs to the list that wrote it (govmedia_common.pagination, ``of=``)."""

from __future__ import annotations

import pytest

from govmedia_common.pagination import decode_cursor, encode_cursor
from govmedia_common.problems import Problem


def test_a_cursor_reads_back_on_its_own_list() -> None:
    cursor = encode_cursor(["2025-10-01T00:00:00+08:00", "c-1"], of="/v1/cases")
    assert decode_cursor(cursor, str, str, of="/v1/cases") == ["2025-10-01T00:00:00+08:00", "c-1"]


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor(["330000"], of="/v1/regions"),  # another list keyed alike
        encode_cursor(["330000"]),  # no list: made up, or from before cursors named theirs
        encode_cursor([], of="/v1/units"),  # its own list, no key
        encode_cursor([1], of="/v1/units"),  # its own list, a key of the wrong type
    ],
)
def test_a_cursor_of_another_list_or_of_none_is_refused(cursor: str) -> None:
    with pytest.raises(Problem) as info:
        decode_cursor(cursor, str, of="/v1/units")
    assert info.value.status == 422 and info.value.code == "invalid-cursor"

"""The JSON types of request fields (govmedia_common.json_values) and where a refusal says the error is."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from govmedia_common.json_values import (
    SAFE_INTEGER,
    JsonBool,
    JsonDate,
    JsonDateTime,
    JsonDocument,
    JsonInt,
    JsonNumber,
    error_message,
    safe_integers,
)
from govmedia_common.problems import location_in


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: JsonInt | None = None
    weight: JsonNumber | None = None
    flag: JsonBool | None = None
    day: JsonDate | None = None
    at: JsonDateTime | None = None
    document: JsonDocument | None = None


def _message(field: str, value: Any, *, strict: bool | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        Item.model_validate({field: value}, strict=strict)
    [error] = caught.value.errors()
    assert error["loc"][0] == field
    return error_message(error)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("count", "12", "not the string '12'"),
        ("count", True, "not true"),
        ("count", 12.5, "not the number 12.5"),
        ("count", 12.0, "not the number 12.0"),
        ("count", [1], "not an array"),
        ("weight", "0.5", "not the string '0.5'"),
        ("weight", False, "not false"),
        ("flag", 1, "not the number 1"),
        ("flag", "yes", "not the string 'yes'"),
        ("day", 0, "ISO 8601 text such as 2025-10-14, not the number 0"),
        ("day", "20251014", "not the string '20251014'"),
        ("at", 1760000000, "not the number 1760000000"),
        ("at", "1760000000.5", "not the string '1760000000.5'"),
    ],
)
def test_a_value_of_another_json_type_is_refused_saying_what_was_sent(
    field: str, value: Any, said: str
) -> None:
    assert said in _message(field, value)


def test_the_json_types_take_their_own() -> None:
    item = Item.model_validate(
        {"count": -0, "weight": 3, "flag": False, "day": "2025-10-14", "at": "2025-10-14T09:30:00+08:00"}
    )
    assert (item.count, item.weight, item.flag, item.day) == (0, 3.0, False, date(2025, 10, 14))
    assert isinstance(item.at, datetime) and item.at.utcoffset() is not None


def test_a_text_cell_is_read_when_validated_lax() -> None:
    """What a CSV import does (model_validate(row, strict=False)): a cell is text."""
    item = Item.model_validate({"count": "12", "flag": "true", "weight": "0.5"}, strict=False)
    assert (item.count, item.flag, item.weight) == (12, True, 0.5)
    assert "ISO 8601" in _message("at", "1760000000", strict=False)  # digits are no time, even in a file


def test_an_integer_beyond_i_json_in_an_open_document_is_refused_naming_its_path() -> None:
    assert safe_integers({"a": [1, SAFE_INTEGER, -SAFE_INTEGER]}) == {"a": [1, SAFE_INTEGER, -SAFE_INTEGER]}
    with pytest.raises(ValueError, match=r"monitor\.zombie_days: 9007199254740992 is beyond"):
        safe_integers({"monitor": {"zombie_days": SAFE_INTEGER + 1}})
    with pytest.raises(ValueError, match=r"entries\.1\.weight: -10000"):
        safe_integers({"entries": [{}, {"weight": -(10**30)}]})
    assert "zombie_days" in _message("document", {"monitor": {"zombie_days": 2**64}})


@pytest.mark.parametrize(
    ("loc", "body", "shown"),
    [
        (
            ("body", "open", "account", "review_levels"),
            {"type": "open", "account": {}},
            "body.account.review_levels",
        ),
        (("body", "open", "event_date"), {"type": "open"}, "body.event_date"),
        (("body", "items", 3, "reads"), {"items": [{}, {}, {}, {"reads": "1"}]}, "body.items.3.reads"),
        (("body", "reads"), {}, "body.reads"),
        (("query", "limit"), None, "query.limit"),
        (
            ("body", "items", 1, "open", "event_date"),
            {"items": [{}, {"type": "open"}]},
            "body.items.1.event_date",
        ),
    ],
)
def test_a_location_is_a_path_of_the_body_as_sent(loc: tuple[Any, ...], body: Any, shown: str) -> None:
    assert location_in(loc, body) == shown

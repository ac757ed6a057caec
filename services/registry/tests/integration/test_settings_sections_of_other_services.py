"""The sections of a region's settings that other services read (monitor, notify, scoring) are checked when
they are put, against the schema of the reading service's model: an unknown key, a value of the wrong JSON
type or out of range is refused with 422 naming the key. Before, the registry stored and announced them and
the reading service ignored them later (a region's 'not updated' threshold of "14" silently stayed 14 days
from the province, or the default)."""

from __future__ import annotations

from typing import Any

import pytest

from .factory import Registry, assert_problem

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("section", "key", "value", "says"),
    [
        ("monitor", "not_updated_days", "14", "must be a JSON integer"),
        ("monitor", "not_updated_days", 14.0, "must be a JSON integer"),
        ("monitor", "not_updated_days", True, "not true"),
        ("monitor", "not_updated_days", 0, "minimum"),
        ("monitor", "not_updated_dayz", 14, "no such setting"),
        ("notify", "rectification_days", "ten", "must be a JSON integer"),
        ("scoring", "diligence_weight_volume", "0.5", "must be a JSON number"),
        ("scoring", "veto_serious_errors_max", None, "not null"),
    ],
)
async def test_a_wrong_key_or_value_in_another_service_s_section_is_refused_naming_it(
    registry: Registry, section: str, key: str, value: Any, says: str
) -> None:
    admin = await registry.admin()
    r = await admin.put("/v1/regions/331000/settings", json={"settings": {section: {key: value}}})
    body = assert_problem(r, 422)
    assert f"{section}.{key}" in body["detail"], body
    assert says in body["detail"], body
    assert (await admin.get("/v1/regions/331000/settings")).json()["own"] == {}, "nothing stored"


async def test_valid_partial_sections_of_every_service_are_stored_and_announced_as_before(
    registry: Registry,
) -> None:
    admin = await registry.admin()
    settings = {
        "monitor": {"not_updated_days": 10, "high_attention_not_updated_days": 5},
        "notify": {"rectification_days": 10},
        "scoring": {"veto_serious_errors_max": 2, "diligence_weight_volume": 0.5},
    }
    r = await admin.put("/v1/regions/331000/settings", json={"settings": settings})
    assert r.status_code == 200, r.text
    assert (await admin.get("/v1/regions/331000/settings")).json()["own"] == settings

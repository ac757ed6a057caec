"""Owner base classes declare service, topic, aggregate and key once; events inherit them."""

from __future__ import annotations

import inspect
import re

import pytest

from govmedia_common.events import CATALOGUE, monitor, notify, registry, review, scoring
from govmedia_common.events.base import Fact
from govmedia_common.events.types import Uuid

OWNERS = {"registry": registry, "review": review, "monitor": monitor, "notify": notify, "scoring": scoring}


def test_every_event_lives_in_the_module_of_its_owning_service() -> None:
    for cls in CATALOGUE.values():
        assert cls.__module__ == OWNERS[cls.service].__name__, cls.__name__


@pytest.mark.parametrize("owner", sorted(OWNERS))
def test_an_event_class_names_only_its_type_never_topic_or_key_again(owner: str) -> None:
    source = inspect.getsource(OWNERS[owner])
    for header in re.findall(r"^class \w+\((.*?)\):", source, re.M | re.S):
        if "type=" in header:
            assert not re.search(r"\b(service|topic|aggregate|key)=", header), (
                f"{header.strip()}: declare service, topic, aggregate and key once on the topic's base class "
                "and give the event only its type= (docs/architecture.md, 'Adding an event')"
            )


def test_an_event_inherits_what_its_base_declares() -> None:
    class _Probe(Fact, service="probe", topic="gov.probe.things", aggregate="thing", key="thing_id"):
        thing_id: Uuid

    class ThingHappened(_Probe, type="gov.probe.thing.happened.v1"):
        pass

    try:
        assert (ThingHappened.service, ThingHappened.topic) == ("probe", "gov.probe.things")
        assert (ThingHappened.aggregate_type, ThingHappened.key_field) == ("thing", "thing_id")
    finally:
        CATALOGUE.pop("gov.probe.thing.happened.v1")


def test_an_event_without_a_topic_anywhere_is_refused() -> None:
    with pytest.raises(TypeError, match="topic"):

        class _Lost(Fact, type="gov.probe.lost.v1", service="probe", aggregate="thing", key="thing_id"):
            thing_id: Uuid


def test_a_key_that_is_not_a_field_of_the_event_is_refused() -> None:
    class _Keyed(Fact, service="probe", topic="gov.probe.keyed", aggregate="thing", key="thing_id"):
        pass

    with pytest.raises(TypeError, match="thing_id"):

        class Unkeyed(_Keyed, type="gov.probe.unkeyed.v1"):
            name: str

    CATALOGUE.pop("gov.probe.unkeyed.v1", None)

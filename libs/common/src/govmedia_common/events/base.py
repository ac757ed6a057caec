"""Base class and registry of the event catalogue (the public contract on Kafka).

Every event is a frozen pydantic model. Class keywords declare its CloudEvents type (versioned),
the service that owns it, the topic it travels on and which field is the Kafka key (the aggregate id).
Inside one version a change must be additive (new optional fields only); anything else is a new type
``...v2``. ``tests/contract`` enforces this against the committed JSON Schemas.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

CE_SOURCE_PREFIX = "/govmedia/"


class Event(BaseModel):
    """An immutable fact one service announces to the others."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_type: ClassVar[str]
    service: ClassVar[str]
    topic: ClassVar[str]
    aggregate_type: ClassVar[str]
    key_field: ClassVar[str]

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,
        service: str | None = None,
        topic: str | None = None,
        aggregate: str | None = None,
        key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if type is None:
            return  # an abstract intermediate class
        if None in (service, topic, aggregate, key):
            raise TypeError(f"{cls.__name__}: type, service, topic, aggregate and key are all required")
        if not type.rsplit(".", 1)[-1].startswith("v"):
            raise TypeError(f"{cls.__name__}: event type {type!r} must end with a version such as .v1")
        cls.event_type = type
        cls.service = service  # type: ignore[assignment]
        cls.topic = topic  # type: ignore[assignment]
        cls.aggregate_type = aggregate  # type: ignore[assignment]
        cls.key_field = key  # type: ignore[assignment]
        if type in CATALOGUE and CATALOGUE[type] is not cls:
            raise TypeError(f"event type {type!r} declared twice")
        CATALOGUE[type] = cls

    @property
    def aggregate_id(self) -> str:
        """The Kafka key: one aggregate's events stay in one partition, in order."""
        return str(getattr(self, self.key_field))

    @classmethod
    def source(cls) -> str:
        """CloudEvents ``source`` attribute of events of this class."""
        return f"{CE_SOURCE_PREFIX}{cls.service}"


CATALOGUE: dict[str, type[Event]] = {}


def event_class(event_type: str) -> type[Event] | None:
    """The catalogue class for a CloudEvents type, or None for a type this build does not know."""
    return CATALOGUE.get(event_type)

"""Base class and registry of the event catalogue (the public contract on Kafka).

Every event is a frozen pydantic model. Class keywords declare its CloudEvents type (versioned),
the service that owns it, the topic it travels on and which field is the Kafka key (the aggregate id).
``service``, ``topic``, ``aggregate`` and ``key`` are declared once, on an owner's intermediate base class,
and inherited by every event below it; each event then names only its ``type``::

    class _PostEvent(Fact, service="review", topic="gov.review.posts", aggregate="account", key="account_id"):
        account_id: Uuid
        post_id: Uuid

    class PostSubmitted(_PostEvent, type="gov.review.post.submitted.v1"):
        ...
Inside one version a change must be additive (new optional fields only); anything else is a new type
``...v2``. ``tests/contract`` enforces this against the committed JSON Schemas.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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
        # Keywords given on an intermediate base are inherited by every class below it.
        declared = {"service": service, "topic": topic, "aggregate_type": aggregate, "key_field": key}
        for attribute, value in declared.items():
            if value is not None:
                setattr(cls, attribute, value)
        if type is None:
            return  # an abstract intermediate class
        missing = [attribute for attribute in declared if getattr(cls, attribute, None) is None]
        if missing:
            raise TypeError(
                f"{cls.__name__}: type, service, topic, aggregate and key are all required "
                f"(on the class or a base); missing {missing}"
            )
        if not type.rsplit(".", 1)[-1].startswith("v"):
            raise TypeError(f"{cls.__name__}: event type {type!r} must end with a version such as .v1")
        cls.event_type = type
        if type in CATALOGUE and CATALOGUE[type] is not cls:
            raise TypeError(f"event type {type!r} declared twice")
        CATALOGUE[type] = cls

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # The key is declared far from the event (on its base): make sure the event really has that field.
        if "event_type" in cls.__dict__ and cls.key_field not in cls.model_fields:
            CATALOGUE.pop(cls.event_type, None)
            raise TypeError(f"{cls.__name__}: its Kafka key {cls.key_field!r} is not one of its fields")

    @property
    def aggregate_id(self) -> str:
        """The Kafka key: one aggregate's events stay in one partition, in order."""
        return str(getattr(self, self.key_field))

    @classmethod
    def source(cls) -> str:
        """CloudEvents ``source`` attribute of events of this class."""
        return f"{CE_SOURCE_PREFIX}{cls.service}"


class Fact(Event):
    """Fields every event carries; each owner's base class derives from it."""

    occurred_at: AwareDatetime = Field(
        description="When the fact happened, as recorded by the owning service (business time)."
    )


CATALOGUE: dict[str, type[Event]] = {}


def event_class(event_type: str) -> type[Event] | None:
    """The catalogue class for a CloudEvents type, or None for a type this build does not know."""
    return CATALOGUE.get(event_type)

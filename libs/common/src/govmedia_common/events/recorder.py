"""Domain objects record the events their changes cause; the service writes them to the outbox.

Pure: no I/O, no framework, so a ``domain`` module may use it. The service, after calling the domain and
mapping the object back to its rows, hands the object to :func:`govmedia_common.events.outbox.write_recorded`
in the same transaction::

    post.review(actor, Decision.APPROVE, at=now)   # records PostReviewed, PostApproved
    mapping.post_to_row(post, row)
    await write_recorded(session, post)             # one outbox row per recorded event, in order
"""

from __future__ import annotations

from govmedia_common.events.base import Event


class RecordsEvents:
    """Mixin: ``record`` events while changing state; ``pull_events`` hands them over exactly once."""

    def record(self, event: Event) -> None:
        """Note an event this change causes (written to the outbox with the state change)."""
        # Kept in __dict__ rather than a dataclass field: not part of the object's state or equality.
        self.__dict__.setdefault("_recorded_events", []).append(event)

    @property
    def recorded_events(self) -> tuple[Event, ...]:
        """Events recorded and not yet pulled, oldest first."""
        return tuple(self.__dict__.get("_recorded_events", ()))

    def pull_events(self) -> list[Event]:
        """Take the recorded events (oldest first); a second pull returns none."""
        events: list[Event] = self.__dict__.pop("_recorded_events", [])
        return events

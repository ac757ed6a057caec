"""The event catalogue: every fact the services announce on Kafka (the public contract).

The events live with their owner — :mod:`.registry`, :mod:`.review`, :mod:`.monitor`, :mod:`.notify`,
:mod:`.scoring` — and the value types several owners share in :mod:`.types`. In each owner's module, a base
class per topic declares the service, topic, aggregate and Kafka key once; an event class names only its
versioned ``type``. This module re-exports all of them, so ``from govmedia_common.events.catalogue import X``
and ``from govmedia_common.events import X`` keep working.

JSON Schemas and the AsyncAPI document under ``contracts/`` are generated from these classes by
:mod:`govmedia_platform.contracts` (``govmedia contracts write``); never edit them by hand. Inside one version
only additive changes are allowed (a new optional field, a new enum value); anything else is a new type ending
in ``.v2``. See ``docs/events.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govmedia_common.events.base import Fact as Fact
from govmedia_common.events.monitor import *  # noqa: F403
from govmedia_common.events.notify import *  # noqa: F403
from govmedia_common.events.registry import *  # noqa: F403
from govmedia_common.events.review import *  # noqa: F403
from govmedia_common.events.scoring import *  # noqa: F403
from govmedia_common.events.types import *  # noqa: F403

if not TYPE_CHECKING:  # type checkers read the star imports above; Python gets the full list
    from govmedia_common.events import monitor, notify, registry, review, scoring, types

    __all__ = [
        "Fact",
        *types.__all__,
        *registry.__all__,
        *review.__all__,
        *monitor.__all__,
        *notify.__all__,
        *scoring.__all__,
    ]

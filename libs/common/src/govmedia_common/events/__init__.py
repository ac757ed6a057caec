"""The event catalogue: ``from govmedia_common.events import AccountFiled``."""

from typing import TYPE_CHECKING

from govmedia_common.events.base import CATALOGUE as CATALOGUE
from govmedia_common.events.base import Event as Event
from govmedia_common.events.base import event_class as event_class
from govmedia_common.events.catalogue import *  # noqa: F403

if not TYPE_CHECKING:  # type checkers read the star import; Python gets the full list
    from govmedia_common.events import catalogue

    __all__ = ["CATALOGUE", "Event", "event_class", *catalogue.__all__]

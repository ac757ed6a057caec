"""The event catalogue: ``from govmedia_common.events import AccountFiled``."""

from govmedia_common.events.base import CATALOGUE, Event, event_class
from govmedia_common.events.catalogue import *  # noqa: F403
from govmedia_common.events.catalogue import __all__ as _catalogue_all

__all__ = ["CATALOGUE", "Event", "event_class", *_catalogue_all]

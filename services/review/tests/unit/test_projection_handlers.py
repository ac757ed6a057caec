"""The accounts projection follows every event the registry publishes about accounts."""

from govmedia_common.events import CATALOGUE
from govmedia_review.handlers import ACCOUNT_HANDLERS


def test_every_account_event_of_the_registry_updates_the_projection() -> None:
    published = {cls for cls in CATALOGUE.values() if cls.topic == "gov.registry.accounts"}
    assert published, "the catalogue has no account events"
    assert published - set(ACCOUNT_HANDLERS) == set()

"""Identity: people, machine clients, roles and scopes, tokens and signing keys."""

from govmedia_common.ids import new_id
from govmedia_registry.identity.domain import scopes_for_roles
from govmedia_registry.identity.tokens import hash_secret

__all__ = ["hash_secret", "new_id", "scopes_for_roles"]

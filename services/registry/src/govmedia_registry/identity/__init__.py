"""Identity: people, machine clients, roles and scopes, tokens and signing keys."""

from govmedia_registry.identity.domain import scopes_for_roles

__all__ = ["scopes_for_roles"]

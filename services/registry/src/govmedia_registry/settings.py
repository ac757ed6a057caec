"""The registry's own settings (``GOVMEDIA_REGISTRY_*``), typed, beside those every service has."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from govmedia_common.settings import ServiceSettings, service_settings

SERVICE = "registry"
DEVELOPMENT_ADMIN_PASSWORD = "govmedia-dev-admin"


class RegistrySettings(ServiceSettings):
    """Settings of the registry service."""

    regions_file: Path | None = Field(
        None, description="JSON file of administrative divisions to load (GOVMEDIA_REGISTRY_REGIONS_FILE)."
    )
    bootstrap_password: str | None = Field(
        None,
        description="Password of the first administrator created on a new installation "
        "(GOVMEDIA_REGISTRY_BOOTSTRAP_PASSWORD); required in production.",
    )
    bootstrap_region: str = Field(
        "330000",
        pattern=r"^[0-9]{2}0000$",
        description="Province of the first administrator (GOVMEDIA_REGISTRY_BOOTSTRAP_REGION).",
    )


_OWN_FIELDS = set(RegistrySettings.model_fields) - set(ServiceSettings.model_fields)


def registry_settings(settings: ServiceSettings | None = None) -> RegistrySettings:
    """``settings`` as given, completed with the registry's own settings from the environment."""
    if isinstance(settings, RegistrySettings):
        return settings
    own = service_settings(SERVICE, RegistrySettings)
    if settings is None:
        return own
    return RegistrySettings.model_validate({**settings.model_dump(), **own.model_dump(include=_OWN_FIELDS)})

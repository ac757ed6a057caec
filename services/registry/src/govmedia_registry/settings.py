"""The registry's own settings (``GOVMEDIA_REGISTRY_*``), typed, beside those every service has."""

from __future__ import annotations

from pydantic import Field

from govmedia_common.settings import ServiceSettings, service_settings

SERVICE = "registry"
DEVELOPMENT_ADMIN_PASSWORD = "govmedia-dev-admin"


class RegistrySettings(ServiceSettings):
    """Settings of the registry service."""

    # regions_file (GOVMEDIA_REGIONS_FILE, or GOVMEDIA_REGISTRY_REGIONS_FILE): ServiceSettings', the table
    # every service answers by (govmedia_common.regions).
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
    login_max_failures: int = Field(
        20, ge=1, description="Failed sign-ins of one username in the window before it is locked (429)."
    )
    login_max_failures_per_address: int = Field(
        100, ge=1, description="Failed sign-ins from one client address in the window before it is throttled."
    )
    login_window_seconds: int = Field(60, ge=1, le=86_400, description="The window failed sign-ins count in.")
    password_min_score: int = Field(
        3, ge=0, le=4, description="Least zxcvbn strength score (0–4) of a new password."
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

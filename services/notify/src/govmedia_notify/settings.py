"""Settings of the notify process (``GOVMEDIA_NOTIFY_*``): channels, the dispatcher and the sweep.

Thresholds of the domain (deadlines, quiet hours, the ladder, forced closure) are per-region rules
(:mod:`govmedia_notify.rules`), not process settings.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from govmedia_common.settings import ServiceSettings
from govmedia_notify.channels.addresses import Network, networks


class NotifySettings(ServiceSettings):
    """How notify reaches people, and how often its background work runs (``GOVMEDIA_NOTIFY_*``)."""

    smtp_host: str | None = Field(
        None,
        description="SMTP server e-mail goes through (a local MTA: 127.0.0.1); None: no e-mail is written.",
    )
    smtp_port: int = 25
    smtp_sender: str = "govmedia-notify@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    sms_gateway_url: str | None = Field(None, description="POST endpoint of the SMS gateway; None: no SMS.")
    sms_gateway_token: SecretStr | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_allowed_networks: str = Field(
        "",
        description="Comma-separated networks (CIDR) besides public addresses that webhooks may point at, "
        "e.g. an intranet receiver's 10.20.0.0/16; loopback, private and link-local addresses are refused "
        "otherwise.",
    )

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        networks(value.split(","))  # an operator's typo stops the start, naming the entry
        return value

    @property
    def webhook_networks(self) -> tuple[Network, ...]:
        return networks(self.webhook_allowed_networks.split(","))

    delivery_max_attempts: int = Field(8, ge=1, le=50, description="Attempts before a delivery is dead.")
    delivery_backoff_seconds: float = Field(30.0, gt=0, description="First retry delay; doubles each time.")
    delivery_backoff_cap_seconds: float = Field(3600.0, gt=0)
    delivery_batch_size: int = Field(50, ge=1, le=1000)
    delivery_lease_seconds: float = 60.0
    delivery_retention_days: int = Field(
        30,
        ge=1,
        description="Days delivered e-mail, SMS and webhook rows are kept (inbox and dead ones stay).",
    )
    run_dispatcher: bool = True
    dispatcher_interval_seconds: float = 1.0
    run_sweeper: bool = True
    sweep_interval_seconds: float = 60.0
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1)
    attachment_types: tuple[str, ...] = (
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )

"""Typed settings read from the environment (pydantic-settings)."""

from __future__ import annotations

from typing import Literal, TypeVar, overload

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseSettings):
    """Broker connection shared by all services (``GOVMEDIA_KAFKA_*``)."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_KAFKA_", extra="ignore")

    bootstrap: str = "127.0.0.1:9092"
    # The embedded broker (Tansu) does not implement InitProducerId: keep this off there.
    enable_idempotence: bool = False
    topic_partitions: int = 6
    topic_replication: int = 1
    client_id_prefix: str = "govmedia"
    # Consumer groups are named ``<group_prefix>.<service>.<group>``. Platforms sharing one broker (staging
    # and training copies, test platforms) each need their own prefix, or they split each other's partitions.
    group_prefix: str = Field(default="govmedia", pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")
    # A consumer silent this long (no heartbeat) loses its partitions to the group's other members; it says
    # it is alive every heartbeat interval. aiokafka's defaults. Shorter, a group forms and a restarted
    # member gets its partitions back sooner (the embedded broker holds a join about half a session), and a
    # member whose event loop is blocked that long is replaced (its records are read again: the inbox).
    consumer_session_timeout_ms: int = Field(10_000, ge=1_000, le=300_000)
    consumer_heartbeat_interval_ms: int = Field(3_000, ge=100)

    @model_validator(mode="after")
    def _heartbeat_within_the_session(self) -> KafkaSettings:
        if self.consumer_heartbeat_interval_ms * 3 > self.consumer_session_timeout_ms:
            raise ValueError(
                f"consumer_heartbeat_interval_ms ({self.consumer_heartbeat_interval_ms}) must be at most a "
                f"third of consumer_session_timeout_ms ({self.consumer_session_timeout_ms}): a member must "
                "be able to miss a heartbeat or two without losing its partitions"
            )
        return self

    def group_id(self, service: str, group: str) -> str:
        """The consumer group id of ``service``'s ``group`` (e.g. ``govmedia.scoring.metrics``)."""
        return f"{self.group_prefix}.{service}.{group}"


class ServiceSettings(BaseSettings):
    """Settings every service has; ``GOVMEDIA_<SERVICE>_*`` overrides ``GOVMEDIA_*``."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_", extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/govmedia"
    db_pool_size: int = 10
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    token_issuer: str = "govmedia-registry"
    token_audience: str = "govmedia"
    run_relay: bool = True
    run_consumers: bool = True
    relay_batch_size: int = 2000
    relay_lease_seconds: float = 30.0
    relay_idle_sleep_seconds: float = 0.2
    outbox_retention_days: int = 7
    consumer_max_retries: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    consumer_handler_timeout_seconds: float = 30.0
    consumer_max_poll_interval_ms: int = 300_000
    # One transaction per polled batch (falls back to one per message when anything in it fails).
    consumer_batch_transactions: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    # The input policy at the edge (govmedia_common.inputs): 413 above this many body bytes (unset: the
    # service's own default, ServiceSpec.max_body_bytes, 1 MB unless it takes bulk batches), 422 when JSON
    # nests deeper than this.
    max_body_bytes: int | None = Field(None, ge=1_024)
    max_json_depth: int = Field(32, ge=2, le=256)
    # Comma-separated addresses or networks of our own reverse proxies: X-Forwarded-For is believed only
    # when the connection comes from one of them (empty: never).
    trusted_proxies: str = ""
    # Refused accesses (401, 403, 404 …) of one source (the principal, else the client address) written to
    # the audit log one by one each minute; the rest are counted, and the source's next entry says how many
    # (govmedia_common.audit.RefusalBudget). 0: every refusal is written.
    audit_refusals_per_minute: int = Field(60, ge=0)
    # Where token revocations are published (empty: beside jwks_url, /.well-known/revocations), and how
    # often at most a service asks for new ones: a revoked token stops working within about this long.
    revocations_url: str = ""
    revocation_poll_seconds: float = Field(2.0, ge=0.0, le=60.0)
    # The official region table (govmedia_common.regions): a JSON file of administrative divisions, the same
    # for every service (GOVMEDIA_REGIONS_FILE; GOVMEDIA_<SERVICE>_REGIONS_FILE for one); unset, the shipped
    # starter set. The registry loads it into its regions table; the others answer by it which codes are
    # regions (404 unknown-region for the rest).
    regions_file: str | None = None


S = TypeVar("S", bound=ServiceSettings)


@overload
def service_settings(service: str) -> ServiceSettings: ...
@overload
def service_settings(service: str, settings_class: type[S]) -> S: ...
def service_settings(
    service: str, settings_class: type[ServiceSettings] = ServiceSettings
) -> ServiceSettings:
    """Settings for one service: ``GOVMEDIA_REGISTRY_DATABASE_URL`` wins over ``GOVMEDIA_DATABASE_URL``.

    A service with settings of its own declares them on a subclass, typed and documented, and never reads
    ``os.environ`` itself::

        class RegistrySettings(ServiceSettings):
            regions_file: Path | None = None  # GOVMEDIA_REGISTRY_REGIONS_FILE

        settings = service_settings("registry", RegistrySettings)
    """
    scoped_class = type(
        f"{settings_class.__name__}For{service.title()}",
        (settings_class,),
        {
            "__module__": __name__,
            "model_config": SettingsConfigDict(env_prefix=f"GOVMEDIA_{service.upper()}_", extra="ignore"),
        },
    )
    base = settings_class()
    scoped = scoped_class()
    merged = base.model_dump()
    merged.update(scoped.model_dump(exclude_unset=True))
    merged["service_name"] = service
    return settings_class.model_validate(merged)

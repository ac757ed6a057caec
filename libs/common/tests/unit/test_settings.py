"""Typed per-service settings: a service declares its own fields and never reads os.environ itself."""

from __future__ import annotations

import pytest

from govmedia_common.settings import ServiceSettings, service_settings


class ProbeSettings(ServiceSettings):
    regions_file: str | None = None
    bootstrap_region: str = "330000"
    silence_days: int = 14


def test_a_service_reads_its_own_typed_fields_under_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMEDIA_PROBE_REGIONS_FILE", "/data/regions.json")
    monkeypatch.setenv("GOVMEDIA_PROBE_SILENCE_DAYS", "21")
    settings = service_settings("probe", ProbeSettings)
    assert isinstance(settings, ProbeSettings)
    assert settings.regions_file == "/data/regions.json"
    assert settings.silence_days == 21  # typed: the string became an int
    assert settings.bootstrap_region == "330000"  # the documented default
    assert settings.service_name == "probe"


def test_the_service_prefix_wins_over_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMEDIA_DATABASE_URL", "postgresql+asyncpg://shared/db")
    monkeypatch.setenv("GOVMEDIA_PROBE_DATABASE_URL", "postgresql+asyncpg://own/db")
    monkeypatch.setenv("GOVMEDIA_LOG_LEVEL", "DEBUG")
    settings = service_settings("probe", ProbeSettings)
    assert settings.database_url == "postgresql+asyncpg://own/db"
    assert settings.log_level == "DEBUG"  # not set for the service: the shared value applies


def test_a_bad_value_is_refused_at_start_not_at_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMEDIA_PROBE_SILENCE_DAYS", "two weeks")
    with pytest.raises(ValueError, match="silence_days"):
        service_settings("probe", ProbeSettings)


def test_without_a_class_the_common_settings_are_returned() -> None:
    assert type(service_settings("probe")) is ServiceSettings


def test_consumer_groups_carry_the_platforms_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from govmedia_common.settings import KafkaSettings

    assert KafkaSettings().group_id("scoring", "metrics") == "govmedia.scoring.metrics"
    monkeypatch.setenv("GOVMEDIA_KAFKA_GROUP_PREFIX", "training")
    assert KafkaSettings().group_id("scoring", "metrics") == "training.scoring.metrics"
    with pytest.raises(ValidationError, match="group_prefix"):
        KafkaSettings(group_prefix="two words")

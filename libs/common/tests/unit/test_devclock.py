"""The development clock: one offset file moves every reader at once; production refuses it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from govmedia_common.devclock import DevClockRefused, DevClockSettings, MovableClock, service_clock
from govmedia_common.workdays import SHANGHAI, SystemClock

REAL = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


def test_without_a_file_the_movable_clock_reads_real_time(tmp_path: Path) -> None:
    clock = MovableClock(tmp_path / "clock.json", real_now=lambda: REAL)
    assert clock.now() == REAL and clock.offset() == timedelta(0)


def test_a_move_by_one_process_is_seen_by_the_next_reading_of_another(tmp_path: Path) -> None:
    real = [REAL]
    writer = MovableClock(tmp_path / "clock.json", real_now=lambda: real[0])
    reader = MovableClock(tmp_path / "clock.json", real_now=lambda: real[0])
    assert reader.today() == REAL.date()
    target = datetime(2026, 8, 3, 7, 0, tzinfo=SHANGHAI)
    writer.set(target)
    assert reader.now() == target
    writer.set(target + timedelta(days=1))  # a second move within the same second is seen too
    assert reader.now() == target + timedelta(days=1)
    real[0] = REAL + timedelta(minutes=5)  # time runs on from where the clock was put
    assert reader.now() == target + timedelta(days=1, minutes=5)
    writer.reset()
    assert reader.now() == real[0]


def test_an_unreadable_file_keeps_the_last_good_offset(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = MovableClock(path, real_now=lambda: REAL)
    clock.set(REAL - timedelta(days=30))
    path.write_text("{not json")
    assert clock.now() == REAL - timedelta(days=30)


def test_setting_a_naive_datetime_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        MovableClock(tmp_path / "c.json").set(datetime(2026, 1, 1))


def test_service_clock_is_the_system_clock_unless_a_file_is_configured(tmp_path: Path) -> None:
    assert isinstance(service_clock("development", DevClockSettings()), SystemClock)
    clock = service_clock("development", DevClockSettings(dev_clock_file=tmp_path / "c.json"))
    assert isinstance(clock, MovableClock) and clock.path == tmp_path / "c.json"
    in_test = service_clock("test", DevClockSettings(dev_clock_file=tmp_path / "c.json"))
    assert isinstance(in_test, MovableClock)


def test_production_refuses_a_movable_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMEDIA_DEV_CLOCK_FILE", str(tmp_path / "c.json"))
    with pytest.raises(DevClockRefused, match="production"):
        service_clock("production")
    assert isinstance(service_clock("development"), MovableClock)


def test_every_service_runtime_takes_the_movable_clock_from_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govmedia_common.app import build_runtime
    from govmedia_common.settings import ServiceSettings

    monkeypatch.setenv("GOVMEDIA_DEV_CLOCK_FILE", str(tmp_path / "c.json"))
    runtime = build_runtime(ServiceSettings(service_name="x", environment="development"))
    assert isinstance(runtime.clock, MovableClock)
    MovableClock(tmp_path / "c.json").set(REAL - timedelta(days=100))
    assert runtime.clock.today() <= (REAL - timedelta(days=99)).date()
    with pytest.raises(DevClockRefused):
        build_runtime(ServiceSettings(service_name="x", environment="production"))

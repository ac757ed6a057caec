"""A movable clock for development and test platforms: real time plus an offset every process shares.

``govmedia up`` (environment ``development`` or ``test`` only) gives each service the path of one small
JSON file under its data folder in ``GOVMEDIA_DEV_CLOCK_FILE``. Every service then reads "now" as the real
time plus the offset written there, so a demo or a tester can let weeks pass on a running platform: a public
announcement (公示) runs out, an account falls silent for 14 days, a rectification becomes overdue. Time
keeps moving at its normal pace from wherever the clock was put.

A reading checks the file's identity (``os.stat``: inode, size, modification time, a few microseconds) and
parses it again only when it changed; writers replace the file atomically. So a move is seen by the very
next reading of every process, without polling intervals to wait out. No file means real time.

Production refuses it: a service whose environment is ``production`` does not start when
``GOVMEDIA_DEV_CLOCK_FILE`` is set (:func:`service_clock`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from govmedia_common.files import write_atomic
from govmedia_common.workdays import SHANGHAI, Clock, SystemClock

__all__ = ["DevClockRefused", "DevClockSettings", "MovableClock", "service_clock"]

log = logging.getLogger(__name__)


class DevClockRefused(RuntimeError):
    """A movable clock was configured for a production service."""


class DevClockSettings(BaseSettings):
    """``GOVMEDIA_DEV_CLOCK_FILE``: the shared offset file of a development platform (unset: real time)."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_", extra="ignore")

    dev_clock_file: Path | None = None


def _real_now() -> datetime:
    return datetime.now(SHANGHAI)


class MovableClock:
    """Real time plus the offset in ``path``, shared by every process that reads the same file."""

    def __init__(self, path: Path, *, real_now: Callable[[], datetime] = _real_now) -> None:
        self.path = Path(path)
        self._real_now = real_now
        self._seen: tuple[int, int, int] | None = None  # inode, size, mtime_ns of the file last parsed
        self._offset = timedelta(0)

    def offset(self) -> timedelta:
        """How far this clock is from real time (negative: in the past)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._offset = None, timedelta(0)
            return self._offset
        identity = (st.st_ino, st.st_size, st.st_mtime_ns)
        if identity != self._seen:
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
                self._offset = timedelta(seconds=float(doc["offset_seconds"]))
            except FileNotFoundError:  # removed between stat and read: real time
                self._offset = timedelta(0)
            except (ValueError, KeyError, TypeError):  # keep the last good offset, and say so loudly
                log.error("unreadable development clock file, offset kept", extra={"file": str(self.path)})
            self._seen = identity
        return self._offset

    def now(self) -> datetime:
        """Real time plus the shared offset, in Asia/Shanghai."""
        return (self._real_now() + self.offset()).astimezone(SHANGHAI)

    def today(self) -> date:
        """The calendar day of :meth:`now` in Asia/Shanghai."""
        return self.now().date()

    def set(self, at: datetime) -> datetime:
        """Move every reader of the file to ``at`` (time runs on from there); returns the new now."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("the clock is set to an aware datetime")
        offset = at - self._real_now()
        self._write(
            {
                "offset_seconds": offset.total_seconds(),
                "set_to": at.astimezone(SHANGHAI).isoformat(),
                "set_at": self._real_now().isoformat(),
            }
        )
        return self.now()

    def advance(self, delta: timedelta) -> datetime:
        """Move every reader forward (or back, with a negative delta) by ``delta``."""
        return self.set(self.now() + delta)

    def reset(self) -> None:
        """Back to real time for every reader."""
        self.path.unlink(missing_ok=True)

    def _write(self, doc: dict[str, object]) -> None:
        write_atomic(self.path, json.dumps(doc))  # a reader sees the old file or the new one, never half


def service_clock(environment: str, settings: DevClockSettings | None = None) -> Clock:
    """The clock of a service: the shared movable clock when one is configured, else the system clock.

    Raises :class:`DevClockRefused` in production: a production deadline never follows a file.
    """
    file = (settings or DevClockSettings()).dev_clock_file
    if file is None:
        return SystemClock()
    if environment == "production":
        raise DevClockRefused(
            "GOVMEDIA_DEV_CLOCK_FILE is set but GOVMEDIA_ENVIRONMENT is production: a movable clock is for "
            "development and test platforms only; unset it"
        )
    return MovableClock(file)

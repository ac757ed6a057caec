"""Where the machine check runs: a post of ordinary length on the event loop, a long text off it.

Handing a check of well under a millisecond to a worker thread costs more than the check (a thread wake-up
and two GIL hand-overs per submission, much more on a busy machine); a long text would hold the event loop
for milliseconds, so it still goes to a thread.
"""

from __future__ import annotations

import threading
from typing import Any

from govmedia_review import service


class _Result:
    def to_dict(self) -> dict[str, Any]:
        return {"findings": [], "lexicon_versions": {}}


class _RecordingEngine:
    """Records on which thread it was asked to check."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def check(self, body: str, *, title: str, is_reprint: bool, source: str | None) -> _Result:
        self.threads.append(threading.get_ident())
        return _Result()


async def test_a_post_of_ordinary_length_is_checked_on_the_event_loop_thread() -> None:
    engine = _RecordingEngine()
    body = "今天上午，区政务服务中心正常开放。" * 50  # ~850 characters, a long notice
    result = await service.run_check(engine, title="通知", body=body, is_reprint=False, source=None)  # type: ignore[arg-type]  # a stand-in engine
    assert result == {"findings": [], "lexicon_versions": {}}
    assert engine.threads == [threading.get_ident()]


async def test_a_long_text_is_checked_off_the_event_loop() -> None:
    engine = _RecordingEngine()
    body = "长" * (service.INLINE_CHECK_CHARS + 1)
    await service.run_check(engine, title="通知", body=body, is_reprint=False, source=None)  # type: ignore[arg-type]  # a stand-in engine
    assert len(engine.threads) == 1 and engine.threads[0] != threading.get_ident()


async def test_the_title_counts_towards_the_length() -> None:
    engine = _RecordingEngine()
    title = "标" * service.INLINE_CHECK_CHARS
    await service.run_check(engine, title=title, body="正文", is_reprint=False, source=None)  # type: ignore[arg-type]  # a stand-in engine
    assert engine.threads[0] != threading.get_ident()

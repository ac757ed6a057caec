"""The ledger run's service processes get ports no other test session can take between pick and bind.

Up to 8 sessions share the machine; a port picked free and bound seconds later by the service (after its
startup) can be taken in between, and the run then talks to a stranger or records a port its service is not
on. The ledger platform binds each port first and hands the socket to the process, as `govmedia up` does.
No process is started here: Popen is replaced by a recorder, the sockets are real.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import SERVICES, port_is_free
from tests.fault import ledger_platform
from tests.fault.ledger_platform import LedgerPlatform


class _Recorded:
    """What Popen was asked to start; a process that never exits on its own."""

    def __init__(self, args: list[str], **kwargs: Any) -> None:
        self.args, self.pass_fds, self.pid = args, tuple(kwargs.get("pass_fds", ())), 0

    def poll(self) -> int | None:
        return None


@pytest.fixture
def platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LedgerPlatform]:
    monkeypatch.setattr(subprocess, "Popen", _Recorded)
    (tmp_path / "logs").mkdir()
    infra = Infrastructure("postgresql+asyncpg://u@127.0.0.1:9/x", "127.0.0.1:9")
    p = LedgerPlatform(infra, tmp_path, group_prefix="ports")
    try:
        yield p
    finally:
        for sock in [*p.listeners.values(), *p.extra_sockets]:
            sock.close()


def _handed_socket_port(proc: Any) -> int:
    [fd] = proc.pass_fds
    with socket.socket(fileno=socket.dup(fd)) as sock:
        return int(sock.getsockname()[1])


def test_each_service_is_on_the_port_of_a_socket_bound_before_its_process_starts(
    platform: LedgerPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = socket.create_server(("127.0.0.1", 0))  # another session's server on the port a pick would give
    taken = int(held.getsockname()[1])
    monkeypatch.setattr(ledger_platform, "free_port", lambda *_: taken, raising=False)
    try:
        platform.start_all()
        assert [s.name for s in platform.services] == list(SERVICES)
        for svc in platform.services:
            assert svc.port != taken, f"{svc.name} was recorded on a port another program holds"
            assert _handed_socket_port(svc.process) == svc.port, svc.name
            assert not port_is_free(svc.port), f"{svc.name}'s port was left free for anyone to take"
        assert platform.registry_url == platform.services[0].url
    finally:
        held.close()


def test_an_extra_process_serves_on_a_socket_bound_and_handed_to_it(platform: LedgerPlatform) -> None:
    proc, url = platform.spawn_extra("scoring")
    port = int(url.rsplit(":", 1)[1])
    assert not port_is_free(port), "the replica's port stays free until its startup ends: anyone may take it"
    assert _handed_socket_port(proc) == port

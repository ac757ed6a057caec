"""The README's commands for running against an existing PostgreSQL and Kafka work as written.

The ``sh`` block under "Against real Kafka and PostgreSQL" is read from the README and run against the test
infrastructure: its example server URL and bootstrap are swapped for the test's; idempotence and replication 3
(meant for Apache Kafka) are turned down for a single embedded broker; ``uv run`` becomes this interpreter;
``govmedia up`` is left to its own e2e test. The per-service ``uvicorn`` command must bring the service to
ready on the databases ``govmedia migrate`` made.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from govmedia_platform.launcher import Infrastructure
from govmedia_platform.stack import free_port

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_SERVER = "postgresql+asyncpg://govmedia:secret@db:5432"
EXAMPLE_BOOTSTRAP = "kafka-1:9092,kafka-2:9092,kafka-3:9092"


def readme_block() -> list[str]:
    """The commands of the block, continuation lines joined, comments dropped."""
    text = README.read_text()
    section = text[text.index("### Against real Kafka and PostgreSQL") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the README lost its block of commands"
    joined = block.group(1).replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


def test_the_readme_commands_migrate_create_topics_and_start_a_service_on_its_own(
    infra: Infrastructure, tmp_path: Path
) -> None:
    server = infra.database_server_url.rstrip("/")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}

    def adapt(word: str) -> str:
        return word.replace(EXAMPLE_SERVER, server).replace(EXAMPLE_BOOTSTRAP, infra.kafka_bootstrap)

    started: list[subprocess.Popen[bytes]] = []
    uvicorn: list[tuple[list[str], dict[str, str]]] = []
    try:
        for line in readme_block():
            for command in line.split("&&"):
                words = [adapt(w) for w in shlex.split(command)]
                if words[0] == "export":
                    env.update(w.partition("=")[::2] for w in words[1:])
                    # Apache Kafka settings of the example: the embedded broker has one node, no idempotence
                    env.update(
                        GOVMEDIA_KAFKA_ENABLE_IDEMPOTENCE="false", GOVMEDIA_KAFKA_TOPIC_REPLICATION="1"
                    )
                    continue
                local = dict(env)
                while "=" in words[0] and not words[0].startswith("-"):  # VAR=value before the command
                    key, value = words.pop(0).split("=", 1)
                    local[key] = value
                assert words[:2] == ["uv", "run"], line
                program, args = words[2], words[3:]
                if program == "govmedia" and args[:1] == ["up"]:
                    continue  # tested by test_platform_up.py
                if program == "govmedia":
                    done = subprocess.run(
                        [sys.executable, "-m", "govmedia_platform.cli", *args],
                        env=local, capture_output=True, text=True, timeout=300,
                    )  # fmt: skip
                    assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
                    continue
                assert program == "uvicorn", line
                uvicorn.append((args, local))
        assert uvicorn, "the README shows no per-service command"
        port = _serve_until_ready(*uvicorn[0], tmp_path, started)
        docs = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5)
        assert docs.status_code == 200
    finally:
        for proc in started:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _serve_until_ready(
    args: list[str], env: dict[str, str], tmp_path: Path, started: list[subprocess.Popen[bytes]]
) -> int:
    """Run the README's uvicorn command on a free port until its own process answers ready; the port.

    The port is picked free, but another program may take it before uvicorn binds (two test sessions at
    once): then uvicorn exits, or something else answers there; the command is run again on another port.
    Readiness counts only when /readyz names this process (GOVMEDIA_INSTANCE_ID).
    """
    for _ in range(3):
        port = free_port()
        log_file = tmp_path / f"service-{port}.log"
        log = open(log_file, "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *[str(port) if a == "8001" else a for a in args]],
            env={**env, "GOVMEDIA_INSTANCE_ID": "readme-test"},
            stdout=log,
            stderr=log,
        )
        started.append(proc)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200 and ready.json().get("pid") == proc.pid:
                    return port
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        text = log_file.read_text(errors="replace")
        if proc.poll() is None or "address already in use" not in text.lower():
            raise AssertionError(text[-3000:])
    raise AssertionError("three free ports were taken before uvicorn bound them")

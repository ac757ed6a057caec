"""Every command the README and docs/*.md show exists as written: each ``govmedia …`` and
``govmedia-monitor …`` names commands the CLI has and options those commands take, and each ``make X`` a
target of the Makefile.

Found by the outside-testing round: the runbook's 'A dead-outbox row' sent the operator to
``govmedia outbox --help``, a command that never existed ("No such command 'outbox'").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from govmedia_monitor.cli import app as monitor_app
from govmedia_platform.cli import app as platform_app

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md"])
CLIS = {"govmedia": platform_app, "govmedia-monitor": monitor_app}
# A command as a reader would type it: in a `code span`, or a line of a ```sh block.
COMMAND = re.compile(r"^(?:uv run )?(govmedia(?:-monitor)?|make) (.+)$")


def _commands() -> list[tuple[str, str, str]]:
    """(where, program, rest of the line) of every command the docs show."""
    found: list[tuple[str, str, str]] = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        spans = [(m.start(), m.group(1)) for m in re.finditer(r"`([^`\n]+)`", text)]
        for block in re.finditer(r"```sh\n(.*?)```", text, re.DOTALL):
            offset = block.start(1)
            for line in block.group(1).replace("\\\n", " ").splitlines():
                spans.append((offset, line))
                offset += len(line) + 1
        for position, span in spans:
            for part in re.split(r"&&|;", span.split("#", 1)[0]):
                match = COMMAND.match(part.strip())
                if match:
                    where = f"{doc.relative_to(ROOT)}:{text.count(chr(10), 0, position) + 1}"
                    found.append((where, match.group(1), match.group(2).strip()))
    return found


COMMANDS = _commands()


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, re.MULTILINE))


def test_the_docs_show_commands() -> None:
    programs = {program for _, program, _ in COMMANDS}
    assert programs == {"govmedia", "govmedia-monitor", "make"}, programs
    assert len(COMMANDS) > 20


def _placeholder(word: str) -> bool:
    return word.startswith(("<", "[", "…", "$")) or word in {"…", "...", "FILE"} or "|" in word


@pytest.mark.parametrize(("where", "program", "rest"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_the_docs_show_exists_with_its_options(where: str, program: str, rest: str) -> None:
    words = rest.split()
    if program == "make":
        target = words[0]
        assert target in _make_targets(), f"{where}: make {target}: no such target in the Makefile"
        return
    # typer carries its own copy of click: commands are read by their attributes, not their classes.
    command: Any = typer.main.get_command(CLIS[program])
    path = [program]
    expect_value = False
    for word in words:
        if expect_value:
            expect_value = False
            continue
        if _placeholder(word) or word == "--help":
            continue
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            options = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
            assert name in options, f"{where}: {' '.join(path)} takes no option {name}"
            parameter = options[name]
            flag = getattr(parameter, "is_flag", False) or getattr(parameter, "count", False)
            expect_value = "=" not in word and not flag
            continue
        subcommands = getattr(command, "commands", None)
        if subcommands is not None:
            assert word in subcommands, f"{where}: {' '.join(path)} has no command {word!r}"
            command, path = subcommands[word], [*path, word]
        # otherwise an argument (a file, a topic): nothing to check

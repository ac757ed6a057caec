"""The README as a new user reads it in a fresh clone, on a machine with nothing but Python.

Found by the outside-testing round: `make run` installs uv into `.tools/bin` when the machine lacks it,
and the README then says `uv run govmedia status`, `uv run govmedia --help`: 'uv: command not found',
with nothing saying where make had put it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_before_the_first_uv_run_the_readme_says_where_make_put_uv_and_the_makefile_agrees() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    fallback = re.search(r"^UV := .*\|\| echo (\S+)\)$", makefile, re.MULTILINE)
    assert fallback is not None, "the Makefile no longer says where it installs uv"
    installed_at = fallback.group(1)  # .tools/bin/uv
    first_uv_run = readme.index("uv run ")
    hint = readme.find(f"{installed_at} run")
    assert 0 <= hint < first_uv_run, (
        f"the README says 'uv run' (at {first_uv_run}) before telling that make put uv at {installed_at}"
    )
    assert f"PATH=$PWD/{installed_at.rsplit('/', 1)[0]}:$PATH" in readme  # once per terminal

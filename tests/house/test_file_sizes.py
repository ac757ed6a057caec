"""No source file of ours grows past 600 lines: past that a file stops being a room one can find one's way in.

Split by aggregate (a folder with the same file names inside) rather than raising the limit.
Generated files are exempt; they say so in their first lines.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIMIT = 600
GENERATED_MARKERS = ("# generated", "# Generated", "DO NOT EDIT", "@generated")


def source_files() -> list[Path]:
    roots = [*REPO.glob("services/*/src"), *REPO.glob("libs/*/src")]
    return sorted(path for root in roots for path in root.rglob("*.py"))


def is_generated(path: Path) -> bool:
    head = path.read_text(encoding="utf-8").splitlines()[:5]
    return any(marker in line for line in head for marker in GENERATED_MARKERS)


def test_the_check_looks_at_every_package() -> None:
    files = source_files()
    assert any("govmedia_review" in str(p) for p in files)
    assert any("govmedia_common" in str(p) for p in files)


def test_no_source_file_is_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(REPO)): lines
        for path in source_files()
        if not is_generated(path) and (lines := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not too_long, f"split these files (limit {LIMIT} lines): {too_long}"

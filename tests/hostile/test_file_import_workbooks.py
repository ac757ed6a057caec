"""``govmedia-monitor import`` handed an Excel or WPS workbook instead of CSV says so, and how to save it.

Found by the outside-testing round (a county clerk's export, as Excel and WPS save it by default): a workbook
named ``.xlsx`` was answered "cannot tell the format: name it .csv or .jsonl, or pass --format" — the clerk
renamed it or passed ``--format csv``, and was then told "the file is not UTF-8 text: line 1 holds the byte
0x.. …; pass --encoding gb18030", which decoded the archive into garbage and refused its "header". Nothing
said the file was a workbook, not text.
"""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govmedia_monitor.cli import app

# The first bytes of the OLE2 compound file of a legacy .xls workbook (and of WPS's .et).
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


def _xlsx(path: Path) -> Path:
    """A workbook as Excel writes it: a ZIP of XML parts."""
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types/>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook/>')
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
    return path


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+asyncpg://govmedia:x@127.0.0.1:{port}/monitor"  # never reached: refused before


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("metrics.xlsx", ()),
        ("metrics.csv", ()),  # renamed
        ("metrics.csv", ("--encoding", "gb18030")),  # and told to name an encoding
        ("metrics.xlsx", ("--format", "csv")),
    ],
)
def test_an_excel_workbook_is_refused_as_one_saying_how_to_save_it_as_csv(
    tmp_path: Path, name: str, extra: tuple[str, ...]
) -> None:
    path = _xlsx(tmp_path / name)
    args = ["import", str(path), "--kind", "metrics", "--database-url", _closed_url(), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "workbook" in result.output and "CSV UTF-8" in result.output, result.output
    assert "--format" not in result.output and "--encoding" not in result.output, result.output


@pytest.mark.parametrize("name", ["metrics.xls", "metrics.et", "metrics.csv"])
def test_a_legacy_xls_or_wps_workbook_is_refused_as_one_too(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(OLE2)
    result = CliRunner().invoke(
        app, ["import", str(path), "--kind", "metrics", "--database-url", _closed_url()]
    )
    assert result.exit_code == 2, result.output
    assert "workbook" in result.output and "CSV UTF-8" in result.output, result.output


@pytest.mark.parametrize("extra", [(), ("--encoding", "utf-16")])
def test_excels_unicode_text_is_refused_saying_to_save_it_as_csv_utf8(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """Excel's 'Unicode Text (*.txt)', the choice that keeps Chinese on older Excel: UTF-16 with a byte order
    mark, separated by tabs. Renamed .csv it was 'not UTF-8 text ...: pass --encoding gb18030'."""
    path = tmp_path / "metrics.csv"
    path.write_bytes("account_id\ttaken_at\treads\r\n".encode("utf-16"))
    args = ["import", str(path), "--kind", "metrics", "--database-url", _closed_url(), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "UTF-16" in result.output and "CSV UTF-8" in result.output, result.output


@pytest.mark.parametrize(("separator", "called"), [("\t", "tabs"), (";", "semicolons")])
def test_a_file_separated_by_tabs_or_semicolons_is_refused_saying_so(
    tmp_path: Path, separator: str, called: str
) -> None:
    """WPS's and Excel's 'Text (tab delimited)' named .csv: the header was refused as lacking account_id and
    taken_at and naming one column 'account_id<TAB>taken_at<TAB>reads'."""
    path = tmp_path / "metrics.csv"
    header = separator.join(["account_id", "taken_at", "reads"])
    row = separator.join(["6f1c2c8e-3a4b-4c5d-8e9f-0a1b2c3d4e5f", "2025-10-14T09:00:00+08:00", "1"])
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["import", str(path), "--kind", "metrics", "--database-url", _closed_url()]
    )
    assert result.exit_code == 2, result.output
    assert f"separated by {called}" in result.output and "CSV UTF-8" in result.output, result.output

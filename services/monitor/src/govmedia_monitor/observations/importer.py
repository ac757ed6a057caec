"""Bulk file import for platforms without a connector: CSV or JSON Lines, good rows in, bad rows reported.

Each row is validated with the same request model as the HTTP API (a CSV cell is text, so a count or a flag
is read from its text, ``12`` or ``true``; a JSON Lines row is JSON and takes the API's JSON types, so
``"12"`` there is refused as in the API); a row that does not validate, or names
an account the monitor does not know, is reported with its line number and reason, and the rest are
imported in batches (one transaction each, set-based, idempotent: importing a file twice adds nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import re
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.events import IngestChannel
from govmedia_common.json_values import error_message
from govmedia_common.workdays import Clock
from govmedia_monitor import schemas as s
from govmedia_monitor.observations import interactions, metrics
from govmedia_monitor.observations import service as observations
from govmedia_monitor.observations.checking import CheckerCache
from govmedia_monitor.observations.service import Report


class Kind(StrEnum):
    """What the rows of a file are."""

    POSTS = "posts"
    METRICS = "metrics"
    MESSAGES = "messages"
    REPLIES = "replies"
    INTERACTION = "interaction"


MODELS: dict[Kind, type[BaseModel]] = {
    Kind.POSTS: s.ObservedPostIn,
    Kind.METRICS: s.MetricSnapshotIn,
    Kind.MESSAGES: s.MessageIn,
    Kind.REPLIES: s.ReplyIn,
    Kind.INTERACTION: s.InteractionIn,
}
INGEST: dict[Kind, Callable[..., Awaitable[Report]]] = {
    Kind.POSTS: observations.ingest_posts,
    Kind.METRICS: metrics.ingest_metrics,
    Kind.MESSAGES: interactions.ingest_messages,
    Kind.REPLIES: interactions.ingest_replies,
    Kind.INTERACTION: interactions.ingest_interaction,
}


@dataclass
class ImportResult:
    """Rows imported, rows already there, and (line, reason) of every refused row."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # Stopped on request (Ctrl-C) after its last whole batch: the rows read after it were not imported.
    interrupted: bool = False


class FileRefused(ValueError):
    """The file as a whole cannot be imported (its encoding, its header, no rows): nothing was imported."""


# A CSV cell may be longer than any field allows (the model then refuses the row, naming the field); the
# csv module's own limit (131,072 characters) would stop the whole import with an error instead.
csv.field_size_limit(16 * 1024 * 1024)

EXCEL_HINT = (
    "an Excel 'CSV' saved on Chinese Windows is GBK: pass --encoding gb18030, or save it as 'CSV UTF-8'"
)


# The first bytes of a ZIP archive (an .xlsx workbook, WPS's and OpenDocument's too) and of an OLE2 compound
# file (a legacy .xls workbook, WPS's .et).
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
SAVE_AS_CSV = (
    "open it in Excel or WPS and save it as 'CSV UTF-8' (File → Save As → CSV UTF-8), then import that file"
)


def refuse_workbook(path: Path) -> None:
    """:class:`FileRefused` when ``path`` is a spreadsheet workbook or Excel's 'Unicode Text' (whatever its
    name), saying how to save it as CSV; a clerk told 'not UTF-8 text' or 'pass --format' went the wrong
    way."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = "UTF-16 text (what Excel saves as 'Unicode Text', separated by tabs)"
    elif head.startswith(OLE2_MAGIC):
        what = "an Excel 97-2003 (.xls) or WPS (.et) workbook"
    elif head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            names = []
        if any(n.startswith("xl/") for n in names):
            what = "an Excel (.xlsx) workbook"
        elif "mimetype" in names or any(n.startswith(("content.xml", "Sheets/")) for n in names):
            what = "a spreadsheet workbook (OpenDocument, WPS or Numbers)"
        else:
            what = "a ZIP archive"
    else:
        return
    raise FileRefused(f"the file is {what}, not CSV or JSON Lines text: {SAVE_AS_CSV}. Nothing was imported.")


def check_encoding(path: Path, encoding: str) -> int:
    """Lines of ``path`` holding anything; :class:`FileRefused` naming the first line that is not text in
    ``encoding``, before anything is imported (read as it goes, a file failed after its first batches)."""
    lines = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8-sig" if number == 1 and encoding == "utf-8" else encoding)
            except UnicodeDecodeError as exc:
                hint = EXCEL_HINT if encoding == "utf-8" else "pass the file's own encoding with --encoding"
                name = "UTF-8" if encoding == "utf-8" else encoding
                raise FileRefused(
                    f"the file is not {name} text: line {number} holds the byte "
                    f"0x{raw[exc.start]:02x} at position {exc.start + 1}; {hint}. Nothing was imported."
                ) from None
            lines += bool(raw.strip())
    return lines


def open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text; a UTF-8 byte order mark (Excel's 'CSV UTF-8') is not part of the first line."""
    return path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")


def _check_header(fields: Sequence[str] | None, model: type[BaseModel], kind: Kind) -> list[str]:
    """The header's column names (trimmed); :class:`FileRefused` when it is missing, lacks a required
    column or names a column ``kind`` does not have."""
    if not fields:
        raise FileRefused(f"the file has no rows (not even a header naming the {kind} columns)")
    names = [f.strip() for f in fields]
    known = model.model_fields
    if len(names) == 1:  # one column only: a file separated by something else than commas?
        for separator, called in (("\t", "tabs"), (";", "semicolons"), ("|", "vertical bars")):
            if sum(part.strip() in known for part in names[0].split(separator)) >= 2:
                raise FileRefused(
                    f"the header's columns are separated by {called}, not commas: {SAVE_AS_CSV}. Nothing was "
                    "imported."
                )
    required = [n for n, f in known.items() if f.is_required()]
    missing = [n for n in required if n not in names]
    unknown = [n for n in names if n and n not in known]
    twice = sorted({n for n in names if n and names.count(n) > 1})  # the csv module keeps the last silently
    if missing or unknown or twice:
        problems = []
        if twice:
            problems.append(f"names the column(s) {', '.join(twice)} more than once")
        if missing:
            problems.append(f"lacks the column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"names column(s) {', '.join(unknown)} that {kind} rows do not have")
        raise FileRefused(
            f"the header {' and '.join(problems)}; {kind} columns are: {', '.join(known)} "
            f"(required: {', '.join(required)}). Nothing was imported."
        )
    return names


# The instants of the rows; a cell of them written as Excel writes a date-time (``2025/10/14 9:30``,
# ``2025-10-14 09:30:00``), without a zone, is read in the zone ``--timezone`` names.
INSTANT_FIELDS = frozenset({"published_at", "taken_at", "received_at", "answered_at", "at"})
_LOCAL_TIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$"
)


# Excel's serial number of a date-time (days since 1899-12-30; 36526 is 2000-01-01, 73415 is 2100-12-31),
# which a model would read as seconds since 1970.
_EXCEL_SERIAL = re.compile(r"^(3[6-9]|[4-6][0-9]|7[0-3])[0-9]{3}(\.[0-9]+)?$")


def _instants(row: dict[str, Any], zone: tzinfo | None) -> dict[str, Any]:
    """``row`` with its instants written without a zone read in ``zone``; without one such a cell is
    refused saying how to write it."""
    for name in INSTANT_FIELDS & row.keys():
        value = row[name]
        if isinstance(value, str) and _EXCEL_SERIAL.match(value.strip()):
            raise ValueError(
                f"{name}: {value!r} is an Excel date serial number (days since 1899), not a time; format the "
                "column as a date and time (yyyy-mm-dd hh:mm) in Excel and export again"
            )
        found = _LOCAL_TIME.match(value.strip()) if isinstance(value, str) else None
        if found is None:
            continue  # with a zone, or not a time: the model reads it or says what is wrong
        if zone is None:
            raise ValueError(
                f"{name}: {value!r} has no time zone; write it with one (2025-10-14T09:30:00+08:00), or "
                "pass --timezone Asia/Shanghai when the file's times are Beijing time"
            )
        y, mo, d, h, mi, s, frac = found.groups()
        try:
            row[name] = datetime(
                int(y), int(mo), int(d), int(h), int(mi), int(s or 0), int((frac or "0").ljust(6, "0")), zone
            )
        except ValueError as exc:
            raise ValueError(f"{name}: {value!r} is not a time ({exc})") from None
    return row


def _reason(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {error_message(e)}" for e in exc.errors())


def _clean_csv_row(row: dict[str | None, Any]) -> dict[str, Any]:
    if None in row:
        raise ValueError("more fields than the header names")
    return {k: v for k, v in row.items() if k is not None and v not in ("", None)}


def parse(
    stream: io.TextIOBase | io.StringIO, fmt: str, kind: Kind, zone: tzinfo | None = None
) -> Iterator[tuple[int, BaseModel | None, str | None]]:
    """(line number, valid item or None, reason or None) for each data row of the file; times written
    without a zone are read in ``zone`` (refused without one)."""
    model = MODELS[kind]
    if fmt == "csv":
        reader = csv.DictReader(stream)
        reader.fieldnames = _check_header(reader.fieldnames, model, kind)
        rows = iter(reader)
        while True:
            before = reader.line_num
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, None, f"not readable as CSV: {exc}"
                if reader.line_num == before:
                    return  # the reader cannot get past it
                continue
            line = reader.line_num  # a row with a quoted line break: the line it ends on
            try:
                # A cell is text: 12 and true are read from it (strict=False relaxes the API's JSON types).
                yield line, model.model_validate(_instants(_clean_csv_row(row), zone), strict=False), None
            except ValidationError as exc:
                yield line, None, _reason(exc)
            except ValueError as exc:
                yield line, None, str(exc)
    for line, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield line, None, f"not JSON: {exc.msg}"
            continue
        if not isinstance(data, dict):
            yield line, None, "not a JSON object"
            continue
        try:
            yield line, model.model_validate(_instants(data, zone)), None
        except ValidationError as exc:
            yield line, None, _reason(exc)
        except ValueError as exc:
            yield line, None, str(exc)


def detect_format(path: Path) -> str:
    """``csv`` or ``jsonl`` from the file name."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(f"cannot tell the format of {path.name}: name it .csv or .jsonl, or pass --format")


# While a batch is written, the next is read and validated: the rows between two turns of the event loop,
# at which the batch being written sends its statements and reads their answers (PostgreSQL works on them
# meanwhile, on the other core). One batch is written at a time, in the file's order.
ROWS_PER_TURN = 100


async def import_rows(
    sessions: Callable[[], AsyncSession],
    rows: Iterator[tuple[int, BaseModel | None, str | None]],
    kind: Kind,
    *,
    clock: Clock,
    batch_size: int = 2_000,
    progress: Callable[[int], None] | None = None,
    result: ImportResult | None = None,
    stop: Callable[[], bool] | None = None,
) -> ImportResult:
    """Import valid rows in batches (one transaction per batch, one at a time, in order); collect every
    refused row (in ``result`` when given: what was imported before a failure stays readable there). The
    next batch is read while the previous one is written. When ``stop()`` turns true the import ends after
    the batch being written, the rows read since left out (``result.interrupted``)."""
    result = result if result is not None else ImportResult()
    batch: list[tuple[int, BaseModel]] = []
    # Imported posts (first sightings and new versions alike) go through the machine check as the API's do.
    extra: dict[str, Any] = {"checker": CheckerCache()} if kind == Kind.POSTS else {}
    writing: asyncio.Task[None] | None = None

    async def write(rows_: list[tuple[int, BaseModel]]) -> None:
        async with sessions() as session, session.begin():
            report = await INGEST[kind](
                session,
                [item for _, item in rows_],
                channel=IngestChannel.FILE_IMPORT,
                now=clock.now(),
                **extra,
            )
        result.accepted += report.accepted
        result.duplicates += report.duplicates
        result.rejected.extend((rows_[i][0], reason) for i, reason in report.rejected)
        if progress:
            progress(len(rows_))

    async def written() -> None:
        """Wait for the batch being written (its failure is raised here)."""
        nonlocal writing
        if writing is not None:
            task, writing = writing, None
            await task

    async def flush() -> None:
        nonlocal writing
        await written()
        if batch:
            writing = asyncio.create_task(write(list(batch)))
            batch.clear()
            await asyncio.sleep(0)  # it starts: its first statement goes out before the next row is read

    try:
        seen = False
        for count, (line, item, reason) in enumerate(rows, 1):
            if stop is not None and stop():
                await written()
                result.interrupted = True
                return result
            seen = True
            if item is None:
                result.rejected.append((line, reason or "invalid"))
                if progress:
                    progress(1)
            else:
                batch.append((line, item))
                if len(batch) >= batch_size:
                    await flush()
            if count % ROWS_PER_TURN == 0 and writing is not None:
                await asyncio.sleep(0)
        if stop is not None and stop():
            await written()
            result.interrupted = True
            return result
        await flush()
        await written()
    except asyncio.CancelledError:  # stopped at once (a second Ctrl-C): the batch in flight is rolled back
        if writing is not None:
            writing.cancel()
        raise
    except Exception:  # the file failed while being read: the batches read before are written, as they were
        if writing is not None:
            with contextlib.suppress(Exception):
                await writing
        raise
    if not seen:
        raise FileRefused(
            f"the file has no rows of {kind} (a header alone, or blank lines): nothing to import"
        )
    result.rejected.sort()
    return result

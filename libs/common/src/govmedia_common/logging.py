"""JSON logs with the trace id of the current request or message."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from govmedia_common.tracing import current_trace

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

# Secrets must never reach a log: SQLAlchemy prints the bound parameters of a failed statement (password
# hashes, client secrets), and tracebacks may carry hashes or bearer tokens.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?(?=\n\(Background on this error|\Z)", re.S)
_ARGON2 = re.compile(r"\$argon2(?:id|i|d)\$[^\s'\",)\]]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{20,}")


def scrub(text: str) -> str:
    """``text`` without SQL parameters, Argon2 hashes and bearer tokens."""
    text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
    text = _ARGON2.sub("$argon2…(hidden)", text)
    return _BEARER.sub(r"\1…(hidden)", text)


class _ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, trace_id, service and extras."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "message": scrub(record.getMessage()),
        }
        ctx = current_trace.get()
        if ctx is not None:
            doc["trace_id"] = ctx.trace_id
            doc["span_id"] = ctx.span_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exception"] = scrub(self.formatException(record.exc_info))
        return orjson.dumps(doc, default=str).decode()


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route the root logger to stdout, as JSON unless asked otherwise."""
    handler = logging.StreamHandler(sys.stdout)
    if json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(_ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx and httpcore log every request at INFO ('HTTP Request: GET …/revocations', each webhook POST):
    # a line every 2 s per service under load. The services log what matters of their calls themselves.
    # alembic's plugin registry says 'setup plugin …' seven times at every start (its migrations still log).
    for noisy in ("aiokafka", "kafka", "httpx", "httpcore", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

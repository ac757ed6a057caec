"""Lexicon lists too large to travel inline are fetched from the review, as a machine client of the registry.

The review announces a version larger than its inline limit with ``document`` null, ``document_path`` (a
``GET`` on the review) and ``document_hash``. The consumer stores the announcement at once (its handler does
no HTTP: it runs in the consumer's transaction); a background task then looks for lists still without their
document and fetches each one:

1. a token from the registry's token endpoint (OAuth 2.0 ``client_credentials``; the client needs the
   machine scope ``review:read`` in a region whose lists it must read: the province of the deployment), kept
   until shortly before it expires;
2. ``GET {review_url}{document_path}`` with that token; the answer's ``document`` must hash (canonical JSON,
   as the review computes it) to the announced ``document_hash``, otherwise it is refused;
3. stored only if the list is still at the announced version (a newer announcement wins).

Until a list is fetched the check runs without it; a failure is retried at the next poll. What stops the
fetch (no machine client, a list that cannot be fetched) is logged once, and again only when it changes
(another cause, another count of waiting lists), not at every poll; its state is the gauge
``govmedia_lexicon_fetch_state`` (one of :data:`STATES` is 1) beside ``govmedia_lexicon_lists_waiting``.
Settings (``GOVMEDIA_MONITOR_``): ``REVIEW_URL``, ``REGISTRY_URL``, and the client as
``CLIENT_ID``/``CLIENT_SECRET`` or ``CLIENT_CREDENTIALS_FILE`` (JSON ``{"client_id", "client_secret"}``,
read at each attempt, so a launcher may write it after the registry is up). Without them nothing is fetched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import Gauge
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govmedia_common.db import unit_of_work
from govmedia_common.scheduled import ScheduledTask
from govmedia_monitor.models import LexiconList

log = logging.getLogger(__name__)

# A list announced without its document: the column holds JSON null (SQL NULL on older rows).
_WITHOUT_DOCUMENT = func.coalesce(func.jsonb_typeof(LexiconList.document), "null") != "object"

# Renew a token this long before the registry says it expires.
TOKEN_MARGIN_SECONDS = 60.0

# not_configured: no review or registry URL (nothing is fetched); no_client: lists wait and no machine client
# is configured; failing: a list could not be fetched at the last poll; ok: nothing waits, or all fetched.
STATES = ("not_configured", "no_client", "failing", "ok")
FETCH_STATE = Gauge(
    "govmedia_lexicon_fetch_state",
    "State of the fetch of lexicon lists too large to travel inline (1 for the current one): not_configured "
    "(GOVMEDIA_MONITOR_REVIEW_URL/REGISTRY_URL unset), no_client (lists wait, no machine client), failing "
    "(a list could not be fetched at the last poll), ok.",
    ["service", "state"],
)


def set_state(state: str) -> None:
    """Show ``state`` as the fetch's current one on /metrics."""
    for name in STATES:
        FETCH_STATE.labels("monitor", name).set(1 if name == state else 0)


class LexiconFetchSettings(BaseSettings):
    """Where and as whom the monitor fetches large lexicon lists (``GOVMEDIA_MONITOR_*``)."""

    model_config = SettingsConfigDict(env_prefix="GOVMEDIA_MONITOR_", extra="ignore")

    review_url: str | None = None
    registry_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    client_credentials_file: Path | None = None
    lexicon_fetch_poll_seconds: float = 10.0
    lexicon_fetch_timeout_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        """Both services are known; the credentials may still arrive later (a file)."""
        return bool(self.review_url and self.registry_url)

    def credentials(self) -> tuple[str, str] | None:
        """The machine client's id and secret, from the settings or the credentials file; None if absent."""
        if self.client_id and self.client_secret is not None:
            return self.client_id, self.client_secret.get_secret_value()
        path = self.client_credentials_file
        if path is None or not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["client_id"]), str(data["client_secret"])


class LexiconFetchError(RuntimeError):
    """A list could not be fetched or was not the announced one; retried at the next poll."""


def document_hash(document: dict[str, Any]) -> str:
    """``sha256:`` of a lexicon document's canonical JSON (sorted keys, UTF-8, no spaces), as announced."""
    raw = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _answer(r: httpx.Response) -> str:
    """A refusal as a stable cause: status, and a problem's code and detail (not its ``trace_id`` or
    ``instance``, new at every request: the failure is logged again only when its cause changes)."""
    try:
        body = r.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("code" in body or "detail" in body):
        return f"{r.status_code} {body.get('code', '')}: {str(body.get('detail', ''))[:300]}"
    return f"{r.status_code} {r.text[:200]}"


@dataclass
class _Token:
    value: str
    renew_at: float


class LexiconFetcher:
    """Fetches announced lexicon documents from the review with a registry token."""

    def __init__(
        self,
        settings: LexiconFetchSettings,
        *,
        review: httpx.AsyncClient,
        registry: httpx.AsyncClient,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.review = review
        self.registry = registry
        self._monotonic = monotonic
        self._token: _Token | None = None
        self._said: str | None = None  # what stops the fetch, as last logged
        self._failures: dict[str, str] = {}  # list → why it was not fetched, as last logged

    def _report(self, state: str, message: str | None = None) -> None:
        """Set the state; log ``message`` (a warning) only when it is not the one logged last."""
        set_state(state)
        if message is not None and message != self._said:
            log.warning("%s", message)
        self._said = message

    async def _bearer(self) -> str:
        if self._token is not None and self._monotonic() < self._token.renew_at:
            return self._token.value
        creds = self.settings.credentials()
        if creds is None:
            raise LexiconFetchError("no machine client configured to read lexicons from the review")
        r = await self.registry.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": creds[0], "client_secret": creds[1]},
        )
        if r.status_code != 200:
            raise LexiconFetchError(f"the registry refused the monitor's client: {_answer(r)}")
        body = r.json()
        ttl = float(body.get("expires_in", 300))
        self._token = _Token(
            str(body["access_token"]), self._monotonic() + max(ttl - TOKEN_MARGIN_SECONDS, 0)
        )
        return self._token.value

    async def fetch(self, document_path: str, expected_hash: str) -> dict[str, Any]:
        """The document at ``document_path``, checked against the announced hash."""
        for attempt in (1, 2):
            r = await self.review.get(
                document_path, headers={"Authorization": f"Bearer {await self._bearer()}"}
            )
            if r.status_code == 401 and attempt == 1:
                self._token = None  # revoked or rotated key: one new token, once
                continue
            break
        if r.status_code != 200:
            raise LexiconFetchError(f"GET {document_path}: {_answer(r)}")
        document = r.json().get("document")
        if not isinstance(document, dict):
            raise LexiconFetchError(f"GET {document_path}: no document in the answer")
        got = document_hash(document)
        if got != expected_hash:
            raise LexiconFetchError(f"GET {document_path}: hash {got} is not the announced {expected_hash}")
        return document

    async def fetch_pending(self, sessions: async_sessionmaker[AsyncSession]) -> int:
        """Fetch every list still waiting for its document; returns how many were stored."""
        async with sessions() as session:
            pending = (
                await session.execute(
                    select(
                        LexiconList.scope_region_code,
                        LexiconList.kind,
                        LexiconList.seq,
                        LexiconList.document_path,
                        LexiconList.document_hash,
                    ).where(_WITHOUT_DOCUMENT)
                )
            ).all()
        if not pending:
            self._failures.clear()
            self._report("ok")
            return 0
        if self.settings.credentials() is None:
            self._report(
                "no_client",
                f"{len(pending)} lexicon list(s) wait for their document (the machine check runs without "
                "them): no machine client configured (GOVMEDIA_MONITOR_CLIENT_ID/_SECRET or "
                "_CLIENT_CREDENTIALS_FILE); logged again only when this changes, see the gauge "
                "govmedia_lexicon_fetch_state",
            )
            return 0
        stored, failing = 0, 0
        for row in pending:
            key = f"{row.scope_region_code}/{row.kind}"
            try:
                document = await self.fetch(row.document_path, row.document_hash)
            except (LexiconFetchError, httpx.HTTPError, ValueError) as exc:
                failing += 1
                why = f"{exc.__class__.__name__}: {exc}"
                if self._failures.get(key) != why:  # once per list and cause, not at every poll
                    log.warning(
                        "lexicon list %s not fetched yet (retried at every poll, logged again only when "
                        "the cause changes): %s",
                        key,
                        why,
                        extra={"lexicon_key": key},
                    )
                    self._failures[key] = why
                continue
            self._failures.pop(key, None)
            async with unit_of_work(sessions) as session:
                result = await session.execute(
                    update(LexiconList)
                    .where(
                        LexiconList.scope_region_code == row.scope_region_code,
                        LexiconList.kind == row.kind,
                        LexiconList.seq == row.seq,  # a newer announcement meanwhile wins
                        _WITHOUT_DOCUMENT,
                    )
                    .values(document=document)
                )
            if result.rowcount:  # type: ignore[attr-defined]
                stored += 1
                log.info(
                    "fetched a lexicon list too large to travel inline",
                    extra={"lexicon_key": key, "seq": row.seq, "entries": len(document.get("entries", ()))},
                )
        self._report("failing" if failing else "ok")
        return stored


async def fetch_loop(
    settings: LexiconFetchSettings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    review_transport: httpx.AsyncBaseTransport | None = None,
    registry_transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Poll for lists waiting for their document and fetch them, until cancelled (transports: in-process
    services in tests)."""
    timeout = httpx.Timeout(settings.lexicon_fetch_timeout_seconds)
    async with (
        httpx.AsyncClient(
            base_url=settings.review_url or "", timeout=timeout, transport=review_transport
        ) as review,
        httpx.AsyncClient(
            base_url=settings.registry_url or "", timeout=timeout, transport=registry_transport
        ) as registry,
    ):
        fetcher = LexiconFetcher(settings, review=review, registry=registry)
        task = ScheduledTask(
            "monitor", "lexicon-fetch", interval_seconds=settings.lexicon_fetch_poll_seconds, log=log
        )
        while True:
            try:
                with task.turn():
                    await fetcher.fetch_pending(sessions)
            except Exception:
                task.log_failure(
                    "lexicon fetch round failed; retrying in %g s",
                    task.pause(settings.lexicon_fetch_poll_seconds),
                )
            await asyncio.sleep(task.pause(settings.lexicon_fetch_poll_seconds))

"""The app factory every service uses: settings, engine, Kafka, relay, consumers, auth, conventions.

A service describes itself with a :class:`ServiceSpec` (routers, consumer groups, startup hook) and gets
a FastAPI app whose lifespan starts the outbox relay and the consumers, with ``/healthz``, ``/readyz``,
``/metrics``, problem+json errors, trace context, RED metrics and audited refusals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govmedia_common import metrics
from govmedia_common.audit import RequestInfo, current_request
from govmedia_common.auth import (
    Principal,
    RevocationList,
    TokenVerifier,
    check_access,
    revocations_url_beside,
    unauthorized,
)
from govmedia_common.consumer import ConsumerRunner, Handler, tune_gc
from govmedia_common.db import create_engine, session_factory
from govmedia_common.devclock import service_clock
from govmedia_common.events.base import Event
from govmedia_common.gauges import BusinessGauges, SqlGauge
from govmedia_common.inputs import (
    DEFAULT_MAX_BODY_BYTES,
    InputPolicy,
    client_address,
    install_input_policy,
    parse_networks,
    safe_path,
)
from govmedia_common.kafka import make_producer
from govmedia_common.logging import configure_logging
from govmedia_common.openapi import install as install_openapi
from govmedia_common.openapi import token_url_beside
from govmedia_common.outbox import OutboxRelay
from govmedia_common.problems import (
    HEAD_AS_GET,
    Problem,
    crash_response,
    install_problem_handlers,
    problem_response,
)
from govmedia_common.query_params import check_query
from govmedia_common.refusals import install_refusal_handlers
from govmedia_common.regions import use_table as use_region_table
from govmedia_common.settings import ServiceSettings
from govmedia_common.tracing import configure_tracing, instrument_engine, span
from govmedia_common.workdays import Clock

log = logging.getLogger(__name__)
C = TypeVar("C")


@dataclass
class ServiceSpec:
    """What makes one service: its name, API and the events it consumes."""

    name: str
    title: str
    description: str
    version: str = "0.1.0"
    routers: Sequence[APIRouter] = ()
    consumer_groups: Mapping[str, Mapping[type[Event], Handler]] = field(default_factory=dict)
    on_startup: Callable[[Runtime], Awaitable[None]] | None = None
    openapi_tags: list[dict[str, Any]] | None = None
    # The request body limit of this service when GOVMEDIA_<SERVICE>_MAX_BODY_BYTES does not set one
    # (a service taking bulk batches declares more than the 1 MB every other one gets).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Facts of the domain exported as Prometheus gauges, computed by SQL over the service's database.
    gauges: Sequence[SqlGauge] = ()
    gauge_refresh_seconds: float = 30.0


@dataclass
class Runtime:
    """Everything a request or a message handler may need, built once by the composition root."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    verifier: TokenVerifier
    clock: Clock
    producer: Any = None
    relay: OutboxRelay | None = None
    consumers: list[ConsumerRunner] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # A service's own long-lived objects (an engine cache, a platform client), one per type: see provide().
    components: dict[type[Any], object] = field(default_factory=dict)

    def provide(self, component: object) -> None:
        """Register one of the service's own components under its type (in the composition root)."""
        self.components[type(component)] = component

    def component(self, kind: type[C]) -> C:
        """The component of this type the composition root provided; typed, unlike a dict of extras."""
        value = self.components.get(kind)
        if not isinstance(value, kind):
            raise LookupError(f"no {kind.__name__} was provided to the {self.settings.service_name} runtime")
        return value


def runtime_of(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # One transaction per request, committed before the response is sent (scope="function" below).
    async with runtime_of(request).sessions() as session, session.begin():
        yield session


async def _runtime(request: Request) -> Runtime:
    # A coroutine, so FastAPI calls it on the event loop: a plain function dependency would go through
    # the thread pool on every request of every service.
    return runtime_of(request)


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]

_bearer = HTTPBearer(
    auto_error=False, description="JWT issued by the registry (password or client credentials)"
)


class Authorize:
    """Dependency: a verified caller holding all ``scopes``, one of ``any_scope`` and one of ``roles``."""

    def __init__(self, *scopes: str, roles: tuple[str, ...] = (), any_scope: tuple[str, ...] = ()) -> None:
        self.scopes = scopes
        self.roles = roles
        self.any_scope = any_scope

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise unauthorized(
                "Send 'Authorization: Bearer <token>' (get one from the registry's /v1/auth/token)."
            )
        principal = await runtime_of(request).verifier.verify(credentials.credentials)
        request.state.principal = principal
        check_access(principal, scopes=self.scopes, roles=self.roles, any_scope=self.any_scope)
        check_query(request)  # after the token: a caller who may not call it learns nothing
        return principal


def _authorized(route: Any) -> bool:
    """Whether ``route`` verifies a token (an :class:`Authorize` among its dependencies; kept on it)."""
    found: bool | None = getattr(route, "_govmedia_authorized", None)
    if found is None:
        stack, found = [route.dependant], False
        while stack and not found:
            dependant = stack.pop()
            found = isinstance(dependant.call, Authorize)
            stack.extend(dependant.dependencies)
        route._govmedia_authorized = found
    return found


async def _public_query(request: Request) -> None:
    """The query parameters of a public API route (no token: the leaderboard, the announcements, the
    revocation feed) are checked as :class:`Authorize` checks those of the others."""
    route = request.scope.get("route")
    path = str(getattr(route, "path", ""))
    if route is not None and path.startswith(("/v1/", "/.well-known/")) and not _authorized(route):
        check_query(request)


class _HttpMiddleware:
    """Trace context, request info for the audit log, RED metrics per route template."""

    def __init__(self, app: ASGIApp, service: str, trusted_proxies: str = "") -> None:
        self.app = app
        self.service = service
        self.trusted = parse_networks(trusted_proxies.split(","))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HEAD is answered wherever GET is (RFC 9110 9.3.2: the GET's status and headers, no body); FastAPI
        # routes serve GET only, and monitors, link checkers and proxies ask with HEAD.
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET", HEAD_AS_GET: True}
        # Latin-1 never fails: a stray non-UTF-8 byte in a header must not turn into a 500.
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        span_cm = span(
            f"HTTP {scope['method']}",
            headers.get("traceparent"),
            kind=SpanKind.SERVER,
            attributes={
                "govmedia.service": self.service,
                "http.request.method": scope["method"],
                "url.path": scope["path"],
            },
        )
        ctx = span_cm.__enter__()
        client = scope.get("client")
        address = client_address(client[0] if client else None, headers.get("x-forwarded-for"), self.trusted)
        req_token = current_request.set(RequestInfo(address, scope["method"], scope["path"]))
        status = 500
        start = time.perf_counter()
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message.setdefault("headers", [])
                headers = message["headers"]
                if 300 <= status < 400:
                    headers = [_relative_location(k, v) for k, v in headers]
                message["headers"] = [*headers, (b"traceparent", ctx.traceparent.encode())]
            elif head and message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception:
                if started:
                    raise
                # Answered here, inside the span: the 500 carries the trace_id it asks the user to quote,
                # and the traceparent header with it (Starlette's error middleware runs outside this one).
                await crash_response(safe_path(scope), headers.get("traceparent"))(
                    scope, receive, send_wrapper
                )
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if template not in ("/metrics", "/healthz", "/readyz"):
                metrics.HTTP_REQUESTS.labels(self.service, scope["method"], template, str(status)).inc()
                metrics.HTTP_DURATION.labels(self.service, scope["method"], template).observe(
                    time.perf_counter() - start
                )
            current_request.reset(req_token)
            span_cm.__exit__(None, None, None)


def _relative_location(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A redirect's ``Location`` as a path on this server: Starlette builds the slash redirect
    (``/v1/units/`` → ``/v1/units``) from the ``Host`` header and the socket's scheme, which names any host
    a client sent, and ``http://`` behind a TLS proxy (where a client then drops its token, or sends it in
    clear)."""
    if name.lower() != b"location" or not value.lower().startswith((b"http://", b"https://")):
        return name, value
    parts = urlsplit(value.decode("latin-1"))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return name, path.encode("latin-1")


async def _supervise(name: str, factory: Callable[[], Awaitable[None]]) -> None:
    """Keep a background loop alive: restart it with backoff when it crashes."""
    backoff = 1.0
    while True:
        try:
            await factory()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task crashed; restarting", extra={"task": name, "backoff_s": backoff})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)


def build_runtime(
    settings: ServiceSettings, *, verifier: TokenVerifier | None = None, clock: Clock | None = None
) -> Runtime:
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    configure_tracing(settings.service_name)
    instrument_engine(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        verifier=verifier
        or TokenVerifier(
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            jwks_url=settings.jwks_url,
            revocations=RevocationList(
                url=settings.revocations_url or revocations_url_beside(settings.jwks_url),
                poll_seconds=settings.revocation_poll_seconds,
                service=settings.service_name,
            ),
        ),
        clock=clock or service_clock(settings.environment),  # a movable one on development platforms
    )


@dataclass(frozen=True)
class _CodeMigrations:
    """The Alembic heads this code expects, read once when the app is built (not later from disk, where
    newer code may have been put under the running process)."""

    heads: frozenset[str]
    known: frozenset[str]
    script: Any  # alembic.script.ScriptDirectory: which revisions lead from the database's to the heads

    @classmethod
    def of(cls, service: str) -> _CodeMigrations | None:
        """None for an app without its own migrations (a test app)."""
        from alembic.script import ScriptDirectory

        from govmedia_common.migrations import migrations_dir

        try:
            script = ScriptDirectory(str(migrations_dir(service)))
        except (ImportError, FileNotFoundError):
            return None
        known = frozenset(r.revision for r in script.walk_revisions())
        return cls(frozenset(script.get_heads()), known, script)

    async def state(self, conn: Any) -> str:
        """``ok``, or what is wrong between the database's ``alembic_version`` and this code."""
        found = await conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
        if not found.scalar():
            return "behind: the database has no alembic_version (never migrated); run 'govmedia migrate'"
        at = frozenset((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
        if at == self.heads:
            return "ok"
        now = ", ".join(sorted(at)) or "no revision"
        if not at <= self.known:
            # Newer code migrated it (a rolling update: the migration job ran, this older pod still serves).
            # Migrations only add, so the older code keeps working: stay ready.
            return "ok"
        try:
            pending = [r.revision for r in self.script.iterate_revisions(tuple(self.heads), tuple(at))]
        except Exception:  # an unusual graph: name the heads only
            pending = sorted(self.heads - at)
        return (
            f"behind: the database is at {now}; this code needs {', '.join(reversed(pending))}; "
            "run 'govmedia migrate'"
        )


def create_app(
    spec: ServiceSpec,
    settings: ServiceSettings,
    *,
    verifier: TokenVerifier | None = None,
    clock: Clock | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    """Build a service's FastAPI app; the lifespan starts Kafka, the relay and the consumers."""
    if configure_logs:
        configure_logging(spec.name, settings.log_level, settings.log_json)
    runtime = build_runtime(settings, verifier=verifier, clock=clock)
    use_region_table(settings.regions_file)  # the registry's official table: "a region" means one thing

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        metrics.SERVICE_INFO.labels(spec.name, spec.version).set(1)
        runtime.producer = make_producer(settings.kafka, spec.name)
        await runtime.producer.start()
        if spec.on_startup is not None:
            await spec.on_startup(runtime)
        if settings.run_relay:
            runtime.relay = OutboxRelay(
                runtime.sessions,
                runtime.producer,
                service=spec.name,
                batch_size=settings.relay_batch_size,
                lease_seconds=settings.relay_lease_seconds,
                idle_sleep=settings.relay_idle_sleep_seconds,
                retention_days=settings.outbox_retention_days,
                kafka=settings.kafka,
            )
            runtime.tasks.append(asyncio.create_task(_supervise("relay", runtime.relay.run)))
        if settings.run_consumers:
            for group, handlers in spec.consumer_groups.items():
                runner = ConsumerRunner(
                    service=spec.name,
                    group_id=settings.kafka.group_id(spec.name, group),
                    handlers=handlers,
                    sessions=runtime.sessions,
                    kafka=settings.kafka,
                    dlt_producer=runtime.producer,
                    max_retries=settings.consumer_max_retries,
                    retry_backoff=settings.consumer_retry_backoff_seconds,
                    handler_timeout=settings.consumer_handler_timeout_seconds,
                    max_poll_interval_ms=settings.consumer_max_poll_interval_ms,
                    batch_transactions=settings.consumer_batch_transactions,
                )
                runtime.consumers.append(runner)
                runtime.tasks.append(asyncio.create_task(_supervise(f"consumer:{group}", runner.run)))
        if spec.gauges:
            gauges = BusinessGauges(spec.name, spec.gauges, runtime.clock)
            gauges.activate()
            runtime.tasks.append(
                asyncio.create_task(
                    _supervise("gauges", lambda: gauges.run(runtime.sessions, spec.gauge_refresh_seconds))
                )
            )
        tune_gc()  # once per process, everything of the startup built: see govmedia_common.consumer_read
        log.info("service started", extra={"groups": list(spec.consumer_groups)})
        try:
            yield
        finally:
            if runtime.relay is not None:
                runtime.relay.stop()
            for runner in runtime.consumers:
                runner.stop_soon()
            for task in runtime.tasks:
                task.cancel()
            await asyncio.gather(*runtime.tasks, return_exceptions=True)
            for runner in runtime.consumers:
                with contextlib.suppress(Exception):
                    await runner.stop()
            if spec.gauges:
                gauges.deactivate()
            await runtime.producer.stop()
            await runtime.engine.dispose()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version=spec.version,
        lifespan=lifespan,
        openapi_tags=spec.openapi_tags,
        dependencies=[Depends(_public_query)],
        responses={
            401: {"description": "Missing or invalid token (problem+json)"},
            403: {"description": "Outside your scopes, roles or region (problem+json)"},
            422: {"description": "Invalid request (problem+json)"},
        },
    )
    app.state.runtime = runtime
    app.state.spec = spec
    install_problem_handlers(app)

    install_refusal_handlers(app, service=spec.name, runtime=runtime)
    body_limit = settings.max_body_bytes or spec.max_body_bytes
    install_input_policy(app, InputPolicy(body_limit, settings.max_json_depth))
    app.add_middleware(_HttpMiddleware, service=spec.name, trusted_proxies=settings.trusted_proxies)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    code_migrations = _CodeMigrations.of(spec.name)

    async def readiness() -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with runtime.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
                checks["database"] = "ok"
                if code_migrations is not None:  # a database behind the code answers 500 on new tables
                    checks["migrations"] = await asyncio.wait_for(code_migrations.state(conn), timeout=2)
        except Exception as exc:
            checks["migrations" if "database" in checks else "database"] = f"error: {exc.__class__.__name__}"
        try:
            if runtime.producer is None:
                raise RuntimeError("producer not started")
            await asyncio.wait_for(runtime.producer.client.fetch_all_metadata(), timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc.__class__.__name__}"
        metrics.SERVICE_READY.labels(spec.name).set(1 if all(v == "ok" for v in checks.values()) else 0)
        return checks

    # Under `govmedia up`: the launcher's id for this run, answered with our pid so it takes readiness only
    # from the process it started (not from another platform's service that got the port).
    launcher_instance = os.environ.get("GOVMEDIA_INSTANCE_ID")

    @app.get("/readyz", tags=["operations"], summary="Readiness: database and broker reachable")
    async def readyz() -> Response:
        checks = await readiness()
        if all(v == "ok" for v in checks.values()):
            ready: dict[str, Any] = {"status": "ready", "service": spec.name, "checks": checks}
            if launcher_instance:
                ready.update(instance=launcher_instance, pid=os.getpid())
            return JSONResponse(ready)
        detail = "A dependency is not reachable; see checks."
        if checks.get("migrations", "ok") != "ok" and checks.get("database") == "ok":
            detail = f"The database schema does not match this code ({checks['migrations']})."
        return problem_response(Problem(503, "not-ready", detail, checks=checks), "/readyz")

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=True)
    async def metrics_endpoint() -> Response:
        await readiness()  # so govmedia_service_ready is current at every scrape
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in spec.routers:
        app.include_router(router)
    # OAuth2 against the registry's token endpoint, scopes per operation, problem+json answers documented.
    install_openapi(app, token_url=token_url_beside(settings.jwks_url))
    return app

"""Registry HTTP API: parse, authorise, call the service, shape the answer."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Query, Request, Response

from govmedia_common import audit
from govmedia_common.app import Authorize, RuntimeDep, SessionDep
from govmedia_common.auth import Principal, forbidden, unauthorized
from govmedia_common.concurrency import etag, require_if_match
from govmedia_common.idempotency import idempotent_create
from govmedia_common.pagination import Page, decode_cursor, encode_cursor
from govmedia_common.problems import Problem, not_found
from govmedia_common.workdays import WorkCalendar
from govmedia_registry import reports, service
from govmedia_registry import repository as repo
from govmedia_registry import schemas as s
from govmedia_registry.domain import RegistryRules
from govmedia_registry.identity import (
    active_key,
    issue,
    new_client_secret,
    published_jwks,
    rotate_key,
    scopes_for_roles,
    verify_secret,
)
from govmedia_registry.models import Account, Client, Filing, Person, SigningKeyRow, Unit

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from the previous page's next_cursor")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Makes a retry safe")]
IfMatch = Annotated[str | None, Header(alias="If-Match", description="ETag of the version you edited")]


_FILERS = ("unit_admin", "office_staff", "office_admin")
Reader = Annotated[Principal, Depends(Authorize("registry:read"))]
Filer = Annotated[Principal, Depends(Authorize("registry:file", roles=_FILERS))]
Approver = Annotated[Principal, Depends(Authorize("registry:approve", roles=_FILERS))]
Admin = Annotated[Principal, Depends(Authorize("registry:admin", roles=("office_admin",)))]
PeopleAdmin = Annotated[Principal, Depends(Authorize(roles=("office_admin", "unit_admin")))]
Auditor = Annotated[Principal, Depends(Authorize("audit:read", roles=("auditor",)))]
OfficeReader = Annotated[
    Principal, Depends(Authorize("registry:read", roles=("office_staff", "office_admin", "auditor")))
]
# Certification is the competent office's: refuse others before looking at the account or its version.
Certifier = Annotated[
    Principal, Depends(Authorize("registry:approve", roles=("office_staff", "office_admin")))
]
RegionQuery = Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="Six-digit region code")]


def _page(items: list[Any], limit: int, key: Any) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor([key(items[-1])]) if len(items) == limit else None}


# ------------------------------------------------------------------------------------------- identity


@router.post(
    "/v1/auth/token",
    response_model=s.TokenOut,
    tags=["identity"],
    summary="Issue a token (OAuth2 password or client_credentials grant)",
)
async def token(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> s.TokenOut:
    # Token lifetimes follow the wall clock, never the injected business clock (tests move that one).
    ttl = 900
    key = await active_key(session)
    settings = rt.settings
    if grant_type == "password":
        person = await repo.person_by_username(session, username or "")
        if (
            person is None
            or not person.active
            or not await asyncio.to_thread(verify_secret, person.password_hash, password or "")
        ):
            raise unauthorized("Unknown username or wrong password.")
        scopes = scopes_for_roles(person.roles)
        jwt_token = issue(
            key,
            subject=person.id,
            name=person.display_name,
            kind="person",
            region=person.region_code,
            unit=person.unit_id,
            roles=person.roles,
            scopes=scopes,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            ttl_seconds=ttl,
            now=datetime.now(UTC),
        )
    elif grant_type == "client_credentials":
        client = await session.get(Client, client_id or "")
        if (
            client is None
            or not client.active
            or not await asyncio.to_thread(verify_secret, client.secret_hash, client_secret or "")
        ):
            raise unauthorized("Unknown client or wrong secret.")
        scopes = client.scopes
        if scope:
            asked = set(scope.split())
            if not asked <= set(client.scopes):
                raise forbidden(
                    f"The client may not ask for: {', '.join(sorted(asked - set(client.scopes)))}.",
                    "invalid-scope",
                )
            scopes = sorted(asked)
        jwt_token = issue(
            key,
            subject=client.id,
            name=client.name,
            kind="client",
            region=client.region_code,
            unit=client.unit_id,
            roles=["system"],
            scopes=scopes,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            ttl_seconds=ttl,
            now=datetime.now(UTC),
        )
    else:
        raise Problem(400, "unsupported-grant-type", "grant_type must be 'password' or 'client_credentials'.")
    return s.TokenOut(access_token=jwt_token, expires_in=ttl, scope=" ".join(scopes))


@router.get("/.well-known/jwks.json", tags=["identity"], summary="Public keys that verify registry tokens")
async def jwks(session: SessionDep) -> dict[str, Any]:
    return await published_jwks(session)


@router.get("/v1/me", tags=["identity"], summary="Who the token says you are")
async def me(principal: Reader) -> dict[str, Any]:
    return {
        "subject": principal.subject,
        "name": principal.name,
        "kind": principal.kind,
        "region_code": principal.region_code,
        "unit_id": principal.unit_id,
        "roles": sorted(principal.roles),
        "scopes": sorted(principal.scopes),
    }


# ------------------------------------------------------------------------------------------- regions


@router.get(
    "/v1/regions",
    response_model=Page[s.RegionOut],
    tags=["regions"],
    summary="Regions of your subtree (filter by parent)",
)
async def list_regions(
    session: SessionDep,
    principal: Reader,
    parent: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_regions(
        session, parent=parent, within=principal.region_code, limit=limit, cursor=decode_cursor(cursor)
    )
    items = [s.RegionOut(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code) for r in rows]
    return _page(items, limit, lambda r: r.code)


@router.get("/v1/regions/{code}/settings", response_model=s.RegionSettingsOut, tags=["regions"])
async def get_settings(code: str, session: SessionDep, principal: Reader) -> s.RegionSettingsOut:
    if not principal.can_see_region(code) or await repo.get_region(session, code) is None:
        raise not_found("region", code)
    row = await repo.get_settings(session, code)
    effective = await service.effective_settings(session, code)
    effective["registry"] = RegistryRules.from_settings(effective.get("registry", {})).to_settings()
    return s.RegionSettingsOut(
        region_code=code,
        own=row.settings if row else {},
        effective=effective,
        version=row.version if row else 0,
    )


@router.put(
    "/v1/regions/{code}/settings",
    response_model=s.RegionSettingsOut,
    tags=["regions"],
    summary="Set a region's rules and thresholds (office admin)",
)
async def put_settings(
    code: str,
    body: s.RegionSettingsIn,
    session: SessionDep,
    principal: Admin,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.RegionSettingsOut:
    # Existence and visibility first (never disclose a region's settings outside the subtree), and the row
    # locked while its version is compared, so two writers with the same ETag cannot both pass.
    if not principal.can_see_region(code) or await repo.get_region(session, code) is None:
        raise not_found("region", code)
    current = await repo.get_settings(session, code, lock=True)
    if current is not None:
        require_if_match(if_match, current.version)
    row = await service.put_settings(session, principal, code, body, rt.clock)
    response.headers["ETag"] = etag(row.version)
    return await get_settings(code, session, principal)


# ------------------------------------------------------------------------------------------- calendar


@router.get(
    "/v1/calendar/{year}",
    response_model=s.CalendarOut,
    tags=["calendar"],
    summary="The official working-day schedule of a year (节假日安排, 调休)",
)
async def get_calendar(year: int, session: SessionDep, principal: Reader) -> s.CalendarOut:
    calendar = await service.load_calendar(session)
    loaded = calendar.schedule(year)
    if loaded is not None:
        return s.CalendarOut(
            year=year, source="loaded", holidays=sorted(loaded.holidays), workdays=sorted(loaded.workdays)
        )
    if not calendar.covers(year):
        raise Problem(
            404,
            "calendar-year-unknown",
            f"No official schedule for {year} is known. An office admin loads it with "
            f"PUT /v1/calendar/{year} once the State Council publishes it.",
        )
    days = [date(year, 1, 1) + timedelta(n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    return s.CalendarOut(
        year=year,
        source="package",
        holidays=[x for x in days if x.weekday() < 5 and not calendar.is_workday(x)],
        workdays=[x for x in days if x.weekday() >= 5 and calendar.is_workday(x)],
    )


@router.put(
    "/v1/calendar/{year}",
    response_model=s.CalendarOut,
    tags=["calendar"],
    summary="Load a year's official schedule (office admin at province level)",
)
async def put_calendar(
    year: int, body: s.CalendarIn, session: SessionDep, principal: Admin, rt: RuntimeDep
) -> s.CalendarOut:
    if not principal.region_code.endswith("0000"):
        raise forbidden(
            "The national holiday schedule is loaded by a province-level office admin.", "insufficient-level"
        )
    if not 2000 <= year <= 2100:
        raise Problem(422, "invalid-year", "year must be between 2000 and 2100")
    await service.load_calendar_year(session, principal, year, body, rt.clock)
    return s.CalendarOut(
        year=year, source="loaded", holidays=sorted(set(body.holidays)), workdays=sorted(set(body.workdays))
    )


@router.get("/v1/calendar/workdays/add", tags=["calendar"], summary="The n-th working day after a date")
async def add_workdays(
    session: SessionDep, principal: Reader, start: date, days: Annotated[int, Query(ge=0, le=366)]
) -> dict[str, Any]:
    calendar: WorkCalendar = await service.load_calendar(session)
    try:
        return {"start": start, "days": days, "result": calendar.add_workdays(start, days)}
    except LookupError as exc:
        raise Problem(422, "calendar-year-unknown", str(exc)) from exc


# ------------------------------------------------------------------------------------------- units, people


def _unit_out(u: Unit) -> s.UnitOut:
    return s.UnitOut(
        id=u.id,
        name=u.name,
        short_name=u.short_name,
        kind=u.kind,
        region_code=u.region_code,
        duty_keywords=u.duty_keywords,
    )


@router.post(
    "/v1/units",
    status_code=201,
    response_model=s.UnitOut,
    tags=["units"],
    summary="Register a host unit or competent office (office admin)",
)
async def create_unit(
    body: s.UnitIn, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None
) -> Any:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        return _unit_out(await service.create_unit(session, principal, body)).model_dump(mode="json"), {}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="units",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get("/v1/units", response_model=Page[s.UnitOut], tags=["units"])
async def list_units(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_units(session, principal, limit=limit, cursor=decode_cursor(cursor))
    return _page([_unit_out(u) for u in rows], limit, lambda u: u.id)


@router.get("/v1/units/{unit_id}", response_model=s.UnitOut, tags=["units"])
async def get_unit(unit_id: str, session: SessionDep, principal: Reader) -> s.UnitOut:
    unit = await repo.get_unit(session, unit_id)
    if unit is None:
        raise not_found("unit", unit_id)
    service.ensure_visible(principal, unit.region_code, unit.id, "unit", unit_id)
    return _unit_out(unit)


def _person_out(p: Person) -> s.PersonOut:
    return s.PersonOut(
        id=p.id,
        username=p.username,
        display_name=p.display_name,
        unit_id=p.unit_id,
        region_code=p.region_code,
        roles=p.roles,
        active=p.active,
    )


@router.post(
    "/v1/people",
    status_code=201,
    response_model=s.PersonOut,
    tags=["people"],
    summary="Register a person with roles (office admin; unit admin for their own unit)",
)
async def create_person(
    body: s.PersonIn,
    session: SessionDep,
    principal: PeopleAdmin,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    payload = body.model_dump(mode="json")
    payload["password"] = "***"  # the hash of the request must not keep the password

    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        person = await service.create_person(session, principal, body, rt.clock)
        return _person_out(person).model_dump(mode="json"), {}

    return await idempotent_create(
        session, principal=principal.subject, key=idempotency_key, route="people", payload=payload, make=make
    )


@router.get("/v1/people", response_model=Page[s.PersonOut], tags=["people"])
async def list_people(
    session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_people(session, principal, limit=limit, cursor=decode_cursor(cursor))
    return _page([_person_out(p) for p in rows], limit, lambda p: p.id)


@router.post(
    "/v1/clients",
    status_code=201,
    response_model=s.ClientOut,
    tags=["identity"],
    summary="Register a machine client; its secret is shown once",
)
async def create_client(body: s.ClientIn, session: SessionDep, principal: Admin) -> s.ClientOut:
    secret = new_client_secret()
    client = await service.create_client(session, principal, body, secret)
    return s.ClientOut(
        client_id=client.id,
        name=client.name,
        region_code=client.region_code,
        unit_id=client.unit_id,
        scopes=client.scopes,
        client_secret=secret,
    )


# ------------------------------------------------------------------------------------------- filings


async def filing_out(session: Any, f: Filing) -> s.FilingOut:
    decisions = [
        s.DecisionOut(
            level=x.level,
            decision=x.decision,
            actor_id=x.actor_id,
            actor_name=x.actor_name,
            reason=x.reason,
            at=x.at,
        )
        for x in await repo.decisions_of(session, f.id)
    ]
    return s.FilingOut(
        id=f.id,
        type=f.filing_type,
        status=f.status,
        account_id=f.account_id,
        unit_id=f.unit_id,
        region_code=f.region_code,
        levels=f.levels,
        current_level=f.levels[f.current_level] if f.status == "pending" else None,
        payload=f.payload,
        event_date=f.event_date,
        filed_on=f.filed_on,
        deadline=f.deadline,
        late=f.late,
        announcement_starts_on=f.announcement_starts_on,
        announcement_ends_on=f.announcement_ends_on,
        effective=f.effective,
        filed_by=f.filed_by,
        version=f.version,
        decisions=decisions,
    )


@router.post(
    "/v1/filings",
    status_code=201,
    response_model=s.FilingOut,
    tags=["filings"],
    summary="File an opening, change, merge, suspension or deregistration (备案)",
)
async def create_filing(
    body: s.FilingIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        filing = await service.submit_filing(session, principal, body, rt.clock)
        out = (await filing_out(session, filing)).model_dump(mode="json")
        return out, {"ETag": etag(filing.version), "Location": f"/v1/filings/{filing.id}"}

    return await idempotent_create(
        session,
        principal=principal.subject,
        key=idempotency_key,
        route="filings",
        payload=body.model_dump(mode="json"),
        make=make,
    )


@router.get("/v1/filings", response_model=Page[s.FilingOut], tags=["filings"])
async def list_filings(
    session: SessionDep,
    principal: Reader,
    status: str | None = None,
    account_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_filings(
        session, principal, limit=limit, cursor=decode_cursor(cursor), status=status, account_id=account_id
    )
    return _page([await filing_out(session, f) for f in rows], limit, lambda f: f.id)


@router.get("/v1/filings/{filing_id}", response_model=s.FilingOut, tags=["filings"])
async def get_filing(
    filing_id: str, session: SessionDep, principal: Reader, response: Response
) -> s.FilingOut:
    filing = await service.visible_filing(session, principal, filing_id)
    response.headers["ETag"] = etag(filing.version)
    return await filing_out(session, filing)


@router.post(
    "/v1/filings/{filing_id}/decisions",
    response_model=s.FilingOut,
    tags=["filings"],
    summary="Approve, return for amendment, or reject at the level the filing waits at",
)
async def decide(
    filing_id: str,
    body: s.DecisionIn,
    session: SessionDep,
    principal: Approver,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.FilingOut:
    filing = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, filing.version)
    filing = await service.decide(session, principal, filing, body, rt.clock)
    response.headers["ETag"] = etag(filing.version)
    return await filing_out(session, filing)


@router.post(
    "/v1/filings/{filing_id}/resubmit",
    response_model=s.FilingOut,
    tags=["filings"],
    summary="Send a returned filing again after amendment",
)
async def resubmit(
    filing_id: str,
    body: s.ResubmitIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.FilingOut:
    filing = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, filing.version)
    filing = await service.resubmit(session, principal, filing, body, rt.clock)
    response.headers["ETag"] = etag(filing.version)
    return await filing_out(session, filing)


@router.post("/v1/filings/{filing_id}/withdraw", response_model=s.FilingOut, tags=["filings"])
async def withdraw(
    filing_id: str, session: SessionDep, principal: Filer, rt: RuntimeDep, if_match: IfMatch = None
) -> s.FilingOut:
    filing = await service.visible_filing(session, principal, filing_id, lock=True)
    require_if_match(if_match, filing.version)
    return await filing_out(session, await service.withdraw(session, principal, filing, rt.clock))


# ------------------------------------------------------------------------------------------- accounts


def account_out(a: Account) -> s.AccountOut:
    return s.AccountOut(
        id=a.id,
        name=a.name,
        platform=a.platform,
        platform_account_id=a.platform_account_id,
        unit_id=a.unit_id,
        region_code=a.region_code,
        status=a.status,
        attention_tier=a.attention_tier,
        interaction_enabled=a.interaction_enabled,
        review_levels=a.review_levels,
        certified=a.certified,
        matrix_badge=a.matrix_badge,
        operators=a.operators,
        outsourcing=a.outsourcing,
        stop_update_notice=a.stop_update_notice,
        merged_into=a.merged_into,
        effective_on=a.effective_on,
        version=a.version,
    )


@router.get("/v1/accounts", response_model=Page[s.AccountOut], tags=["accounts"])
async def list_accounts(
    session: SessionDep,
    principal: Reader,
    platform: str | None = None,
    status: str | None = None,
    region: RegionQuery = None,
    unit_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = await repo.list_accounts(
        session,
        principal,
        limit=limit,
        cursor=decode_cursor(cursor),
        platform=platform,
        status=status,
        region=region,
        unit_id=unit_id,
    )
    return _page([account_out(a) for a in rows], limit, lambda a: a.id)


@router.get("/v1/accounts/{account_id}", response_model=s.AccountOut, tags=["accounts"])
async def get_account(
    account_id: str, session: SessionDep, principal: Reader, response: Response
) -> s.AccountOut:
    account = await service.visible_account(session, principal, account_id)
    response.headers["ETag"] = etag(account.version)
    return account_out(account)


@router.patch(
    "/v1/accounts/{account_id}",
    response_model=s.AccountOut,
    tags=["accounts"],
    summary="Edit details that need no filing (If-Match required)",
)
async def patch_account(
    account_id: str,
    body: s.AccountPatch,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    response: Response,
    if_match: IfMatch = None,
) -> s.AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    account = await service.patch_account(session, principal, account, body, rt.clock)
    response.headers["ETag"] = etag(account.version)
    return account_out(account)


@router.post(
    "/v1/accounts/{account_id}/stop-update-notice",
    response_model=s.AccountOut,
    tags=["accounts"],
    summary="Record the stop-update notice (停更公告) required before deregistration",
)
async def stop_notice(
    account_id: str,
    body: s.StopNoticeIn,
    session: SessionDep,
    principal: Filer,
    rt: RuntimeDep,
    if_match: IfMatch = None,
) -> s.AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    return account_out(await service.record_stop_notice(session, principal, account, body, rt.clock))


@router.post(
    "/v1/accounts/{account_id}/certification",
    response_model=s.AccountOut,
    tags=["accounts"],
    summary="Record platform certification; issues the matrix badge (矩阵标识)",
)
async def certification(
    account_id: str,
    body: s.CertificationIn,
    session: SessionDep,
    principal: Certifier,
    rt: RuntimeDep,
    if_match: IfMatch = None,
) -> s.AccountOut:
    account = await service.visible_account(session, principal, account_id, lock=True)
    require_if_match(if_match, account.version)
    return account_out(await service.certify(session, principal, account, body, rt.clock))


@router.get("/v1/accounts/{account_id}/history", response_model=Page[s.HistoryOut], tags=["accounts"])
async def account_history(
    account_id: str, session: SessionDep, principal: Reader, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    await service.visible_account(session, principal, account_id)
    rows = await repo.history_of(session, account_id, limit=limit, cursor=decode_cursor(cursor))
    items = [
        s.HistoryOut(at=h.at, kind=h.kind, actor_id=h.actor_id, filing_id=h.filing_id, data=h.data)
        for h in rows
    ]
    return {"items": items, "next_cursor": encode_cursor([rows[-1].id]) if len(rows) == limit else None}


# ------------------------------------------------------------------------------------------- audit, reports


@router.get(
    "/v1/audit",
    response_model=Page[s.AuditOut],
    tags=["audit"],
    summary="The append-only audit log of your region (auditors only)",
)
async def list_audit(
    session: SessionDep, principal: Auditor, limit: Limit = 100, cursor: Cursor = None
) -> dict[str, Any]:
    rows = await repo.list_audit(session, principal, limit=limit, cursor=decode_cursor(cursor))
    items = [s.AuditOut(**dict(r._mapping)) for r in rows]
    return {"items": items, "next_cursor": encode_cursor([rows[-1].id]) if len(rows) == limit else None}


@router.get(
    "/v1/reports/statistics",
    tags=["reports"],
    summary="政务新媒体情况统计表 (registry columns) for a region and period, JSON or CSV",
)
async def statistics(
    session: SessionDep,
    principal: OfficeReader,
    rt: RuntimeDep,
    region: RegionQuery = None,
    period_start: date | None = None,
    period_end: date | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    region = region or principal.region_code
    if not principal.can_see_region(region) or await repo.get_region(session, region) is None:
        raise not_found("region", region)
    end = period_end or rt.clock.today()
    start = period_start or end.replace(month=1, day=1)
    if start > end:
        raise Problem(422, "invalid-period", "period_start is after period_end.")
    rows = await reports.statistics(session, region=region, start=start, end=end)
    await audit.record(
        session, principal=principal, action="report.statistics", target=region, detail={"format": format}
    )
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(reports.COLUMNS))
        writer.writerow(reports.COLUMNS)
        for row in rows:
            writer.writerow(row)
        return Response(
            buffer.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="statistics-{region}-{end}.csv"'},
        )
    return {
        "region": region,
        "period_start": start,
        "period_end": end,
        "columns": reports.COLUMNS,
        "rows": rows,
    }


@router.post(
    "/v1/admin/apply-due",
    tags=["operations"],
    summary="Apply approved filings whose announcement has ended (runs every minute anyway)",
)
async def apply_due(session: SessionDep, principal: Admin, rt: RuntimeDep) -> dict[str, int]:
    count = await service.apply_due(session, rt.clock)
    await audit.record(session, principal=principal, action="admin.apply_due", detail={"applied": count})
    return {"applied": count}


@router.post(
    "/v1/admin/signing-keys",
    status_code=201,
    tags=["identity"],
    summary="Rotate: add a new token signing key (province office admin)",
)
async def rotate_signing_key(session: SessionDep, principal: Admin) -> dict[str, str]:
    if not principal.region_code.endswith("0000"):
        raise forbidden("Signing keys are managed by a province-level office admin.", "insufficient-level")
    key = await rotate_key(session)
    await audit.record(session, principal=principal, action="signing_key.rotate", target=key.kid)
    return {
        "kid": key.kid,
        "detail": "New tokens are signed with this key; older keys stay published until retired.",
    }


@router.post(
    "/v1/admin/signing-keys/{kid}/retire",
    tags=["identity"],
    summary="Retire an old signing key: tokens it signed stop verifying (province office admin)",
)
async def retire_signing_key(
    kid: str, session: SessionDep, principal: Admin, rt: RuntimeDep
) -> dict[str, str]:
    if not principal.region_code.endswith("0000"):
        raise forbidden("Signing keys are managed by a province-level office admin.", "insufficient-level")
    newest = await active_key(session)
    row = await session.get(SigningKeyRow, kid, with_for_update=True)
    if row is None or not row.active:
        raise not_found("signing key", kid)
    if row.kid == newest.kid:
        raise Problem(
            409, "signing-key-in-use", "This is the newest key; rotate first, then retire the old one."
        )
    row.active = False
    row.retired_at = datetime.now(UTC)
    await audit.record(session, principal=principal, action="signing_key.retire", target=kid)
    return {"kid": kid, "detail": "retired"}

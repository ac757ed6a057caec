"""Rules HTTP API: run the sweeps for any day; the thresholds that apply in a region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.scoping import known_region
from govmedia_monitor import schemas as s
from govmedia_monitor.access import Reader, may_run_jobs
from govmedia_monitor.models import RegionSettings
from govmedia_monitor.observations.service import region_sections
from govmedia_monitor.rules import sweeps
from govmedia_monitor.rules.thresholds import ancestors, effective

router = APIRouter()


# ---------------------------------------------------------------------------------------------- sweeps


@router.post(
    "/v1/sweeps",
    response_model=s.SweepOut,
    tags=["rules"],
    summary="Run the time-based rules now, for today or any as_of day",
)
async def run_sweep(body: s.SweepIn, session: SessionDep, principal: Reader, rt: RuntimeDep) -> s.SweepOut:
    if not may_run_jobs(principal):
        raise DomainError(
            ErrorKind.FORBIDDEN, "sweep-forbidden", "Running sweeps needs monitor:write or an office admin."
        )
    today = rt.clock.today()
    as_of = body.as_of or today
    if as_of > today:
        # Judged as of a day that has not come, every account would be silent until then: the sweep would
        # raise 未更新 alerts (and notify open cases) for silences that have not happened.
        message = f"{as_of} has not come yet (today is {today}): a sweep runs for today or a past day"
        raise DomainError(
            ErrorKind.UNPROCESSABLE,
            "as-of-in-future",
            message,
            errors=[{"location": "body.as_of", "message": message, "type": "as_of_in_future"}],
        )
    # The caller's subtree only: a county admin's sweep judges, and counts, its own accounts, never another's.
    result = await sweeps.run(session, as_of=as_of, now=rt.clock.now(), within=principal.region_prefix)
    return s.SweepOut(
        as_of=result.as_of,
        raised=dict(result.raised),
        escalated=dict(result.escalated),
        resolved=dict(result.resolved),
    )


@router.get(
    "/v1/settings/{region_code}",
    response_model=s.EffectiveSettingsOut,
    tags=["rules"],
    summary="Thresholds that apply in a region (tightest along the chain) and ignored loosenings",
)
async def effective_settings(
    region_code: Annotated[str, Path(pattern=r"^[0-9]{6}$", description="Region code (GB/T 2260)")],
    session: SessionDep,
    principal: Reader,
) -> s.EffectiveSettingsOut:
    # A region no account or setting names is unknown (404 unknown-region), as scoring's rules answer.
    await known_region(session, principal, region_code)
    eff = effective(region_code, await region_sections(session))
    chain = ancestors(region_code)
    rows = (
        await session.execute(
            select(RegionSettings.region_code, RegionSettings.error).where(
                RegionSettings.region_code.in_(chain), RegionSettings.error.is_not(None)
            )
        )
    ).all()
    return s.EffectiveSettingsOut(
        region_code=region_code,
        settings=eff.settings.model_dump(),
        set_by=eff.set_by,
        ignored=eff.ignored,
        refused=[{"region_code": r.region_code, "error": r.error} for r in rows],
    )

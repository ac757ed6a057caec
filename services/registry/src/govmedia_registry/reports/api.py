"""HTTP routes of reports: the statistics form (政务新媒体情况统计表)."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from govmedia_common import audit
from govmedia_common.app import RuntimeDep, SessionDep
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.json_values import JsonDate
from govmedia_registry.deps import OfficeReader, RegionQuery
from govmedia_registry.regions.service import visible_region
from govmedia_registry.reports import statistics as stats
from govmedia_registry.units import repository as units_repo

router = APIRouter()


@router.get(
    "/v1/reports/statistics",
    tags=["reports"],
    summary="政务新媒体情况统计表 (registry columns) for a region and period, JSON or CSV",
    responses={
        200: {
            "description": "The form as JSON, or as CSV (UTF-8 with BOM) when format=csv",
            "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def statistics(
    session: SessionDep,
    principal: OfficeReader,
    rt: RuntimeDep,
    region: RegionQuery = None,
    period_start: JsonDate | None = None,
    period_end: JsonDate | None = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    region = region or principal.region_code
    await visible_region(session, principal, region)
    end = period_end or rt.clock.today()
    start = period_start or end.replace(month=1, day=1)
    if start > end:
        raise DomainError(ErrorKind.UNPROCESSABLE, "invalid-period", "period_start is after period_end.")
    rows = await stats.statistics(session, region=region, start=start, end=end)
    await audit.record(
        session, principal=principal, action="report.statistics", target=region, detail={"format": format}
    )
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(stats.COLUMNS))
        writer.writerow(stats.COLUMNS)
        for row in rows:
            writer.writerow(row)
        return Response(
            buffer.getvalue().encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="statistics-{region}-{end}.csv"'},
        )
    office = await units_repo.office_of_region(session, region)
    return {
        "region": region,
        "period_start": start,
        "period_end": end,
        "columns": stats.COLUMNS,
        "column_sources": stats.SOURCES,
        # The form's header (填表单位, 单位负责人, 联系电话) as far as the registry knows it; the rest
        # is signed by hand on the printed form.
        "form": {
            "reporting_unit": office.name if office else None,
            "principal_name": office.principal_name if office else None,
            "contact_phone": office.contact_phone if office else None,
            "date": end,
        },
        "rows": rows,
    }

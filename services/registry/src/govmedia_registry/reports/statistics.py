"""The statistics form of government new-media (政务新媒体情况统计表): the registry's columns."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Date, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.auth import region_prefix
from govmedia_registry.accounts import repository as accounts_repo
from govmedia_registry.models import AccountHistory, Filing
from govmedia_registry.regions import repository as regions_repo
from govmedia_registry.units import repository as units_repo

# Column id → header people print (Chinese first, as on the paper form).
COLUMNS: dict[str, str] = {
    "region_code": "行政区划代码 Region code",
    "region_name": "地区 Region",
    "platform": "平台 Platform",
    "accounts": "账号总数 Accounts on record",
    "active": "正常运行 Active",
    "opened_in_period": "本期开设 Opened in period",
    "changed_in_period": "本期变更 Changed in period",
    "merged_in_period": "本期整合 Merged in period",
    "suspended_in_period": "本期关停 Suspended in period",
    "deregistered_in_period": "本期注销 Deregistered in period",
    "late_filings_in_period": "逾期备案 Late filings in period",
    "with_interaction": "开通互动 Interaction on",
    "outsourced": "委托代运营 Outsourced",
    "certified": "已认证 Certified",
    "high_attention": "高关注度 High attention",
    "government_account": "本级政府开设账号 Government of the region has an account",
    "competent_office": "主管单位 Competent office",
    "with_review_system": "已建立内容发布审核制度 Accounts with a review system",
    "problem_accounts_found": "排查出问题 Problem accounts found",
    "problem_accounts_rectified": "问题已整改 Problem accounts rectified",
    "posts_previous_year": "上年信息发布数量 Posts in the previous year",
    "posts_in_period": "本期信息发布数量 Posts in the period",
    "operation_status": "运行情况 How the accounts run",
    "achievements": "取得成效 Achievements",
    "problems": "存在问题 Problems",
    "rectification": "整改情况 Rectification",
    "suggestions": "意见建议 Suggestions",
}
LIVE = {"active", "announcing", "suspended"}

REGISTRY = "registry"
# Where each column of seed 001's form comes from. A column the registry cannot know is null, never a guess:
# problems and their rectification come from the monitor's alerts and notify's cases, post counts from review
# and the monitor; the text rows are written by the reporting office itself.
PENDING: dict[str, str] = {
    "problem_accounts_found": "pending monitor/notify: accounts with alerts or cases in the period",
    "problem_accounts_rectified": "pending notify: cases closed as rectified in the period",
    "posts_previous_year": "pending review/monitor: posts published in the year before the period",
    "posts_in_period": "pending review/monitor: posts published in the period",
}
FREE_TEXT = ("operation_status", "achievements", "problems", "rectification", "suggestions")
SOURCES: dict[str, dict[str, str]] = {
    column: (
        {"source": "pending", "note": PENDING[column]}
        if column in PENDING
        else {"source": "reporting office", "note": "free text written by the reporting office"}
        if column in FREE_TEXT
        else {"source": REGISTRY}
    )
    for column in COLUMNS
}
SOURCES["with_review_system"]["note"] = (
    "live accounts whose filing names at least one reviewer (审核人员) for its review levels"
)
_UNKNOWN = {*PENDING, *FREE_TEXT}


async def statistics(session: AsyncSession, *, region: str, start: date, end: date) -> list[dict[str, Any]]:
    """One row per region of the subtree and platform, plus a total row per region."""
    prefix = region_prefix(region)
    regions = {r.code: r for r in await regions_repo.regions_in(session, prefix)}
    accounts = await accounts_repo.accounts_in_region(session, prefix)
    units = {u.id: u for u in await units_repo.units_in_region(session, prefix)}
    # "In the period" is the business day a filing took effect (the injected clock's, recorded with the
    # history entry), not the wall-clock instant the row was written.
    effective_on = cast(AccountHistory.data["effective_on"].astext, Date)
    effective = (
        await session.execute(
            select(AccountHistory.account_id, AccountHistory.kind).where(
                AccountHistory.kind.like("%.effective"),
                effective_on >= start,
                effective_on <= end,
            )
        )
    ).all()
    late = (
        (
            await session.execute(
                select(Filing.region_code).where(
                    Filing.late.is_(True),
                    Filing.filed_on >= start,
                    Filing.filed_on <= end,
                    Filing.region_code.startswith(prefix),
                )
            )
        )
        .scalars()
        .all()
    )
    by_account = {a.id: a for a in accounts}
    rows: dict[tuple[str, str], dict[str, Any]] = {}

    def row(code: str, platform: str) -> dict[str, Any]:
        key = (code, platform)
        if key not in rows:
            offices = [
                u.name for u in units.values() if u.region_code == code and u.kind == "competent_office"
            ]
            rows[key] = {c: None if c in _UNKNOWN else 0 for c in COLUMNS} | {
                "region_code": code,
                "region_name": regions[code].name if code in regions else code,
                "platform": platform,
                "government_account": "否",
                "competent_office": "、".join(offices) or "",
            }
        return rows[key]

    gov_regions: set[str] = set()
    for a in accounts:
        if a.status == "rejected":  # an opening refused or withdrawn: the account never existed
            continue
        unit = units.get(a.unit_id)
        if unit is not None and unit.kind == "competent_office" and a.status in LIVE:
            gov_regions.add(a.region_code)
        for target in (row(a.region_code, a.platform), row(a.region_code, "all")):
            target["accounts"] += 1
            target["active"] += a.status == "active"
            live = a.status in LIVE
            target["with_interaction"] += live and a.interaction_enabled
            target["outsourced"] += live and a.outsourcing is not None
            target["certified"] += live and a.certified
            target["high_attention"] += live and a.attention_tier == "high"
            target["with_review_system"] += live and bool((a.operators or {}).get("reviewers"))
    counters = {
        "open.effective": "opened_in_period",
        "change.effective": "changed_in_period",
        "merge.effective": "merged_in_period",
        "suspend.effective": "suspended_in_period",
        "deregister.effective": "deregistered_in_period",
    }
    counted: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
    for account_id, kind in effective:
        found = by_account.get(account_id)
        column = counters.get(kind)
        if found is None or column is None or (account_id, kind) in counted[column]:
            continue
        counted[column].add((account_id, kind))
        row(found.region_code, found.platform)[column] += 1
        row(found.region_code, "all")[column] += 1
    for code in late:
        row(code, "all")["late_filings_in_period"] += 1
    for (code, _platform), r in rows.items():
        r["government_account"] = "是" if code in gov_regions else "否"
    for code in regions:
        if (code, "all") not in rows:
            row(code, "all")
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1] != "all", k[1]))]

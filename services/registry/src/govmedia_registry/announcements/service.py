"""The announcements running in a region, as page items and as an Atom feed."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from feedgen.feed import FeedGenerator
from sqlalchemy.ext.asyncio import AsyncSession

from govmedia_common.errors import not_found
from govmedia_common.workdays import SHANGHAI
from govmedia_registry.announcements import repository as repo
from govmedia_registry.announcements.schemas import AnnouncementOut
from govmedia_registry.regions import repository as regions_repo

_WHAT_ZH = {"open": "开设", "change": "变更", "merge": "整合", "deregister": "注销", "suspend": "关停"}


async def running(
    session: AsyncSession, *, region: str, today: date, limit: int, cursor: list[Any] | None
) -> list[AnnouncementOut]:
    """The announcements running today in ``region`` and below (404 for a region the registry lacks)."""
    if await regions_repo.get_region(session, region) is None:
        raise not_found("region", region)
    rows = await repo.running(session, region=region, today=today, limit=limit, cursor=cursor)
    return [
        AnnouncementOut(
            filing_id=r.id,
            filing_type=r.filing_type,
            account_id=r.account_id,
            account_name=r.account_name,
            platform=r.platform,
            unit_name=r.unit_name,
            region_code=r.region_code,
            region_name=r.region_name,
            starts_on=r.announcement_starts_on,
            ends_on=r.announcement_ends_on,
            merged_account_ids=list((r.payload or {}).get("merged_account_ids", [])),
        )
        for r in rows
    ]


def atom(items: list[AnnouncementOut], *, region: str, self_url: str, today: date) -> bytes:
    """An Atom feed of the announcements (one entry per filing; the entry id stays the same while it runs)."""
    feed = FeedGenerator()
    feed.id(f"urn:govmedia:announcements:{region}")
    feed.title(f"政务新媒体公示 {region}")
    feed.subtitle("Government new-media accounts under public announcement (公示) and until when")
    feed.link(href=self_url, rel="self")
    feed.language("zh-CN")
    feed.updated(datetime.combine(today, time(0), SHANGHAI))
    for item in items:
        what = _WHAT_ZH.get(item.filing_type, item.filing_type)
        entry = feed.add_entry(order="append")
        entry.id(f"urn:govmedia:filing:{item.filing_id}")
        entry.title(f"{item.unit_name}{what}政务新媒体“{item.account_name}”({item.platform})公示")
        entry.updated(datetime.combine(item.starts_on, time(0), SHANGHAI))
        entry.published(datetime.combine(item.starts_on, time(0), SHANGHAI))
        text = (
            f"公示期 {item.starts_on.isoformat()} 至 {item.ends_on.isoformat()}; 期满次日生效 "
            f"(announced {item.starts_on.isoformat()}, runs until {item.ends_on.isoformat()})."
        )
        entry.summary(text)
        entry.content(text, type="text")
    data: bytes = feed.atom_str(pretty=True)
    return data

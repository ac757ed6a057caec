"""Response models of the public announcements."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from govmedia_common.events import FilingType, Platform
from govmedia_registry.schemas import Out


class AnnouncementOut(Out):
    """One filing under public announcement (公示): what will happen to which account, and until when."""

    filing_id: str
    filing_type: FilingType = Field(description="开设 open, 变更 change, 整合 merge, 注销 deregister")
    account_id: str
    account_name: str
    platform: Platform
    unit_name: str = Field(description="The host unit (主办单位)")
    region_code: str
    region_name: str | None
    starts_on: date = Field(description="Day the announcement was published")
    ends_on: date = Field(description="Last day of the announcement; the filing takes effect the day after")
    merged_account_ids: list[str] = Field(
        default_factory=list, description="For a merge: the accounts absorbed"
    )

"""Who sees what in the monitor: the subtree and own-unit rules every service shares (common scoping)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .conftest import MonitorKit

pytestmark = pytest.mark.integration


async def test_unit_staff_see_only_their_own_units_accounts_observations_and_alerts(
    monitor: MonitorKit,
) -> None:
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    own = await monitor.account(region="331004", unit=ours)
    other = await monitor.account(region="331004", unit=theirs)
    await monitor.observe(own, "未经审核的内容甲。", post_id="wx-own")
    await monitor.observe(other, "未经审核的内容乙。", post_id="wx-other")
    staff = monitor.client(
        monitor.token("editor", roles=["editor"], scopes=["monitor:read"], region="331004", unit=ours)
    )

    listed = (await staff.get("/v1/alerts")).json()["items"]
    assert {a["account_id"] for a in listed} == {own}
    assert (await staff.get(f"/v1/accounts/{own}")).status_code == 200
    assert (await staff.get(f"/v1/accounts/{own}/observed-posts")).status_code == 200
    # Another unit's account in the same county does not exist for them (404, not 403).
    assert (await staff.get(f"/v1/accounts/{other}")).status_code == 404
    assert (await staff.get(f"/v1/accounts/{other}/observed-posts")).status_code == 404
    [their_alert] = await monitor.alerts(other)
    assert (await staff.get(f"/v1/alerts/{their_alert.id}")).status_code == 404
    # Office staff of the county see both.
    office = monitor.client(
        monitor.token("county", roles=["office_staff"], scopes=["monitor:read"], region="331004")
    )
    assert (await office.get(f"/v1/accounts/{other}")).status_code == 200
    assert {a["account_id"] for a in (await office.get("/v1/alerts")).json()["items"]} == {own, other}

"""Four eyes through the HTTP API: one person never decides two levels of one filing.

The rule lives in the filing's domain object and needs the filing's history; this drives it end to end, so
a mapping that forgets the history (or the revision) between requests makes the test fail.
"""

from __future__ import annotations

import pytest

from services.registry.tests.integration.factory import (
    START,
    Registry,
    Taizhou,
    assert_problem,
    decide,
    open_body,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def tz(module_registry: Registry) -> Taizhou:
    return await Taizhou.build(module_registry)


@pytest.fixture(autouse=True)
def _clock_at_start(module_registry: Registry) -> None:
    module_registry.clock.set(START)


async def test_one_person_holding_unit_admin_and_office_staff_cannot_approve_two_levels(tz: Taizhou) -> None:
    # The county office files for its own account: it is the host unit and the county-level office at once.
    office = tz.county_office
    filer = await tz.factory.person(["unit_admin"], unit=office)
    both = await tz.factory.person(["unit_admin", "office_staff"], unit=office)
    r = await filer.post("/v1/filings", json=open_body(office["id"], "路桥政务公开", event_date="2025-09-26"))
    assert r.status_code == 201, r.text
    filing = r.json()
    assert filing["levels"] == ["unit", "county", "city"]

    first = await decide(both, filing["id"], "approve")
    assert (first.status_code, first.json()["current_level"]) == (200, "county"), first.text

    second = await decide(both, filing["id"], "approve")
    body = assert_problem(second, 409, "filing-approver-already-decided")
    assert "already approved" in body["detail"]
    # Nothing was recorded: the filing still waits at the county level, and another county clerk decides it.
    assert (await tz.filing(filing["id"]))["current_level"] == "county"
    third = await decide(tz.county, filing["id"], "approve")
    assert (third.status_code, third.json()["current_level"]) == (200, "city"), third.text


async def test_after_a_return_and_resubmission_the_same_person_may_approve_the_new_revision(
    tz: Taizhou,
) -> None:
    office = tz.county_office
    filer = await tz.factory.person(["unit_admin"], unit=office)
    both = await tz.factory.person(["unit_admin", "office_staff"], unit=office)
    r = await filer.post(
        "/v1/filings", json=open_body(office["id"], "路桥政务公开", "weibo", event_date="2025-09-26")
    )
    assert r.status_code == 201, r.text
    filing = r.json()
    assert (await decide(both, filing["id"], "approve")).status_code == 200
    assert (await decide(tz.county, filing["id"], "return", "请补充运维人员")).status_code == 200
    current = await filer.get(f"/v1/filings/{filing['id']}")
    r = await filer.post(
        f"/v1/filings/{filing['id']}/resubmit", json={}, headers={"If-Match": current.headers["etag"]}
    )
    assert r.status_code == 200, r.text
    # A new revision: the unit level is decided afresh, and the same person may do it again (once).
    assert (await decide(both, filing["id"], "approve")).status_code == 200
    assert_problem(await decide(both, filing["id"], "approve"), 409, "filing-approver-already-decided")


async def test_a_filing_read_from_the_database_maps_to_its_domain_object_and_back_losing_nothing(
    tz: Taizhou, module_registry: Registry
) -> None:
    from sqlalchemy import inspect

    from govmedia_registry.filings import repository as repo
    from govmedia_registry.filings.mapping import filing_from_rows, filing_to_rows, step_to_row
    from govmedia_registry.regions.rules import RegistryRules

    hu = await tz.host_unit()
    filing = await tz.file(hu, open_body(hu.id, "路桥市场监管"))
    assert (await decide(hu.boss, filing["id"], "approve")).status_code == 200
    assert (await decide(tz.county, filing["id"], "return", "补充材料")).status_code == 200
    current = await hu.filer.get(f"/v1/filings/{filing['id']}")
    r = await hu.filer.post(
        f"/v1/filings/{filing['id']}/resubmit", json={}, headers={"If-Match": current.headers["etag"]}
    )
    assert r.status_code == 200, r.text
    assert (await decide(hu.boss, filing["id"], "approve")).status_code == 200

    async with module_registry.app.state.runtime.sessions() as session:
        row = await repo.get_filing(session, filing["id"])
        assert row is not None
        decisions = await repo.decisions_of(session, row.id)
        flow = filing_from_rows(row, decisions, RegistryRules())
        assert (flow.revision, len(flow.history)) == (2, 5)
        back, new = filing_to_rows(flow)
        keys = [c.key for c in inspect(type(row)).column_attrs if c.key not in ("created_at", "version")]
        assert {k: getattr(back, k) for k in keys} == {k: getattr(row, k) for k in keys}
        assert new == []
        step_keys = ("filing_id", "level", "decision", "actor_id", "actor_name", "reason", "at", "revision")
        rebuilt = [step_to_row(flow.filing_id, s) for s in flow.history]
        assert [tuple(getattr(x, k) for k in step_keys) for x in rebuilt] == [
            tuple(getattr(x, k) for k in step_keys) for x in decisions
        ]

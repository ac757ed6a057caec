"""Every aggregate's mapping keeps everything: row → domain object → row gives back every column.

A mapping that forgets part of a filing's history or its revision silently disables the rules that read
them (the four-eyes rule did not fire through the API for that reason), so each mapping is checked here on
rows with every column set to something other than its default.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect

from govmedia_common.events import RegionSettingsChanged
from govmedia_common.workdays import SHANGHAI
from govmedia_registry.accounts.mapping import account_from_row, account_to_row
from govmedia_registry.calendar.mapping import schedule_from_row, schedule_to_row
from govmedia_registry.filings.domain import Actor, FilingAction
from govmedia_registry.filings.mapping import filing_from_rows, filing_to_rows
from govmedia_registry.identity.domain import Role
from govmedia_registry.identity.mapping import person_from_row, person_to_row
from govmedia_registry.models import (
    Account,
    Filing,
    FilingDecision,
    Person,
    Region,
    RegionSettings,
    Unit,
    WorkCalendarYear,
)
from govmedia_registry.regions.mapping import (
    region_from_row,
    region_to_row,
    settings_from_row,
    settings_to_row,
)
from govmedia_registry.regions.rules import RegistryRules
from govmedia_registry.units.mapping import unit_from_row, unit_to_row

AT = datetime(2025, 9, 29, 10, tzinfo=SHANGHAI)
# Columns the database fills in and no domain object carries.
DATABASE_OWNED = {"created_at", "id_identity"}


def columns(row: Any, skip: AbstractSet[str] = frozenset()) -> dict[str, Any]:
    keys = [c.key for c in inspect(type(row)).column_attrs]
    return {k: getattr(row, k) for k in keys if k not in DATABASE_OWNED | skip}


def test_filing_round_trip_keeps_status_revision_history_and_announcement() -> None:
    row = Filing(
        id="f-1",
        account_id="a-1",
        filing_type="change",
        status="pending",
        levels=["unit", "county", "city"],
        current_level=1,
        revision=2,
        payload={"reason": "更名", "changes": {"name": "路桥发布"}},
        region_code="331004",
        unit_id="u-1",
        event_date=date(2025, 9, 26),
        filed_on=date(2025, 9, 26),
        deadline=date(2025, 10, 13),
        late=False,
        announcement_starts_on=date(2025, 9, 30),
        announcement_ends_on=date(2025, 10, 28),
        effective=True,
        filed_by="p-filer",
        version=5,
        updated_at=AT,
    )
    steps = [
        ("submitted", None, "p-filer", None, 1),
        ("approve", "unit", "p-boss", None, 1),
        ("return", "county", "p-county", "补充材料", 1),
        ("resubmitted", None, "p-filer", None, 2),
        ("approve", "unit", "p-boss", None, 2),
    ]
    decisions = [
        FilingDecision(
            id=n,
            filing_id="f-1",
            decision=w,
            level=lv,
            actor_id=who,
            actor_name=f"{who} 同志",
            reason=why,
            at=AT,
            revision=rev,
        )
        for n, (w, lv, who, why, rev) in enumerate(steps, 1)
    ]
    flow = filing_from_rows(row, decisions, RegistryRules())
    assert flow.revision == 2 and [s.action for s in flow.history][-1] is FilingAction.APPROVED
    back, new_steps = filing_to_rows(flow)
    assert columns(back, {"version"}) == columns(row, {"version"})
    assert new_steps == []  # nothing new: stored steps are never written twice
    # The history the rules read came back: the unit approver of revision 2 cannot take the county level.
    boss = Actor("p-boss", frozenset({Role.UNIT_ADMIN, Role.OFFICE_STAFF}), "331004", "u-1")
    try:
        flow.approve(flow.levels[1], boss, at=AT)
    except Exception as exc:
        assert getattr(exc, "code", None) == "filing-approver-already-decided"
    else:
        raise AssertionError("the four-eyes rule did not fire on a filing rebuilt from its rows")
    _, appended = filing_to_rows(flow, back)
    assert appended == []  # the refused step was not recorded


def test_new_steps_are_written_once_with_their_revision() -> None:
    row = Filing(
        id="f-2",
        account_id="a",
        filing_type="open",
        status="pending",
        levels=["unit", "county"],
        current_level=0,
        revision=1,
        payload={},
        region_code="331004",
        unit_id="u",
        event_date=date(2025, 9, 26),
        filed_on=date(2025, 9, 26),
        deadline=date(2025, 10, 13),
        late=False,
        announcement_starts_on=None,
        announcement_ends_on=None,
        effective=False,
        filed_by="p-filer",
        version=1,
        updated_at=AT,
    )
    flow = filing_from_rows(row, [], RegistryRules())
    flow.approve(flow.levels[0], Actor("p-boss", frozenset({Role.UNIT_ADMIN}), "331004", "u", "Boss"), at=AT)
    _, new = filing_to_rows(flow, row)
    assert [(d.decision, d.level, d.revision, d.actor_name) for d in new] == [("approve", "unit", 1, "Boss")]
    assert row.current_level == 1
    assert filing_to_rows(flow, row)[1] == []


def test_account_round_trip() -> None:
    row = Account(
        id="a-1",
        name="路桥发布",
        platform="weibo",
        platform_account_id="luqiao",
        unit_id="u-1",
        region_code="331004",
        status="suspended",
        attention_tier="high",
        interaction_enabled=False,
        review_levels=2,
        certified=True,
        matrix_badge="ZW-331004-WEIBO-A1",
        operators={"editors": ["张"]},
        outsourcing={"vendor": "某公司"},
        stop_update_notice={"published_on": "2025-10-01"},
        merged_into="a-0",
        effective_on=date(2025, 10, 2),
        version=3,
        updated_at=AT,
    )
    account = account_from_row(row, "台州市路桥区人民政府办公室")
    assert account.stop_notice_on == date(2025, 10, 1)
    assert columns(account_to_row(account), {"version"}) == columns(row, {"version"})


def test_unit_person_region_and_calendar_round_trips() -> None:
    unit = Unit(
        id="u-1",
        name="台州市路桥区人民政府办公室",
        short_name="区府办",
        kind="competent_office",
        region_code="331004",
        duty_keywords=["政务公开"],
    )
    assert columns(unit_to_row(unit_from_row(unit))) == columns(unit)
    person = Person(
        id="p-1",
        username="zhang",
        display_name="张三",
        password_hash="$argon2id$x",
        unit_id=None,
        region_code="331004",
        roles=["office_staff", "unit_admin"],
        active=False,
    )
    assert columns(person_to_row(person_from_row(person))) == columns(person)
    region = Region(code="331004", name="路桥区", level="county", parent_code="331000")
    assert columns(region_to_row(region_from_row(region))) == columns(region)
    year = WorkCalendarYear(year=2027, holidays=["2027-01-01"], workdays=["2027-02-07"], loaded_by="p-1")
    assert columns(schedule_to_row(schedule_from_row(year), "p-1"), {"loaded_at"}) == columns(
        year, {"loaded_at"}
    )


def test_region_settings_round_trip_and_a_replacement_records_what_changed() -> None:
    row = RegionSettings(
        region_code="331000",
        settings={"registry": {"filing_deadline_workdays": 5}},
        version=3,
        updated_by="p-1",
    )
    document = settings_from_row("331000", row)
    assert columns(settings_to_row(document), {"updated_at"}) == columns(row, {"updated_at"})
    changed = document.replace({"monitor": {"silent_days": 10}}, actor_id="p-2", at=AT)
    assert (changed, document.version) == (("monitor", "registry"), 4)
    (event,) = document.pull_events()
    assert isinstance(event, RegionSettingsChanged)
    assert (event.version, event.changed_keys) == (4, ("monitor", "registry"))
    assert settings_from_row("331004", None).version == 0

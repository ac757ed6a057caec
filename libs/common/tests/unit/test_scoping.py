"""Region and unit scoping shared by the services (no database: visibility rules and the SQL they build)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

from govmedia_common.auth import Principal
from govmedia_common.errors import DomainError, ErrorKind
from govmedia_common.ids import new_id
from govmedia_common.scoping import can_see, ensure_visible, scoped, sees_only_own_unit


def person(region: str, unit: str | None, *roles: str, kind: str = "person") -> Principal:
    return Principal(
        subject="p",
        kind=kind,
        name="p",
        region_code=region,
        unit_id=unit,
        roles=frozenset(roles),
        scopes=frozenset(),
    )


def test_unit_staff_see_only_their_unit_office_staff_and_clients_their_subtree() -> None:
    assert sees_only_own_unit(person("331004", "u1", "editor"))
    assert not sees_only_own_unit(person("331000", "u1", "office_staff"))
    assert not sees_only_own_unit(person("331000", "u1", "editor", kind="client"))
    assert not sees_only_own_unit(person("331000", None, "editor"))


@pytest.mark.parametrize(
    ("caller", "region", "unit", "visible"),
    [
        (person("331000", None, "office_staff"), "331004", "u9", True),  # the city sees its counties
        (person("331004", None, "office_staff"), "331000", "u9", False),  # a county never sees its city
        (person("331004", None, "office_staff"), "331003", "u9", False),  # nor a sibling county
        (person("331004", "u1", "editor"), "331004", "u1", True),
        (person("331004", "u1", "editor"), "331004", "u2", False),  # another unit of the same county
    ],
)
def test_visibility_follows_the_region_tree_and_the_unit(
    caller: Principal, region: str, unit: str, visible: bool
) -> None:
    assert can_see(caller, region, unit) is visible
    if visible:
        ensure_visible(caller, region, unit, "post", "x")
    else:
        with pytest.raises(DomainError) as raised:
            ensure_visible(caller, region, unit, "post", "x")
        assert raised.value.kind is ErrorKind.NOT_FOUND and raised.value.status == 404


def test_a_scoped_query_filters_by_subtree_and_for_unit_staff_by_unit() -> None:
    posts = Table("posts", MetaData(), Column("region_code", String), Column("unit_id", String))

    def sql(caller: Principal) -> str:
        stmt = scoped(select(posts), caller, posts.c.region_code, posts.c.unit_id)
        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialects are untyped
        return str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    office = sql(person("331000", None, "office_staff"))
    assert "LIKE '3310'" in office and "unit_id" not in office.split("WHERE")[1]
    assert "posts.unit_id = 'u1'" in sql(person("331004", "u1", "editor"))


def test_new_ids_are_canonical_uuids() -> None:
    ident = new_id()
    assert str(uuid.UUID(ident)) == ident and ident != new_id()

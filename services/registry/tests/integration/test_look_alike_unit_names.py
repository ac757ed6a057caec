"""A unit's name is unique in its region as a reader reads it: full-width and half-width forms, compatibility
ideographs and spaces inside the name do not make a second unit of the same name.

Found by the outside-testing round (the registry's naming rules under the machine check's normalisation):
with 台州市路桥区金融工作中心（外事办） registered in 331004, the same name with an ideographic space inside,
with ASCII parentheses, or with U+F90A (the compatibility form of 金) was registered as a second unit (201),
and a unit could be renamed to such a look-alike of another; the naming rules compare names that way
(NFKC, no spaces), the unique constraint compared them as stored.

A later round found 臺州市… (traditional characters) registered beside 台州市…: names are compared with
traditional characters read as simplified ones too (OpenCC t2s), and stored as written.
"""

from __future__ import annotations

import asyncio

import pytest

from services.registry.tests.integration.factory import Factory, Registry, assert_problem, with_etag

pytestmark = pytest.mark.integration

NAME = "台州市路桥区金融工作中心（外事办）"


@pytest.mark.parametrize(
    "alike",
    [
        "台州市路桥区　金融工作中心（外事办）",  # an ideographic space inside
        "台州市路桥区 金融工作中心（外事办）",
        "台州市路桥区金融工作中心(外事办)",  # half-width parentheses
        "台州市路桥区\uf90a融工作中心（外事办）",  # CJK COMPATIBILITY IDEOGRAPH-F90A for 金
        "台州市路桥区金融工作中心（外事办）\u3000",  # a trailing ideographic space
        "臺州市路橋區金融工作中心（外事辦）",  # traditional characters (臺州 is 台州)
        "臺州市路桥区金融工作中心（外事办）",  # one traditional character
    ],
    ids=[
        "ideographic-space",
        "space",
        "half-width-parentheses",
        "compatibility-ideograph",
        "trailing-space",
        "traditional",
        "one-traditional-character",
    ],
)
async def test_a_name_that_reads_as_another_units_name_is_taken(
    module_registry: Registry, alike: str
) -> None:
    admin = await Factory(module_registry).admin()
    first = await admin.post(
        "/v1/units", json={"name": NAME, "short_name": "金融工作中心", "region_code": "331004"}
    )
    assert first.status_code in (201, 409), first.text  # the module's first test registers it
    r = await admin.post(
        "/v1/units", json={"name": alike, "short_name": "金融工作中心", "region_code": "331004"}
    )
    body = assert_problem(r, 409, "unit-name-taken")
    assert NAME in body["detail"]


async def test_a_unit_is_not_renamed_to_a_look_alike_of_another(module_registry: Registry) -> None:
    f = Factory(module_registry)
    admin = await f.admin()
    other = await f.unit("331004", "台州市路桥区应急管理局", "应急管理局")
    unit = await f.unit("331004", "台州市路桥区应急管理局指挥中心", "应急指挥中心")
    url = f"/v1/units/{unit['id']}"
    r = await with_etag(admin, "PATCH", url, url, json={"name": "台州市路桥区 应急管理局"})
    body = assert_problem(r, 409, "unit-name-taken")
    assert other["name"] in body["detail"]
    # its own name, written with a space, is still its own
    r = await with_etag(admin, "PATCH", url, url, json={"name": "台州市路桥区应急管理局 指挥中心"})
    assert r.status_code == 200, r.text


async def test_two_look_alikes_sent_at_the_same_instant_make_one_unit(module_registry: Registry) -> None:
    """Each request checks the region's names before it stores its own: without one check at a time, two
    look-alikes sent together both found the region free and both were stored (the unique constraint compares
    the names as stored)."""
    admin = await Factory(module_registry).admin()
    base = "台州市路桥区数据资源管理中心"
    for attempt in range(5):  # a few rounds: the race is narrow
        name = f"{base}{attempt}（大数据局）"
        alikes = [name, name.replace("（", "(").replace("）", ")"), name.replace("数据", "数 据", 1)]
        answers = await asyncio.gather(
            *(
                admin.post("/v1/units", json={"name": n, "short_name": "数据局", "region_code": "331004"})
                for n in alikes
            )
        )
        codes = sorted(r.status_code for r in answers)
        assert codes == [201, 409, 409], [(r.status_code, r.text[:120]) for r in answers]

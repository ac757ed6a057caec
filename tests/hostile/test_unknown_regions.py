"""Settings and rules of a region nobody registered, asked of the monitor, scoring and the registry.

What the outside round found: a province office asking the thresholds that apply in 339999 (no such
region: a typo of 331004, or a code copied from another province's list) was answered 200 by the monitor's
``GET /v1/settings/339999`` with the platform defaults, as if they applied somewhere, while scoring's
``GET /v1/rules/339999`` answered 404 ``unknown-region`` and the registry's settings of that region 404 too.
A code of the wrong shape was refused by the two with different problem types (``invalid-region-code``,
``bad-region``) and neither named where. Now the monitor answers as scoring does: a region no event of the
registry named (no account, no setting in its subtree) is a 404 ``unknown-region`` naming it, the caller's
own region never is, and a region a setting or an account names answers; a code of the wrong shape is the
same 422 ``validation-error`` in both, naming ``path.region_code``, as the region parameters of the
monitor's queries already answered. Neither takes a PUT (the registry owns settings): 405 in both.

The same held for every other region parameter of the monitor and notify: alerts, hot words, their trend
and extraction, and notify's cases answered 200 with nothing for 339999, and notify's ``POST /v1/bulletins``
published (201, BulletinPublished, the office's inbox) a "339999政务新媒体月通报" of a region nobody
registered. Each is now the same 404 ``unknown-region``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from tests.hostile.harness import PROBLEM_JSON, Served
from tests.hostile.supervision import HOME, NOW, Supervision
from tests.hostile.test_region_parameters import CALLS, _fill

pytestmark = pytest.mark.integration

PROVINCE = "330000"
NOBODYS = "339999"


def _clients(sup: Supervision, region: str = PROVINCE) -> dict[str, tuple[httpx.AsyncClient, str]]:
    roles = ("office_staff", "office_admin")
    return {
        "monitor": (
            sup.client(sup.monitor_url, sup.token(region=region, roles=roles, scopes=("monitor:read",))),
            "/v1/settings/{r}",
        ),
        "scoring": (
            sup.client(sup.scoring_url, sup.token(region=region, roles=roles, scopes=("scoring:read",))),
            "/v1/rules/{r}",
        ),
    }


async def _settings_named(sup: Supervision, region: str) -> None:
    """The registry's RegionSettingsChanged of ``region`` handed to the monitor's handler."""
    from govmedia_common.events.registry import RegionSettingsChanged
    from govmedia_monitor import handlers

    event = RegionSettingsChanged(
        occurred_at=datetime.combine(NOW.date(), NOW.timetz()),
        region_code=region,
        settings={"monitor": {"zombie_days": 60}},
        changed_keys=("monitor",),
        version=1,
        actor_id=str(uuid.uuid4()),
    )
    async with sup.monitor_app.state.runtime.sessions() as session, session.begin():
        await handlers.on_region_settings(event, None, session)


@pytest.mark.parametrize("service", ["monitor", "scoring"])
async def test_the_settings_of_a_region_nobody_registered_are_a_404_naming_it(
    supervision: Supervision, service: str
) -> None:
    client, path = _clients(supervision)[service]
    r = await client.get(path.format(r=NOBODYS))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "unknown-region", r.json()
    assert r.json()["region_code"] == NOBODYS and NOBODYS in r.json()["detail"], r.json()
    # the caller's own region is never unknown: the registry signed the caller in there
    own, path = _clients(supervision, region="339900")[service]
    r = await own.get(path.format(r="339900"))
    assert r.status_code == 200, r.text


async def test_the_monitor_answers_for_a_region_an_account_or_a_setting_names(
    supervision: Supervision,
) -> None:
    await supervision.account(region=HOME)
    await _settings_named(supervision, "330300")
    client, path = _clients(supervision)["monitor"]
    for region in (HOME, HOME[:4] + "00", "330300", "330000"):  # an account's, its city, a setting's, own
        r = await client.get(path.format(r=region))
        assert r.status_code == 200, (region, r.text)
    assert (await client.get(path.format(r="330300"))).json()["settings"]["zombie_days"] == 60
    assert (await client.get(path.format(r="330399"))).status_code == 404  # below a setting's, unnamed


@pytest.mark.parametrize("code", ["33100", "3310045", "33100x", "３３１００４"])
async def test_a_region_code_of_the_wrong_shape_is_the_same_422_in_both(
    supervision: Supervision, code: str
) -> None:
    answers = []
    for service, (client, path) in _clients(supervision).items():
        r = await client.get(path.format(r=code))
        assert r.status_code == 422, (service, r.text)
        assert [e["location"] for e in r.json()["errors"]] == ["path.region_code"], (service, r.json())
        answers.append(r.json()["code"])
    # as every region parameter of the monitor's queries answers (a pattern of the parameter)
    assert answers == ["validation-error", "validation-error"], answers


@pytest.mark.parametrize("service", ["monitor", "scoring"])
async def test_neither_takes_a_put_of_settings(supervision: Supervision, service: str) -> None:
    client, path = _clients(supervision)[service]
    for region in (HOME, NOBODYS):
        r = await client.put(path.format(r=region), json={"zombie_days": 60})
        assert r.status_code == 405, r.text
        assert r.headers["allow"] == "GET, HEAD", r.headers


async def test_the_registry_answers_404_for_the_settings_of_a_region_that_does_not_exist(
    served_registry: Served,
) -> None:
    token = await served_registry.setup.admin()
    setup = served_registry.setup
    r = await setup.call("GET", f"/v1/regions/{NOBODYS}/settings", token)
    assert r.status_code == 404, r.text
    r = await setup.call("PUT", f"/v1/regions/{NOBODYS}/settings", token, json={"settings": {}})
    assert r.status_code == 404, r.text
    assert (await setup.call("GET", f"/v1/regions/{PROVINCE}/settings", token)).status_code == 200


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_every_region_parameter_names_a_region_nobody_registered_unknown(
    supervision: Supervision, name: str
) -> None:
    service, method, path, query, body = CALLS[name]
    scopes = {
        "monitor": ("monitor:read",),
        "notify": ("notify:read", "notify:write"),
        "scoring": ("scoring:read",),
    }[service]
    base = {"monitor": supervision.monitor_url, "notify": supervision.notify_url}.get(
        service, supervision.scoring_url
    )
    token = supervision.token(region=PROVINCE, roles=("office_staff", "office_admin"), scopes=scopes)
    client = supervision.client(base, token)
    r = await client.request(
        method,
        _fill(path, NOBODYS),
        params=_fill(query, NOBODYS),
        json=_fill(body, NOBODYS) if body else None,
    )
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "unknown-region" and NOBODYS in r.json()["detail"], r.json()


# ------------------------------------------------------------------------------------ the review's regions


async def test_a_campaign_for_a_region_outside_the_callers_is_a_404_as_every_region_parameter(
    served: Served,
) -> None:
    """The review answered 403 outside-region where every other region parameter answers 404 "does not exist
    or is outside your region" (a region elsewhere and one that does not exist alike)."""
    _, _, county = await served.setup.person(["office_admin"], region_code=HOME)
    body = {"title": "国庆安全提示", "body": "请各账号转发。", "deadline": "2025-10-01T18:00:00+08:00"}
    async with httpx.AsyncClient(
        base_url=served.review_url, headers={"Authorization": f"Bearer {county}"}, timeout=60
    ) as review:
        answers = [
            await review.post("/v1/campaigns", json={**body, "region_code": region})
            for region in ("331003", NOBODYS)
        ]
    for r in answers:
        assert r.status_code == 404, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert [r.json()["code"] for r in answers] == ["not-found", "not-found"], [r.json() for r in answers]


async def test_a_lexicon_of_a_region_nobody_registered_is_a_404_unknown_region(served: Served) -> None:
    """A province office stored the county additions of 339999 (201, announced to every service): a list
    of a region nobody registered, applying nowhere."""
    token = await served.setup.admin()
    async with httpx.AsyncClient(
        base_url=served.review_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as review:
        listed = await review.get("/v1/lexicons", params={"region": NOBODYS})
        assert listed.status_code == 404, listed.text
        assert listed.json()["code"] == "unknown-region", listed.json()
        r = await review.put(
            "/v1/lexicons/sensitive",
            params={"region": NOBODYS},
            json={"entries": [{"term": "测试词", "category": "illegal", "severity": "block"}]},
            headers={"If-Match": 'W/"0"'},
        )
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "unknown-region", r.json()


@pytest.mark.parametrize("code", ["33100", "3310045", "33100x"])
async def test_the_registry_refuses_a_region_code_of_the_wrong_shape_as_the_supervision_services(
    served_registry: Served, code: str
) -> None:
    """The registry's settings of 33100 answered 404 "region 33100 does not exist" where the monitor's and
    scoring's (and the registry's own ?region= parameters) answer 422 naming the parameter."""
    token = await served_registry.setup.admin()
    for method, body in (("GET", None), ("PUT", {"settings": {}})):
        r = await served_registry.setup.call(method, f"/v1/regions/{code}/settings", token, json=body)
        assert r.status_code == 422, (method, r.text)
        assert r.json()["code"] == "validation-error", r.json()
        assert [e["location"] for e in r.json()["errors"]] == ["path.code"], r.json()


# ------------------------------------------------------------------ a region of the official region table

NO_ACCOUNTS_YET = "330110"  # 杭州市余杭区: in the official region table; no test files an account there


async def test_a_region_of_the_official_table_without_accounts_is_a_region_in_every_service(
    supervision: Supervision, served: Served
) -> None:
    """A real county with no accounts yet answered 404 unknown-region at the monitor, notify and scoring
    (and the review's lexicons) while the registry answered 200 for it: "unknown region" meant "no account
    filed there yet" in four services and "not in the official region table" in the fifth. Every service
    now answers by the registry's table (govmedia_common.regions): its lists are empty, its settings the
    inherited ones; a code the table lacks stays a 404 in all five (the tests above)."""
    token = await served.setup.admin()
    registry = await served.setup.call("GET", f"/v1/regions/{NO_ACCOUNTS_YET}/settings", token)
    assert registry.status_code == 200, registry.text
    roles = ("office_staff", "office_admin")
    calls: list[tuple[str, str, str, dict[str, str]]] = [
        ("monitor", supervision.monitor_url, f"/v1/settings/{NO_ACCOUNTS_YET}", {}),
        ("monitor", supervision.monitor_url, "/v1/alerts", {"region_code": NO_ACCOUNTS_YET}),
        ("monitor", supervision.monitor_url, "/v1/hot-words", {"region_code": NO_ACCOUNTS_YET}),
        ("notify", supervision.notify_url, "/v1/cases", {"region_code": NO_ACCOUNTS_YET}),
        ("scoring", supervision.scoring_url, f"/v1/rules/{NO_ACCOUNTS_YET}", {}),
        (
            "scoring",
            supervision.scoring_url,
            "/v1/rankings",
            {"period_kind": "day", "period_start": "2025-10-14", "region": NO_ACCOUNTS_YET},
        ),
    ]
    scopes = {"monitor": ("monitor:read",), "notify": ("notify:read",), "scoring": ("scoring:read",)}
    answers = {}
    for service, base, path, params in calls:
        client = supervision.client(
            base, supervision.token(region=PROVINCE, roles=roles, scopes=scopes[service])
        )
        r = await client.get(path, params=params)
        answers[f"{service} {path}"] = (r.status_code, r.text[:200])
    async with httpx.AsyncClient(
        base_url=served.review_url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as review:
        r = await review.get("/v1/lexicons", params={"region": NO_ACCOUNTS_YET})
        answers["review /v1/lexicons"] = (r.status_code, r.text[:200])
    assert {k: v for k, v in answers.items() if v[0] != 200} == {}, answers

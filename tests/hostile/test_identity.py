"""People and clients under attack: revocation reaches every service, logins are throttled and audited,
unknown usernames answer like known ones, weak passwords are refused."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import httpx
import jwt
import pytest

from tests.hostile.harness import PASSWORD, PROBLEM_JSON, Served

pytestmark = pytest.mark.integration


async def _get(base_url: str, path: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as http:
        return await http.get(path, headers={"Authorization": f"Bearer {token}"})


async def _refused_within(served: Served, token: str, seconds: float) -> dict[str, float]:
    """Poll registry and review with ``token`` until both answer 401; returns when each first did."""
    start = time.monotonic()
    refused: dict[str, float] = {}
    while time.monotonic() - start < seconds and len(refused) < 2:
        for name, url, path in (
            ("registry", served.registry_url, "/v1/me"),
            ("review", served.review_url, "/v1/posts"),
        ):
            if name not in refused and (await _get(url, path, token)).status_code == 401:
                refused[name] = time.monotonic() - start
        await asyncio.sleep(0.1)
    return refused


async def test_a_deactivated_persons_token_is_refused_by_registry_and_review_within_5_seconds(
    served: Served,
) -> None:
    s = served.setup
    unit_id = await s.unit("331004", "台州市路桥区交通运输局", "交通运输局")
    person_id, username, token = await s.person(["editor"], region_code="331004", unit_id=unit_id)
    assert (await _get(served.registry_url, "/v1/me", token)).status_code == 200
    assert (await _get(served.review_url, "/v1/posts", token)).status_code == 200

    r = await s.call(
        "POST", f"/v1/people/{person_id}/deactivation", await s.admin(), json={"reason": "left the bureau"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False

    refused = await _refused_within(served, token, 5.0)
    assert set(refused) == {"registry", "review"}, f"still accepted after 5 s by: {refused}"
    assert (await s.login(username, PASSWORD)).status_code == 401  # and no new token either

    r = await s.call(
        "POST", f"/v1/people/{person_id}/reactivation", await s.admin(), json={"reason": "came back"}
    )
    assert r.status_code == 200 and r.json()["active"] is True
    fresh = await s.token(username, PASSWORD)
    assert (await _get(served.review_url, "/v1/posts", fresh)).status_code == 200
    assert (await _get(served.registry_url, "/v1/me", token)).status_code == 401  # the old one stays dead


async def test_changing_or_resetting_a_password_signs_out_older_tokens(served: Served) -> None:
    s = served.setup
    person_id, username, token = await s.person(["auditor"], region_code="331004")
    new_password = "Taizhou-river-lantern-42"
    r = await s.call(
        "PUT",
        "/v1/me/password",
        token,
        json={"current_password": "not-it-at-all-123", "new_password": new_password},
    )
    assert r.status_code == 401 or r.status_code == 403, r.text
    r = await s.call(
        "PUT", "/v1/me/password", token, json={"current_password": PASSWORD, "new_password": new_password}
    )
    assert r.status_code == 204, r.text
    assert (await _refused_within(served, token, 5.0)).get("registry") is not None
    token2 = await s.token(username, new_password)
    assert (await _get(served.registry_url, "/v1/me", token2)).status_code == 200

    reset = "Linhai-city-wall-sunrise-7"
    r = await s.call(
        "POST", f"/v1/people/{person_id}/password-reset", await s.admin(), json={"new_password": reset}
    )
    assert r.status_code == 204, r.text
    assert (await s.login(username, new_password)).status_code == 401
    assert (await _refused_within(served, token2, 5.0)).get("registry") is not None
    await s.token(username, reset)


async def test_rotating_a_client_secret_retires_the_old_secret_and_its_tokens(served: Served) -> None:
    s = served.setup
    r = await s.call(
        "POST",
        "/v1/clients",
        await s.admin(),
        json={"name": "台州政务服务网对接", "region_code": "331000", "scopes": ["registry:read"]},
    )
    assert r.status_code == 201, r.text
    client_id, old_secret = r.json()["client_id"], r.json()["client_secret"]
    form = {"grant_type": "client_credentials", "client_id": client_id}
    old_token = (await s.client.post("/v1/auth/token", data={**form, "client_secret": old_secret})).json()[
        "access_token"
    ]
    r = await s.call(
        "POST", f"/v1/clients/{client_id}/secret", await s.admin(), json={"reason": "vendor changed"}
    )
    assert r.status_code == 200, r.text
    new_secret = r.json()["client_secret"]
    assert new_secret != old_secret
    refused = await s.client.post("/v1/auth/token", data={**form, "client_secret": old_secret})
    assert refused.status_code == 401
    assert (
        await s.client.post("/v1/auth/token", data={**form, "client_secret": new_secret})
    ).status_code == 200
    assert (await _refused_within(served, old_token, 5.0)).get("registry") is not None


async def test_the_21st_wrong_password_within_a_minute_gets_429_with_retry_after(served: Served) -> None:
    s = served.setup
    _, username, _ = await s.person(["auditor"], region_code="331004")
    for attempt in range(20):
        r = await s.login(username, f"wrong-password-{attempt}")
        assert r.status_code == 401, (attempt, r.text)
    r = await s.login(username, "wrong-password-21")
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    retry_after = int(r.headers["retry-after"])
    assert 0 < retry_after <= 60
    # Locked out means locked out: the right password waits too, and says for how long.
    r = await s.login(username, PASSWORD)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


async def test_every_login_is_audited_success_or_failure_without_the_password(served: Served) -> None:
    s = served.setup
    _, username, _ = await s.person(["auditor"], region_code="331004")
    await s.login(username, "a-wrong-password-here")
    await s.token(username, PASSWORD)
    rows = await _audit(
        served,
        "SELECT outcome, status_code, detail::text AS detail, client_address FROM "
        "audit_log WHERE action = 'login' AND target = $1 ORDER BY id",
        username,
    )
    # the sign-in of set-up, then the two of this test
    assert [(r["outcome"], r["status_code"]) for r in rows][-2:] == [("refused", 401), ("success", 200)]
    details = [str(r["detail"]) for r in rows]
    assert all(PASSWORD not in d and "wrong-password" not in d for d in details)
    assert all(r["client_address"] for r in rows)


async def test_known_and_unknown_usernames_take_the_same_time_within_a_factor_of_1_5(served: Served) -> None:
    s = served.setup
    known = [(await s.person(["auditor"], region_code="331004"))[1] for _ in range(5)]
    unknown = [f"nobody-{uuid.uuid4().hex[:8]}" for _ in range(25)]

    async def timed(username: str) -> float:
        start = time.perf_counter()
        r = await s.login(username, "definitely-not-the-password")
        assert r.status_code == 401, r.text
        return time.perf_counter() - start

    known_times: list[float] = []
    unknown_times: list[float] = []
    for i in range(25):  # interleaved, so load on the machine hits both alike
        known_times.append(await timed(known[i % 5]))
        unknown_times.append(await timed(unknown[i]))
    k, u = statistics.median(known_times), statistics.median(unknown_times)
    assert max(k, u) / min(k, u) < 1.5, f"median known {k * 1000:.1f} ms, unknown {u * 1000:.1f} ms"


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "password12", "1234567890", "qwertyuiop", "Password1!"])
async def test_common_and_trivial_passwords_are_refused(served: Served, weak: str) -> None:
    s = served.setup
    r = await s.call(
        "POST",
        "/v1/people",
        await s.admin(),
        json={
            "username": f"weak-{uuid.uuid4().hex[:6]}",
            "display_name": "弱口令",
            "password": weak,
            "region_code": "331004",
            "roles": ["auditor"],
        },
    )
    assert r.status_code == 422, r.text
    assert any(e["location"] == "body.password" for e in r.json()["errors"]), r.text


async def _audit(served: Served, query: str, *args: object) -> list[dict[str, object]]:
    import asyncpg

    conn = await asyncpg.connect(served.registry_db.replace("+asyncpg", ""))
    try:
        return [dict(r) for r in await conn.fetch(query, *args)]
    finally:
        await conn.close()


async def test_probing_a_username_needs_an_admin_and_is_on_record(served: Served) -> None:
    s = served.setup
    unit_id = await s.unit("331004", "台州市路桥区文化和广电旅游体育局", "文广旅体局")
    _, taken, _ = await s.person(["auditor"], region_code="331004")
    _, _, editor = await s.person(["editor"], region_code="331004", unit_id=unit_id)
    unit_admin_id, _, unit_admin = await s.person(["unit_admin"], region_code="331004", unit_id=unit_id)
    body = {
        "username": taken,
        "display_name": "探测",
        "password": "Probe-username-lantern-88",
        "region_code": "331004",
        "unit_id": unit_id,
        "roles": ["editor"],
    }
    assert (await s.call("POST", "/v1/people", editor, json=body)).status_code == 403  # not an admin
    r = await s.call("POST", "/v1/people", unit_admin, json=body)
    assert r.status_code == 409 and r.json()["code"] == "username-taken"
    rows = await _audit(
        served,
        "SELECT actor_id, status_code FROM audit_log WHERE action = 'POST /v1/people' ORDER BY id",
    )
    assert {"actor_id": unit_admin_id, "status_code": 409} in rows


async def test_a_retired_signing_key_is_refused_by_registry_and_review_within_5_seconds(
    served: Served,
) -> None:
    # Last in this module: retiring the key ends every token signed before.
    s = served.setup
    _, username, old_token = await s.person(["auditor"], region_code="331004")
    r = await s.call("POST", "/v1/admin/signing-keys", await s.admin())
    assert r.status_code == 201, r.text
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    assert r.json()["kid"] != old_kid
    new_token = await s.token(username, PASSWORD)
    assert jwt.get_unverified_header(new_token)["kid"] == r.json()["kid"]
    # review has the old key cached from earlier requests
    assert (await _get(served.review_url, "/v1/posts", old_token)).status_code in (200, 403)
    r = await s.call("POST", f"/v1/admin/signing-keys/{old_kid}/retire", await s.admin())
    assert r.status_code == 200, r.text
    s._admin = None  # the admin's own token was signed with the retired key too
    refused = await _refused_within(served, old_token, 5.0)
    assert set(refused) == {"registry", "review"}, f"still accepted after 5 s by: {refused}"
    assert (await _get(served.registry_url, "/v1/me", new_token)).status_code == 200

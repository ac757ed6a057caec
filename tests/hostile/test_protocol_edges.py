"""What the third outside round found at the HTTP edge, each replayed over a real socket to the registry.

The edge (``govmedia_common.inputs``, ``problems``, ``app``) is shared by all five services, so the
registry stands for them all here.

* a gzip-compressed body answered 422 "not valid JSON in UTF-8" (the bytes were read as JSON), and a
  body in GBK sent with ``charset=GBK`` answered "surrogates not allowed": neither said what to change;
* malformed JSON (data after the document, a raw control character, a cut-off body) answered
  "The request is invalid at: body.13", naming a character offset as if it were a field;
* ``NaN``, ``Infinity`` and ``1e400`` (which Python's JSON reader accepts) reached the database and came
  back as "a value cannot be stored (too long, out of range or malformed)" without saying which one;
* a repeated query parameter (``?limit=1&limit=500``) silently took the last value;
* a 20,000-character id answered 404 echoing it twice (40 kB), and the append-only audit log stored it
  three times per refusal, also for callers without a token;
* ``HEAD`` answered 405 on every ``GET`` resource (link checkers, proxies and monitors use it);
* ``/v1/units/`` redirected to an absolute URL built from the ``Host`` header: any host a client named,
  and ``http://`` behind a TLS proxy, where a client then drops its token or sends it in clear;
* ``/v1/calendar/99999`` answered 404 telling an admin to load the schedule of the year 99999;
* an object naming a key twice kept the last value silently (``"name": "甲局", …, "name": "乙局"``);
* a query parameter the endpoint does not take was dropped: ``?stauts=active`` listed everything and
  ``?page=2`` on a cursor list gave the first page again;
* a name holding an invisible character (a zero-width space from copy and paste) registered a unit whose
  name looks exactly like another's.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import httpx
import orjson
import pytest

from tests.hostile.harness import PROBLEM_JSON, RawConnection, Served

pytestmark = pytest.mark.integration


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON), r.headers
    doc: dict[str, Any] = r.json()
    assert doc["code"] == code, doc
    return doc


async def _unit_names(client: httpx.AsyncClient, token: str) -> str:
    listed = await client.get("/v1/units", params={"limit": 200}, headers=_auth(token))
    assert listed.status_code == 200, listed.text
    return listed.text


# ------------------------------------------------------------------------------------ encodings, charsets


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", lambda b: b"\x0b\x02\x80" + b)],
)
async def test_a_compressed_body_is_a_415_naming_the_content_coding_and_nothing_is_created(
    served_registry: Served, coding: str, compress: Any
) -> None:
    admin = await served_registry.setup.admin()
    body = {"name": f"台州市路桥区压缩局{coding}", "short_name": "压缩局", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units",
            content=compress(orjson.dumps(body)),
            headers=_auth(admin, **{"Content-Type": "application/json", "Content-Encoding": coding}),
        )
        names = await _unit_names(client, admin)
    doc = _problem(r, 415, "unsupported-content-encoding")
    assert coding in doc["detail"] and "uncompressed" in doc["detail"], doc
    assert r.headers["accept-encoding"] == "identity"  # RFC 9110 15.5.16: which codings are accepted
    assert body["name"] not in names


async def test_content_encoding_identity_is_still_accepted(served_registry: Served) -> None:
    admin = await served_registry.setup.admin()
    body = {"name": "台州市路桥区原样局", "short_name": "原样局", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units", json=body, headers=_auth(admin, **{"Content-Encoding": "identity"})
        )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("charset", ["GBK", "gb2312", "latin-1", "utf-16", '"gb18030"'])
async def test_a_json_body_in_another_charset_is_a_415_asking_for_utf8(
    served_registry: Served, charset: str
) -> None:
    """A provincial system sending GBK said so in the header; the answer talked about surrogates."""
    admin = await served_registry.setup.admin()
    name = f"台州市路桥区编码局{charset.strip(chr(34))}"
    body = orjson.dumps({"name": name, "short_name": "编码局", "region_code": "331004"}).decode()
    encoding = charset.strip('"').replace("latin-1", "utf-8")  # latin-1 cannot hold Chinese: send UTF-8
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units",
            content=body.encode(encoding),
            headers=_auth(admin, **{"Content-Type": f"application/json; charset={charset}"}),
        )
        names = await _unit_names(client, admin)
    doc = _problem(r, 415, "unsupported-charset")
    assert "UTF-8" in doc["detail"] and charset.strip('"') in doc["detail"], doc
    assert name not in names


@pytest.mark.parametrize(("n", "charset"), enumerate(["utf-8", "UTF-8", '"utf-8"', "utf8"]))
async def test_a_json_body_declared_utf8_in_any_spelling_is_accepted(
    served_registry: Served, n: int, charset: str
) -> None:
    admin = await served_registry.setup.admin()
    body = {"name": f"台州市路桥区标注局{n}", "short_name": "标注局", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units",
            content=orjson.dumps(body),
            headers=_auth(admin, **{"Content-Type": f"application/json; charset={charset}"}),
        )
    assert r.status_code == 201, r.text


# ------------------------------------------------------------------------------------------ malformed JSON


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b'{"name": "x", "short_name": "x", "region_code": "331004"} trailing', "line 1"),
        (b'{"name": "a\x01b", "short_name": "x", "region_code": "331004"}', "line 1"),
        (b'{"name": "x", "short_name": "x",\n "region_code": ', "line 2"),
        (b'{"name": "x", "short_name": "x", "region_code": "331004",}', "line 1"),
    ],
)
async def test_malformed_json_is_a_422_invalid_json_saying_where_not_a_character_offset_as_a_field(
    served_registry: Served, raw: bytes, hint: str
) -> None:
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.post(
            "/v1/units", content=raw, headers=_auth(admin, **{"Content-Type": "application/json"})
        )
    doc = _problem(r, 422, "invalid-json")
    assert hint in doc["detail"] and "column" in doc["detail"], doc
    assert doc["errors"][0]["location"] == "body", doc


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-2E+999"])
async def test_nan_infinity_and_overflowing_numbers_are_refused_as_invalid_json_and_nothing_is_stored(
    served_registry: Served, number: str
) -> None:
    """Python's JSON reader takes them; RFC 8259 has no such numbers, and PostgreSQL's jsonb neither."""
    admin = await served_registry.setup.admin()
    raw = b'{"settings": {"scoring": {"weights": {"diligence": %s}}}}' % number.encode()
    if number == "NaN":  # a bulk-sized body takes the other path of the check
        raw = raw[:-1] + b', "note": "%s"}' % (b"x" * 100_000)
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.put(
            "/v1/regions/331002/settings",
            content=raw,
            headers=_auth(admin, **{"Content-Type": "application/json", "If-Match": "*"}),
        )
        after = await client.get("/v1/regions/331002/settings", headers=_auth(admin))
    doc = _problem(r, 422, "invalid-json")
    assert "NaN" in doc["detail"] and "column" in doc["detail"], doc
    assert after.json()["own"] == {}


async def test_a_large_but_finite_number_still_reaches_the_schema(served_registry: Served) -> None:
    admin = await served_registry.setup.admin()
    raw = b'{"settings": {"registry": {"filing_deadline_workdays": 1e300}}}'
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.put(
            "/v1/regions/331002/settings",
            content=raw,
            headers=_auth(admin, **{"Content-Type": "application/json", "If-Match": "*"}),
        )
    assert r.status_code == 422 and r.json()["code"] != "invalid-json", r.text  # the rule refuses it


async def test_a_key_given_twice_in_one_object_is_a_422_naming_it_and_nothing_is_stored(
    served_registry: Served,
) -> None:
    """The last value silently won: a gateway or a reviewer reading the first saw another request."""
    admin = await served_registry.setup.admin()
    headers = _auth(admin, **{"Content-Type": "application/json"})
    settings = b'{"settings": {"registry": {"filing_deadline_workdays": 5, "filing_deadline_workdays": 6}}}'
    unit = (
        '{"name": "台州市路桥区甲局", "short_name": "甲局", "region_code": "331004", '
        '"name": "台州市路桥区乙局"}'
    )
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        put = await client.put(
            "/v1/regions/331003/settings", content=settings, headers={**headers, "If-Match": "*"}
        )
        post = await client.post("/v1/units", content=unit.encode(), headers=headers)
        after = await client.get("/v1/regions/331003/settings", headers=headers)
        names = await _unit_names(client, admin)
    for r, key in ((put, "filing_deadline_workdays"), (post, "name")):
        doc = _problem(r, 422, "duplicate-key")
        assert repr(key) in doc["detail"], doc
        assert doc["errors"][0]["location"] == "body", doc
    assert after.json()["own"] == {}
    assert "乙局" not in names and "甲局" not in names


async def test_the_same_key_in_different_objects_is_fine(served_registry: Served) -> None:
    admin = await served_registry.setup.admin()
    raw = b'{"settings": {"registry": {"zombie_days": 90}, "monitor": {"zombie_days": 90}}}'
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.put(
            "/v1/regions/331004/settings",
            content=raw,
            headers=_auth(admin, **{"Content-Type": "application/json", "If-Match": "*"}),
        )
    assert r.status_code != 422 or r.json()["code"] != "duplicate-key", r.text


# ------------------------------------------------------------------------------------------ query string


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=1&limit=500", "limit"),
        ("platform=wechat&platform=weibo", "platform"),
        ("cursor=&cursor=", "cursor"),
    ],
)
async def test_a_repeated_query_parameter_is_a_422_naming_it(
    served_registry: Served, query: str, name: str
) -> None:
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get(f"/v1/accounts?{query}", headers=_auth(admin))
    doc = _problem(r, 422, "repeated-parameter")
    assert doc["errors"][0]["location"] == f"query.{name}", doc
    assert name in doc["detail"], doc


@pytest.mark.parametrize(
    ("path", "query", "name", "hint"),
    [
        ("/v1/accounts", "stauts=active", "stauts", "did you mean 'status'"),  # a typo
        ("/v1/units", "page=2", "page", "cursor"),  # page numbers on a cursor list: page 1 for ever
        ("/v1/filings", "account=abc", "account", "did you mean 'account_id'"),
    ],
)
async def test_an_unknown_query_parameter_is_a_422_naming_it_and_what_the_endpoint_takes(
    served_registry: Served, path: str, query: str, name: str, hint: str
) -> None:
    """The filter was silently dropped: a typo listed everything, ?page=2 gave the first page again."""
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get(f"{path}?{query}", headers=_auth(admin))
        anonymous = await client.get(f"{path}?{query}")
        fine = await client.get(f"{path}?limit=5", headers=_auth(admin))
    doc = _problem(r, 422, "unknown-parameter")
    assert doc["errors"][0]["location"] == f"query.{name}", doc
    assert repr(name) in doc["detail"] and hint in doc["detail"], doc
    assert "limit" in doc["detail"], doc  # it lists what the endpoint takes
    _problem(anonymous, 401, "unauthorized")  # who may not call it learns nothing of its parameters
    assert fine.status_code == 200, fine.text


# ------------------------------------------------------------------------------- long targets, the audit


async def test_an_overlong_request_target_is_a_414_problem_on_a_live_connection(
    served_registry: Served,
) -> None:
    conn = await RawConnection.open(served_registry.registry_url)
    try:
        long_path = await conn.request("GET", b"/v1/units/" + b"x" * 20_000)
        long_query = await conn.request("GET", b"/v1/units?cursor=" + b"A" * 20_000)
        after = await conn.request("GET", b"/healthz")
    finally:
        await conn.close()
    for answer in (long_path, long_query):
        assert answer.status == 414, answer.body[:300]
        assert answer.content_type.startswith(PROBLEM_JSON)
        assert answer.json()["code"] == "uri-too-long"
        assert len(answer.body) < 2_000, len(answer.body)
    assert after.status == 200


async def test_a_refusal_of_a_long_id_echoes_it_bounded_and_the_audit_log_stores_it_bounded(
    served_registry: Served,
) -> None:
    """The audit log refuses DELETE: whatever a caller without a token can put in it must be small."""
    admin = await served_registry.setup.admin()
    ident = "y" * 5_000
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        unauthenticated = await client.get(f"/v1/units/{ident}")
        unknown = await client.get(f"/v1/units/{ident}", headers=_auth(admin))
        audit = await client.get("/v1/audit", params={"limit": 20}, headers=_auth(admin))
    _problem(unauthenticated, 401, "unauthorized")
    doc = _problem(unknown, 404, "not-found")
    assert len(unknown.content) < 2_000, len(unknown.content)
    assert doc["detail"].startswith("unit yyyy") and "…" in doc["detail"], doc
    entries = [e for e in audit.json()["items"] if "yyyy" in orjson.dumps(e).decode()]
    assert len(entries) >= 2, audit.text[:500]  # both refusals are on the record
    for entry in entries:
        assert len(orjson.dumps(entry)) < 3_000, orjson.dumps(entry)[:300]


# ------------------------------------------------------------------------------------------- HEAD, slashes


async def test_head_is_answered_wherever_get_is_with_the_get_headers_and_no_body(
    served_registry: Served,
) -> None:
    admin = await served_registry.setup.admin()
    conn = await RawConnection.open(served_registry.registry_url)
    auth = [(b"authorization", f"Bearer {admin}".encode())]
    try:
        got = await conn.request("GET", b"/v1/units?limit=5", headers=auth)
        head = await conn.request("HEAD", b"/v1/units?limit=5", headers=auth)
        health = await conn.request("HEAD", b"/healthz")
        unauthenticated = await conn.request("HEAD", b"/v1/units")
        post_only = await conn.request("HEAD", b"/v1/auth/token")
        after = await conn.request("GET", b"/healthz")
    finally:
        await conn.close()
    assert got.status == 200
    assert head.status == 200, head.headers
    assert head.body == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert health.status == 200 and health.body == b""
    assert unauthenticated.status == 401 and unauthenticated.body == b""
    assert post_only.status == 405
    assert post_only.headers["allow"] == "POST"
    assert after.status == 200  # the connection lives on


async def test_a_405_on_a_get_resource_allows_head_too(served_registry: Served) -> None:
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.delete("/v1/units")
    doc = _problem(r, 405, "method-not-allowed")
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}, r.headers
    assert "HEAD" in doc["detail"]


async def test_a_trailing_slash_redirects_to_a_relative_location_whatever_the_host_header(
    served_registry: Served,
) -> None:
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        r = await client.get(
            "/v1/units/?limit=5", headers=_auth(admin, Host="attacker.example"), follow_redirects=False
        )
        followed = await client.get("/v1/units/?limit=5", headers=_auth(admin), follow_redirects=True)
    assert r.status_code == 307, r.text
    assert r.headers["location"] == "/v1/units?limit=5"
    assert followed.status_code == 200 and "items" in followed.json()


# -------------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\u200b", "U+200B"),
        ("\u202e", "U+202E"),
        ("\ufeff", "U+FEFF"),
        ("\u00ad", "U+00AD"),
        ("\u3164", "U+3164"),  # a Hangul filler: a letter that shows nothing
    ],
)
async def test_a_name_with_an_invisible_character_is_refused_naming_it_so_no_lookalike_is_registered(
    served_registry: Served, char: str, code: str
) -> None:
    """Copied from a web page or a chat, a zero-width space made a second unit whose name looks exactly like
    the first (the rule "one name per unit in a region" compared the bytes); a right-to-left override
    shows a name reversed."""
    admin = await served_registry.setup.admin()
    name = f"台州市路桥区档案局{code[2:]}"
    body = {"name": name, "short_name": "档案局", "region_code": "331004"}
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        first = await client.post("/v1/units", json=body, headers=_auth(admin))
        lookalike = await client.post(
            "/v1/units", json={**body, "name": name[:6] + char + name[6:]}, headers=_auth(admin)
        )
    assert first.status_code == 201, first.text
    doc = _problem(lookalike, 422, "validation-error")
    assert doc["errors"][0]["location"] == "body.name", doc
    assert code in doc["errors"][0]["message"] and "position 7" in doc["errors"][0]["message"], doc


# ----------------------------------------------------------------------------------------------- calendar


@pytest.mark.parametrize("year", ["99999", "0", "1899", "2201"])
async def test_a_calendar_year_the_platform_cannot_reason_about_is_a_422_naming_the_range(
    served_registry: Served, year: str
) -> None:
    admin = await served_registry.setup.admin()
    async with httpx.AsyncClient(base_url=served_registry.registry_url) as client:
        got = await client.get(f"/v1/calendar/{year}", headers=_auth(admin))
        put = await client.put(
            f"/v1/calendar/{year}", json={"holidays": [], "workdays": []}, headers=_auth(admin)
        )
    for r in (got, put):
        doc = _problem(r, 422, "validation-error")
        assert doc["errors"][0]["location"] == "path.year", doc
        assert "1900" in doc["errors"][0]["message"] or "2200" in doc["errors"][0]["message"], doc

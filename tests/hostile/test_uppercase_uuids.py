"""Account ids written in capitals, as SQL Server and .NET print a GUID, to the monitor's ingest.

What the outside round found: the ingest's account id is declared to be read in lower case
(``to_lower``), but its pattern was checked first and allowed only ``a-f``, so
``6F1C2C8E-3A4B-4C5D-8E9F-0A1B2C3D4E5F`` — the same account — was refused as "should match pattern" by
every ingest kind. An integrating department whose systems keep accounts in a ``uniqueidentifier``
column sent every item so. Such an id is now read as the account it names.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration


async def test_an_account_id_in_capitals_names_the_account_in_every_ingest_kind(
    supervision: Supervision,
) -> None:
    account = await supervision.account()
    upper = account.upper()
    at = (NOW - timedelta(hours=1)).isoformat()
    key = uuid.uuid4().hex[:8]
    connector = supervision.connector()
    items: dict[str, dict[str, object]] = {
        "/v1/observed-posts": {
            "account_id": upper,
            "platform_post_id": f"wx-{key}",
            "text": "区政务服务中心照常办理业务。",
            "published_at": at,
        },
        "/v1/metrics": {"account_id": upper, "taken_at": at, "reads": 3},
        "/v1/messages": {"account_id": upper, "message_id": f"m-{key}", "received_at": at},
        "/v1/replies": {"account_id": upper, "message_id": f"m-{key}", "answered_at": NOW.isoformat()},
        "/v1/interaction": {"account_id": upper, "enabled": True, "at": at},
    }
    for path, body in items.items():
        r = await connector.post(path, json=body)
        assert r.status_code == 200 and r.json()["accepted"] == 1, (path, r.text)
    bulk = await connector.post(
        "/v1/metrics/bulk", json={"items": [{**items["/v1/metrics"], "taken_at": NOW.isoformat()}]}
    )
    assert bulk.status_code == 200 and bulk.json()["accepted"] == 1, bulk.text
    listed = await supervision.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    assert [p["account_id"] for p in listed.json()["items"]] == [account]

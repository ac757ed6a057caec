"""Every region parameter of monitor, notify and scoring naming a region outside the caller's, over sockets.

What the outside round found: ``GET /v1/alerts?region_code=331003`` on the monitor, from a caller of
331004, answered 403 ``outside-your-region``, where every other region parameter of the three services
(hot words, settings, cases, bulletins, rankings, distributions, statistics, rules) answers 404 "does not
exist or is outside your region" for a region elsewhere and one that does not exist alike. It now answers
the same 404. The other parameters held and stay as guards.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

MONTH = {"period_kind": "month", "period_start": "2025-09-01"}
DAY = "2025-10-14"

# (service, method, path, query, body) with {r} for the region code
CALLS: dict[str, tuple[str, str, str, dict[str, Any], dict[str, Any] | None]] = {
    "monitor alerts": ("monitor", "GET", "/v1/alerts", {"region_code": "{r}"}, None),
    "monitor hot words": ("monitor", "GET", "/v1/hot-words", {"region_code": "{r}", "day": DAY}, None),
    "monitor trend": ("monitor", "GET", "/v1/hot-words/trend", {"region_code": "{r}", "term": "医保"}, None),
    "monitor settings": ("monitor", "GET", "/v1/settings/{r}", {}, None),
    "monitor extraction": ("monitor", "POST", "/v1/hot-words/extraction", {}, {"region_code": "{r}"}),
    "notify cases": ("notify", "GET", "/v1/cases", {"region_code": "{r}"}, None),
    "notify bulletins": (
        "notify",
        "POST",
        "/v1/bulletins",
        {},
        {"region_code": "{r}", "period_kind": "month", "period_start": "2025-09-01"},
    ),
    "scoring rankings": ("scoring", "GET", "/v1/rankings", {"region": "{r}", **MONTH}, None),
    "scoring distribution": ("scoring", "GET", "/v1/distribution", {"region": "{r}", **MONTH}, None),
    "scoring statistics": ("scoring", "GET", "/v1/statistics", {"region": "{r}", **MONTH}, None),
    "scoring rules": ("scoring", "GET", "/v1/rules/{r}", {}, None),
}


def _fill(value: Any, region: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, region) for k, v in value.items()}
    return value.replace("{r}", region) if isinstance(value, str) else value


@pytest.mark.parametrize("region", ["331003", "999999"], ids=["next-county", "no-such-region"])
@pytest.mark.parametrize("name", sorted(CALLS))
async def test_a_region_outside_the_callers_is_a_404_like_one_that_does_not_exist(
    supervision: Supervision, name: str, region: str
) -> None:
    service, method, path, query, body = CALLS[name]
    roles = ("office_staff", "office_admin")
    scopes = {
        "monitor": ("monitor:read",),
        "notify": ("notify:read", "notify:write"),
        "scoring": ("scoring:read",),
    }[service]
    base = {"monitor": supervision.monitor_url, "notify": supervision.notify_url}.get(
        service, supervision.scoring_url
    )
    client = supervision.client(base, supervision.token(roles=roles, scopes=scopes))
    r = await client.request(
        method, _fill(path, region), params=_fill(query, region), json=_fill(body, region) if body else None
    )
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert region in r.json()["detail"], r.json()

"""The ``url`` of an observed post, over real sockets to the monitor.

What the outside round found: ``url`` took any text up to 2,000 characters — ``javascript:alert(1)``,
``data:text/html,…``, ``ftp://…``, a host without a scheme as a spreadsheet holds it — and it travels on in
the ``PostObserved`` event and every alert about the post (``detail.url``) to whoever shows it as a link.
Only a web address (``http``/``https`` with a host) is taken now; an empty one is no address.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import NOW, Supervision

pytestmark = pytest.mark.integration


def _post(account: str, url: str) -> dict[str, str]:
    return {
        "account_id": account,
        "platform_post_id": f"wx-{uuid.uuid4().hex[:10]}",
        "url": url,
        "text": "区政务服务中心照常办理业务。",
        "published_at": (NOW - timedelta(hours=1)).isoformat(),
    }


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://mp.weixin.qq.com/s/AbC",
        "mp.weixin.qq.com/s/AbCdEf",  # no scheme
        "https://",  # no host
        "https:///s/AbC",
        "http://mp.weixin.qq.com/s/ x",  # a space inside
    ],
)
async def test_a_post_url_that_is_not_a_web_address_is_refused_single_and_bulk(
    supervision: Supervision, url: str
) -> None:
    account = await supervision.account()
    connector = supervision.connector()
    for path, body, location in (
        ("/v1/observed-posts", _post(account, url), "body.url"),
        ("/v1/observed-posts/bulk", {"items": [_post(account, url)]}, "body.items.0.url"),
    ):
        r = await connector.post(path, json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert location in [e["location"] for e in r.json()["errors"]], r.json()


@pytest.mark.parametrize(
    "url",
    [
        "https://mp.weixin.qq.com/s/AbCdEf123456",
        "http://www.luqiao.gov.cn/art/2025/10/14/art_1229_1.html",
        "https://weibo.com/1234567890/Nabc12?type=comment#_rnd1697000000",
        "",  # no address
    ],
)
async def test_a_web_address_or_none_is_taken(supervision: Supervision, url: str) -> None:
    account = await supervision.account()
    body = _post(account, url)
    r = await supervision.connector().post("/v1/observed-posts", json=body)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    listed = await supervision.monitor_reader().get(f"/v1/accounts/{account}/observed-posts")
    [post] = listed.json()["items"]
    assert post["url"] == (url or None)

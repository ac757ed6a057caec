"""The editors' pre-check (POST /v1/check) over a real socket, with texts written around the machine check
as the sixth outside round wrote them, and the ordinary texts it read wrongly.

Misses the round found: a term split by punctuation beside a character standing alone ("台，独",
"法【轮】功"), bare hosts under internationalised top-level domains ("evil.中国", "xn--fiqs8s"), defanged,
spaced and IP-literal addresses ("evil[.]com", "www . baidu . com", "http://0x7f000001/"), ads for private
messaging accounts ("+V咨询", "vx号"). False positives: an 11-digit amount read as a mobile number
("13812345678.5元") and a sentence ending in an English word read as a link ("Word。App"). Each finding's
offsets, as the API returns them, point at the excerpt in the text that was sent.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.hostile.harness import Served

pytestmark = pytest.mark.integration

FOUND = {
    "台，独": "sensitive:台独",
    "法【轮】功": "sensitive:法轮功",
    "法「轮」功": "sensitive:法轮功",
    "见evil.中国": "link.domain_not_allowed",
    "政务.公司": "link.domain_not_allowed",
    "见xn--fiqs8s": "link.domain_not_allowed",
    "见www . baidu . com": "link.domain_not_allowed",
    "见evil[dot]com": "link.domain_not_allowed",
    "见hxxps://evil[.]com": "link.domain_not_allowed",
    "见1.2.3.4:8080/a": "link.domain_not_allowed",
    "见http://0x7f000001/": "link.domain_not_allowed",
    "详情+V咨询": "ad.private_account",
    "详情➕V": "ad.private_account",
    "我的vx号": "ad.private_account",
    "威信：abc12345": "ad.private_account",
}
QUIET = [
    "项目投资13812345678.5元。",
    "共计13812345678元。",
    "我们使用Word。App下载后即可使用。",
    "搭建平台，独立运营。",
    "树立政府威信。",
    "依照第3.1.2.1条规定。",
]


async def test_texts_written_around_the_check_are_found_and_ordinary_ones_are_not(served: Served) -> None:
    s = served.setup
    unit_id = await s.unit("331004", "台州市路桥区融媒体中心", "融媒体中心")
    _, _, token = await s.person(["editor"], region_code="331004", unit_id=unit_id)
    async with httpx.AsyncClient(
        base_url=served.review_url, headers={"Authorization": f"Bearer {token}"}
    ) as http:

        async def check(body: str) -> dict[str, Any]:
            r = await http.post("/v1/check", json={"body": body})
            assert r.status_code == 200, r.text
            return dict(r.json())

        for body, rule in FOUND.items():
            result = await check(body)
            assert rule in [f["rule_id"] for f in result["findings"]], (body, result["findings"])
            for f in result["findings"]:
                assert body[f["start"] : f["end"]] == f["excerpt"], (body, f)
        for body in QUIET:
            result = await check(body)
            assert result["findings"] == [], (body, result["findings"])

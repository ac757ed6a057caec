"""``If-Match`` on notify's decisions on a rectification report, over real sockets.

What the outside round found: notify read only the first ETag of an ``If-Match`` list, so a client naming
the versions it could accept (``W/"1", W/"2"``, RFC 9110 13.1.1: the condition holds when any matches) was
refused 412 although the case was at version 2; and an ETag that is not a number answered 400
``invalid-if-match``, where the registry and review answer 412 ``stale-version`` with the current ETag, as
the RFC has it for a tag that does not match. Both now answer as the registry does.
"""

from __future__ import annotations

import pytest

from tests.hostile.supervision import NotifyCase, Supervision

pytestmark = pytest.mark.integration

REPORT = {"text": "账号已恢复更新。", "signed_by": "张局长", "sealed": True}


async def _submitted(supervision: Supervision) -> tuple[NotifyCase, str, str]:
    case = await supervision.notify_case()
    r = await case.unit.post(f"/v1/cases/{case.id}/reports", json=REPORT)
    assert r.status_code == 201, r.text
    current = await case.office.get(f"/v1/cases/{case.id}")
    return case, r.json()["reports"][-1]["id"], current.headers["etag"]


@pytest.mark.parametrize("decision", ["acceptance", "return"])
async def test_an_if_match_list_naming_the_current_version_is_taken(
    supervision: Supervision, decision: str
) -> None:
    case, report_id, current = await _submitted(supervision)
    assert current == 'W/"2"'
    body = {"reason": "未附整改前后截图"} if decision == "return" else None
    r = await case.office.post(
        f"/v1/cases/{case.id}/reports/{report_id}/{decision}",
        json=body,
        headers={"If-Match": 'W/"1", W/"2"'},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("tag", ['"abc"', 'W/"x"', "not-an-etag", '"1"'])
async def test_an_if_match_not_naming_the_current_version_is_412_with_the_current_etag(
    supervision: Supervision, tag: str
) -> None:
    case, report_id, current = await _submitted(supervision)
    r = await case.office.post(
        f"/v1/cases/{case.id}/reports/{report_id}/acceptance",
        headers={"If-Match": tag},
    )
    assert r.status_code == 412, r.text
    assert r.json()["code"] == "stale-version" and r.json()["current_etag"] == current, r.json()

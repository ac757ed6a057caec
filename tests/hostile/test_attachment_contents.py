"""Attachments of rectification reports whose bytes are not what their type says, over real sockets.

What the outside round found: ``POST /v1/attachments`` checked the declared ``Content-Type`` against the
allowed types (PDF, JPEG, PNG, DOCX) and nothing else: a Windows program (``MZ…``) sent as
``application/pdf``, a web page sent as ``image/png`` were stored (201), attached to a report as evidence,
and served back to the office under the declared type. The bytes are now checked against the type's own
signature, and a mismatch is a 422 saying what the file looks like.
"""

from __future__ import annotations

import pytest

from tests.hostile.harness import PROBLEM_JSON
from tests.hostile.supervision import Supervision

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 32, "application/pdf"),  # a Windows program
        (b"<!doctype html><script>alert(1)</script>", "image/png"),  # a web page
        (PDF, "image/png"),  # a real PDF, declared an image
        (PNG, "image/jpeg"),
        (b"plain text, not a document", DOCX_TYPE),
    ],
    ids=["exe-as-pdf", "html-as-png", "pdf-as-png", "png-as-jpeg", "text-as-docx"],
)
async def test_an_attachment_whose_bytes_are_not_its_declared_type_is_refused(
    supervision: Supervision, content: bytes, declared: str
) -> None:
    case = await supervision.notify_case()
    r = await case.unit.post("/v1/attachments", content=content, headers={"Content-Type": declared})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "attachment-content-mismatch", r.json()
    assert declared in r.json()["detail"], r.json()


@pytest.mark.parametrize(
    ("content", "declared"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (DOCX, DOCX_TYPE)],
    ids=["pdf", "png", "jpeg", "docx"],
)
async def test_an_attachment_that_is_its_declared_type_is_stored_and_served_as_it(
    supervision: Supervision, content: bytes, declared: str
) -> None:
    case = await supervision.notify_case()
    r = await case.unit.post("/v1/attachments", content=content, headers={"Content-Type": declared})
    assert r.status_code == 201, r.text
    sha = r.json()["sha256"]
    report = {
        "text": "已整改，附证明材料。",
        "signed_by": "张局长",
        "sealed": True,
        "attachments": [{"sha256": sha, "filename": "证明材料"}],
    }
    assert (await case.unit.post(f"/v1/cases/{case.id}/reports", json=report)).status_code == 201
    served = await case.office.get(f"/v1/attachments/{sha}")
    assert served.status_code == 200 and served.content == content
    assert served.headers["content-type"].startswith(declared)
    assert served.headers["x-content-type-options"] == "nosniff"

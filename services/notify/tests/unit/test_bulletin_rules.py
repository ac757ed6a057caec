"""Bulletin periods, titles and rendering (pure: no database)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from govmedia_common.errors import DomainError
from govmedia_common.events.scoring import PeriodKind
from govmedia_notify.bulletins import render
from govmedia_notify.bulletins.domain import period_bounds, title


def test_periods_start_on_a_monday_the_first_of_a_month_or_of_a_quarter() -> None:
    assert period_bounds(PeriodKind.WEEK, date(2025, 9, 29)) == (date(2025, 9, 29), date(2025, 10, 5))
    assert period_bounds(PeriodKind.MONTH, date(2025, 2, 1)) == (date(2025, 2, 1), date(2025, 2, 28))
    assert period_bounds(PeriodKind.MONTH, date(2025, 12, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert period_bounds(PeriodKind.QUARTER, date(2025, 10, 1)) == (date(2025, 10, 1), date(2025, 12, 31))
    for kind, start in (
        (PeriodKind.WEEK, date(2025, 9, 30)),
        (PeriodKind.MONTH, date(2025, 9, 2)),
        (PeriodKind.QUARTER, date(2025, 8, 1)),
        (PeriodKind.DAY, date(2025, 9, 1)),
    ):
        with pytest.raises(DomainError):
            period_bounds(kind, start)


def test_titles_name_region_kind_and_period() -> None:
    assert title("台州市路桥区", PeriodKind.MONTH, date(2025, 9, 1), date(2025, 9, 30)) == (
        "台州市路桥区政务新媒体月通报（2025年9月）"
    )
    assert title("台州市路桥区", PeriodKind.QUARTER, date(2025, 7, 1), date(2025, 9, 30)).endswith(
        "季度通报（2025年第3季度）"
    )


def test_html_escapes_what_people_typed_and_the_pdf_keeps_chinese_extractable() -> None:
    content = {
        "title": "路桥区政务新媒体周通报",
        "period_start": "2025-09-29",
        "period_end": "2025-10-05",
        "issuer": "台州市路桥区人民政府办公室",
        "published_on": "2025-10-08",
        "summary": {"violations": 1, "rectified": 0, "overdue": 0, "interviews": 0, "closures": 0},
        "sections": [
            {
                "heading": "违规警报",
                "columns": ["账号", "问题"],
                "rows": [["<script>x</script>&路桥发布", "未审先发"]],
            },
            {"heading": "约谈", "columns": ["主办单位"], "rows": []},
        ],
    }
    html = render.html(content)
    assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt;&amp;路桥发布" in html
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render.pdf(content))).pages)
    flat = "".join(text.split())
    assert "路桥区政务新媒体周通报" in flat and "&路桥发布" in flat and "未审先发" in flat and "无。" in flat

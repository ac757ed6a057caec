"""Bulletins as HTML (jinja2) and as printable PDF (reportlab, built-in CID font STSong-Light).

The CID font ships inside reportlab and needs no system package; PDF readers map it through the standard
Adobe-GB1 encoding, so the Chinese text extracts correctly (a test reads it back with pypdf).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_env = Environment(
    loader=PackageLoader("govmedia_notify.bulletins", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)
_TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, alignment=1, spaceAfter=8)
_H2 = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK")
_CELL = ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=12, wordWrap="CJK")
_RIGHT = ParagraphStyle("right", parent=_BODY, alignment=2)


def html(content: dict[str, Any]) -> str:
    return _env.get_template("bulletin.html.j2").render(c=content)


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf(content: dict[str, Any]) -> bytes:
    """The bulletin as an A4 PDF with the same sections as the HTML."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=content["title"],
        author=content["issuer"],
    )
    s = content["summary"]
    story: list[Any] = [
        Paragraph(_esc(content["title"]), _TITLE),
        Paragraph(
            _esc(
                f"统计区间：{content['period_start']} 至 {content['period_end']}。"
                f"本期新增违规警报 {s['violations']} 件，"
                f"整改完成 {s['rectified']} 件，逾期未整改 {s['overdue']} 件，约谈 {s['interviews']} 家单位，"
                f"建议强制关停 {s['closures']} 个账号。"
            ),
            _BODY,
        ),
    ]
    for index, section in enumerate(content["sections"], start=1):
        story.append(Paragraph(_esc(f"{index}. {section['heading']}"), _H2))
        if not section["rows"]:
            story.append(Paragraph("无。", _BODY))
            continue
        data = [[Paragraph(_esc(h), _CELL) for h in section["columns"]]]
        data += [[Paragraph(_esc(cell), _CELL) for cell in row] for row in section["rows"]]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    story += [Spacer(1, 8 * mm), Paragraph(_esc(f"{content['issuer']}  {content['published_on']}"), _RIGHT)]
    doc.build(story)
    return buffer.getvalue()


def summary_text(content: dict[str, Any]) -> str:
    s = content["summary"]
    return (
        f"{content['title']}已发布：新增违规警报{s['violations']}件，整改完成{s['rectified']}件，"
        f"逾期未整改{s['overdue']}件，约谈{s['interviews']}家单位，建议强制关停{s['closures']}个账号。"
    )

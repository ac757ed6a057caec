"""Reposts (转载) must name a source, and the source must be an allowed one.

A text declares itself a repost with a source line ("来源：新华社", "本文转自人民日报", "稿件来源：…"), an
"原标题：" line or a 【转载】 tag; the caller may also flag it (``is_reprint``) or pass the source. Markers
count only at the start of a line or after punctuation, optionally after 本文/稿件/信息…, so that
"经费来源：财政拨款" or "运转自如" are not source lines, and "欢迎转载" declares nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govmedia_checks.findings import Field, Finding
from govmedia_checks.lexicon import Category, Severity, SourceAllowlist, SourceMatch
from govmedia_checks.links import LinkChecker, find_links
from govmedia_checks.normalize import NormalizedText, Normalizer, fold

__all__ = ["ReprintChecker"]

_MARKER_RE = re.compile(
    r"(?:^|(?<=[\s|(\[【,.;:!?、。》>\"“”]))"
    r"(?:本文|文章|稿件|信息|内容|新闻|图片|图文|视频|消息)?"
    r"(?:(?P<src>转载自|转载于|转自|转引自|摘自|来源\s*:|出处\s*:|转载\s*:)|(?P<orig>原标题\s*:?))"
    r"[\s\"“《「『]*"
    # A name may hold spaces ("新 华 社", "中国 政府网"): up to six words, judged by their prefixes (see
    # `check`) and, when none is allowed, named by the first word.
    r"(?P<name>[^\s,;!?|、。”\"》」』()]{1,40}(?:[ \t]+[^\s,;!?|、。”\"》」』()]{1,40}){0,5})?",
    re.MULTILINE,
)
_TAG_RE = re.compile(r"[【\[]\s*转载\s*[】\]]")
# Channel words after an outlet's name ("新华社客户端", "台州发布微信公众号") do not change who it is.
_CHANNEL_RE = re.compile(
    r"(?:微信公众号|公众号|官方微信|微信|官方微博|微博|客户端|官方网站|门户网站|门户网|官网|网站|抖音号|视频号|头条号|app)$"
)

_WORD_RE = re.compile(r"\S+")
_NO_SOURCE_SUGGESTION = "注明来源，如“来源：新华社”"
_ALLOWED_SUGGESTION = "只转载党政机关网站、主管部门或新华社、人民日报等权威媒体的内容，并注明来源"


@dataclass(frozen=True, slots=True)
class _Mention:
    field: Field
    start: int  # original offsets within the field's text
    end: int
    name: str  # empty when the marker names no source


class ReprintChecker:
    """Checks repost declarations against the allowed sources."""

    def __init__(self, allowlist: SourceAllowlist, links: LinkChecker, normalizer: Normalizer) -> None:
        self._normalizer = normalizer
        self._links = links
        self._contains = tuple(
            normalizer.key(e.name) for e in allowlist.entries if e.match is SourceMatch.CONTAINS
        )
        self._suffixes = tuple(
            normalizer.key(e.name) for e in allowlist.entries if e.match is SourceMatch.SUFFIX
        )

    def allowed(self, name: str) -> bool:
        """True if a declared source names an allowed outlet or organ, or an allowed domain."""
        key = self._normalizer.key(name)
        while True:
            stripped = _CHANNEL_RE.sub("", key)
            if stripped == key:
                break
            key = stripped
        if not key:
            return False
        if any(c in key for c in self._contains) or any(key.endswith(s) for s in self._suffixes):
            return True
        hosts = [link.host for link in find_links(fold(name))]
        return bool(hosts) and all(self._links.allowed(h) for h in hosts)

    @staticmethod
    def _mentions(norm: NormalizedText, field: Field) -> tuple[list[_Mention], bool]:
        mentions: list[_Mention] = []
        declared = False
        folded = norm.folded
        for m in _MARKER_RE.finditer(folded):
            declared = True
            name = m.group("name") if m.group("src") else None
            if name:
                start, end = norm.folded_span(m.start("name"), m.end("name"))
                mentions.append(_Mention(field, start, end, norm.original[start:end]))
            else:
                marker = "src" if m.group("src") else "orig"
                start, end = norm.folded_span(m.start(), m.end(marker))
                mentions.append(_Mention(field, start, end, ""))
        for m in _TAG_RE.finditer(folded):
            declared = True
            start, end = norm.folded_span(m.start(), m.end())
            mentions.append(_Mention(field, start, end, ""))
        return mentions, declared

    def check(
        self,
        texts: list[tuple[Field, NormalizedText]],
        *,
        is_reprint: bool,
        source: str | None,
    ) -> list[Finding]:
        """Findings for one post: its title and body views, the repost flag and the declared source."""
        mentions: list[_Mention] = []
        declared = is_reprint
        for field, norm in texts:
            found, marked = self._mentions(norm, field)
            mentions.extend(found)
            declared = declared or marked
        if source is not None and source.strip():
            mentions.append(_Mention("source", 0, len(source), source))

        findings: list[Finding] = []
        named = [m for m in mentions if m.name]
        for m in named:
            words = list(_WORD_RE.finditer(m.name))
            # Words are joined only while they are one or two characters long (a name spaced out, "新 华 社",
            # "中国 政府网"); after a longer word a space is a boundary ("某某自媒体 新华社" is 某某自媒体).
            spaced = 1
            while spaced < len(words) and len(words[spaced - 1].group()) <= 2:
                spaced += 1
            if any(self.allowed(m.name[: w.end()]) for w in words[:spaced]):
                continue
            if m.field != "source":  # a source line: named by its first word
                m = _Mention(m.field, m.start, m.start + words[0].end(), m.name[: words[0].end()])
            findings.append(
                Finding(
                    category=Category.REPRINT_SOURCE,
                    severity=Severity.BLOCK,
                    start=m.start,
                    end=m.end,
                    excerpt=m.name,
                    message=f"转载来源不在允许范围：{m.name.strip()} / source not on the allowed list",
                    suggestion=_ALLOWED_SUGGESTION,
                    rule_id="reprint.source_not_allowed",
                    field=m.field,
                )
            )
        if declared and not named:
            anchor = mentions[0] if mentions else _Mention("body", 0, 0, "")
            excerpt = ""
            for field, norm in texts:
                if field == anchor.field:
                    excerpt = norm.original[anchor.start : anchor.end]
            findings.append(
                Finding(
                    category=Category.REPRINT_SOURCE,
                    severity=Severity.BLOCK,
                    start=anchor.start,
                    end=anchor.end,
                    excerpt=excerpt,
                    message="转载须注明来源 / a repost must name its source",
                    suggestion=_NO_SOURCE_SUGGESTION,
                    rule_id="reprint.no_source",
                    field=anchor.field,
                )
            )
        return findings

"""Lexicon model: JSON round trip, validation, and sanity of the shipped starter set."""

import copy
import json
from typing import Any

import opencc
import pytest

from govmedia_checks import (
    PROHIBITION_CATEGORIES,
    Category,
    CheckEngine,
    ExpressionLexicon,
    LexiconError,
    LexiconSet,
    SensitiveLexicon,
    SensitiveTerm,
    Severity,
)


def test_starter_set_round_trips_through_json(starter: LexiconSet) -> None:
    doc = json.loads(json.dumps(starter.to_dict(), ensure_ascii=False))
    assert LexiconSet.from_dict(doc) == starter


def test_starter_set_is_small_but_real(starter: LexiconSet) -> None:
    total = sum(len(getattr(starter, k).entries) for k in starter.versions())
    assert 800 <= total <= 3000
    # Advertising wording and opinions have lexicons of their own; the rest of the prohibitions are here.
    assert {t.category for t in starter.sensitive.entries} == PROHIBITION_CATEGORIES - {
        Category.SENSITIVE_TOPIC,
        Category.ADS_LINKS,
        Category.PERSONAL_OPINION,
    }
    assert {t.category for t in starter.ads.entries} == {Category.ADS_LINKS}
    assert {t.category for t in starter.opinions.entries} == {Category.PERSONAL_OPINION}
    assert 300 <= len(starter.protected.entries) <= 1000
    assert starter.leaders.entries == ()  # each office loads its own region's leaders
    assert any(p.serious for p in starter.expressions.entries)
    assert any(not p.serious for p in starter.expressions.entries)
    assert {d.domain for d in starter.link_domains.entries} >= {"gov.cn", "news.cn", "people.com.cn"}
    assert {s.name for s in starter.reprint_sources.entries} >= {
        "新华社",
        "人民日报",
        "央视新闻",
        "中国政府网",
    }


def test_every_lexicon_kind_reports_name_and_version(starter: LexiconSet) -> None:
    versions = starter.versions()
    assert set(versions) == {
        "sensitive",
        "expressions",
        "topics",
        "link_domains",
        "reprint_sources",
        "protected",
        "leaders",
        "ads",
        "opinions",
    }
    assert all("@" in v for v in versions.values())


def test_starter_phrases_are_already_simplified(starter: LexiconSet) -> None:
    # Matching runs on t2s output; a phrase t2s would rewrite could never match as written.
    t2s = opencc.OpenCC("t2s")
    phrases = [t.term for t in starter.sensitive.entries] + [t.term for t in starter.topics.entries]
    phrases += [t.term for t in starter.ads.entries] + [t.term for t in starter.opinions.entries]
    phrases += [p.text for p in starter.protected.entries]
    phrases += [p.wrong for p in starter.expressions.entries] + [p.right for p in starter.expressions.entries]
    changed = [p for p in phrases if t2s.convert(p) != p]
    assert changed == []


def test_starter_set_has_no_duplicate_patterns(starter: LexiconSet) -> None:
    wrongs = [p.wrong for p in starter.expressions.entries]
    terms = [t.term for t in starter.sensitive.entries + starter.ads.entries + starter.opinions.entries]
    forms = [p.text for p in starter.protected.entries]
    assert len(wrongs) == len(set(wrongs))
    assert len(terms) == len(set(terms))
    assert len(forms) == len(set(forms))


def _doc() -> dict[str, Any]:
    return {
        "kind": "sensitive_terms",
        "name": "test",
        "version": "1",
        "entries": [{"term": "赌博网站", "category": "illegal", "severity": "block"}],
    }


def _broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        (_broken(lambda d: d.update(kind="expression_pairs")), "expected kind"),
        (_broken(lambda d: d.update(version="")), "version"),
        (_broken(lambda d: d.pop("name")), "name"),
        (_broken(lambda d: d["entries"][0].update(category="gossip")), "category"),
        (_broken(lambda d: d["entries"][0].update(category="typo")), "six prohibitions"),
        (_broken(lambda d: d["entries"][0].update(severity="fatal")), "severity"),
        (_broken(lambda d: d["entries"][0].update(severty="warn")), "unknown field"),
        (_broken(lambda d: d["entries"][0].update(term="  ")), "term"),
        (_broken(lambda d: d["entries"][0].update(exceptions="赌博网站大全")), "exceptions"),
        (_broken(lambda d: d.update(entries={})), "entries"),
    ],
    ids=[
        "wrong-kind",
        "empty-version",
        "missing-name",
        "unknown-category",
        "non-prohibition-category",
        "unknown-severity",
        "misspelt-field",
        "blank-term",
        "exceptions-not-list",
        "entries-not-list",
    ],
)
def test_malformed_sensitive_lexicon_is_refused(doc: dict[str, Any], error: str) -> None:
    with pytest.raises(LexiconError, match=error):
        SensitiveLexicon.from_dict(doc)


def test_valid_sensitive_lexicon_parses() -> None:
    lex = SensitiveLexicon.from_dict(_doc())
    assert lex.label == "test@1"
    assert lex.entries[0].severity is Severity.BLOCK
    assert lex.to_dict() == _doc()


def test_pair_with_identical_forms_is_refused() -> None:
    doc = {
        "kind": "expression_pairs",
        "name": "e",
        "version": "1",
        "entries": [{"wrong": "部署", "right": "部署", "serious": False}],
    }
    with pytest.raises(LexiconError, match="identical"):
        ExpressionLexicon.from_dict(doc)


def test_pair_differing_only_by_noise_is_refused_at_compile(starter: LexiconSet) -> None:
    doc = {
        "kind": "expression_pairs",
        "name": "e",
        "version": "1",
        "entries": [{"wrong": "部 署", "right": "部署", "serious": False}],
    }
    with pytest.raises(LexiconError, match="equal after normalisation"):
        CheckEngine(starter.replace(expressions=ExpressionLexicon.from_dict(doc)))


def test_exception_must_contain_its_term(starter: LexiconSet) -> None:
    doc = _doc()
    doc["entries"][0]["exceptions"] = ["打击赌博"]
    with pytest.raises(LexiconError, match="must contain"):
        CheckEngine(starter.replace(sensitive=SensitiveLexicon.from_dict(doc)))


def test_lexicon_set_requires_every_kind(starter: LexiconSet) -> None:
    doc = starter.to_dict()
    del doc["topics"]
    with pytest.raises(LexiconError, match="missing"):
        LexiconSet.from_dict(doc)


def test_replace_refuses_a_lexicon_of_the_wrong_kind(starter: LexiconSet) -> None:
    with pytest.raises(LexiconError):
        starter.replace(sensitive=starter.expressions)


def test_a_lower_office_extends_only_additive_kinds(starter: LexiconSet) -> None:
    county = SensitiveLexicon(
        name="331004-sensitive",
        version="2",
        entries=(SensitiveTerm(term="某某赌坊", category=Category.ILLEGAL, severity=Severity.BLOCK),),
    )
    combined = starter.extended({"sensitive": [county]})
    assert combined.sensitive.entries[: len(starter.sensitive.entries)] == starter.sensitive.entries
    assert combined.sensitive.entries[-1].term == "某某赌坊"
    assert combined.versions()["sensitive"] == "starter-sensitive@2026.2+331004-sensitive@2"
    assert CheckEngine(combined).check("某某赌坊开业").blocking
    assert not CheckEngine(starter).check("某某赌坊开业").blocking
    with pytest.raises(LexiconError, match="only be set at the top level"):
        starter.extended({"link_domains": [starter.link_domains]})


def test_a_stored_set_without_the_newer_kinds_still_loads(starter: LexiconSet) -> None:
    doc = starter.to_dict()
    for key in ("protected", "leaders", "ads", "opinions"):
        del doc[key]
    old = LexiconSet.from_dict(doc)
    assert old.protected.entries == () and old.ads.entries == ()

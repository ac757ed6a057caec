"""Which lists apply in a region and how they combine (shared by review and monitor)."""

import pytest

from govmedia_checks import CheckEngine, LexiconError, LexiconSet, combine_scoped, scope_chain


def test_the_chain_runs_from_the_default_to_the_region() -> None:
    assert scope_chain("331004") == ("000000", "330000", "331000", "331004")
    assert scope_chain("331000") == ("000000", "330000", "331000")
    assert scope_chain("330000") == ("000000", "330000")


def _lists(starter: LexiconSet, **extra: dict[str, object]) -> list[tuple[str, str, dict[str, object]]]:
    lists = [("000000", kind, doc) for kind, doc in starter.to_dict().items()]
    return lists + [(scope.replace("r", ""), "sensitive", doc) for scope, doc in extra.items()]


def _sensitive(name: str, *terms: str) -> dict[str, object]:
    entries = [{"term": t, "category": "illegal", "severity": "block"} for t in terms]
    return {"kind": "sensitive_terms", "name": name, "version": "1", "entries": entries}


def test_a_province_replaces_the_default_and_lower_regions_add(starter: LexiconSet) -> None:
    lists = _lists(
        starter,
        r330000=_sensitive("zj", "省定词"),
        r331004=_sensitive("lq", "路桥词"),
        r331002=_sensitive("jj", "椒江词"),
    )
    luqiao = combine_scoped([x for x in lists if x[0] in scope_chain("331004")])
    terms = [t.term for t in luqiao.sensitive.entries]
    assert terms == ["省定词", "路桥词"]  # the province's list replaced the default; the county's added
    assert luqiao.versions()["sensitive"] == "zj@1+lq@1"
    engine = CheckEngine(luqiao)
    assert engine.check("路桥词").blocking and not engine.check("椒江词").blocking


def test_an_allowlist_from_a_lower_region_is_refused(starter: LexiconSet) -> None:
    lists = [("000000", kind, doc) for kind, doc in starter.to_dict().items()]
    lists.append(("331004", "link_domains", starter.link_domains.to_dict()))
    with pytest.raises(LexiconError):
        combine_scoped(lists)

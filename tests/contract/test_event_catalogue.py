"""Contract tests of the event catalogue: the committed schemas, the compatibility rules, the catalogue's own
invariants, and a JSON round trip of one example per event type.

Only files are read; no broker or database is involved.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from govmedia_common import events
from govmedia_common.events import Event, event_class
from govmedia_common.events import catalogue as cat
from govmedia_platform.contracts import (
    ASYNCAPI_PATH,
    BreakingChangeError,
    asyncapi_document,
    check_contracts,
    compatibility_problems,
    generated_files,
    json_schema,
    main,
    render_yaml,
    schema_path,
    write_contracts,
)
from tests.contract.event_examples import (
    ACCOUNT,
    ACCOUNT_2,
    EVENT_CLASSES,
    EXAMPLES,
    T0,
    event_id_of,
    example,
    signatures,
    snapshot,
)

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"registry", "review", "monitor", "notify", "scoring"}
TYPE_PATTERN = re.compile(
    r"^gov\.(?P<service>[a-z]+)\.[a-z][a-z_]*\.[a-z][a-z_]*\.v(?P<version>[1-9][0-9]*)$"
)

# ----------------------------------------------------------------------------------------------------------
# Committed files match the code
# ----------------------------------------------------------------------------------------------------------


def test_committed_contracts_match_the_code() -> None:
    assert check_contracts(REPO) == []


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_committed_schema_is_the_generated_one(cls: type[Event]) -> None:
    committed = json.loads((REPO / schema_path(cls.event_type)).read_text(encoding="utf-8"))
    assert committed == json_schema(cls)
    assert committed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert committed["$id"] == cls.event_type
    assert (committed["x-topic"], committed["x-key"], committed["x-service"]) == (
        cls.topic,
        cls.key_field,
        cls.service,
    )


def test_committed_asyncapi_is_the_generated_one() -> None:
    committed = (REPO / ASYNCAPI_PATH).read_text(encoding="utf-8")
    assert committed == generated_files()[ASYNCAPI_PATH]


def test_integrator_guide_lists_every_topic_and_type() -> None:
    guide = (REPO / "docs" / "events.md").read_text(encoding="utf-8")
    for cls in EVENT_CLASSES:
        assert f"`{cls.event_type}` ({cls.__name__})" in guide, (
            f"docs/events.md does not list {cls.event_type}"
        )
        assert f"| `{cls.topic}` | {cls.service} | `{cls.key_field}` |" in guide


def test_generation_is_deterministic() -> None:
    assert generated_files() == generated_files()


# ----------------------------------------------------------------------------------------------------------
# Compatibility rules on synthetic schemas
# ----------------------------------------------------------------------------------------------------------

BASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "gov.test.thing.happened.v1",
    "type": "object",
    "title": "ThingHappened",
    "properties": {
        "thing_id": {"type": "string", "format": "uuid", "description": "The thing."},
        "count": {"type": "integer", "minimum": 0},
        "colour": {"$ref": "#/$defs/Colour"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "owner": {"$ref": "#/$defs/Owner"},
    },
    "required": ["thing_id", "count", "colour", "owner"],
    "$defs": {
        "Colour": {"type": "string", "enum": ["red", "green"]},
        "Owner": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "level": {"type": "integer"}},
            "required": ["name"],
        },
    },
    "x-topic": "gov.test.things",
    "x-key": "thing_id",
    "x-service": "test",
}


def changed(edit: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BASE_SCHEMA)
    edit(schema)
    return schema


def test_identical_schemas_are_compatible() -> None:
    assert compatibility_problems(BASE_SCHEMA, copy.deepcopy(BASE_SCHEMA)) == []


def test_removed_field_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        del s["properties"]["count"]
        s["required"].remove("count")

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert problems == ["count: removed property"]


def test_removed_optional_field_is_breaking() -> None:
    problems = compatibility_problems(BASE_SCHEMA, changed(lambda s: s["properties"].pop("note")))
    assert problems == ["note: removed property"]


def test_type_change_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["count"] = {"type": "string"}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert any(p.startswith("count: changed type: integer -> string") for p in problems), problems


def test_nullable_to_required_type_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["note"] = {"type": "string", "default": None}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert problems == ["note: changed type: string|null -> string"]


def test_new_required_field_is_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["region_code"] = {"type": "string"}
        s["required"].append("region_code")

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert len(problems) == 1
    assert problems[0].startswith("region_code: new required property")


def test_new_optional_field_is_additive() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["region_code"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}

    assert compatibility_problems(BASE_SCHEMA, changed(edit)) == []


def test_narrowed_enum_is_breaking_and_widened_enum_is_additive() -> None:
    narrowed = changed(lambda s: s["$defs"]["Colour"]["enum"].remove("green"))
    assert compatibility_problems(BASE_SCHEMA, narrowed) == ['colour: narrowed enum: removed "green"']
    widened = changed(lambda s: s["$defs"]["Colour"]["enum"].append("blue"))
    assert compatibility_problems(BASE_SCHEMA, widened) == []


def test_changes_inside_a_nested_model_are_found() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["$defs"]["Owner"]["required"].append("level")
        s["$defs"]["Owner"]["properties"]["name"] = {"type": "integer"}

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert "owner.level: became required" in problems
    assert any(p.startswith("owner.name: changed type") for p in problems), problems


def test_tightened_constraint_and_moved_topic_are_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["properties"]["count"]["maximum"] = 10
        s["x-topic"] = "gov.test.other"

    problems = compatibility_problems(BASE_SCHEMA, changed(edit))
    assert "count: added constraint maximum=10" in problems
    assert any("x-topic" in p for p in problems), problems


def test_wording_changes_are_not_breaking() -> None:
    def edit(s: dict[str, Any]) -> None:
        s["title"] = "Renamed"
        s["properties"]["thing_id"]["description"] = "The thing, described better."
        s["$defs"]["Owner"]["description"] = "Who owns it."

    assert compatibility_problems(BASE_SCHEMA, changed(edit)) == []


def _contract_tree(tmp_path: Path) -> Path:
    write_contracts(tmp_path)
    return tmp_path


def test_check_reports_drift_and_write_fixes_it(tmp_path: Path) -> None:
    root = _contract_tree(tmp_path)
    assert check_contracts(root) == []
    target = root / schema_path("gov.review.post.submitted.v1")
    schema = json.loads(target.read_text(encoding="utf-8"))
    del schema["properties"]["scheduled_for"]  # as if the field were new in the code: additive
    target.write_text(json.dumps(schema), encoding="utf-8")
    problems = check_contracts(root)
    assert len(problems) == 1
    assert "differs from the code" in problems[0] and "make contracts" in problems[0]
    assert write_contracts(root) == [target]
    assert check_contracts(root) == []


def test_check_and_write_refuse_a_breaking_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _contract_tree(tmp_path)
    target = root / schema_path("gov.monitor.alert.raised.v1")
    schema = json.loads(target.read_text(encoding="utf-8"))
    schema["properties"]["escalated"] = {"type": "boolean"}  # committed earlier, gone from the code now
    before = json.dumps(schema)
    target.write_text(before, encoding="utf-8")

    problems = check_contracts(root)
    assert problems == [
        "gov.monitor.alert.raised.v1: breaking change inside a version at escalated: removed property"
    ]
    with pytest.raises(BreakingChangeError):
        write_contracts(root)
    assert target.read_text(encoding="utf-8") == before  # nothing was overwritten

    assert main(["check", "--root", str(root)]) == 1
    err = capsys.readouterr().err
    assert ".v2" in err and "make contracts" in err
    assert main(["write", "--root", str(root)]) == 1


def test_check_reports_missing_and_stale_files(tmp_path: Path) -> None:
    root = _contract_tree(tmp_path)
    (root / schema_path("gov.scoring.scores.computed.v1")).unlink()
    (root / schema_path("gov.scoring.scores.retracted.v1")).write_text("{}", encoding="utf-8")
    problems = check_contracts(root)
    assert any(
        p.startswith("contracts/schemas/gov.scoring.scores.computed.v1.json: missing") for p in problems
    )
    assert any("gov.scoring.scores.retracted.v1" in p and "no type" in p for p in problems)


def test_cli_on_clean_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["write", "--root", str(tmp_path)]) == 0
    assert main(["check", "--root", str(tmp_path)]) == 0
    assert "contracts up to date" in capsys.readouterr().out


# ----------------------------------------------------------------------------------------------------------
# Catalogue invariants
# ----------------------------------------------------------------------------------------------------------


def test_catalogue_is_complete_and_exported() -> None:
    names = {cls.__name__ for cls in EVENT_CLASSES}
    assert len(names) == len(EVENT_CLASSES), "two event classes share a name"
    assert names <= set(vars(events)["__all__"])
    for required in (
        "AccountFiled",
        "AccountMerged",
        "PostSubmitted",
        "PostApproved",
        "PostOverridden",
        "CampaignTargetCompleted",
        "AlertRaised",
        "InterviewScheduled",
        "ScoresComputed",
    ):
        assert required in names
    for name in vars(cat)["__all__"]:
        assert hasattr(events, name)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_type_topic_and_key(cls: type[Event]) -> None:
    match = TYPE_PATTERN.match(cls.event_type)
    assert match, f"{cls.event_type} is not gov.<service>.<aggregate>.<verb>.v<n>"
    assert cls.service in SERVICES
    assert match["service"] == cls.service
    assert cls.topic.startswith(f"gov.{cls.service}.")
    assert event_class(cls.event_type) is cls
    assert cls.source() == f"/govmedia/{cls.service}"
    field = cls.model_fields.get(cls.key_field)
    assert field is not None, f"key field {cls.key_field} is not a field of {cls.__name__}"
    assert field.is_required(), "the Kafka key must always be present"


def test_one_owner_and_one_key_per_topic() -> None:
    by_topic: dict[str, set[tuple[str, str]]] = {}
    for cls in EVENT_CLASSES:
        by_topic.setdefault(cls.topic, set()).add((cls.service, cls.key_field))
    assert {t: len(v) for t, v in by_topic.items()} == dict.fromkeys(by_topic, 1)


def _models(cls: type[BaseModel], seen: set[type[BaseModel]]) -> set[type[BaseModel]]:
    seen.add(cls)
    for field in cls.model_fields.values():
        for arg in _walk_annotation(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                _models(arg, seen)
    return seen


def _walk_annotation(annotation: Any) -> list[Any]:
    found = [annotation]
    for arg in getattr(annotation, "__args__", ()):
        found.extend(_walk_annotation(arg))
    return found


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_models_are_frozen_and_documented(cls: type[Event]) -> None:
    for model in _models(cls, set()):
        assert model.model_config.get("frozen") is True, f"{model.__name__} is not frozen"
        assert (model.__doc__ or "").strip(), f"{model.__name__} has no docstring"
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
    assert "occurred_at" in cls.model_fields


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_instances_are_immutable(cls: type[Event]) -> None:
    instance = example(cls)
    with pytest.raises(ValidationError):
        instance.__setattr__("occurred_at", T0)


# ----------------------------------------------------------------------------------------------------------
# Round trip of one example per event type
# ----------------------------------------------------------------------------------------------------------


def test_every_event_type_has_an_example() -> None:
    assert set(EXAMPLES) == set(EVENT_CLASSES)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_round_trip_through_json(cls: type[Event]) -> None:
    instance = example(cls)
    wire = instance.model_dump_json()
    assert cls.model_validate_json(wire) == instance
    data = json.loads(wire)
    assert cls.model_validate(data) == instance
    assert instance.aggregate_id == str(data[cls.key_field])
    # the wire form agrees with the committed schema: every property known, every required one present
    schema = json.loads((REPO / schema_path(cls.event_type)).read_text(encoding="utf-8"))
    assert set(data) <= set(schema["properties"])
    assert set(schema["required"]) <= set(data)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=event_id_of)
def test_unknown_fields_from_a_newer_producer_are_ignored(cls: type[Event]) -> None:
    data = json.loads(example(cls).model_dump_json())
    data["added_in_a_later_release"] = {"anything": 1}
    assert cls.model_validate(data) == example(cls)


# ----------------------------------------------------------------------------------------------------------
# A few rules the models enforce
# ----------------------------------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    data = dict(EXAMPLES[cat.MessageAnswered], answered_at=datetime(2025, 6, 3, 9, 30))
    with pytest.raises(ValidationError):
        cat.MessageAnswered.model_validate(data)


def test_ids_are_canonical_uuid_strings() -> None:
    data = dict(EXAMPLES[cat.MessageAnswered], account_id=ACCOUNT.upper())
    assert cat.MessageAnswered.model_validate(data).account_id == ACCOUNT
    with pytest.raises(ValidationError):
        cat.MessageAnswered.model_validate(dict(data, account_id="account-1"))


def test_scores_are_bounded() -> None:
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(dict(EXAMPLES[cat.ScoresComputed], composite=100.5))


def test_snapshot_must_be_of_the_keyed_account() -> None:
    with pytest.raises(ValidationError):
        cat.AccountSuspended.model_validate(dict(EXAMPLES[cat.AccountSuspended], account=snapshot(ACCOUNT_2)))


def test_one_person_cannot_sign_two_levels() -> None:
    reviewers = signatures(2)
    reviewers[1]["reviewer_id"] = reviewers[0]["reviewer_id"]
    with pytest.raises(ValidationError, match="separation of duties"):
        cat.PostApproved.model_validate(dict(EXAMPLES[cat.PostApproved], reviewers=reviewers))


def test_override_needs_a_reason() -> None:
    with pytest.raises(ValidationError):
        cat.PostApproved.model_validate(dict(EXAMPLES[cat.PostApproved], override=True))


def test_merged_accounts_match_their_ids() -> None:
    with pytest.raises(ValidationError):
        cat.AccountMerged.model_validate(dict(EXAMPLES[cat.AccountMerged], merged_account_ids=[ACCOUNT]))


def test_swapped_workdays_are_weekend_days() -> None:
    data = dict(EXAMPLES[cat.WorkCalendarLoaded], workdays=[date(2026, 1, 5)])  # a Monday
    with pytest.raises(ValidationError):
        cat.WorkCalendarLoaded.model_validate(data)


def test_calendar_days_are_sorted_and_deduplicated() -> None:
    days = {date(2026, 1, 3), date(2026, 1, 1), date(2026, 1, 2)}
    loaded = cat.WorkCalendarLoaded.model_validate(dict(EXAMPLES[cat.WorkCalendarLoaded], holidays=days))
    assert loaded.holidays == (date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3))


def test_scoring_period_must_be_well_formed() -> None:
    data = dict(EXAMPLES[cat.ScoresComputed], period_start=date(2025, 5, 1))  # not a quarter start
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(data)
    with pytest.raises(ValidationError):
        cat.ScoresComputed.model_validate(dict(EXAMPLES[cat.ScoresComputed], veto_reasons=["not_updated"]))


def test_on_time_agrees_with_the_deadline() -> None:
    data = dict(EXAMPLES[cat.CampaignTargetCompleted], completed_at=T0 + timedelta(days=3))
    with pytest.raises(ValidationError):
        cat.CampaignTargetCompleted.model_validate(data)
    assert cat.CampaignTargetCompleted.model_validate(dict(data, on_time=False)).on_time is False


def test_check_summary_must_add_up() -> None:
    with pytest.raises(ValidationError):
        cat.PostChecked.model_validate(dict(EXAMPLES[cat.PostChecked], blocking=False))


# ----------------------------------------------------------------------------------------------------------
# The AsyncAPI document
# ----------------------------------------------------------------------------------------------------------


def test_asyncapi_describes_every_topic_and_message() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    topics = {cls.topic for cls in EVENT_CLASSES}
    assert set(doc["channels"]) == topics
    for cls in EVENT_CLASSES:
        channel = doc["channels"][cls.topic]
        assert channel["address"] == cls.topic
        assert cls.__name__ in channel["messages"]
        message = doc["components"]["messages"][cls.__name__]
        assert message["x-event-type"] == cls.event_type
        assert message["bindings"]["kafka"]["key"]["description"].endswith(f"`{cls.key_field}` field.")
        assert message["payload"] == {"$ref": f"#/components/schemas/{cls.__name__}"}
        pinned = message["headers"]["allOf"][1]["properties"]
        assert pinned["ce_type"] == {"const": cls.event_type}
        assert pinned["ce_source"] == {"const": cls.source()}
        operation = doc["operations"][f"{cls.topic}.send"]
        assert operation["action"] == "send"
        assert {"$ref": f"#/channels/{cls.topic}/messages/{cls.__name__}"} in operation["messages"]
    headers = doc["components"]["schemas"]["CloudEventHeaders"]
    assert {
        "ce_id",
        "ce_source",
        "ce_specversion",
        "ce_type",
        "ce_time",
        "ce_subject",
        "content-type",
    } <= set(headers["required"])
    assert "traceparent" in headers["properties"]
    assert headers["properties"]["ce_specversion"]["const"] == "1.0"


def test_asyncapi_references_resolve() -> None:
    doc = asyncapi_document()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.startswith("#/")
        target: Any = doc
        for part in ref[2:].split("/"):
            assert part in target, f"dangling reference {ref}"
            target = target[part]


def test_yaml_rendering_reads_back_as_the_same_document() -> None:
    yaml = pytest.importorskip("yaml")
    doc = asyncapi_document()
    assert yaml.safe_load(render_yaml(doc)) == json.loads(json.dumps(doc))
    tricky = {"on": "yes", "list": [[1, 2], {"a": None}], "s": 'line\nbreak \u2028 "q" 中文', "f": 1e-05}
    assert yaml.safe_load(render_yaml(tricky)) == tricky


def test_timestamps_keep_their_offset() -> None:
    wire = json.loads(example(cat.MessageAnswered).model_dump_json())
    assert wire["answered_at"] == "2025-06-03T09:30:00+08:00"
    utc = cat.MessageAnswered.model_validate(
        dict(EXAMPLES[cat.MessageAnswered], answered_at=T0.astimezone(UTC))
    )
    assert utc.answered_at == example(cat.MessageAnswered).answered_at  # same instant

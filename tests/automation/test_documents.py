"""Tests for `crmcore.automation._documents`: rule sets to documents and back, strictly."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._kernel._ids import StaffId
from crmcore.automation import (
    AddTag,
    AutomationLoop,
    AutomationRule,
    AutomationRules,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    GrantLoyaltyBonus,
    NotifyOwner,
    RemoveTag,
    SendMessage,
    TimeTrigger,
    rules_from_dict,
    rules_to_dict,
)
from crmcore.automation._documents import ledger_from_dict, rule_document
from crmcore.errors import SchemaVersionError
from crmcore.messaging import MessageTemplate, TemplateCatalog
from crmcore.segmentation import MAX_RULE_DEPTH, all_of, field


def _every_action_rules() -> AutomationRules:
    return AutomationRules(
        [
            AutomationRule(
                "call_follow_up",
                EventTrigger(
                    "InteractionLogged",
                    all_of(field("kind") == "call", field("staff_id").is_not_empty()),
                ),
                [
                    CreateActivity(
                        "task", "follow_up", timedelta(days=2, hours=3, minutes=5), "high"
                    ),
                    CreateActivity("call", None, timedelta(0), assign_to=StaffId("s-1")),
                    NotifyOwner("follow_up"),
                ],
                description="Follow up every logged sales call",
            ),
            AutomationRule(
                "birthday",
                TimeTrigger("birthday_in", 0),
                [
                    SendMessage("birthday.greeting", "whatsapp", "marketing"),
                    GrantLoyaltyBonus(500, "birthday"),
                    AddTag("birthday"),
                    RemoveTag("lapsing"),
                    FireLifecycleTrigger("relationship_ladder", "join_program"),
                ],
                enabled=False,
            ),
        ]
    )


def _document() -> dict[str, Any]:
    return rules_to_dict(_every_action_rules())


def test_round_trip_through_json() -> None:
    """A rule set survives rules_to_dict, JSON text and rules_from_dict unchanged."""
    rules = _every_action_rules()
    text = json.dumps(rules_to_dict(rules))
    assert rules == rules_from_dict(json.loads(text))
    assert rules_to_dict(rules) == rules_to_dict(list(rules))


def test_document_shape() -> None:
    """The document names triggers and actions by type, durations in days, hours and minutes."""
    document = _document()
    first = document["rules"][0]
    assert {"type": "event", "event_type": "InteractionLogged"} == {
        key: first["trigger"][key] for key in ("type", "event_type")
    }
    assert {"days": 2, "hours": 3, "minutes": 5} == first["actions"][0]["due_in"]
    assert {"minutes": 0} == first["actions"][1]["due_in"]
    assert {"staff_id": "s-1"} == first["actions"][1]["assign_to"]
    assert "owner" == first["actions"][0]["assign_to"]
    second = document["rules"][1]
    assert {"type": "time", "condition": "birthday_in", "amount": 0} == second["trigger"]
    assert second["enabled"] is False
    assert "description" not in second
    with pytest.raises(InvalidType):
        rule_document("rule")  # type: ignore[arg-type]


def _refused(document: object, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        rules_from_dict(document, **kwargs)
    return caught.value


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    document = _document()
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "where", "code"),
    [
        (["schema_version"], 2, "$.schema_version", "schema_version"),
        (["schema_version"], True, "$.schema_version", "schema_version"),
        (["schema_version"], _DELETE, "$.schema_version", "required"),
        (["extra"], 1, "$", "unknown_keys"),
        (["rules"], {}, "$.rules", "type"),
        (["rules", 0], [], "$.rules[0]", "type"),
        (["rules", 0, "key"], "Bad Key", "$.rules[0].key", "name"),
        (["rules", 0, "trigger"], _DELETE, "$.rules[0].trigger", "required"),
        (["rules", 0, "colour"], "red", "$.rules[0]", "unknown_keys"),
        (["rules", 0, "enabled"], "yes", "$.rules[0].enabled", "type"),
        (["rules", 0, "trigger", "type"], "cron", "$.rules[0].trigger.type", "choice"),
        (
            ["rules", 0, "trigger", "event_type"],
            "Nope",
            "$.rules[0].trigger.event_type",
            "unknown_event_type",
        ),
        (
            ["rules", 0, "trigger", "condition"],
            {"field": "subject", "op": "eq", "kind": "text", "value": "x"},
            "$.rules[0].trigger.condition.field",
            "unknown_field",
        ),
        (
            ["rules", 0, "trigger", "condition", "all", 0, "op"],
            "like",
            "$.rules[0].trigger.condition.all[0].op",
            "operator",
        ),
        (["rules", 1, "trigger", "amount"], 9999, "$.rules[1].trigger.amount", "amount_range"),
        (["rules", 1, "trigger", "every"], 1, "$.rules[1].trigger", "unknown_keys"),
        (["rules", 0, "actions"], [], "$.rules[0].actions", "empty"),
        (
            ["rules", 0, "actions"],
            [{"type": "add_tag", "tag": "x"}] * 21,
            "$.rules[0].actions",
            "too_many",
        ),
        (["rules", 0, "actions", 0, "type"], "explode", "$.rules[0].actions[0].type", "choice"),
        (["rules", 0, "actions", 0, "kind"], "lunch", "$.rules[0].actions[0].kind", "choice"),
        (["rules", 0, "actions", 0, "kind"], _DELETE, "$.rules[0].actions[0].kind", "required"),
        (
            ["rules", 0, "actions", 0, "due_in"],
            {"weeks": 1},
            "$.rules[0].actions[0].due_in",
            "unknown_keys",
        ),
        (
            ["rules", 0, "actions", 0, "due_in"],
            {"days": 1.5},
            "$.rules[0].actions[0].due_in.days",
            "type",
        ),
        (
            ["rules", 0, "actions", 0, "due_in"],
            {"days": -1},
            "$.rules[0].actions[0].due_in.days",
            "range",
        ),
        (["rules", 0, "actions", 0, "due_in"], "P2D", "$.rules[0].actions[0].due_in", "type"),
        (
            ["rules", 0, "actions", 0, "assign_to"],
            "boss",
            "$.rules[0].actions[0].assign_to",
            "choice",
        ),
        (
            ["rules", 0, "actions", 0, "assign_to"],
            {"staff_id": "not an id!"},
            "$.rules[0].actions[0].assign_to.staff_id",
            "id_format",
        ),
        (
            ["rules", 1, "actions", 0, "channel"],
            "pigeon",
            "$.rules[1].actions[0].channel",
            "choice",
        ),
        (["rules", 1, "actions", 1, "points"], 0, "$.rules[1].actions[1].points", "range"),
    ],
)
def test_faults_name_their_path(path: list[Any], value: Any, where: str, code: str) -> None:
    """Each fault is reported at its path, with its code."""
    error = _refused(_with(path, value))
    assert (where, code) == (error.path, error.code)


def test_schema_version_error_class() -> None:
    """An unknown schema version raises SchemaVersionError."""
    with pytest.raises(SchemaVersionError):
        rules_from_dict(_with(["schema_version"], 7))


def test_not_an_object() -> None:
    """A document that is no object is refused."""
    assert "$" == _refused([1, 2]).path


def test_faults_of_several_rules_are_all_reported() -> None:
    """One problem per faulty rule is listed."""
    document = _with(["rules", 0, "key"], "Bad")
    document["rules"][1]["key"] = "Also Bad"
    error = _refused(document)
    assert ["$.rules[0].key", "$.rules[1].key"] == [p.path for p in error.problems]


def test_too_deep_and_too_many_rules() -> None:
    """Conditions nested too deep and rule lists too long are refused before anything is built."""
    condition: dict[str, Any] = {"field": "kind", "op": "eq", "kind": "text", "value": "call"}
    for _ in range(MAX_RULE_DEPTH + 5):
        condition = {"not": condition}
    deep = _with(["rules", 0, "trigger", "condition"], condition)
    assert "too_deep" == _refused(deep).code
    many = _document()
    many["rules"] = [copy.deepcopy(many["rules"][1]) for _ in range(1001)]
    assert "too_many" == _refused(many).code


def test_duplicate_keys_and_loops_load_nothing() -> None:
    """Duplicate keys and loops are refused after the rules are built."""
    document = _document()
    document["rules"][1]["key"] = "call_follow_up"
    assert "duplicate" == _refused(document).code
    looping = {
        "schema_version": 1,
        "rules": [
            {
                "key": "again",
                "trigger": {"type": "event", "event_type": "CustomerTagAdded"},
                "actions": [{"type": "add_tag", "tag": "x"}],
            }
        ],
    }
    with pytest.raises(AutomationLoop) as caught:
        rules_from_dict(looping)
    assert ("again", "again") == caught.value.cycle


def test_template_keys_are_checked_against_a_catalog() -> None:
    """With a catalog, every template key must be in it."""
    catalog = TemplateCatalog(
        [
            MessageTemplate(key="follow_up", language="en", body="Follow up"),
            MessageTemplate(key="birthday.greeting", language="en", body="Happy birthday"),
        ]
    )
    assert _every_action_rules() == rules_from_dict(_document(), templates=catalog)
    small = TemplateCatalog([MessageTemplate(key="follow_up", language="en", body="x")])
    error = _refused(_document(), templates=small)
    assert ("$.rules[1].actions[0].template_key", "unknown_template") == (error.path, error.code)
    subject = _with(["rules", 0, "actions", 0, "subject_template"], "nope")
    error = _refused(subject, templates=catalog)
    assert "$.rules[0].actions[0].subject_template" == error.path
    with pytest.raises(InvalidType):
        rules_from_dict(_document(), templates={"follow_up": "x"})  # type: ignore[arg-type]


def test_error_messages_never_echo_the_document() -> None:
    """Unknown keys and values are not repeated in messages."""
    personal = "ana@example.com"
    document = _with(["rules", 0, personal], 1)
    assert personal not in str(_refused(document))
    document = _with(["rules", 0, "actions", 0, "type"], personal)
    assert personal not in str(_refused(document))


def test_ledger_documents() -> None:
    """Ledger documents are checked: version, entries, times."""
    good = {"schema_version": 1, "entries": {"k|c|0": "2026-03-02T09:00:00+00:00"}}
    assert 1 == len(ledger_from_dict(good))
    bad: list[tuple[object, str]] = [
        ([], "$"),
        ({"schema_version": 2, "entries": {}}, "$.schema_version"),
        ({"schema_version": 1, "entries": []}, "$.entries"),
        ({"schema_version": 1, "entries": {"k": 3}}, "$.entries[0]"),
        ({"schema_version": 1, "entries": {"k": "yesterday"}}, "$.entries[0]"),
        ({"schema_version": 1, "entries": {"k": "2026-03-02T09:00:00"}}, "$.entries[0]"),
        ({"schema_version": 1, "entries": {}, "max_keys": 0}, "$.max_keys"),
    ]
    for document, path in bad:
        with pytest.raises(ValidationError) as caught:
            ledger_from_dict(document)
        assert path == caught.value.path

"""Stored automation rules: rule sets to JSON-ready dicts and back, validated strictly.

The document of a rule set::

    {"schema_version": 1, "rules": [rule, ...]}

and of one rule (``enabled`` defaults to true, ``description`` to none)::

    {
        "key": "call_follow_up",
        "enabled": true,
        "description": "...",
        "trigger": trigger,
        "actions": [action, ...],
    }

A trigger is ``{"type": "event", "event_type": "InteractionLogged",
"condition": rule}`` (the condition is a segment rule document, see
:func:`crmcore.segmentation.rule_from_dict`, over the event's fields; it may
be left out) or ``{"type": "time", "condition": "birthday_in", "amount": 7}``.
An action names its ``type`` and the fields of its class::

    {"type": "create_activity", "kind": "call", "subject_template": "follow_up",
     "due_in": {"days": 2}, "priority": "normal", "assign_to": "owner"}
    {"type": "send_message", "template_key": "welcome", "channel": "email",
     "purpose": "service"}
    {"type": "add_tag", "tag": "vip"}           {"type": "remove_tag", "tag": "new"}
    {"type": "fire_lifecycle_trigger", "definition": "relationship_ladder",
     "trigger": "join_program"}
    {"type": "notify_owner", "template_key": "complaint.owner"}
    {"type": "grant_loyalty_bonus", "points": 500, "reason": "birthday"}

``due_in`` takes ``days``, ``hours`` and ``minutes``; ``assign_to`` is
``"owner"`` or ``{"staff_id": "s-1"}``. Loading checks everything a rule's
constructor checks, and more: event types against the registry of domain
events, conditions against the event type's fields, template keys against a
catalog when one is given, the size of the document before anything is
built. A fault raises a :class:`~crmcore.ValidationError` naming its path
(``$.rules[2].trigger.condition.all[0].field``); nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from crmcore._kernel._checks import collect_errors, iso_datetime, json_type_name
from crmcore._kernel._ids import StaffId
from crmcore.automation._event_fields import event_schema, known_event_types
from crmcore.automation._intents import LEDGER_SCHEMA_VERSION, MAX_LEDGER_KEYS, AutomationLedger
from crmcore.automation._rules import (
    MAX_ACTIONS,
    OWNER,
    Action,
    AddTag,
    AutomationRule,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    GrantLoyaltyBonus,
    NotifyOwner,
    RemoveTag,
    SendMessage,
    TimeTrigger,
    Trigger,
)
from crmcore.automation._ruleset import MAX_RULES, AutomationRules
from crmcore.errors import InvalidType, SchemaVersionError, ValidationError
from crmcore.messaging import TemplateCatalog
from crmcore.segmentation import rule_from_dict, rule_to_dict

#: The schema version of rule set documents this release writes and reads.
RULES_SCHEMA_VERSION: Final = 1

_ACTION_NAMES: Final[Mapping[type[Any], str]] = {
    CreateActivity: "create_activity",
    SendMessage: "send_message",
    AddTag: "add_tag",
    RemoveTag: "remove_tag",
    FireLifecycleTrigger: "fire_lifecycle_trigger",
    NotifyOwner: "notify_owner",
    GrantLoyaltyBonus: "grant_loyalty_bonus",
}
_ACTION_CLASSES: Final = {name: cls for cls, name in _ACTION_NAMES.items()}
_ACTION_KEYS: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # required keys, optional keys (besides "type")
    "create_activity": (("kind", "due_in"), ("subject_template", "priority", "assign_to")),
    "send_message": (("template_key", "channel", "purpose"), ()),
    "add_tag": (("tag",), ()),
    "remove_tag": (("tag",), ()),
    "fire_lifecycle_trigger": (("definition", "trigger"), ()),
    "notify_owner": (("template_key",), ()),
    "grant_loyalty_bonus": (("points", "reason"), ()),
}
_RULE_KEYS: Final = (("key", "trigger", "actions"), ("enabled", "description"))
_MINUTE: Final = timedelta(minutes=1)


# -- writing -----------------------------------------------------------------------------


def _due_in_document(due_in: timedelta) -> dict[str, int]:
    minutes = due_in // _MINUTE
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = {"days": days, "hours": hours, "minutes": minutes}
    return {unit: n for unit, n in parts.items() if n} or {"minutes": 0}


def _action_document(action: Action) -> dict[str, Any]:
    document: dict[str, Any] = {"type": _ACTION_NAMES[type(action)]}
    if isinstance(action, CreateActivity):
        document.update(
            kind=action.kind.value,
            subject_template=action.subject_template,
            due_in=_due_in_document(action.due_in),
            priority=action.priority.value,
            assign_to=(
                {"staff_id": action.assign_to.value}
                if isinstance(action.assign_to, StaffId)
                else OWNER
            ),
        )
    elif isinstance(action, SendMessage):
        document.update(
            template_key=action.template_key,
            channel=action.channel.value,
            purpose=action.purpose.value,
        )
    elif isinstance(action, (AddTag, RemoveTag)):
        document["tag"] = action.tag
    elif isinstance(action, FireLifecycleTrigger):
        document.update(definition=action.definition, trigger=action.trigger)
    elif isinstance(action, NotifyOwner):
        document["template_key"] = action.template_key
    else:
        document.update(points=action.points, reason=action.reason)
    return document


def _trigger_document(trigger: Trigger) -> dict[str, Any]:
    if isinstance(trigger, TimeTrigger):
        return {"type": "time", "condition": trigger.condition.value, "amount": trigger.amount}
    document: dict[str, Any] = {"type": "event", "event_type": trigger.event_type}
    if trigger.condition is not None:
        document["condition"] = rule_to_dict(trigger.condition)
    return document


def rule_document(rule: AutomationRule) -> dict[str, Any]:
    """The JSON-ready document of one rule (see the module documentation)."""
    if not isinstance(rule, AutomationRule):
        raise InvalidType(f"must be an AutomationRule, not {type(rule).__name__}", path="$")
    document: dict[str, Any] = {
        "key": rule.key,
        "enabled": rule.enabled,
        "trigger": _trigger_document(rule.trigger),
        "actions": [_action_document(action) for action in rule.actions],
    }
    if rule.description is not None:
        document["description"] = rule.description
    return document


def rules_to_dict(rules: AutomationRules | Iterable[AutomationRule]) -> dict[str, Any]:
    """The JSON-ready document of a rule set.

    >>> from crmcore.automation import AddTag, AutomationRule, AutomationRules, TimeTrigger
    >>> rules = AutomationRules(
    ...     [AutomationRule("lapsing", TimeTrigger("no_purchase_for", 90), [AddTag("lapsing")])]
    ... )
    >>> rules_to_dict(rules)
    {'schema_version': 1, 'rules': [{'key': 'lapsing', 'enabled': True, 'trigger': {'type': 'time', 'condition': 'no_purchase_for', 'amount': 90}, 'actions': [{'type': 'add_tag', 'tag': 'lapsing'}]}]}
    """
    checked = rules if isinstance(rules, AutomationRules) else AutomationRules(rules)
    return {
        "schema_version": RULES_SCHEMA_VERSION,
        "rules": [rule_document(rule) for rule in checked],
    }


# -- reading -----------------------------------------------------------------------------


def _object(data: object, path: str, what: str) -> dict[Any, Any]:
    if not isinstance(data, dict):
        raise InvalidType(
            f"must be an object describing {what}, not {json_type_name(data)}", path=path
        )
    return data


def _keys(data: dict[Any, Any], keys: tuple[tuple[str, ...], tuple[str, ...]], path: str) -> None:
    required, optional = keys
    extra = [key for key in data if key not in required and key not in optional]
    if extra:
        # Key names are not echoed: a document's keys can be anything, personal data too.
        allowed = ", ".join((*required, *optional))
        raise ValidationError(
            f"has {len(extra)} unknown key{'s' if len(extra) > 1 else ''} (allowed: {allowed})",
            path=path,
            code="unknown_keys",
        )
    for key in required:
        if key not in data:
            raise ValidationError("is required", path=f"{path}.{key}", code="required")


def _array(data: object, path: str, maximum: int, noun: str) -> list[Any]:
    if not isinstance(data, list):
        raise InvalidType(f"must be an array, not {json_type_name(data)}", path=path)
    if len(data) > maximum:
        raise ValidationError(f"must hold at most {maximum} {noun}", path=path, code="too_many")
    return data


def _built(path: str, build: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return build(*args, **kwargs)
    except ValidationError as exc:
        raise exc.under(path) from None


def _trigger(data: object, path: str) -> Trigger:
    document = _object(data, path, "a trigger")
    kind = document.get("type")
    if kind == "time":
        _keys(document, (("type", "condition", "amount"), ()), path)
        return _built(path, TimeTrigger, document["condition"], document["amount"])  # type: ignore[no-any-return]
    if kind != "event":
        raise ValidationError("must be one of: event, time", path=f"{path}.type", code="choice")
    _keys(document, (("type", "event_type"), ("condition",)), path)
    event_type = document["event_type"]
    bare: EventTrigger = _built(path, EventTrigger, event_type)
    if document.get("condition") is None:
        return bare
    schema = event_schema(known_event_types()[bare.event_type])
    condition = _built(f"{path}.condition", rule_from_dict, document["condition"], schema=schema)
    return EventTrigger(bare.event_type, condition)


def _due_in(data: object, path: str) -> timedelta:
    document = _object(data, path, "a duration such as {'days': 2}")
    _keys(document, ((), ("days", "hours", "minutes")), path)
    total = timedelta(0)
    for unit, value in document.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(
                f"must be an integer, not {json_type_name(value)}", path=f"{path}.{unit}"
            )
        if not 0 <= value <= 10_000_000:
            raise ValidationError("must be from 0 to 10000000", path=f"{path}.{unit}", code="range")
        total += timedelta(**{unit: value})
    return total


def _assign_to(data: object, path: str) -> StaffId | str:
    if isinstance(data, dict):
        _keys(data, (("staff_id",), ()), path)
        try:
            return StaffId(data["staff_id"])
        except ValidationError as exc:  # reported at the key, not at the id's own "$.value"
            raise type(exc)(exc.rule, path=f"{path}.staff_id", code=exc.code) from None
    if data == OWNER:
        return OWNER
    raise ValidationError("must be 'owner' or {'staff_id': ...}", path=path, code="choice")


def _action(data: object, path: str, templates: TemplateCatalog | None) -> Action:
    document = _object(data, path, "an action")
    name = document.get("type")
    if not isinstance(name, str) or name not in _ACTION_CLASSES:
        raise ValidationError(
            f"must be one of: {', '.join(_ACTION_KEYS)}", path=f"{path}.type", code="choice"
        )
    required, optional = _ACTION_KEYS[name]
    _keys(document, (("type", *required), optional), path)
    fields = {key: value for key, value in document.items() if key != "type"}
    if name == "create_activity":
        fields["due_in"] = _due_in(fields["due_in"], f"{path}.due_in")
        fields.setdefault("subject_template", None)
        if "assign_to" in fields:
            fields["assign_to"] = _assign_to(fields["assign_to"], f"{path}.assign_to")
    action: Action = _built(path, _ACTION_CLASSES[name], **fields)
    if templates is not None:
        _check_templates(action, templates, path)
    return action


def _check_templates(action: Action, templates: TemplateCatalog, path: str) -> None:
    if isinstance(action, (SendMessage, NotifyOwner)):
        key, where = action.template_key, "template_key"
    elif isinstance(action, CreateActivity) and action.subject_template is not None:
        key, where = action.subject_template, "subject_template"
    else:
        return
    if key not in templates.keys:
        raise ValidationError(
            "must name a template the catalog holds",
            path=f"{path}.{where}",
            code="unknown_template",
        )


def _rule(data: object, path: str, templates: TemplateCatalog | None) -> AutomationRule:
    document = _object(data, path, "an automation rule")
    _keys(document, _RULE_KEYS, path)
    trigger = _trigger(document["trigger"], f"{path}.trigger")
    raw_actions = _array(document["actions"], f"{path}.actions", MAX_ACTIONS, "actions")
    actions = [
        _action(item, f"{path}.actions[{index}]", templates)
        for index, item in enumerate(raw_actions)
    ]
    return _built(  # type: ignore[no-any-return]
        path,
        AutomationRule,
        document["key"],
        trigger,
        actions,
        enabled=document.get("enabled", True),
        description=document.get("description"),
    )


def _schema_version(document: dict[Any, Any]) -> None:
    version = document.get("schema_version")
    if version is None:
        raise ValidationError("is required", path="$.schema_version", code="required")
    if type(version) is not int or version != RULES_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"must be {RULES_SCHEMA_VERSION} (the version this release reads)",
            path="$.schema_version",
        )


def rules_from_dict(data: object, *, templates: TemplateCatalog | None = None) -> AutomationRules:
    """Load a rule set from its document, validating everything; nothing is loaded on a fault.

    >>> rules_from_dict(
    ...     {
    ...         "schema_version": 1,
    ...         "rules": [
    ...             {
    ...                 "key": "x",
    ...                 "trigger": {
    ...                     "type": "event",
    ...                     "event_type": "CustomerRegistered",
    ...                     "condition": {
    ...                         "field": "tier",
    ...                         "op": "eq",
    ...                         "kind": "text",
    ...                         "value": "gold",
    ...                     },
    ...                 },
    ...                 "actions": [{"type": "add_tag", "tag": "new"}],
    ...             }
    ...         ],
    ...     }
    ... )
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.rules[0].trigger.condition.field: is not a field of the schema

    Args:
        data: the document (see the module documentation).
        templates: a catalog; when given, every template key must be in it.

    Raises:
        ValidationError: a fault, naming its path; ``problems`` lists one per
            faulty rule. Codes include ``unknown_event_type``,
            ``unknown_field``, ``unknown_template``, ``choice`` (an unknown
            activity kind, channel, action type), ``too_deep`` and
            ``too_large`` (a condition), ``too_many``, ``duplicate`` (a rule
            key), ``automation_loop`` (:class:`AutomationLoop`).
        SchemaVersionError: an unknown ``schema_version``.
    """
    if templates is not None and not isinstance(templates, TemplateCatalog):
        raise InvalidType(
            f"must be a TemplateCatalog or None, not {type(templates).__name__}", path="$.templates"
        )
    document = _object(data, "$", "a rule set")
    _keys(document, (("schema_version", "rules"), ()), "$")
    _schema_version(document)
    raw = _array(document["rules"], "$.rules", MAX_RULES, "rules")
    built: list[AutomationRule] = []
    failures: list[ValidationError] = []
    for index, item in enumerate(raw):
        try:
            built.append(_rule(item, f"$.rules[{index}]", templates))
        except ValidationError as exc:
            failures.append(exc)
    if failures:
        raise collect_errors(failures)
    return AutomationRules(built)


def ledger_from_dict(data: object) -> AutomationLedger:
    """Rebuild a ledger from :meth:`AutomationLedger.to_dict` 's document.

    Raises:
        ValidationError: a malformed document, naming the path.
        SchemaVersionError: an unknown ``schema_version``.
    """
    document = _object(data, "$", "a ledger")
    _keys(document, (("schema_version", "entries"), ("max_keys",)), "$")
    if document["schema_version"] != LEDGER_SCHEMA_VERSION or isinstance(
        document["schema_version"], bool
    ):
        raise SchemaVersionError(
            f"must be {LEDGER_SCHEMA_VERSION} (the version this release reads)",
            path="$.schema_version",
        )
    entries = _object(document["entries"], "$.entries", "ledger keys")
    if len(entries) > MAX_LEDGER_KEYS:
        raise ValidationError(
            f"must hold at most {MAX_LEDGER_KEYS} keys", path="$.entries", code="too_many"
        )
    parsed: dict[str, datetime] = {}
    for index, (key, text) in enumerate(entries.items()):
        parsed[key] = iso_datetime(text, f"$.entries[{index}]", describe=json_type_name)
    max_keys = document.get("max_keys", 100_000)
    return _built("$", AutomationLedger, parsed, max_keys=max_keys)  # type: ignore[no-any-return]

"""Automation rules: a trigger and the actions it asks for, as immutable values.

A rule says *when* (a trigger) and *what* (actions). The trigger is a domain
event type with an optional condition on the event's fields, written in the
segment rule language (:class:`EventTrigger`), or a time condition such as
"birthday in 7 days" (:class:`TimeTrigger`). Actions are declarative: the
engine turns each into an *intent* that the application carries out.

Every value checks its arguments when built, so a rule that exists is a rule
the engine can run: event types are looked up in the registry of domain
events, conditions are checked against the event type's fields, tags and
names are normalized.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final, TypeAlias

import attrs

from crmcore._kernel._checks import (
    check_name,
    clean_text,
    enum_converter,
    normalize_tag,
    positive_int,
    type_name,
)
from crmcore._kernel._ids import StaffId
from crmcore.activities import ActivityKind, ActivityPriority
from crmcore.automation._conditions import TimeCondition, check_amount
from crmcore.automation._event_fields import event_schema, known_event_types
from crmcore.customers import Channel, Purpose
from crmcore.errors import InvalidType, ValidationError
from crmcore.messaging import MAX_KEY_LENGTH, check_template_key
from crmcore.segmentation import Rule, check_rule

#: Most actions one rule may ask for.
MAX_ACTIONS: Final = 20
#: Longest rule description, in characters.
MAX_DESCRIPTION: Final = 500
#: Longest template key, in characters (:data:`crmcore.messaging.MAX_KEY_LENGTH`).
MAX_TEMPLATE_KEY: Final = MAX_KEY_LENGTH
#: Latest due time an activity may be given, after the moment it is created.
MAX_DUE_IN: Final = timedelta(days=3660)
#: Most loyalty points one bonus may grant.
MAX_BONUS_POINTS: Final = 1_000_000
#: Longest event type name, in characters.
MAX_EVENT_TYPE: Final = 100

#: ``assign_to`` for "the staff member responsible for the cause (else the customer's owner)".
OWNER: Final = "owner"

_EVENT_TYPE: Final = re.compile(r"[A-Z][A-Za-z0-9]*")


# -- triggers ----------------------------------------------------------------------------


def _event_type(value: object) -> str:
    path = "$.event_type"
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    if len(value) > MAX_EVENT_TYPE or _EVENT_TYPE.fullmatch(value) is None:
        raise ValidationError(
            "must be an event type name such as 'CustomerRegistered'",
            path=path,
            code="event_type",
        )
    if value not in known_event_types():
        raise ValidationError(
            "must name a domain event type crmcore knows (see crmcore.events.event_types())",
            path=path,
            code="unknown_event_type",
        )
    return value


def _condition(value: object) -> Rule | None:
    if value is None or isinstance(value, Rule):
        return value
    raise InvalidType(f"must be a segment rule or None, not {type_name(value)}", path="$.condition")


@attrs.frozen(slots=True)
class EventTrigger:
    """Run when a domain event of ``event_type`` happens and ``condition`` (if any) holds.

    The condition is a segment rule over the event's fields (ids as text,
    enums as their values, plus ``event_id``, ``aggregate_kind``,
    ``aggregate_id``, ``sequence``, ``occurred_at`` and ``actor``); a field
    the event type does not have is refused when the trigger is built.

    >>> from crmcore.segmentation import field
    >>> EventTrigger("InteractionLogged", field("kind") == "call")
    EventTrigger(event_type='InteractionLogged', condition=field('kind') == 'call')
    >>> EventTrigger("InteractionLogged", field("subject") == "x")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.condition.field: is not a field of the schema

    Raises:
        ValidationError: an unknown event type (code ``unknown_event_type``)
            or a condition that does not suit the event's fields (the path
            under ``$.condition``).

    .. versionadded:: 0.1
    """

    event_type: str = attrs.field(converter=_event_type)
    condition: Rule | None = attrs.field(default=None, converter=_condition)

    def __attrs_post_init__(self) -> None:
        if self.condition is not None:
            schema = event_schema(known_event_types()[self.event_type])
            try:
                check_rule(self.condition, schema)
            except ValidationError as exc:
                raise exc.under("$.condition") from None


def _time_condition(value: object) -> TimeCondition:
    return enum_converter(TimeCondition, "$.condition")(value)


def _amount(trigger: TimeTrigger, __: attrs.Attribute[int], value: object) -> None:
    check_amount(trigger.condition, value)


@attrs.frozen(slots=True)
class TimeTrigger:
    """Run when a time condition holds at the run's time (see :class:`TimeCondition`).

    ``amount`` counts days for ``birthday_in``, ``subscription_due_in`` and
    ``no_purchase_for``, hours for ``sla_breach_in`` and ``task_overdue``,
    within the condition's bounds (:data:`TIME_CONDITION_BOUNDS`).

    >>> TimeTrigger("birthday_in", 7)
    TimeTrigger(condition=<TimeCondition.BIRTHDAY_IN: 'birthday_in'>, amount=7)

    .. versionadded:: 0.1
    """

    condition: TimeCondition = attrs.field(converter=_time_condition)
    amount: int = attrs.field(validator=_amount)


#: What starts a rule.
Trigger: TypeAlias = EventTrigger | TimeTrigger


# -- actions -----------------------------------------------------------------------------


def _activity_kind(value: object) -> ActivityKind:
    return enum_converter(ActivityKind, "$.kind")(value)


def _priority(value: object) -> ActivityPriority:
    return enum_converter(ActivityPriority, "$.priority")(value)


def _channel(value: object) -> Channel:
    return enum_converter(Channel, "$.channel")(value)


def _purpose(value: object) -> Purpose:
    return enum_converter(Purpose, "$.purpose")(value)


def _optional_template(value: object) -> str | None:
    return None if value is None else check_template_key(value, "$.subject_template")


def _due_in(_: object, __: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta):
        raise InvalidType(f"must be a timedelta, not {type_name(value)}", path="$.due_in")
    if value < timedelta(0) or value > MAX_DUE_IN:
        raise ValidationError(
            f"must be from zero to {MAX_DUE_IN.days} days", path="$.due_in", code="range"
        )
    if value % timedelta(minutes=1):
        raise ValidationError("must be whole minutes", path="$.due_in", code="whole_minutes")


def _assign_to(value: object) -> StaffId | str:
    if isinstance(value, StaffId):
        return value
    if value == OWNER:
        return OWNER
    if isinstance(value, str):
        raise ValidationError("must be 'owner' or a StaffId", path="$.assign_to", code="choice")
    raise InvalidType(f"must be 'owner' or a StaffId, not {type_name(value)}", path="$.assign_to")


@attrs.frozen(slots=True)
class CreateActivity:
    """Plan an activity (task, call, meeting, email, deadline) on the record concerned.

    ``subject_template`` is the key of a message template whose text (its
    subject, else its body) becomes the activity's subject, on one line and
    cut to the 200 characters an activity subject may hold; ``due_in`` is added to the time
    of the event that triggered the rule (for a time trigger, to the run's time), in the
    run's zone;
    ``assign_to`` is a staff member or ``"owner"``: the staff member the
    cause names as responsible (the event's ``owner_id``, ``owner``,
    ``assignee`` or ``staff_id``, such as who logged a call; a time match's
    record owner or assignee), else the customer's owner.

    >>> from datetime import timedelta
    >>> CreateActivity("call", "follow_up", timedelta(days=2))
    CreateActivity(kind=<ActivityKind.CALL: 'call'>, subject_template='follow_up', due_in=datetime.timedelta(days=2), priority=<ActivityPriority.NORMAL: 'normal'>, assign_to='owner')

    .. versionadded:: 0.1
    """

    kind: ActivityKind = attrs.field(converter=_activity_kind)
    subject_template: str | None = attrs.field(converter=_optional_template)
    due_in: timedelta = attrs.field(validator=_due_in)
    priority: ActivityPriority = attrs.field(default=ActivityPriority.NORMAL, converter=_priority)
    assign_to: StaffId | str = attrs.field(default=OWNER, converter=_assign_to)


def _template(value: object) -> str:
    return check_template_key(value, "$.template_key")


@attrs.frozen(slots=True)
class SendMessage:
    """Send the customer a message from a template on a channel, for a purpose.

    The engine asks the customer's consent for ``channel`` and ``purpose`` at
    the run's time and respects quiet hours; otherwise it reports why not.

    >>> SendMessage("welcome", "email", "service")
    SendMessage(template_key='welcome', channel=<Channel.EMAIL: 'email'>, purpose=<Purpose.SERVICE: 'service'>)

    .. versionadded:: 0.1
    """

    template_key: str = attrs.field(converter=_template)
    channel: Channel = attrs.field(converter=_channel)
    purpose: Purpose = attrs.field(converter=_purpose)


def _tag(value: object) -> str:
    return normalize_tag(value, "$.tag")


@attrs.frozen(slots=True)
class AddTag:
    """Add a tag to the customer (normalized as customer tags are).

    .. versionadded:: 0.1
    """

    tag: str = attrs.field(converter=_tag)


@attrs.frozen(slots=True)
class RemoveTag:
    """Remove a tag from the customer.

    .. versionadded:: 0.1
    """

    tag: str = attrs.field(converter=_tag)


def _definition(value: object) -> str:
    return check_name(value, "$.definition")


def _trigger_name(value: object) -> str:
    return check_name(value, "$.trigger")


@attrs.frozen(slots=True)
class FireLifecycleTrigger:
    """Fire a trigger of a lifecycle definition (by name) on the customer.

    >>> FireLifecycleTrigger("relationship_ladder", "join_program")
    FireLifecycleTrigger(definition='relationship_ladder', trigger='join_program')

    .. versionadded:: 0.1
    """

    definition: str = attrs.field(converter=_definition)
    trigger: str = attrs.field(converter=_trigger_name)


@attrs.frozen(slots=True)
class NotifyOwner:
    """Tell the owner of the record (or of its customer) with a message template.

    .. versionadded:: 0.1
    """

    template_key: str = attrs.field(converter=_template)


def _points(value: object) -> int:
    return positive_int(value, "$.points", maximum=MAX_BONUS_POINTS)


def _reason(value: object) -> str:
    return check_name(value, "$.reason")


@attrs.frozen(slots=True)
class GrantLoyaltyBonus:
    """Grant the customer's loyalty account bonus points, for a reason code.

    ``reason`` is a snake_case code (``"birthday"``): it goes into the
    loyalty events as an occasion, so it is never free text.

    >>> GrantLoyaltyBonus(500, "birthday")
    GrantLoyaltyBonus(points=500, reason='birthday')

    .. versionadded:: 0.1
    """

    points: int = attrs.field(converter=_points)
    reason: str = attrs.field(converter=_reason)


#: What a rule may ask for.
Action: TypeAlias = (
    CreateActivity
    | SendMessage
    | AddTag
    | RemoveTag
    | FireLifecycleTrigger
    | NotifyOwner
    | GrantLoyaltyBonus
)

#: The action classes, in the order documents list them.
ACTION_TYPES: Final[tuple[type[Action], ...]] = (
    CreateActivity,
    SendMessage,
    AddTag,
    RemoveTag,
    FireLifecycleTrigger,
    NotifyOwner,
    GrantLoyaltyBonus,
)


# -- the rule ----------------------------------------------------------------------------


def _key(value: object) -> str:
    return check_name(value, "$.key")


def _trigger(value: object) -> Trigger:
    if isinstance(value, (EventTrigger, TimeTrigger)):
        return value
    raise InvalidType(
        f"must be an EventTrigger or a TimeTrigger, not {type_name(value)}", path="$.trigger"
    )


def _actions(value: object) -> tuple[Action, ...]:
    path = "$.actions"
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (tuple, list)):
        raise InvalidType(f"must be a sequence of actions, not {type_name(value)}", path=path)
    if not value:
        raise ValidationError("must hold at least one action", path=path, code="empty")
    if len(value) > MAX_ACTIONS:
        raise ValidationError(
            f"must hold at most {MAX_ACTIONS} actions", path=path, code="too_many"
        )
    for index, action in enumerate(value):
        if not isinstance(action, ACTION_TYPES):
            raise InvalidType(
                f"must be an automation action, not {type_name(action)}", path=f"{path}[{index}]"
            )
    return tuple(value)


def _enabled(_: object, __: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidType(f"must be a bool, not {type_name(value)}", path="$.enabled")


def _description(value: object) -> str | None:
    if value is None:
        return None
    return clean_text(value, "$.description", max_length=MAX_DESCRIPTION, what="a description")


@attrs.frozen(slots=True)
class AutomationRule:
    """When ``trigger`` fires, ask for ``actions``; a disabled rule never runs.

    ``key`` is the rule's stable snake_case name: it starts every idempotency
    key the rule's intents carry, so renaming a rule makes it run again.

    >>> from datetime import timedelta
    >>> rule = AutomationRule(
    ...     "call_follow_up",
    ...     EventTrigger("InteractionLogged"),
    ...     [CreateActivity("task", None, timedelta(days=2))],
    ... )
    >>> rule.key, len(rule.actions), rule.enabled
    ('call_follow_up', 1, True)

    Raises:
        ValidationError: a bad key (``$.key``), no actions or more than
            :data:`MAX_ACTIONS` (``$.actions``), a bad description.
        InvalidType: a trigger or an action of the wrong type.

    .. versionadded:: 0.1
    """

    key: str = attrs.field(converter=_key)
    trigger: Trigger = attrs.field(converter=_trigger)
    actions: tuple[Action, ...] = attrs.field(converter=_actions)
    enabled: bool = attrs.field(default=True, validator=_enabled)
    description: str | None = attrs.field(default=None, converter=_description, repr=False)

    @property
    def event_type(self) -> str | None:
        """The event type that triggers the rule, or ``None`` for a time trigger."""
        return self.trigger.event_type if isinstance(self.trigger, EventTrigger) else None

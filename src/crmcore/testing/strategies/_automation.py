"""Strategies for automation: rules, loop-free rule sets, looping rules, settings and ledgers."""

from __future__ import annotations

import string
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of
from crmcore._kernel._ids import StaffId
from crmcore.activities import ActivityKind, ActivityPriority
from crmcore.automation import (
    AddTag,
    AutomationLedger,
    AutomationLoop,
    AutomationRule,
    AutomationRules,
    AutomationSettings,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    GrantLoyaltyBonus,
    NotifyOwner,
    QuietHours,
    RemoveTag,
    SendMessage,
    TimeCondition,
    TimeTrigger,
)
from crmcore.automation._conditions import TIME_CONDITION_BOUNDS
from crmcore.automation._event_fields import event_schema, known_event_types
from crmcore.automation._rules import Action, Trigger
from crmcore.automation._ruleset import ACTION_EVENTS
from crmcore.customers import Channel, Purpose
from crmcore.errors import ValidationError
from crmcore.segmentation import Rule, field
from crmcore.testing.strategies._base import _bool_arg, _enum_choices, _int_arg, _non_empty, tags

#: Event types rules are drawn for by default: those the customer strategies produce, and more.
_EVENT_TYPES: Final = (
    "CustomerRegistered",
    "CustomerTagAdded",
    "CustomerTagRemoved",
    "CustomerConsentGiven",
    "CustomerConsentWithdrawn",
    "CustomerContactPointAdded",
    "CustomerAssigned",
    "CustomerStageChanged",
    "InteractionLogged",
    "CaseOpened",
    "OrderPlaced",
    "LoyaltyPointsEarned",
    "ActivityPlanned",
)
_TEMPLATE_KEYS: Final = (
    "welcome",
    "birthday.greeting",
    "follow_up",
    "payment-due",
    "complaint_ack",
)
_DEFINITIONS: Final = ("relationship_ladder", "crm_stages")
_TRIGGERS: Final = ("first_purchase", "join_program", "win_back", "recommend")
_REASONS: Final = ("birthday", "anniversary", "welcome_bonus", "apology")
_TEXT_VALUES: Final = ("vip", "email", "call", "marketing", "service", "customer", "c-1", "new")
_RULE_WORDS: Final = ("welcome", "follow_up", "birthday", "reminder", "ack", "win_back", "tag")


def _rule_keys() -> st.SearchStrategy[str]:
    word = st.sampled_from(_RULE_WORDS)
    suffix = st.text(string.ascii_lowercase + string.digits, max_size=6)
    return st.builds(lambda w, s: f"{w}_{s}" if s else w, word, suffix)


def _conditions(event_type: str) -> st.SearchStrategy[Rule | None]:
    """None, or a condition over a text, number or bool field of ``event_type``."""
    schema = event_schema(known_event_types()[event_type])
    choices: list[st.SearchStrategy[Rule]] = []
    for name, spec in sorted(schema.items()):
        kinds = {t.value for t in spec.types}
        if kinds == {"text"}:
            choices.append(
                st.builds(lambda n, v: field(n) == v, st.just(name), st.sampled_from(_TEXT_VALUES))
            )
            choices.append(
                st.builds(
                    lambda n, v: field(n).is_in(v),
                    st.just(name),
                    st.sets(st.sampled_from(_TEXT_VALUES), min_size=1, max_size=3),
                )
            )
        elif kinds == {"number"}:
            choices.append(
                st.builds(lambda n, v: field(n) >= v, st.just(name), st.integers(0, 1000))
            )
        elif kinds == {"bool"}:
            choices.append(st.just(name).map(lambda n: field(n).is_true()))
    return st.none() | st.one_of(*choices)


def _event_triggers(event_types: tuple[str, ...]) -> st.SearchStrategy[EventTrigger]:
    return st.sampled_from(event_types).flatmap(
        lambda name: st.builds(EventTrigger, st.just(name), _conditions(name))
    )


def _time_triggers(conditions: tuple[TimeCondition, ...]) -> st.SearchStrategy[TimeTrigger]:
    return st.sampled_from(conditions).flatmap(
        lambda condition: st.builds(
            TimeTrigger, st.just(condition), st.integers(*TIME_CONDITION_BOUNDS[condition])
        )
    )


def message_actions() -> st.SearchStrategy[SendMessage]:
    """:class:`~crmcore.automation.SendMessage` actions over every channel and purpose."""
    return st.builds(
        SendMessage,
        st.sampled_from(_TEMPLATE_KEYS),
        st.sampled_from(list(Channel)),
        st.sampled_from(list(Purpose)),
    )


def automation_actions() -> st.SearchStrategy[Action]:
    """Valid actions of every kind, message actions over every channel and purpose."""
    templates = st.sampled_from(_TEMPLATE_KEYS)
    due = st.integers(0, 60 * 24 * 30).map(lambda minutes: timedelta(minutes=minutes))
    assignees = st.just("owner") | st.sampled_from(("s-1", "s-2")).map(StaffId)
    return st.one_of(
        st.builds(
            CreateActivity,
            st.sampled_from(list(ActivityKind)),
            st.none() | templates,
            due,
            st.sampled_from(list(ActivityPriority)),
            assignees,
        ),
        message_actions(),
        st.builds(AddTag, tags()),
        st.builds(RemoveTag, tags()),
        st.builds(FireLifecycleTrigger, st.sampled_from(_DEFINITIONS), st.sampled_from(_TRIGGERS)),
        st.builds(NotifyOwner, templates),
        st.builds(GrantLoyaltyBonus, st.integers(1, 5000), st.sampled_from(_REASONS)),
    )


def _event_type_names(value: object) -> tuple[str, ...]:
    if value is None:
        return _EVENT_TYPES
    names = tuple_of(value, "$.event_types", _event_type_name)
    return _non_empty(names, "$.event_types")


def _event_type_name(value: object, path: str) -> str:
    try:
        return EventTrigger(value).event_type
    except ValidationError as exc:
        raise ValidationError(exc.rule, path=path, code=exc.code) from None


def automation_rules(
    *,
    event_types: Iterable[str] | None = None,
    time_triggers: bool = True,
    time_conditions: Iterable[TimeCondition | str] | None = None,
    max_actions: int = 3,
) -> st.SearchStrategy[AutomationRule]:
    """Valid automation rules: an event or time trigger, one to ``max_actions`` actions.

    Args:
        event_types: the event types event triggers are drawn from (a set of
            customer, interaction, case, order, loyalty and activity events by
            default). Conditions are drawn over each type's own fields.
        time_triggers: whether time triggers are drawn too.
        time_conditions: the time conditions drawn (every one by default).
        max_actions: the most actions a rule asks for (1 to 20).

    Raises:
        ValidationError: an unknown event type or time condition, an empty
            ``event_types`` or ``time_conditions``, a ``max_actions`` out of range.
    """
    names = _event_type_names(event_types)
    with_time = _bool_arg(time_triggers, "$.time_triggers")
    conditions = _enum_choices(time_conditions, "$.time_conditions", TimeCondition)
    most = _int_arg(max_actions, "$.max_actions", minimum=1, maximum=20)
    triggers: st.SearchStrategy[Trigger] = _event_triggers(names)
    if with_time:
        triggers = triggers | _time_triggers(conditions)
    return st.builds(
        AutomationRule,
        _rule_keys(),
        triggers,
        st.lists(automation_actions(), min_size=1, max_size=most),
        st.booleans().map(lambda off: not off) | st.just(True),
    )


def _loop_free(rules: list[AutomationRule]) -> AutomationRules:
    kept: list[AutomationRule] = []
    keys: set[str] = set()
    for rule in rules:
        if rule.key in keys:
            continue
        try:
            AutomationRules([*kept, rule])
        except AutomationLoop:
            continue
        kept.append(rule)
        keys.add(rule.key)
    return AutomationRules(kept)


def rule_sets(
    *,
    event_types: Iterable[str] | None = None,
    time_triggers: bool = True,
    time_conditions: Iterable[TimeCondition | str] | None = None,
    max_rules: int = 6,
) -> st.SearchStrategy[AutomationRules]:
    """Loop-free :class:`~crmcore.automation.AutomationRules` of up to ``max_rules`` rules.

    Rules are drawn by :func:`automation_rules` and kept in order while they
    form no loop with those kept before (so a set is never empty of choice:
    it may hold fewer rules than drawn, or none).

    Raises:
        ValidationError: as :func:`automation_rules`; ``max_rules`` out of 0 to 50.
    """
    most = _int_arg(max_rules, "$.max_rules", minimum=0, maximum=50)
    rules = automation_rules(
        event_types=event_types, time_triggers=time_triggers, time_conditions=time_conditions
    )
    return st.lists(rules, max_size=most).map(_loop_free)


#: For each action class, one event type it leads to (see ACTION_EVENTS).
_PRODUCING: Final = {cls: names[0] for cls, names in ACTION_EVENTS.items() if names}


def _producing_action(event_type: str) -> st.SearchStrategy[Action]:
    """Actions that lead to ``event_type``."""
    if event_type == "CustomerTagAdded":
        return st.builds(AddTag, tags())
    if event_type == "CustomerTagRemoved":
        return st.builds(RemoveTag, tags())
    if event_type == "CustomerStageChanged":
        return st.builds(
            FireLifecycleTrigger, st.sampled_from(_DEFINITIONS), st.sampled_from(_TRIGGERS)
        )
    if event_type == "ActivityPlanned":
        return st.builds(
            CreateActivity,
            st.sampled_from(list(ActivityKind)),
            st.none(),
            st.just(timedelta(days=1)),
        )
    return st.builds(GrantLoyaltyBonus, st.integers(1, 100), st.sampled_from(_REASONS))


@st.composite
def _looping(draw: st.DrawFn, length: int, with_noise: bool) -> list[AutomationRule]:
    produced = sorted(set(_PRODUCING.values()))
    size = draw(st.integers(1, length))
    chain = [draw(st.sampled_from(produced)) for _ in range(size)]
    keys = draw(st.lists(_rule_keys(), min_size=size, max_size=size, unique=True))
    rules: list[AutomationRule] = []
    for index, event_type in enumerate(chain):
        following = chain[(index + 1) % size]
        extra = draw(st.lists(automation_actions(), max_size=2)) if with_noise else []
        actions = [*extra, draw(_producing_action(following))]
        rules.append(AutomationRule(keys[index], EventTrigger(event_type), actions))
    if with_noise:
        others = draw(st.lists(automation_rules(time_triggers=True), max_size=3))
        taken = set(keys)
        rules += [rule for rule in others if rule.key not in taken and not taken.add(rule.key)]  # type: ignore[func-returns-value]
        rules = draw(st.permutations(rules))
    return rules


def looping_rules(
    *, max_length: int = 4, noise: bool = True
) -> st.SearchStrategy[list[AutomationRule]]:
    """Lists of rules (unique keys) that hold a loop of 1 to ``max_length`` rules.

    Each rule on the cycle is triggered, without a condition, by an event
    type the previous rule's last action leads to; with ``noise`` the rules
    carry other actions too and other rules are mixed in, in any order.

    Raises:
        ValidationError: ``max_length`` out of 1 to 10.
    """
    length = _int_arg(max_length, "$.max_length", minimum=1, maximum=10)
    return _looping(length, _bool_arg(noise, "$.noise"))


def quiet_hours() -> st.SearchStrategy[QuietHours]:
    """Quiet hours (some spanning midnight) in UTC or fixed offsets."""
    times = st.builds(time, st.integers(0, 23), st.sampled_from((0, 15, 30, 45)))
    zones = st.sampled_from(("UTC", "+07:00", "+08:00", "-05:00", "+05:30"))
    return (
        st.tuples(times, times, zones).filter(lambda t: t[0] != t[1]).map(lambda t: QuietHours(*t))
    )


def automation_settings() -> st.SearchStrategy[AutomationSettings]:
    """Settings with or without quiet hours, and small limits sometimes."""
    return st.builds(
        AutomationSettings,
        quiet_hours=st.none() | quiet_hours(),
        default_language=st.sampled_from(("en", "id", "id-ID")),
        max_intents_per_run=st.sampled_from((1, 3, 1000)),
        max_events_per_run=st.sampled_from((2, 10_000)),
    )


def automation_ledgers(*, max_keys: int = 20) -> st.SearchStrategy[AutomationLedger]:
    """Ledgers holding up to ``max_keys`` keys of the engine's shape, produced in 2026."""
    most = _int_arg(max_keys, "$.max_keys", minimum=0, maximum=10_000)
    keys = st.builds(
        lambda rule, n, index: f"{rule}|customer:c-{n}#1|{index}",
        st.sampled_from(_RULE_WORDS),
        st.integers(1, 20),
        st.integers(0, 3),
    )
    moments = st.integers(0, 364 * 24).map(
        lambda hours: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
    )
    entries: st.SearchStrategy[dict[str, Any]] = st.dictionaries(keys, moments, max_size=most)
    return entries.map(AutomationLedger)

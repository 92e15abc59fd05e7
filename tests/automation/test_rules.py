"""Tests for `crmcore.automation._rules`, `_ruleset`, `_settings`, `_intents` and `_event_fields`."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CustomerId, InvalidType, ValidationError
from crmcore._kernel._ids import StaffId
from crmcore.activities import ActivityKind, ActivityPriority
from crmcore.automation import (
    ACTION_EVENTS,
    MAX_ACTIONS,
    MAX_RULES,
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
from crmcore.automation._event_fields import event_schema, event_values, known_event_types
from crmcore.automation._ruleset import find_cycle, successors
from crmcore.automation._settings import zone_named
from crmcore.customers import Channel, CustomerStageChanged, CustomerTagAdded, Purpose
from crmcore.events import event_types
from crmcore.segmentation import field
from crmcore.testing.strategies._automation import automation_ledgers

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- triggers and actions ----------------------------------------------------------------


def test_event_trigger_checks_type_and_condition() -> None:
    """Unknown event types and conditions on fields the event lacks are refused with a path."""
    assert "CaseOpened" == EventTrigger("CaseOpened", field("priority") == "high").event_type
    cases: list[tuple[object, object, str, str]] = [
        ("NoSuchEvent", None, "$.event_type", "unknown_event_type"),
        ("not a name", None, "$.event_type", "event_type"),
        ("CaseOpened", field("subject") == "x", "$.condition.field", "unknown_field"),
        ("CaseOpened", field("priority") >= 3, "$.condition.value", "type_mismatch"),
    ]
    for event_type, condition, path, code in cases:
        with pytest.raises(ValidationError) as caught:
            EventTrigger(event_type, condition)
        assert (path, code) == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        EventTrigger(42)
    with pytest.raises(InvalidType):
        EventTrigger("CaseOpened", "priority == high")


def test_time_trigger_bounds() -> None:
    """Amounts outside the condition's bounds are refused."""
    assert TimeCondition.TASK_OVERDUE == TimeTrigger("task_overdue", 0).condition
    with pytest.raises(ValidationError):
        TimeTrigger("no_purchase_for", 0)
    with pytest.raises(ValidationError):
        TimeTrigger("sometime", 3)
    with pytest.raises(InvalidType):
        TimeTrigger("birthday_in", True)


def test_actions_normalize_and_refuse() -> None:
    """Actions normalize what they can (tags, enums) and refuse the rest with a path."""
    assert "vip" == AddTag("  VIP ").tag
    assert "vip" == RemoveTag("Vip").tag
    activity = CreateActivity("call", None, timedelta(hours=2), priority="high")
    assert (ActivityKind.CALL, ActivityPriority.HIGH) == (activity.kind, activity.priority)
    assert (
        StaffId("s-1")
        == CreateActivity("task", None, timedelta(0), assign_to=StaffId("s-1")).assign_to
    )
    message = SendMessage("welcome", "sms", "service")
    assert (Channel.SMS, Purpose.SERVICE) == (message.channel, message.purpose)
    bad: list[tuple[object, str]] = [
        (lambda: CreateActivity("lunch", None, timedelta(0)), "$.kind"),
        (lambda: CreateActivity("task", None, timedelta(days=-1)), "$.due_in"),
        (lambda: CreateActivity("task", None, timedelta(days=4000)), "$.due_in"),
        (lambda: CreateActivity("task", None, timedelta(seconds=30)), "$.due_in"),
        (lambda: CreateActivity("task", None, 30), "$.due_in"),  # type: ignore[arg-type]
        (lambda: CreateActivity("task", "Bad Key", timedelta(0)), "$.subject_template"),
        (lambda: CreateActivity("task", None, timedelta(0), priority="asap"), "$.priority"),
        (lambda: CreateActivity("task", None, timedelta(0), assign_to="boss"), "$.assign_to"),
        (lambda: CreateActivity("task", None, timedelta(0), assign_to=7), "$.assign_to"),
        (lambda: SendMessage("welcome", "pigeon", "service"), "$.channel"),
        (lambda: SendMessage("x" * 65, "email", "service"), "$.template_key"),
        (lambda: SendMessage(3, "email", "service"), "$.template_key"),
        (lambda: NotifyOwner("Welcome!"), "$.template_key"),
        (lambda: FireLifecycleTrigger("Ladder", "x"), "$.definition"),
        (lambda: FireLifecycleTrigger("ladder", "X Y"), "$.trigger"),
        (lambda: GrantLoyaltyBonus(0, "birthday"), "$.points"),
        (lambda: GrantLoyaltyBonus(10, "happy birthday"), "$.reason"),
        (lambda: AddTag(""), "$.tag"),
    ]
    for build, path in bad:
        with pytest.raises(ValidationError) as caught:
            build()  # type: ignore[operator]
        assert path == caught.value.path


def test_rule_checks() -> None:
    """A rule needs a snake_case key, a trigger and 1 to MAX_ACTIONS actions."""
    trigger = EventTrigger("CustomerRegistered")
    rule = AutomationRule("welcome", trigger, [AddTag("new")], description="  Greets  new people ")
    assert "Greets new people" == rule.description
    assert "Greets" not in repr(rule)
    assert "CustomerRegistered" == rule.event_type
    assert AutomationRule("t", TimeTrigger("birthday_in", 1), [AddTag("x")]).event_type is None
    bad: list[tuple[object, str]] = [
        (lambda: AutomationRule("Welcome", trigger, [AddTag("x")]), "$.key"),
        (lambda: AutomationRule("w", "CustomerRegistered", [AddTag("x")]), "$.trigger"),
        (lambda: AutomationRule("w", trigger, []), "$.actions"),
        (lambda: AutomationRule("w", trigger, [AddTag("x")] * (MAX_ACTIONS + 1)), "$.actions"),
        (lambda: AutomationRule("w", trigger, "add_tag"), "$.actions"),
        (lambda: AutomationRule("w", trigger, ["add_tag"]), "$.actions[0]"),
        (lambda: AutomationRule("w", trigger, [AddTag("x")], enabled="yes"), "$.enabled"),  # type: ignore[arg-type]
        (lambda: AutomationRule("w", trigger, [AddTag("x")], description="\x00"), "$.description"),
    ]
    for build, path in bad:
        with pytest.raises(ValidationError) as caught:
            build()  # type: ignore[operator]
        assert path == caught.value.path


# -- rule sets and loops -----------------------------------------------------------------


def _on(event_type: str, key: str, *actions: object, condition: object = None) -> AutomationRule:
    return AutomationRule(key, EventTrigger(event_type, condition), list(actions))


def test_loops_direct_and_through_other_rules() -> None:
    """A rule triggering itself, or a cycle of rules, is refused naming the rules in order."""
    with pytest.raises(AutomationLoop) as direct:
        AutomationRules(
            [_on("CustomerStageChanged", "promote", FireLifecycleTrigger("ladder", "up"))]
        )
    assert ("promote", "promote") == direct.value.cycle
    assert "automation_loop" == direct.value.code
    chain = [
        _on("CustomerRegistered", "start", AddTag("x")),
        _on("CustomerTagAdded", "a", CreateActivity("task", None, timedelta(0))),
        _on("ActivityPlanned", "b", GrantLoyaltyBonus(5, "bonus")),
        _on("LoyaltyPointsEarned", "c", AddTag("y")),
    ]
    with pytest.raises(AutomationLoop) as through:
        AutomationRules(chain)
    assert ("a", "b", "c", "a") == through.value.cycle
    assert "a -> b -> c -> a" in str(through.value)
    restored = pickle.loads(pickle.dumps(through.value))  # noqa: S301 - our own error
    assert through.value.cycle == restored.cycle


def test_conditions_and_disabled_rules_break_loops() -> None:
    """A condition that cannot hold for what the action decides breaks the link; so does disabling."""
    AutomationRules(
        [_on("CustomerTagAdded", "gold", AddTag("gold"), condition=field("tag") == "vip")]
    )
    with pytest.raises(AutomationLoop):
        AutomationRules(
            [_on("CustomerTagAdded", "gold", AddTag("gold"), condition=field("tag") == "gold")]
        )
    # A condition on a field the action does not decide may hold: the loop is reported.
    with pytest.raises(AutomationLoop):
        AutomationRules(
            [
                _on(
                    "CustomerTagAdded",
                    "gold",
                    AddTag("gold"),
                    condition=field("customer_id") == "c-1",
                )
            ]
        )
    looping = _on("CustomerTagAdded", "off", AddTag("x"))
    AutomationRules([AutomationRule(looping.key, looping.trigger, looping.actions, enabled=False)])
    # Messages and notifications lead to no event.
    AutomationRules(
        [_on("CustomerRegistered", "hi", SendMessage("w", "email", "service"), NotifyOwner("n"))]
    )


def test_action_events_name_real_event_types() -> None:
    """Every event type an action leads to is a registered domain event."""
    names = set(event_types())
    for produced in ACTION_EVENTS.values():
        assert set(produced) <= names


def test_rule_set_checks_and_queries() -> None:
    """Keys are unique, the size is bounded; queries find rules by key, event type and time."""
    welcome = _on("CustomerRegistered", "welcome", AddTag("new"))
    birthday = AutomationRule("birthday", TimeTrigger("birthday_in", 7), [AddTag("bday")])
    rules = AutomationRules([welcome, birthday])
    assert 2 == len(rules)
    assert [welcome, birthday] == list(rules)
    assert "welcome" in rules
    assert "nothing" not in rules
    assert welcome == rules.get("welcome")
    assert rules.get("nothing") is None
    assert (welcome,) == rules.for_event("CustomerRegistered")
    assert (birthday,) == rules.timed()
    assert "AutomationRules(rules=['welcome', 'birthday'])" == repr(rules)
    with pytest.raises(ValidationError) as duplicate:
        AutomationRules([welcome, welcome])
    assert ("$.rules[1].key", "duplicate") == (duplicate.value.path, duplicate.value.code)
    with pytest.raises(ValidationError) as many:
        AutomationRules(
            AutomationRule(f"r{n}", TimeTrigger("birthday_in", 1), [AddTag("x")])
            for n in range(MAX_RULES + 1)
        )
    assert "too_many" == many.value.code
    with pytest.raises(InvalidType):
        AutomationRules("welcome")  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        AutomationRules(["welcome"])  # type: ignore[list-item]


def test_find_cycle_on_a_long_chain_needs_no_recursion() -> None:
    """Cycle search is iterative: a chain of 20,000 rules is searched without recursion."""
    size = 20_000
    graph: dict[str, tuple[str, ...]] = {f"r{n}": (f"r{n + 1}",) for n in range(size)}
    graph[f"r{size}"] = ()
    assert find_cycle(graph) is None
    graph[f"r{size}"] = ("r0",)
    cycle = find_cycle(graph)
    assert cycle is not None
    assert size + 2 == len(cycle)
    assert {} == successors(())


# -- settings ----------------------------------------------------------------------------


def test_quiet_hours_within_one_day_and_across_midnight() -> None:
    """Quiet hours include the start and not the end; across midnight they wrap."""
    lunch = QuietHours(time(12, 0), time(13, 0))
    assert lunch.contains(AT.replace(hour=12))
    assert not lunch.contains(AT.replace(hour=13))
    assert AT.replace(hour=13) == lunch.ends_after(AT.replace(hour=12, minute=30))
    assert AT == lunch.ends_after(AT)
    night = QuietHours(time(21, 0), time(8, 0), ZoneInfo("Asia/Jakarta"))
    assert "Asia/Jakarta" == night.time_zone
    early = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 07:30 in Jakarta
    assert night.contains(early)
    assert datetime(2026, 3, 2, 1, 0, tzinfo=UTC) == night.ends_after(early)
    with pytest.raises(ValidationError):
        QuietHours(time(8, 0), time(8, 0))
    with pytest.raises(ValidationError):
        QuietHours(time(8, 0, tzinfo=UTC), time(9, 0))
    with pytest.raises(InvalidType):
        QuietHours("08:00", time(9, 0))  # type: ignore[arg-type]


def test_zone_names() -> None:
    """Zones are UTC, fixed offsets, IANA names or tzinfos; others are refused."""
    assert "UTC" == zone_named("UTC")[0]
    assert "-05:30" == zone_named("-05:30")[0]
    assert "+07:00" == zone_named(timezone(timedelta(hours=7)))[0]
    assert "UTC" == zone_named(UTC)[0]
    for bad in ("+25:00", "Mars/Olympus", "../etc", "x" * 70):
        with pytest.raises(ValidationError):
            zone_named(bad)
    with pytest.raises(ValidationError):
        zone_named(timezone(timedelta(seconds=30)))
    with pytest.raises(InvalidType):
        zone_named(7)


def test_settings_checks() -> None:
    """Settings check their types and bounds."""
    assert "id-ID" == AutomationSettings(default_language="id-id").default_language
    bad: list[dict[str, object]] = [
        {"quiet_hours": "night"},
        {"default_language": 3},
        {"default_language": "not a language"},
        {"max_intents_per_run": 0},
        {"max_events_per_run": True},
    ]
    for arguments in bad:
        with pytest.raises(ValidationError):
            AutomationSettings(**arguments)  # type: ignore[arg-type]


# -- the ledger --------------------------------------------------------------------------


def test_ledger_keeps_the_newest_within_its_limit() -> None:
    """Adding beyond max_keys drops the oldest keys; pruning drops those before a time."""
    ledger = AutomationLedger(max_keys=2)
    ledger = ledger.with_keys(["a"], AT).with_keys(["b"], AT + timedelta(hours=1))
    ledger = ledger.with_keys(["c", "b"], AT + timedelta(hours=2))
    assert {"b", "c"} == set(ledger.entries)
    assert AT + timedelta(hours=1) == ledger.entries["b"]  # kept its first time
    assert {"c"} == set(ledger.pruned(before=AT + timedelta(hours=2)).entries)
    assert "AutomationLedger(keys=2, max_keys=2)" == repr(ledger)
    assert AutomationLedger.from_dict(ledger.to_dict()) == ledger
    with pytest.raises(ValidationError):
        AutomationLedger(max_keys=0)
    with pytest.raises(InvalidType):
        AutomationLedger(max_keys="2")  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        AutomationLedger().with_keys([3], AT)  # type: ignore[list-item]
    with pytest.raises(InvalidType):
        AutomationLedger([("a", AT)])
    with pytest.raises(InvalidType):
        AutomationLedger({3: AT})
    with pytest.raises(ValidationError):
        AutomationLedger({"a": datetime(2026, 1, 1)})  # noqa: DTZ001


def _model_with_keys(
    model: dict[str, datetime], keys: list[str], at: datetime, max_keys: int
) -> dict[str, datetime]:
    """The documented rule, written plainly: first time kept; beyond max_keys the oldest go."""
    grown = dict(model)
    for key in keys:
        grown.setdefault(key, at)
    newest = sorted(grown.items(), key=lambda item: (item[1], item[0]))[-max_keys:]
    return dict(newest)


@given(
    automation_ledgers(max_keys=8),
    st.lists(
        st.tuples(
            st.lists(st.sampled_from("abcdefghijklmnop"), max_size=6),
            st.integers(0, 72).map(lambda hours: AT + timedelta(hours=hours)),
        ),
        max_size=12,
    ),
    st.integers(1, 12),
)
def test_ledger_with_keys_follows_the_documented_rule(
    start: AutomationLedger, batches: list[tuple[list[str], datetime]], max_keys: int
) -> None:
    """Runs of with_keys hold what a plain dict model holds, and earlier ledgers never change."""
    entries = dict(start.entries)
    if len(entries) > max_keys:
        entries = dict(sorted(entries.items(), key=lambda item: (item[1], item[0]))[-max_keys:])
    ledger = AutomationLedger(entries, max_keys=max_keys)
    model = dict(entries)
    history = [(ledger, dict(model))]
    for keys, at in batches:
        ledger = ledger.with_keys(keys, at)
        model = _model_with_keys(model, keys, at, max_keys)
        history.append((ledger, dict(model)))
    for seen, expected in history:
        assert expected == dict(seen.entries)
        assert sorted(expected) == list(seen.entries)
        assert len(expected) == len(seen)
        assert all(key in seen for key in expected)
        assert seen == AutomationLedger(expected, max_keys=max_keys)
        assert hash(seen) == hash(AutomationLedger(expected, max_keys=max_keys))


def test_ledger_holds_more_keys_than_a_frozen_map_and_refuses_more_than_max_keys() -> None:
    """A ledger may hold up to its max_keys (beyond 100,000); a document over max_keys is refused."""
    count = 100_001
    keys = [f"r|customer:c-{n}#1|0" for n in range(count)]
    big = AutomationLedger(max_keys=count).with_keys(keys, AT)
    assert count == len(big)
    assert keys[0] in big
    assert keys[-1] in big
    with pytest.raises(ValidationError) as caught:
        AutomationLedger({"a": AT, "b": AT, "c": AT}, max_keys=2)
    assert ("$.entries", "too_many") == (caught.value.path, caught.value.code)


# -- event fields ------------------------------------------------------------------------


def test_every_event_type_has_a_schema_with_the_envelope() -> None:
    """Every registered event type yields a schema holding the envelope fields."""
    for cls in known_event_types().values():
        schema = event_schema(cls)
        assert {"event_id", "aggregate_kind", "aggregate_id", "sequence", "occurred_at"} <= set(
            schema
        )


def test_event_values_flatten_ids_enums_and_tuples() -> None:
    """Ids become text, enums their value, None fields are left out."""
    event = CustomerStageChanged(
        sequence=4,
        occurred_at=AT,
        customer_id=CustomerId("c-1"),
        definition="ladder",
        from_stage=None,
        to_stage="member",
        trigger="join",
    )
    values = event_values(event)
    assert "c-1" == values["customer_id"]
    assert "from_stage" not in values
    assert "customer" == values["aggregate_kind"]
    tagged = event_values(
        CustomerTagAdded(sequence=1, occurred_at=AT, customer_id=CustomerId("c-2"), tag="x")
    )
    assert AT == tagged["occurred_at"]

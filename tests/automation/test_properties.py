"""Property tests for `crmcore.automation`: idempotency, consent, quiet hours, documents, loops."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer
from crmcore.automation import (
    AutomationLedger,
    AutomationLoop,
    AutomationRule,
    AutomationRules,
    AutomationSettings,
    EventTrigger,
    MessageIntent,
    QuietHours,
    SendMessage,
    SkipReason,
    rules_from_dict,
    rules_to_dict,
    run_at,
    run_on_events,
)
from crmcore.automation._event_fields import event_values
from crmcore.automation._ruleset import successors
from crmcore.errors import DuplicateKey
from crmcore.events import DomainEvent
from crmcore.repository import InMemoryUnitOfWork
from crmcore.testing.strategies import aware_datetimes, customers, domain_events
from crmcore.testing.strategies._automation import (
    automation_ledgers,
    automation_settings,
    looping_rules,
    message_actions,
    quiet_hours,
    rule_sets,
)

_SOON = {
    "min_value": datetime(2026, 1, 1, tzinfo=UTC),
    "max_value": datetime(2027, 1, 1, tzinfo=UTC),
}
#: The time conditions that need nothing beyond customers, orders, subscriptions and cases.
_TIME_CONDITIONS = ("birthday_in", "subscription_due_in", "no_purchase_for")


def _stored(unit: InMemoryUnitOfWork, drawn: list[Customer]) -> dict[object, Customer]:
    kept: dict[object, Customer] = {}
    with unit:
        for customer in drawn:
            try:
                unit.customers.add(customer)
            except DuplicateKey:  # two drawn customers share an email address
                continue
            kept[customer.id] = customer
        unit.commit()
    return kept


_people = st.lists(
    customers(max_created_at=datetime(2026, 1, 1, tzinfo=UTC)), max_size=3, unique_by=lambda c: c.id
)


def _run_to_the_end(  # noqa: PLR0917 - the run's arguments, as the engine takes them
    rules: AutomationRules,
    events: list[DomainEvent],
    unit: InMemoryUnitOfWork,
    at: datetime,
    settings: AutomationSettings,
    ledger: AutomationLedger,
) -> tuple[list[object], AutomationLedger]:
    """Run as an application would: again, on the events left, until a run completes."""
    produced: list[object] = []
    remaining = events
    budget = len(events) + sum(len(r.actions) for r in rules) * (len(events) + 1) + 2
    for _ in range(budget):
        result = run_on_events(rules, remaining, unit=unit, at=at, ledger=ledger, settings=settings)
        produced += result.intents
        ledger = result.ledger
        if result.complete:
            return produced, ledger
        remaining = remaining[result.processed :]
    raise AssertionError("the runs never completed")


@given(
    _people,
    rule_sets(time_triggers=False),
    automation_settings(),
    automation_ledgers(),
    st.lists(domain_events(), max_size=3),
    aware_datetimes(**_SOON),
)
def test_a_second_run_yields_no_intent_and_messages_respect_consent(  # noqa: PLR0917 - drawn
    drawn: list[Customer],
    rules: AutomationRules,
    settings: AutomationSettings,
    ledger: AutomationLedger,
    extra: list[DomainEvent],
    at: datetime,
) -> None:
    """Run over the events until done; running again yields nothing; every message is allowed."""
    unit = InMemoryUnitOfWork()
    people = _stored(unit, drawn)
    events = [event for customer in people.values() for event in customer.pending_events] + extra
    with unit:
        produced, final = _run_to_the_end(rules, events, unit, at, settings, ledger)
        again = run_on_events(rules, events, unit=unit, at=at, ledger=final, settings=settings)
    assert () == again.intents
    keys = [intent.key for intent in produced]  # type: ignore[attr-defined]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(ledger.entries)
    assert set(keys) <= set(final.entries)
    quiet = settings.quiet_hours
    for intent in produced:
        if isinstance(intent, MessageIntent):
            customer = people[intent.customer_id]
            assert customer.may_contact(intent.channel, intent.purpose, at=intent.at)
            assert quiet is None or not quiet.contains(intent.at)
    for skip in again.skipped:
        assert skip.key not in final


@given(
    _people,
    st.lists(message_actions(), min_size=1, max_size=4),
    st.none() | quiet_hours(),
    aware_datetimes(**_SOON),
)
def test_messages_go_out_exactly_when_consent_and_the_hour_allow(
    drawn: list[Customer], actions: list[SendMessage], quiet: QuietHours | None, at: datetime
) -> None:
    """A message intent is emitted if and only if consent allows it, outside quiet hours."""
    rules = AutomationRules(
        [
            AutomationRule("on_register", EventTrigger("CustomerRegistered"), actions),
            AutomationRule("on_consent", EventTrigger("CustomerConsentGiven"), actions),
        ]
    )
    unit = InMemoryUnitOfWork()
    people = _stored(unit, drawn)
    events = [event for customer in people.values() for event in customer.pending_events]
    with unit:
        result = run_on_events(
            rules, events, unit=unit, at=at, settings=AutomationSettings(quiet_hours=quiet)
        )
    quiet_now = quiet is not None and quiet.contains(at)
    for intent in result.intents:
        assert isinstance(intent, MessageIntent)
        customer = people[intent.customer_id]
        assert customer.may_contact(intent.channel, intent.purpose, at=at)
        assert not quiet_now
    for skip in result.skipped:
        customer = people[skip.customer_id]
        action = actions[skip.action_index]  # type: ignore[index]
        allowed = customer.may_contact(action.channel, action.purpose, at=at)
        if skip.reason is SkipReason.NO_CONSENT:
            assert not allowed
        elif skip.reason is SkipReason.QUIET_HOURS:
            assert allowed
            assert quiet is not None
            assert quiet_now
            assert skip.not_before == quiet.ends_after(at)
        else:
            assert SkipReason.NO_CONTACT_POINT == skip.reason
            assert not customer.contact_points_on(action.channel)


@given(
    _people,
    rule_sets(event_types=["CustomerRegistered"], time_triggers=False),
    aware_datetimes(**_SOON),
)
def test_without_limits_one_run_is_enough_and_nothing_is_skipped_silently(
    drawn: list[Customer], rules: AutomationRules, at: datetime
) -> None:
    """Every triggered action of every registration yields an intent or a skip with a reason."""
    unit = InMemoryUnitOfWork()
    people = _stored(unit, drawn)
    events = [event for customer in people.values() for event in customer.pending_events]
    with unit:
        result = run_on_events(rules, events, unit=unit, at=at)
    registered = [event for event in events if event.type == "CustomerRegistered"]
    expected = 0
    for rule in rules.for_event("CustomerRegistered"):
        assert isinstance(rule.trigger, EventTrigger)
        condition = rule.trigger.condition
        for event in registered:
            if condition is None or condition.matches(event_values(event), at=at):
                expected += len(rule.actions)
    assert expected == len(result.intents) + len(result.skipped)
    assert result.complete
    assert all(skip.reason is not SkipReason.RUN_LIMIT for skip in result.skipped)


@given(
    _people,
    rule_sets(time_conditions=_TIME_CONDITIONS),
    automation_settings(),
    aware_datetimes(**_SOON),
)
def test_time_runs_are_idempotent(
    drawn: list[Customer], rules: AutomationRules, settings: AutomationSettings, at: datetime
) -> None:
    """Running the time rules again at the same time, with the ledger, yields no intent."""
    unit = InMemoryUnitOfWork()
    people = _stored(unit, drawn)
    ledger = AutomationLedger()
    with unit:
        for _ in range(50):
            result = run_at(rules, at=at, unit=unit, ledger=ledger, settings=settings)
            ledger = result.ledger
            for intent in result.intents:
                if isinstance(intent, MessageIntent):
                    customer = people[intent.customer_id]
                    assert customer.may_contact(intent.channel, intent.purpose, at=at)
            if result.complete:
                break
        again = run_at(rules, at=at, unit=unit, ledger=ledger, settings=settings)
    assert () == again.intents


@given(rule_sets())
def test_documents_round_trip(rules: AutomationRules) -> None:
    """rules_from_dict(rules_to_dict(rules)) through JSON text gives the same rules."""
    text = json.dumps(rules_to_dict(rules))
    assert rules == rules_from_dict(json.loads(text))


@given(looping_rules())
def test_loops_are_always_detected(rules: list[AutomationRule]) -> None:
    """Any set holding a cycle is refused, and the cycle reported is a real path of triggers."""
    try:
        AutomationRules(rules)
    except AutomationLoop as caught:
        cycle = caught.cycle
    else:
        raise AssertionError("the loop was not detected")
    assert cycle[0] == cycle[-1]
    graph = successors(tuple(rules))
    for here, there in itertools.pairwise(cycle):
        assert there in graph[here]

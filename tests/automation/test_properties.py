"""Property tests for `crmcore.automation`: idempotency, consent, quiet hours, documents, loops."""

from __future__ import annotations

import calendar
import itertools
import json
from datetime import UTC, date, datetime, timedelta

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
    Skipped,
    SkipReason,
    TimeTrigger,
    rules_from_dict,
    rules_to_dict,
    run_at,
    run_on_events,
)
from crmcore.automation._event_fields import event_values
from crmcore.automation._rules import Action
from crmcore.automation._ruleset import successors
from crmcore.errors import DuplicateKey
from crmcore.events import DomainEvent
from crmcore.repository import InMemoryUnitOfWork
from crmcore.testing.strategies import aware_datetimes, customers, domain_events
from crmcore.testing.strategies._automation import (
    automation_actions,
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
    """A message goes out exactly when consent and processing decisions allow, outside quiet hours."""
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
        assert customer.processing_decision("automation", at=at)
        assert not quiet_now
    for skip in result.skipped:
        customer = people[skip.customer_id]
        action = actions[skip.action_index]  # type: ignore[index]
        allowed = customer.may_contact(action.channel, action.purpose, at=at)
        decision = customer.processing_decision("automation", at=at)
        if decision and action.purpose == "marketing":
            decision = customer.processing_decision("marketing", at=at)
        if not decision:  # a restriction or objection comes before consent
            assert decision.reason == skip.reason.value
        elif skip.reason is SkipReason.NO_CONSENT:
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


def _next_birthday(born: date, on_or_after: date) -> date:
    """The first birthday at or after ``on_or_after`` (29 February: 28 February in common years)."""
    for year in (on_or_after.year, on_or_after.year + 1):
        day = 28 if (born.month, born.day) == (2, 29) and not calendar.isleap(year) else born.day
        candidate = date(year, born.month, day)
        if candidate >= on_or_after:
            return candidate
    raise AssertionError("unreachable: a birthday comes within a year")


def _run_day(
    rules: AutomationRules,
    unit: InMemoryUnitOfWork,
    at: datetime,
    settings: AutomationSettings,
    ledger: AutomationLedger,
) -> tuple[list[object], list[Skipped], AutomationLedger]:
    """run_at again and again at ``at``, as a scheduler would after a run_limit, until complete."""
    produced: list[object] = []
    skipped: list[Skipped] = []
    for _ in range(200):
        result = run_at(rules, at=at, unit=unit, ledger=ledger, settings=settings)
        produced += result.intents
        skipped += result.skipped
        ledger = result.ledger
        if result.complete:
            return produced, skipped, ledger
    raise AssertionError("the runs at one time never completed")


@given(
    _people.filter(lambda people: any(c.profile.birth_date is not None for c in people)),
    rule_sets(time_conditions=_TIME_CONDITIONS, max_rules=3),
    st.lists(automation_actions(), min_size=1, max_size=3),
    automation_settings(),
    aware_datetimes(**_SOON),
    st.integers(1, 6),
    st.data(),
)
def test_daily_time_runs_are_idempotent_across_days_and_cut_short_runs(  # noqa: PLR0917
    drawn: list[Customer],
    noise: AutomationRules,
    actions: list[Action],
    settings: AutomationSettings,
    start: datetime,
    days: int,
    data: st.DataObject,
) -> None:
    """Run the time rules once a day (to completion after run limits), then replay every day.

    A birthday rule is aimed at a drawn customer's birthday within the days run,
    so occasions really fire. No idempotency key comes out twice over the days;
    replaying any day with the final ledger yields no intent; every message
    intent is allowed by consent and falls outside quiet hours.
    """
    unit = InMemoryUnitOfWork()
    people = _stored(unit, drawn)
    born = next(c for c in people.values() if c.profile.birth_date is not None).profile.birth_date
    assert born is not None
    first_day = start.date()
    birthday = _next_birthday(born, max(first_day, born + timedelta(days=1)))  # not the birth
    offset = data.draw(st.integers(0, min(days - 1, (birthday - first_day).days)))
    probe = AutomationRule(
        "bday_probe", TimeTrigger("birthday_in", (birthday - first_day).days - offset), actions
    )
    rules = AutomationRules([*noise, probe])
    runs = [start + timedelta(days=n) for n in range(days)]
    ledger = AutomationLedger()
    produced: list[object] = []
    skipped: list[Skipped] = []
    with unit:
        for at in runs:
            intents, skips, ledger = _run_day(rules, unit, at, settings, ledger)
            produced += intents
            skipped += skips
        replays = [run_at(rules, at=at, unit=unit, ledger=ledger, settings=settings) for at in runs]
    keys = [intent.key for intent in produced]  # type: ignore[attr-defined]
    assert len(keys) == len(set(keys))
    assert all(key in ledger for key in keys)
    for replay in replays:
        assert () == replay.intents
    assert any(getattr(i, "rule_key", None) == "bday_probe" for i in produced) or any(
        s.rule_key == "bday_probe" for s in skipped
    )
    quiet = settings.quiet_hours
    for intent in produced:
        if isinstance(intent, MessageIntent):
            customer = people[intent.customer_id]
            assert customer.may_contact(intent.channel, intent.purpose, at=intent.at)
            assert quiet is None or not quiet.contains(intent.at)


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

"""Tests for `crmcore.automation._engine`: restricted and objecting customers get no messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.automation import (
    AddTag,
    AddTagIntent,
    AutomationRule,
    AutomationRules,
    EventTrigger,
    MessageIntent,
    SendMessage,
    SkipReason,
    TimeTrigger,
    run_at,
    run_on_events,
)
from crmcore.customers import ProcessingPurpose, Purpose
from crmcore.customers._privacy import PROCESSING_REASONS
from crmcore.errors import DuplicateKey
from crmcore.repository import InMemoryUnitOfWork
from crmcore.testing.strategies import customers
from crmcore.testing.strategies._automation import message_actions

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_CHANGES = ("restricted", "profiling", "direct_marketing", "erased")
#: The skip reasons a processing decision gives.
_PRIVACY_SKIPS = frozenset(
    {
        SkipReason.PROCESSING_RESTRICTED,
        SkipReason.OBJECTED_TO_DIRECT_MARKETING,
        SkipReason.OBJECTED_TO_PROFILING,
        SkipReason.ERASED,
    }
)


def _changed(customer: Customer, change: str, at: datetime) -> Customer:
    if change == "restricted":
        return customer.restrict_processing(at=at, reason="accuracy_contested")
    if change == "erased":
        return customer.anonymise(at=at)
    return customer.object_to(change, at=at)


@st.composite
def privacy_customers(draw: st.DrawFn) -> tuple[Customer, Customer]:
    """A shipped customer (with its pending events), and it maybe restricted, objecting, erased."""
    before = customer = draw(customers(max_created_at=T0))
    changes = draw(st.lists(st.sampled_from(_CHANGES), unique=True, max_size=2))
    when = customer.updated_at
    for change in sorted(changes, key=_CHANGES.index):
        if change == "erased" and customer.privacy.legal_holds:
            continue  # a legal hold blocks erasure
        when += timedelta(hours=draw(st.integers(0, 72)))
        customer = _changed(customer, change, when)
    return before, customer


_pairs = st.lists(privacy_customers(), max_size=4, unique_by=lambda pair: pair[0].id)


def _stored(unit: InMemoryUnitOfWork, drawn: list[Customer]) -> dict[CustomerId, Customer]:
    kept: dict[CustomerId, Customer] = {}
    with unit:
        for customer in drawn:
            try:
                unit.customers.add(customer)
            except DuplicateKey:  # two drawn customers share an email address
                continue
            kept[customer.id] = customer
        unit.commit()
    return kept


def _denial(customer: Customer, purpose: Purpose, at: datetime) -> str | None:
    """The reason a message of ``purpose`` is refused by the customer's decisions, or None."""
    decision = customer.processing_decision(ProcessingPurpose.AUTOMATION, at=at)
    if decision and purpose is Purpose.MARKETING:
        decision = customer.processing_decision(ProcessingPurpose.MARKETING, at=at)
    return None if decision else decision.reason


def _run(people: list[Customer], rules: AutomationRules, at: datetime):
    unit = InMemoryUnitOfWork()
    stored = _stored(unit, people)
    events = [
        e for c in stored.values() for e in c.pending_events if e.type == "CustomerRegistered"
    ]
    with unit:
        return stored, run_on_events(rules, events, unit=unit, at=at)


@given(_pairs, st.lists(message_actions(), min_size=1, max_size=3), st.integers(0, 200))
def test_no_message_goes_to_a_denied_customer_and_every_denial_says_why(
    pairs: list[tuple[Customer, Customer]], actions: list[SendMessage], hours: int
) -> None:
    """Messages go only where the decisions allow; each denial is one skip with its reason."""
    drawn = [after for _, after in pairs]
    at = max((c.updated_at for c in drawn), default=T0) + timedelta(hours=hours)
    rules = AutomationRules([AutomationRule("hello", EventTrigger("CustomerRegistered"), actions)])
    people, result = _run(drawn, rules, at)
    for intent in result.intents:
        assert isinstance(intent, MessageIntent)
        assert _denial(people[intent.customer_id], intent.purpose, at) is None
    skipped = {(s.customer_id, s.action_index): s for s in result.skipped}
    assert len(skipped) == len(result.skipped)  # one reason per message refused
    for (customer_id, index), skip in skipped.items():
        reason = _denial(people[customer_id], actions[index].purpose, at)
        if skip.reason in _PRIVACY_SKIPS:
            assert reason == skip.reason.value
        else:
            assert reason is None
    for customer_id, customer in people.items():
        for index, action in enumerate(actions):
            if _denial(customer, action.purpose, at) is not None:
                assert (customer_id, index) in skipped


@given(_pairs, st.lists(message_actions(), min_size=1, max_size=3))
def test_customers_the_decisions_allow_get_what_they_got_before(
    pairs: list[tuple[Customer, Customer]], actions: list[SendMessage]
) -> None:
    """Run over the customers before their privacy commands, then after: allowed ones match."""
    drawn = [after for _, after in pairs]
    at = max((c.updated_at for c in drawn), default=T0) + timedelta(days=1)
    rules = AutomationRules([AutomationRule("hello", EventTrigger("CustomerRegistered"), actions)])
    people, result = _run(drawn, rules, at)
    earlier, before = _run([b for b, _ in pairs], rules, at)
    both = people.keys() & earlier.keys()  # drawn customers may share an email address
    denied = {
        (c.id, i)
        for c in people.values()
        for i, a in enumerate(actions)
        if _denial(c, a.purpose, at) is not None
    }
    assert [
        i
        for i in before.intents
        if i.customer_id in both and (i.customer_id, i.action_index) not in denied
    ] == [i for i in result.intents if i.customer_id in both]
    assert [
        s
        for s in before.skipped
        if s.customer_id in both and (s.customer_id, s.action_index) not in denied
    ] == [s for s in result.skipped if s.customer_id in both and s.reason not in _PRIVACY_SKIPS]


def _ana() -> Customer:
    return Customer.register(
        CustomerId("c-ana"),
        name=PersonName("Ana"),
        contact_points=[ContactPoint("email", "ana@example.co.id")],
        at=T0,
    ).give_consent("email", "marketing", at=T0, source="signup-form")


_WELCOME = AutomationRules(
    [
        AutomationRule(
            "welcome",
            EventTrigger("CustomerRegistered"),
            [SendMessage("welcome", "email", "marketing"), AddTag("new")],
        )
    ]
)


def test_a_restricted_customer_gets_no_message_until_the_restriction_is_lifted() -> None:
    """The skip is not in the ledger nor a retry cause; lifted, the same event sends."""
    ana = _ana()
    registered = [e for e in ana.pending_events if e.type == "CustomerRegistered"]
    restricted = ana.restrict_processing(at=T0, reason="accuracy_contested")
    at = T0 + timedelta(hours=1)
    unit = InMemoryUnitOfWork()
    with unit:
        unit.customers.add(restricted)
        unit.commit()
    with unit:
        first = run_on_events(_WELCOME, registered, unit=unit, at=at)
    assert [SkipReason.PROCESSING_RESTRICTED] == [s.reason for s in first.skipped]
    assert [AddTagIntent] == [type(i) for i in first.intents]  # a tag is not a message
    assert not first.retry_causes
    skip = first.skipped[0]
    assert skip.key not in first.ledger
    with unit:
        stored = unit.customers.get(ana.id)
        unit.customers.save(stored.lift_restriction(at=at))
        unit.commit()
    with unit:
        second = run_on_events(
            _WELCOME, registered, unit=unit, at=at + timedelta(hours=1), ledger=first.ledger
        )
    assert [MessageIntent] == [type(i) for i in second.intents]
    assert skip.key == second.intents[0].key
    assert () == second.skipped


def test_objections_deny_what_they_name_and_no_more() -> None:
    """Direct marketing: no message; profiling: messages still go."""
    ana = _ana()
    at = T0 + timedelta(hours=1)
    events = [e for e in ana.pending_events if e.type == "CustomerRegistered"]
    for change, expected in (
        ("direct_marketing", ["objected_to_direct_marketing"]),
        ("profiling", []),
    ):
        unit = InMemoryUnitOfWork()
        with unit:
            unit.customers.add(ana.object_to(change, at=T0))
            unit.commit()
        with unit:
            result = run_on_events(_WELCOME, events, unit=unit, at=at)
        assert expected == [s.reason.value for s in result.skipped]


def test_a_restricted_customer_gets_no_birthday_message() -> None:
    """A time rule asks the same decisions."""
    ana = Customer.register(
        CustomerId("c-ana"),
        name=PersonName("Ana"),
        contact_points=[ContactPoint("email", "ana@example.co.id")],
        birth_date=date(1990, 1, 6),
        at=T0,
    ).give_consent("email", "marketing", at=T0, source="signup-form")
    rules = AutomationRules(
        [
            AutomationRule(
                "bday", TimeTrigger("birthday_in", 0), [SendMessage("hi", "email", "marketing")]
            )
        ]
    )
    at = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    unit = InMemoryUnitOfWork()
    with unit:
        unit.customers.add(ana)
        unit.commit()
    with unit:
        assert [MessageIntent] == [type(i) for i in run_at(rules, at=at, unit=unit).intents]
        stored = unit.customers.get(ana.id)
        unit.customers.save(
            stored.restrict_processing(at=T0 + timedelta(hours=1), reason="accuracy_contested")
        )
        unit.commit()
    with unit:
        result = run_at(rules, at=at, unit=unit)
    assert () == result.intents
    assert [SkipReason.PROCESSING_RESTRICTED] == [s.reason for s in result.skipped]


def test_every_denial_reason_is_a_skip_reason() -> None:
    """The engine turns each reason code of a decision into a SkipReason of the same value."""
    for reason in PROCESSING_REASONS - {"allowed"}:
        assert reason == SkipReason(reason).value

"""Tests for `crmcore.automation._engine`: intents from events and time, consent, quiet hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone

import attrs
import pytest

from crmcore import (
    ContactPoint,
    Customer,
    CustomerId,
    InvalidType,
    Money,
    PersonName,
    ValidationError,
)
from crmcore._kernel._ids import ActivityId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import (
    MAX_SUBJECT,
    Activity,
    ActivityKind,
    ActivityPlanned,
    ActivityPriority,
)
from crmcore.automation import (
    ActivityIntent,
    AddTag,
    AddTagIntent,
    AutomationLedger,
    AutomationLoop,
    AutomationRule,
    AutomationRules,
    AutomationSettings,
    CreateActivity,
    EventTrigger,
    FireLifecycleTrigger,
    GrantLoyaltyBonus,
    LifecycleTriggerIntent,
    LoyaltyBonusIntent,
    MessageIntent,
    NotifyOwner,
    NotifyOwnerIntent,
    QuietHours,
    RemoveTag,
    RemoveTagIntent,
    SendMessage,
    SkipReason,
    TimeTrigger,
    run_at,
    run_on_events,
)
from crmcore.commerce import OrderId, OrderPaid
from crmcore.customers import Channel, CustomerRegistered
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)
from crmcore.messaging import MessageTemplate, TemplateCatalog
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import OpportunityId
from crmcore.segmentation import field
from crmcore.service import CaseId, CaseKind, CaseOpened, CasePriority
from crmcore.teams import StaffMemberRegistered

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = CustomerId("c-ana")
BUDI = CustomerId("c-budi")
OWNER_ID = StaffId("s-rina")


def _ana(*, consent: bool = True, email: bool = True) -> Customer:
    points = [ContactPoint("email", "ana@example.com")] if email else []
    ana = Customer.register(
        ANA,
        name=PersonName("Ana", family="Putri"),
        at=AT - timedelta(days=1),
        contact_points=points,
        owner=OWNER_ID,
        birth_date=date(1990, 3, 9),
    )
    if consent:
        ana = ana.give_consent("email", "marketing", at=AT - timedelta(days=1), source="web")
    return ana


@pytest.fixture
def unit() -> Iterator[InMemoryUnitOfWork]:
    """A unit of work holding Ana (owned, email, marketing consent) and Budi (nothing)."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(_ana())
        uow.customers.add(
            Customer.register(BUDI, name=PersonName("Budi"), at=AT - timedelta(days=1))
        )
        uow.commit()
    with uow:
        yield uow


def _registered(customer_id: CustomerId = ANA, sequence: int = 1) -> CustomerRegistered:
    return CustomerRegistered(
        sequence=sequence, occurred_at=AT, customer_id=customer_id, kind="person"
    )


def _rules(*actions: object, condition: object = None) -> AutomationRules:
    return AutomationRules(
        [AutomationRule("on_join", EventTrigger("CustomerRegistered", condition), list(actions))]
    )


def test_every_action_kind_becomes_its_intent(unit: InMemoryUnitOfWork) -> None:
    """Each action of a triggered rule yields the intent of its kind, keyed by rule, event and index."""
    rules = _rules(
        CreateActivity("call", None, timedelta(days=2)),
        SendMessage("welcome", "email", "marketing"),
        AddTag("gold"),
        RemoveTag("new"),
        FireLifecycleTrigger("relationship_ladder", "join_program"),
        NotifyOwner("vip.owner"),
    )
    result = run_on_events(rules, [_registered()], unit=unit, at=AT)
    kinds = [type(intent) for intent in result.intents]
    assert [
        ActivityIntent,
        MessageIntent,
        AddTagIntent,
        RemoveTagIntent,
        LifecycleTriggerIntent,
        NotifyOwnerIntent,
    ] == kinds
    event = _registered()
    assert [f"on_join|{event.event_id}|{i}" for i in range(6)] == [i.key for i in result.intents]
    activity = result.intents[0]
    assert isinstance(activity, ActivityIntent)
    assert AT + timedelta(days=2) == activity.due_at
    assert OWNER_ID == activity.owner_id
    assert RecordRef.to(ANA) == activity.record
    notify = result.intents[5]
    assert isinstance(notify, NotifyOwnerIntent)
    assert OWNER_ID == notify.owner_id
    assert result.skipped == ()
    assert result.complete
    assert 1 == result.processed
    assert {i.key for i in result.intents} == set(result.ledger.entries)


def test_a_second_run_with_the_ledger_yields_nothing(unit: InMemoryUnitOfWork) -> None:
    """Idempotency: the keys in the ledger produce nothing; the same event twice in one run once."""
    rules = _rules(AddTag("gold"), SendMessage("welcome", "email", "marketing"))
    first = run_on_events(rules, [_registered(), _registered()], unit=unit, at=AT)
    assert 2 == len(first.intents)
    again = run_on_events(rules, [_registered()], unit=unit, at=AT, ledger=first.ledger)
    assert () == again.intents
    assert first.ledger == again.ledger


def test_condition_decides_on_the_events_fields(unit: InMemoryUnitOfWork) -> None:
    """A condition on the event's fields lets matching events through and no others."""
    rules = _rules(AddTag("gold"), condition=field("kind") == "person")
    hit = run_on_events(rules, [_registered()], unit=unit, at=AT)
    other = CustomerRegistered(sequence=1, occurred_at=AT, customer_id=ANA, kind="organization")
    miss = run_on_events(rules, [other], unit=unit, at=AT)
    assert 1 == len(hit.intents)
    assert () == miss.intents
    assert () == miss.skipped


def test_no_consent_skips_the_message(unit: InMemoryUnitOfWork) -> None:
    """Budi gave no marketing consent: the message is skipped with no_consent, the tag goes on."""
    rules = _rules(SendMessage("welcome", "email", "marketing"), AddTag("gold"))
    result = run_on_events(rules, [_registered(BUDI)], unit=unit, at=AT)
    assert [AddTagIntent] == [type(i) for i in result.intents]
    (skip,) = result.skipped
    assert SkipReason.NO_CONSENT == skip.reason
    assert (BUDI, 0, "on_join") == (skip.customer_id, skip.action_index, skip.rule_key)
    assert skip.key not in result.ledger


def test_service_message_without_a_contact_point(unit: InMemoryUnitOfWork) -> None:
    """Service messages need no consent record, but an email needs an address."""
    rules = _rules(SendMessage("ack", "email", "service"), SendMessage("ack", "web", "service"))
    result = run_on_events(rules, [_registered(BUDI)], unit=unit, at=AT)
    assert [SkipReason.NO_CONTACT_POINT] == [s.reason for s in result.skipped]
    assert [MessageIntent] == [type(i) for i in result.intents]


def test_quiet_hours_skip_with_the_time_they_end(unit: InMemoryUnitOfWork) -> None:
    """Within quiet hours a message waits: skipped with not_before; later it goes out."""
    quiet = QuietHours(time(21, 0), time(8, 0), "+07:00")
    settings = AutomationSettings(quiet_hours=quiet)
    rules = _rules(SendMessage("welcome", "email", "marketing"))
    late = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # 22:30 in +07:00
    held = run_on_events(rules, [_registered()], unit=unit, at=late, settings=settings)
    (skip,) = held.skipped
    assert SkipReason.QUIET_HOURS == skip.reason
    assert skip.not_before is not None
    assert quiet.ends_after(late) == skip.not_before
    assert not quiet.contains(skip.not_before)
    sent = run_on_events(
        rules, [_registered()], unit=unit, at=skip.not_before, settings=settings, ledger=held.ledger
    )
    assert [MessageIntent] == [type(i) for i in sent.intents]


def test_unknown_customer_and_merged_customer(unit: InMemoryUnitOfWork) -> None:
    """Customer actions for an unknown customer skip with no_customer."""
    rules = _rules(AddTag("gold"), CreateActivity("task", None, timedelta(0)))
    result = run_on_events(rules, [_registered(CustomerId("c-ghost"))], unit=unit, at=AT)
    assert [SkipReason.NO_CUSTOMER] == [s.reason for s in result.skipped]
    (activity,) = result.intents
    assert isinstance(activity, ActivityIntent)
    assert activity.owner_id is None


def test_notify_owner_without_owner(unit: InMemoryUnitOfWork) -> None:
    """Budi has no owner: notifying the owner is skipped with no_owner."""
    result = run_on_events(_rules(NotifyOwner("x")), [_registered(BUDI)], unit=unit, at=AT)
    assert [SkipReason.NO_OWNER] == [s.reason for s in result.skipped]


def test_assign_to_a_staff_member(unit: InMemoryUnitOfWork) -> None:
    """An activity assigned to a staff member names that member, not the owner."""
    rules = _rules(CreateActivity("task", None, timedelta(hours=1), assign_to=StaffId("s-x")))
    (intent,) = run_on_events(rules, [_registered()], unit=unit, at=AT).intents
    assert isinstance(intent, ActivityIntent)
    assert StaffId("s-x") == intent.owner_id


def test_loyalty_bonus_needs_an_account() -> None:
    """A bonus goes to the customer's active loyalty account; without one it is skipped."""
    program = LoyaltyProgram(
        id=ProgramId("kopi"),
        name="Kopi Points",
        currency="IDR",
        earn_rate=EarnRate(1, Money(10_000, "IDR")),
        tiers=[Tier.by_points("bronze", 0)],
    )
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(_ana())
        uow.customers.add(
            Customer.register(BUDI, name=PersonName("Budi"), at=AT - timedelta(days=1))
        )
        account = LoyaltyAccount.enroll(
            LoyaltyAccountId("la-1"), customer_id=ANA, program=program, at=AT - timedelta(days=1)
        )
        uow.loyalty_accounts.add(account)
        uow.commit()
    rules = _rules(GrantLoyaltyBonus(100, "birthday"))
    with uow:
        result = run_on_events(rules, [_registered(), _registered(BUDI)], unit=uow, at=AT)
    assert [SkipReason.NO_LOYALTY_ACCOUNT] == [s.reason for s in result.skipped]
    assert BUDI == result.skipped[0].customer_id
    (bonus,) = result.intents
    assert isinstance(bonus, LoyaltyBonusIntent)
    assert (LoyaltyAccountId("la-1"), 100, "birthday") == (
        bonus.account_id,
        bonus.points,
        bonus.reason,
    )


def _catalog() -> TemplateCatalog:
    return TemplateCatalog(
        [
            MessageTemplate(
                key="welcome", language="en", body="Hi {first_name}!", fields={"first_name"}
            ),
            MessageTemplate(
                key="due",
                language="en",
                body="{amount_due} due on {due_date}",
                fields={"amount_due", "due_date"},
            ),
            MessageTemplate(
                key="call", language="en", body="Call {first_name}", fields={"first_name"}
            ),
        ]
    )


def test_rendering_with_a_catalog(unit: InMemoryUnitOfWork) -> None:
    """With a catalog, messages and subjects are rendered; the text never shows in the repr."""
    rules = _rules(
        SendMessage("welcome", "email", "marketing"),
        CreateActivity("call", "call", timedelta(days=1)),
        SendMessage("due", "email", "marketing"),
        SendMessage("nothing", "email", "marketing"),
    )
    result = run_on_events(rules, [_registered()], unit=unit, at=AT, templates=_catalog())
    message, activity = result.intents
    assert isinstance(message, MessageIntent)
    assert isinstance(activity, ActivityIntent)
    assert message.message is not None
    assert "Hi Ana!" == message.message.body
    assert "Call Ana" == activity.subject
    assert "Ana" not in repr(message)
    assert "Ana" not in repr(activity)
    reasons = [s.reason for s in result.skipped]
    assert [SkipReason.MISSING_VALUE, SkipReason.UNKNOWN_TEMPLATE] == reasons


def test_subject_template_missing_value(unit: InMemoryUnitOfWork) -> None:
    """An activity whose subject template misses a value is skipped with missing_value."""
    rules = _rules(CreateActivity("call", "due", timedelta(days=1)), NotifyOwner("due"))
    result = run_on_events(rules, [_registered()], unit=unit, at=AT, templates=_catalog())
    assert [SkipReason.MISSING_VALUE] * 2 == [s.reason for s in result.skipped]


def test_activity_subjects_fit_an_activity(unit: InMemoryUnitOfWork) -> None:
    """A subject rendered from a long body of several lines is one line an Activity accepts."""
    body = "Call {first_name}\n\nabout the renewal " + "and more " * 40
    catalog = TemplateCatalog(
        [MessageTemplate(key="long", language="en", body=body, fields={"first_name"})]
    )
    rules = _rules(CreateActivity("call", "long", timedelta(days=1)))
    (intent,) = run_on_events(rules, [_registered()], unit=unit, at=AT, templates=catalog).intents
    assert isinstance(intent, ActivityIntent)
    assert intent.subject is not None
    full = " ".join(body.replace("{first_name}", "Ana").split())
    assert len(full) > MAX_SUBJECT
    assert MAX_SUBJECT == len(intent.subject)
    assert intent.subject.endswith("\u2026")
    assert full.startswith(intent.subject[:-1])
    planned = Activity.plan(
        ActivityId("a-1"),
        kind=intent.kind,
        subject=intent.subject,
        due_at=intent.due_at,
        time_zone="UTC",
        owner_id=OWNER_ID,
        at=AT,
    )
    assert intent.subject == planned.subject


def test_intent_limit_stops_and_a_second_run_continues(unit: InMemoryUnitOfWork) -> None:
    """At max_intents_per_run the run stops with run_limit; the next run picks up the rest."""
    rules = _rules(AddTag("a"), AddTag("b"), AddTag("c"))
    settings = AutomationSettings(max_intents_per_run=2)
    first = run_on_events(rules, [_registered()], unit=unit, at=AT, settings=settings)
    assert 2 == len(first.intents)
    assert not first.complete
    assert [SkipReason.RUN_LIMIT] == [s.reason for s in first.skipped]
    second = run_on_events(
        rules, [_registered()], unit=unit, at=AT, settings=settings, ledger=first.ledger
    )
    assert ["c"] == [i.tag for i in second.intents]  # type: ignore[union-attr]
    assert second.complete


def test_event_limit(unit: InMemoryUnitOfWork) -> None:
    """Beyond max_events_per_run events are left for the next call and the run reports it."""
    events = [_registered(sequence=n) for n in (1, 2, 3)]
    settings = AutomationSettings(max_events_per_run=2)
    result = run_on_events(_rules(AddTag("x")), events, unit=unit, at=AT, settings=settings)
    assert 2 == len(result.intents)
    assert 2 == result.processed
    assert not result.complete
    (skip,) = result.skipped
    assert (SkipReason.RUN_LIMIT, None) == (skip.reason, skip.rule_key)


def test_events_of_other_types_and_disabled_rules(unit: InMemoryUnitOfWork) -> None:
    """Rules run only for their own event type, and never while disabled."""
    rules = AutomationRules(
        [
            AutomationRule("off", EventTrigger("CustomerRegistered"), [AddTag("x")], enabled=False),
            AutomationRule("other", EventTrigger("CustomerRenamed"), [AddTag("y")]),
        ]
    )
    assert () == run_on_events(rules, [_registered()], unit=unit, at=AT).intents


def test_arguments_are_checked(unit: InMemoryUnitOfWork) -> None:
    """Wrong types and naive times are refused with a path."""
    rules = _rules(AddTag("x"))
    with pytest.raises(InvalidType) as caught:
        run_on_events(rules, ["not an event"], unit=unit, at=AT)  # type: ignore[list-item]
    assert "$.events[0]" == caught.value.path
    with pytest.raises(ValidationError) as naive:
        run_on_events(rules, [], unit=unit, at=datetime(2026, 1, 1))  # noqa: DTZ001
    assert "$.at" == naive.value.path
    bad_arguments: list[dict[str, object]] = [
        {"unit": object()},
        {"ledger": {}},
        {"settings": {}},
        {"templates": {}},
    ]
    for bad in bad_arguments:
        arguments: dict[str, object] = {"unit": unit, "at": AT, **bad}
        with pytest.raises(InvalidType):
            run_on_events(rules, [], **arguments)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        run_on_events(rules, "events", unit=unit, at=AT)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        run_on_events(rules.rules[0], [], unit=unit, at=AT)  # type: ignore[arg-type]


def test_a_plain_list_of_rules_is_checked_for_loops(unit: InMemoryUnitOfWork) -> None:
    """Rules passed as a list are checked like a loaded set: a loop is refused."""
    rule = AutomationRule("again", EventTrigger("CustomerTagAdded"), [AddTag("x")])
    with pytest.raises(AutomationLoop):
        run_on_events([rule], [], unit=unit, at=AT)
    ok = AutomationRule("once", EventTrigger("CustomerRegistered"), [AddTag("x")])
    assert () == run_on_events([ok], [], unit=unit, at=AT).intents


def test_run_at_birthdays_once_per_occasion(unit: InMemoryUnitOfWork) -> None:
    """A birthday rule fires once for the occasion, whatever the number of runs that day."""
    rules = AutomationRules(
        [
            AutomationRule(
                "birthday",
                TimeTrigger("birthday_in", 7),
                [SendMessage("welcome", "email", "marketing"), GrantLoyaltyBonus(100, "birthday")],
            )
        ]
    )
    first = run_at(rules, at=AT, unit=unit)
    (message,) = first.intents
    assert isinstance(message, MessageIntent)
    assert ANA == message.customer_id
    assert "birthday:" in message.cause
    assert [SkipReason.NO_LOYALTY_ACCOUNT] == [s.reason for s in first.skipped]
    later = run_at(rules, at=AT + timedelta(hours=5), unit=unit, ledger=first.ledger)
    assert () == later.intents
    assert first.skipped == later.skipped  # the bonus is tried again, the message is not


def test_run_at_limit(unit: InMemoryUnitOfWork) -> None:
    """Time matches beyond max_events_per_run wait for the next run."""
    uow = InMemoryUnitOfWork()
    with uow:
        for n in range(3):
            uow.customers.add(
                Customer.register(
                    CustomerId(f"c-{n}"),
                    name=PersonName("Ana"),
                    at=AT - timedelta(days=1),
                    birth_date=date(1990, 3, 2),
                )
            )
        uow.commit()
    rules = AutomationRules(
        [AutomationRule("bday", TimeTrigger("birthday_in", 0), [AddTag("birthday")])]
    )
    settings = AutomationSettings(max_events_per_run=2)
    with uow:
        first = run_at(rules, at=AT, unit=uow, settings=settings)
        assert 2 == len(first.intents)
        assert not first.complete
        second = run_at(rules, at=AT, unit=uow, settings=settings, ledger=first.ledger)
    assert 1 == len(second.intents)
    assert second.complete
    assert AutomationLedger() == run_at(AutomationRules(), at=AT, unit=unit).ledger


def test_run_at_limit_is_not_held_back_by_matches_that_are_all_skipped() -> None:
    """Matches whose messages are all refused do not use up the limit: later ones still go out."""
    uow = InMemoryUnitOfWork()
    people = []
    for n, consent in enumerate((False, False, True)):
        person = Customer.register(
            CustomerId(f"c-{n}"),
            name=PersonName("Ana"),
            at=AT - timedelta(days=1),
            contact_points=[ContactPoint("email", f"ana{n}@example.com")],
            birth_date=date(1990, 3, 2),
        )
        if consent:
            person = person.give_consent(
                "email", "marketing", at=AT - timedelta(days=1), source="web"
            )
        people.append(person)
    with uow:
        for person in people:
            uow.customers.add(person)
        uow.commit()
    rules = AutomationRules(
        [
            AutomationRule(
                "bday", TimeTrigger("birthday_in", 0), [SendMessage("hi", "email", "marketing")]
            )
        ]
    )
    allowed = [p.id for p in people if p.may_contact("email", "marketing", at=AT)]
    with uow:
        result = run_at(rules, at=AT, unit=uow, settings=AutomationSettings(max_events_per_run=1))
    assert allowed == [intent.customer_id for intent in result.intents]
    assert result.complete
    assert len(people) - len(allowed) == len(result.skipped)


def test_a_condition_that_cannot_be_evaluated_is_reported(unit: InMemoryUnitOfWork) -> None:
    """Comparing amounts of two currencies cannot be decided: the rule is skipped with the reason."""
    rules = AutomationRules(
        [
            AutomationRule(
                "big_order",
                EventTrigger("OrderPaid", field("amount") > Money(100, "USD")),
                [AddTag("big_spender")],
            )
        ]
    )
    paid = OrderPaid(
        sequence=2, occurred_at=AT, order_id=OrderId("o-1"), customer_id=ANA, amount=Money(5, "IDR")
    )
    result = run_on_events(rules, [paid], unit=unit, at=AT)
    assert () == result.intents
    (skip,) = result.skipped
    assert (SkipReason.CONDITION_ERROR, None) == (skip.reason, skip.action_index)
    assert (
        RecordRef.to(OrderId("o-1"))
        == run_on_events(
            AutomationRules(
                [
                    AutomationRule(
                        "paid",
                        EventTrigger("OrderPaid"),
                        [CreateActivity("task", None, timedelta(0))],
                    )
                ]
            ),
            [paid],
            unit=unit,
            at=AT,
        )
        .intents[0]
        .record
    )


def test_merged_customers_take_nothing() -> None:
    """A customer merged into another is skipped with customer_merged."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(attrs.evolve(_ana(), merged_into=BUDI))
        uow.commit()
    with uow:
        result = run_on_events(_rules(AddTag("x")), [_registered()], unit=uow, at=AT)
    assert [SkipReason.CUSTOMER_MERGED] == [s.reason for s in result.skipped]


def test_events_without_a_customer_and_linked_activities(unit: InMemoryUnitOfWork) -> None:
    """Staff events name no customer; an activity linked to a customer names that customer."""
    staff = StaffMemberRegistered(sequence=1, occurred_at=AT, staff_id=StaffId("s-1"), roles=())
    planned = ActivityPlanned(
        sequence=1,
        occurred_at=AT,
        activity_id=ActivityId("a-1"),
        kind=ActivityKind.CALL,
        priority=ActivityPriority.NORMAL,
        due_at=AT,
        time_zone="UTC",
        link=RecordRef.to(ANA),
    )
    rules = AutomationRules(
        [
            AutomationRule("staff", EventTrigger("StaffMemberRegistered"), [AddTag("x")]),
            AutomationRule("planned", EventTrigger("ActivityPlanned"), [AddTag("busy")]),
        ]
    )
    result = run_on_events(rules, [staff, planned], unit=unit, at=AT)
    assert [SkipReason.NO_CUSTOMER] == [s.reason for s in result.skipped]
    (tag,) = result.intents
    assert (ANA, RecordRef.to(ANA)) == (tag.customer_id, tag.record)


def test_case_values_for_templates(unit: InMemoryUnitOfWork) -> None:
    """Templates read the case concerned; an unknown case leaves its values missing."""
    catalog = TemplateCatalog(
        [
            MessageTemplate(
                key="ack", language="en", body="Case {case_reference}", fields={"case_reference"}
            )
        ]
    )
    opened = CaseOpened(
        sequence=1,
        occurred_at=AT,
        case_id=CaseId("case-9"),
        customer_id=ANA,
        kind=CaseKind.COMPLAINT,
        priority=CasePriority.HIGH,
        channel=Channel.EMAIL,
    )
    rules = AutomationRules(
        [
            AutomationRule(
                "ack", EventTrigger("CaseOpened"), [SendMessage("ack", "email", "service")]
            )
        ]
    )
    result = run_on_events(rules, [opened], unit=unit, at=AT, templates=catalog)
    assert [SkipReason.MISSING_VALUE] == [s.reason for s in result.skipped]


def test_intents_name_the_activity_they_are_about(unit: InMemoryUnitOfWork) -> None:
    """An overdue-task intent names the overdue activity; so does one caused by its event.

    Regression: the intent carried only the activity's linked record, so an app had to
    parse the cause text to learn which activity a nudge was about.
    """
    task = Activity.plan(
        ActivityId("act-late"),
        kind="task",
        subject="Send the quote",
        due_at=AT - timedelta(days=2),
        owner_id=OWNER_ID,
        link=RecordRef.to(ANA),
        at=AT - timedelta(days=3),
    )
    unit.activities.add(task)
    nudge = AutomationRules(
        [AutomationRule("nudge", TimeTrigger("task_overdue", 24), [NotifyOwner("late")])]
    )
    (intent,) = run_at(nudge, at=AT, unit=unit).intents
    assert intent.activity_id == task.id
    assert intent.record == task.link
    planned = AutomationRules(
        [AutomationRule("on_plan", EventTrigger("ActivityPlanned"), [AddTag("busy")])]
    )
    (tagged,) = run_on_events(planned, task.pending_events, unit=unit, at=AT).intents
    assert tagged.activity_id == task.id
    (welcomed,) = run_on_events(_rules(AddTag("new")), [_registered()], unit=unit, at=AT).intents
    assert welcomed.activity_id is None


def test_retry_causes_name_the_events_to_keep(unit: InMemoryUnitOfWork) -> None:
    """Events whose messages quiet hours held back are the result's retry causes; refusals are not.

    Regression: the guide said a scheduler runs again when quiet hours end, but an app
    that acknowledged every event it ran had nothing left to run again with.
    """
    settings = AutomationSettings(quiet_hours=QuietHours(time(21, 0), time(8, 0), "UTC"))
    rules = _rules(SendMessage("welcome", "email", "marketing"))
    events = [_registered(ANA), _registered(BUDI, sequence=1)]
    late = AT.replace(hour=22)
    held = run_on_events(rules, events, unit=unit, at=late, settings=settings)
    assert {s.reason for s in held.skipped} == {SkipReason.QUIET_HOURS, SkipReason.NO_CONSENT}
    assert held.retry_causes == {events[0].event_id}
    kept = [e for e in events if e.event_id in held.retry_causes]
    morning = late + timedelta(hours=10)
    sent = run_on_events(rules, kept, unit=unit, at=morning, settings=settings, ledger=held.ledger)
    assert [i.customer_id for i in sent.intents] == [ANA]
    assert sent.retry_causes == frozenset()
    limited = run_on_events(
        rules, events, unit=unit, at=AT, settings=AutomationSettings(max_intents_per_run=1)
    )
    # Stopped at the limit on Budi's event: it is to be run again, not acknowledged.
    assert not limited.complete
    assert limited.retry_causes == {events[1].event_id}


def test_an_activity_intent_names_its_time_zone(unit: InMemoryUnitOfWork) -> None:
    """time_zone names the zone of the run's time, ready for Activity.plan.

    Regression: the intent had no zone, so an app had to guess the one to plan in.
    """
    from zoneinfo import ZoneInfo  # noqa: PLC0415 - only here

    from dateutil import tz  # noqa: PLC0415 - only here

    rules = _rules(CreateActivity("call", None, timedelta(days=2)))
    jakarta = ZoneInfo("Asia/Jakarta")
    zones = [
        (jakarta, "Asia/Jakarta"),
        (UTC, "UTC"),
        (timezone(timedelta(hours=-3, minutes=-30)), "-03:30"),
        (tz.tzoffset("WIB", 7 * 3600), "+07:00"),  # no IANA name: the offset at the due time
    ]
    for zone, name in zones:
        (intent,) = run_on_events(rules, [_registered()], unit=unit, at=AT.astimezone(zone)).intents
        assert isinstance(intent, ActivityIntent)
        assert intent.time_zone == name
        planned = Activity.plan(
            ActivityId("act-tz"),
            kind=intent.kind,
            subject="Call",
            due_at=intent.due_at,
            time_zone=intent.time_zone,
            at=intent.at,
        )
        assert planned.local_due_at == intent.due_at
        assert planned.local_due_at.utcoffset() == intent.due_at.utcoffset()


def test_a_finished_meeting_reaches_its_customer(unit: InMemoryUnitOfWork) -> None:
    """ActivityCompleted carries kind, link and customer: a thank-you after a meeting is possible."""
    thanks = AutomationRules(
        [
            AutomationRule(
                "thank_you",
                EventTrigger("ActivityCompleted", field("kind") == "meeting"),
                [SendMessage("thanks", "email", "marketing")],
            )
        ]
    )
    deal = RecordRef.to(OpportunityId("o-1"))
    planned = {
        kind: Activity.plan(
            ActivityId(f"act-{kind}"),
            kind=kind,
            subject="Review",
            due_at=AT,
            at=AT - timedelta(days=1),
            link=deal,
            contacts=[ANA],
        )
        for kind in ("meeting", "call")
    }
    done = [a.complete(at=AT, outcome="ok") for a in planned.values()]
    events = [event for activity in done for event in activity.pending_events[1:]]
    assert {e.kind for e in events} == {ActivityKind.MEETING, ActivityKind.CALL}
    assert all((e.link, e.customer_id) == (deal, ANA) for e in events)
    result = run_on_events(thanks, events, unit=unit, at=AT)
    [intent] = result.intents
    assert isinstance(intent, MessageIntent)
    assert (intent.customer_id, intent.record, intent.activity_id) == (
        ANA,
        deal,
        ActivityId("act-meeting"),
    )
    cancelled = planned["meeting"].cancel(at=AT, reason="moved").pending_events[-1]
    assert (cancelled.kind, cancelled.link, cancelled.customer_id) == (
        ActivityKind.MEETING,
        deal,
        ANA,
    )


def test_an_activity_is_due_after_its_event_not_after_the_run(unit: InMemoryUnitOfWork) -> None:
    """A late or batched run plans the work from the event's time, in the run's zone."""
    rules = _rules(CreateActivity("call", None, timedelta(hours=2)))
    wib = timezone(timedelta(hours=7))
    registered = attrs.evolve(_registered(), occurred_at=AT - timedelta(minutes=70))
    run_at_ = (AT + timedelta(hours=5)).astimezone(wib)
    [intent] = run_on_events(rules, [registered], unit=unit, at=run_at_).intents
    assert isinstance(intent, ActivityIntent)
    assert intent.due_at == AT - timedelta(minutes=70) + timedelta(hours=2)
    assert intent.due_at.utcoffset() == timedelta(hours=7)
    assert intent.at == run_at_

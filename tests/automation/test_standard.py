"""Tests for `crmcore.automation._standard`: the five standard automations and their templates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crmcore import ContactPoint, Customer, CustomerId, InvalidType, Money, PersonName
from crmcore._kernel._ids import InteractionId, OpportunityId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.automation import (
    BIRTHDAY_TEMPLATE,
    COMPLAINT_ACK_TEMPLATE,
    COMPLAINT_TASK_TEMPLATE,
    FOLLOW_UP_TEMPLATE,
    PAYMENT_REMINDER_TEMPLATE,
    WELCOME_TEMPLATE,
    ActivityIntent,
    AutomationRule,
    AutomationRules,
    LoyaltyBonusIntent,
    MessageIntent,
    SkipReason,
    birthday_greeting,
    call_follow_up,
    complaint_acknowledgement,
    payment_reminder,
    rules_from_dict,
    rules_to_dict,
    run_at,
    run_on_events,
    standard_automations,
    standard_templates,
    welcome_message,
)
from crmcore.commerce import PaymentId, Period, Plan, PlanId, Subscription, SubscriptionId
from crmcore.errors import ValidationError
from crmcore.events import DomainEvent
from crmcore.interactions import Interaction
from crmcore.loyalty import (
    EarnRate,
    LoyaltyAccount,
    LoyaltyAccountId,
    LoyaltyProgram,
    ProgramId,
    Tier,
)
from crmcore.messaging import MessageTemplate
from crmcore.repository import InMemoryUnitOfWork
from crmcore.service import Case, CaseId

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANA = CustomerId("c-ana")
RINA = StaffId("s-rina")
DEWI = StaffId("s-dewi")
TEMPLATES = standard_templates()
KEYS = (
    WELCOME_TEMPLATE,
    FOLLOW_UP_TEMPLATE,
    BIRTHDAY_TEMPLATE,
    PAYMENT_REMINDER_TEMPLATE,
    COMPLAINT_ACK_TEMPLATE,
    COMPLAINT_TASK_TEMPLATE,
)


def ana(*purposes: str, born: date | None = date(1990, 3, 9)) -> Customer:
    customer = Customer.register(
        ANA,
        name=PersonName("Ana", family="Putri"),
        at=AT - timedelta(days=30),
        contact_points=[ContactPoint("email", "ana@example.com")],
        owner=RINA,
        birth_date=born,
    )
    for purpose in purposes:
        customer = customer.give_consent("email", purpose, at=AT - timedelta(days=30), source="web")
    return customer


def unit_with(*aggregates: object) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    with uow:
        for aggregate in aggregates:
            if isinstance(aggregate, Customer):
                uow.customers.add(aggregate)
            elif isinstance(aggregate, LoyaltyAccount):
                uow.loyalty_accounts.add(aggregate)
            elif isinstance(aggregate, Subscription):
                uow.subscriptions.add(aggregate)
            elif isinstance(aggregate, Interaction):
                uow.interactions.add(aggregate)
            else:
                assert isinstance(aggregate, Case)
                uow.cases.add(aggregate)
        uow.commit()
    return uow


def on_events(uow: InMemoryUnitOfWork, events: list[DomainEvent], at: datetime = AT) -> object:
    with uow:
        return run_on_events(standard_automations(), events, unit=uow, at=at, templates=TEMPLATES)


# -- definitions -------------------------------------------------------------------------------


def test_standard_automations_load_without_loops() -> None:
    """The five rules load as one set, and each loads alone."""
    rules = standard_automations()
    assert isinstance(rules, AutomationRules)
    assert [
        "welcome_message",
        "call_follow_up",
        "birthday_greeting",
        "payment_reminder",
        "complaint_acknowledgement",
    ] == [rule.key for rule in rules]
    for rule in rules:
        assert rule.description
        assert [rule] == list(AutomationRules([rule]))


def test_standard_automations_round_trip_through_documents() -> None:
    """Each rule, written as a document and read back (templates checked), is the same rule."""
    rules = standard_automations()
    document = rules_to_dict(rules)
    assert list(rules) == list(rules_from_dict(document, templates=TEMPLATES))
    custom = [
        birthday_greeting(days_before=3, points=250, channel="whatsapp", key="birthday_early"),
        payment_reminder(days_before=7, template_key="remind", key="remind_week"),
        call_follow_up(days=5, key="follow_up_slow"),
        complaint_acknowledgement(respond_within=timedelta(minutes=30), channel="sms"),
        welcome_message(channel="whatsapp"),
    ]
    assert custom == list(rules_from_dict(rules_to_dict(custom)))


def test_standard_templates_cover_every_key_in_both_languages() -> None:
    """Every template key the rules use exists in Indonesian and English, with the same fields."""
    used = {
        key
        for rule in standard_automations()
        for action in rule.actions
        for key in (
            getattr(action, "template_key", None),
            getattr(action, "subject_template", None),
        )
        if key is not None
    }
    assert set(KEYS) == used
    for key in KEYS:
        indonesian = TEMPLATES.get(key, "id")
        english = TEMPLATES.get(key, "en")
        assert (indonesian.language, english.language) == ("id", "en")
        assert indonesian.fields == english.fields
        assert indonesian.placeholders == english.placeholders
        assert indonesian.body != english.body
    assert TEMPLATES.default_language == "id"
    assert standard_templates(default_language="en").get(WELCOME_TEMPLATE, "fr").language == "en"


def test_parameters_are_checked() -> None:
    """Out-of-range days, points and waits are refused with their paths."""
    with pytest.raises(ValidationError) as info:
        call_follow_up(days=0)
    assert (info.value.path, info.value.code) == ("$.days", "range")
    with pytest.raises(InvalidType) as info:
        call_follow_up(days=2.0)  # type: ignore[arg-type]
    assert info.value.path == "$.days"
    with pytest.raises(ValidationError) as info:
        birthday_greeting(points=0)
    assert info.value.path == "$.points"
    with pytest.raises(ValidationError) as info:
        payment_reminder(days_before=400)
    assert info.value.path == "$.amount"
    with pytest.raises(ValidationError) as info:
        complaint_acknowledgement(respond_within=timedelta(seconds=90))
    assert info.value.path == "$.due_in"
    with pytest.raises(ValidationError):
        welcome_message(template_key="Not A Key")


# -- scenarios ---------------------------------------------------------------------------------


def test_welcome_message_on_registration() -> None:
    """A registration yields a service email from the welcome template, once."""
    customer = ana("service")
    events = list(customer.pending_events)
    uow = unit_with(customer)
    result = on_events(uow, events)
    [intent] = result.intents  # type: ignore[attr-defined]
    assert isinstance(intent, MessageIntent)
    assert (intent.rule_key, intent.template_key, intent.channel.value, intent.purpose.value) == (
        "welcome_message",
        WELCOME_TEMPLATE,
        "email",
        "service",
    )
    assert intent.message is not None
    assert intent.language == "en"  # the engine's default language: Ana states none
    with uow:
        again = run_on_events(
            standard_automations(),
            events,
            unit=uow,
            at=AT,
            templates=TEMPLATES,
            ledger=result.ledger,  # type: ignore[attr-defined]
        )
    assert () == again.intents


def test_welcome_message_respects_a_withdrawal() -> None:
    """Service messages need no opt-in, but a withdrawn service consent skips the welcome."""
    customer = ana().withdraw_consent("email", "service", at=AT - timedelta(days=30), source="web")
    result = on_events(unit_with(customer), list(customer.pending_events))
    assert () == result.intents  # type: ignore[attr-defined]
    assert [SkipReason.NO_CONSENT] == [s.reason for s in result.skipped]  # type: ignore[attr-defined]


def logged(
    kind: str, opportunity: OpportunityId | None, staff: StaffId | None = DEWI
) -> Interaction:
    return Interaction.log(
        InteractionId(f"i-{kind}-{opportunity is not None}-{staff is not None}"),
        customer_id=ANA,
        kind=kind,
        channel="phone" if kind == "call" else "email",
        direction="outbound",
        at=AT,
        staff_id=staff,
        opportunity_id=opportunity,
    )


def test_follow_up_task_after_a_sales_call() -> None:
    """Only a call linked to an opportunity yields a task on it, due in two days, for the caller."""
    deal = OpportunityId("op-1")
    calls = [logged("call", deal), logged("call", None), logged("email", deal)]
    uow = unit_with(ana(), *calls)
    events = [event for call in calls for event in call.pending_events]
    result = on_events(uow, events)
    [task] = result.intents  # type: ignore[attr-defined]
    assert isinstance(task, ActivityIntent)
    assert (task.rule_key, task.kind.value, task.subject_template) == (
        "call_follow_up",
        "task",
        FOLLOW_UP_TEMPLATE,
    )
    assert (task.due_at, task.owner_id, task.customer_id) == (AT + timedelta(days=2), DEWI, ANA)
    assert RecordRef.to(deal) == task.record
    assert task.subject is not None


def test_follow_up_without_a_caller_goes_to_the_customers_owner() -> None:
    """A sales call logged without a staff member: the task falls back to the customer's owner."""
    deal = OpportunityId("op-2")
    call = logged("call", deal, staff=None)
    customer = ana()
    result = on_events(unit_with(customer, call), list(call.pending_events))
    [task] = result.intents  # type: ignore[attr-defined]
    assert isinstance(task, ActivityIntent)
    assert customer.owner is not None
    assert (customer.owner, RecordRef.to(deal)) == (task.owner_id, task.record)


def program() -> LoyaltyProgram:
    return LoyaltyProgram(
        id=ProgramId("kopi"),
        name="Kopi Points",
        currency="IDR",
        earn_rate=EarnRate(1, Money(10_000, "IDR")),
        tiers=[Tier.by_points("bronze", 0)],
    )


def test_birthday_greeting_with_a_bonus_on_the_day() -> None:
    """On the birthday a marketing greeting and 100 bonus points; the day before, nothing."""
    account = LoyaltyAccount.enroll(
        LoyaltyAccountId("la-1"), customer_id=ANA, program=program(), at=AT - timedelta(days=9)
    )
    uow = unit_with(ana("marketing"), account)
    birthday = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    with uow:
        before = run_at(standard_automations(), at=birthday - timedelta(days=1), unit=uow)
        result = run_at(standard_automations(), at=birthday, unit=uow, templates=TEMPLATES)
        again = run_at(
            standard_automations(), at=birthday, unit=uow, templates=TEMPLATES, ledger=result.ledger
        )
    assert () == before.intents
    message, bonus = result.intents
    assert isinstance(message, MessageIntent)
    assert (message.template_key, message.purpose.value) == (BIRTHDAY_TEMPLATE, "marketing")
    assert isinstance(bonus, LoyaltyBonusIntent)
    assert (bonus.points, bonus.reason, bonus.account_id) == (
        100,
        "birthday",
        LoyaltyAccountId("la-1"),
    )
    assert message.key.startswith("birthday_greeting|customer:c-ana|birthday:2026-03-09|")
    assert () == again.intents


def test_birthday_greeting_respects_marketing_consent() -> None:
    """Service consent alone does not allow a birthday greeting; the bonus needs an account."""
    uow = unit_with(ana("service"))
    with uow:
        result = run_at(standard_automations(), at=datetime(2026, 3, 9, 8, tzinfo=UTC), unit=uow)
    assert () == result.intents
    assert {SkipReason.NO_CONSENT, SkipReason.NO_LOYALTY_ACCOUNT} == {
        s.reason for s in result.skipped
    }


def test_payment_reminder_three_days_before_the_due_date() -> None:
    """A monthly fee due on 5 March is reminded on 2 March, with the plan and amount filled in."""
    plan = Plan(
        id=PlanId("fiber"),
        name="Fiber 50",
        price=Money("350000", "IDR"),
        period=Period.months(1),
        product_type="internet",
    )
    sub = Subscription.start(
        SubscriptionId("s-1"), customer_id=ANA, plan=plan, at=datetime(2026, 2, 5, 9, tzinfo=UTC)
    )
    sub = sub.record_payment(PaymentId("pay-1"), plan.price, at=sub.created_at)
    uow = unit_with(ana("service"), sub)
    with uow:
        result = run_at(standard_automations(), at=AT, unit=uow, templates=TEMPLATES)
    [reminder] = result.intents
    assert isinstance(reminder, MessageIntent)
    assert (reminder.rule_key, reminder.record, reminder.purpose.value) == (
        "payment_reminder",
        RecordRef.to(SubscriptionId("s-1")),
        "service",
    )
    assert reminder.message is not None
    assert "2026-03-05" in reminder.key


def test_complaint_acknowledgement_and_task() -> None:
    """A complaint yields an acknowledgement and a high-priority task for the assignee within an hour."""
    complaint = Case.open(
        CaseId("k-1"),
        customer_id=ANA,
        kind="complaint",
        subject="Refund not received",
        channel="whatsapp",
        at=AT,
        assignee=DEWI,
    )
    question = Case.open(
        CaseId("k-2"), customer_id=ANA, kind="question", subject="Hours?", channel="email", at=AT
    )
    uow = unit_with(ana("service"), complaint, question)
    result = on_events(uow, [*complaint.pending_events, *question.pending_events])
    message, task = result.intents  # type: ignore[attr-defined]
    assert isinstance(message, MessageIntent)
    assert (message.template_key, message.record) == (
        COMPLAINT_ACK_TEMPLATE,
        RecordRef.to(CaseId("k-1")),
    )
    assert isinstance(task, ActivityIntent)
    assert (task.priority.value, task.owner_id, task.due_at) == (
        "high",
        DEWI,
        AT + timedelta(hours=1),
    )
    assert task.subject_template == COMPLAINT_TASK_TEMPLATE


def test_template_texts_render_with_the_engine_values() -> None:
    """Each standard template renders from the values its fields name, in both languages."""
    values = {
        "first_name": "Ana",
        "plan_name": "Fiber 50",
        "amount_due": Money("350000", "IDR"),
        "due_date": date(2026, 3, 5),
        "case_reference": "k-1",
    }
    for key in KEYS:
        for language in ("id", "en"):
            template: MessageTemplate = TEMPLATES.get(key, language)
            rendered = template.render({f: values[f] for f in template.fields})
            assert "{" not in rendered.body


def test_rules_are_plain_values() -> None:
    """Rules built twice with the same settings are equal; different settings differ."""
    assert birthday_greeting() == birthday_greeting()
    assert birthday_greeting(points=200) != birthday_greeting()
    assert isinstance(welcome_message(), AutomationRule)

"""Tests for `crmcore.commerce._subscriptions` and billing periods."""

import calendar
import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    CurrencyMismatch,
    DomainEvent,
    InvalidType,
    Money,
    TimeUnit,
    TransitionNotAllowed,
    ValidationError,
)
from crmcore.commerce import (
    SUBSCRIPTION_STATUSES,
    PaymentId,
    Period,
    Plan,
    PlanId,
    Subscription,
    SubscriptionCancellationScheduled,
    SubscriptionCancelled,
    SubscriptionExpired,
    SubscriptionId,
    SubscriptionRenewed,
    SubscriptionStarted,
    SubscriptionStatus,
    SubscriptionStatusChanged,
)
from crmcore.customers import CustomerId
from crmcore.serialization import from_dict, to_dict

CID = CustomerId("c-1")
SID = SubscriptionId("s-1")
T0 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
FEE = Money("9.99", "EUR")


def plan(period=None, trial=None, price=FEE):
    return Plan(
        id=PlanId("basic"),
        name="Basic",
        price=price,
        period=period or Period.months(1),
        product_type="Streaming",
        trial=trial,
    )


def start(at=T0, **options):
    chosen = options.pop("plan", None) or plan()
    options.setdefault("grace_days", 3)
    return Subscription.start(SID, customer_id=CID, plan=chosen, at=at, **options)


def day(month, dd, year=2026, hour=12):
    return datetime(year, month, dd, hour, 0, tzinfo=UTC)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


# -- periods ---------------------------------------------------------------------------------


def test_period_constructors_and_text():
    """Periods read naturally and compare by count and unit."""
    assert Period(1, "month") == Period.months(1)
    assert Period(2, TimeUnit.WEEK) == Period.weeks(2)
    assert ["1 day", "3 weeks", "1 month", "2 years"] == [
        str(p) for p in (Period.days(1), Period.weeks(3), Period.months(1), Period.years(2))
    ]
    assert relativedelta(months=3) == Period.months(1).times(3)
    assert relativedelta(weeks=2) == Period.weeks(1).to_relativedelta() * 2


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (relativedelta(months=1), Period.months(1)),
        (relativedelta(months=18), Period.months(18)),
        (relativedelta(years=1, months=6), Period.months(18)),
        (relativedelta(years=2), Period.years(2)),
        (relativedelta(months=24), Period.years(2)),
        (relativedelta(weeks=2), Period.days(14)),
        (relativedelta(days=10), Period.days(10)),
    ],
)
def test_period_from_relativedelta(delta, expected):
    """Whole days, weeks, months and years convert; years and months merge."""
    assert expected == Period.from_relativedelta(delta)


@pytest.mark.parametrize(
    "delta",
    [
        relativedelta(hours=1),
        relativedelta(months=-1),
        relativedelta(months=1, days=1),
        relativedelta(day=31),
        relativedelta(),
        relativedelta(years=11),
    ],
)
def test_period_from_relativedelta_refuses_what_is_not_a_period(delta):
    """Times of day, negative or mixed spans, absolute fields, nothing, or too long: refused."""
    with pytest.raises(ValidationError) as info:
        Period.from_relativedelta(delta, "$.period")
    assert info.value.path.startswith("$.period")


@pytest.mark.parametrize(
    ("count", "unit", "path"),
    [(0, "month", "$.count"), (121, "month", "$.count"), (1, "fortnight", "$.unit")],
)
def test_period_fields_are_checked(count, unit, path):
    """A count of at least one and at most ten years, in a known unit."""
    with pytest.raises(ValidationError) as info:
        Period(count, unit)
    assert path == info.value.path


def test_period_count_is_an_int():
    """A float count is refused."""
    with pytest.raises(InvalidType):
        Period(1.0, "month")


def test_plan_takes_a_relativedelta_and_refuses_a_timedelta():
    """A plan's period may be given as a relativedelta; a timedelta is not calendar time."""
    assert Period.months(1) == plan(period=relativedelta(months=1)).period
    with pytest.raises(InvalidType) as info:
        plan(period=timedelta(days=30))
    assert "$.period" == info.value.path
    assert "streaming" == plan().product_type


def test_plan_price_is_money_and_not_negative():
    """A negative fee is refused."""
    with pytest.raises(ValidationError) as info:
        plan(price=Money("-1", "EUR"))
    assert "$.price" == info.value.path


# -- the schedule ----------------------------------------------------------------------------


def test_month_end_schedule_keeps_to_its_anchor_day():
    """31 January falls due on 28 February, then on 31 March again, and so on."""
    sub = start()
    dues = [d.date().isoformat() for d in sub.due_dates(until=day(12, 31))]
    assert [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
    ] == dues
    assert all(d.hour == 12 for d in sub.due_dates(until=day(12, 31)))


def test_leap_years():
    """29 February is due in leap years; a yearly plan started then falls back to 28 February."""
    monthly = start(at=day(1, 31, 2028))
    assert day(2, 29, 2028) == monthly.due_at(1)
    yearly = start(at=day(2, 29, 2024), plan=plan(period=Period.years(1)))
    assert [day(2, 29, 2024), day(2, 28, 2025), day(2, 28, 2026), day(2, 28, 2027)] == list(
        yearly.due_dates(until=day(1, 1, 2028))
    )
    assert day(2, 29, 2028) == yearly.due_at(4)


def test_quarterly_and_weekly_schedules():
    """Three-month periods from 30 November; weekly periods from a Monday."""
    quarterly = start(at=day(11, 30), plan=plan(period=Period.months(3)))
    assert [day(11, 30), day(2, 28, 2027), day(5, 30, 2027), day(8, 30, 2027)] == list(
        quarterly.due_dates(until=day(9, 1, 2027))
    )
    weekly = start(at=day(3, 2), plan=plan(period=Period.weeks(1)))
    assert [day(3, 2), day(3, 9), day(3, 16)] == list(weekly.due_dates(until=day(3, 16)))


def test_due_dates_include_until():
    """A due date exactly at ``until`` is listed."""
    assert 2 == len(start().due_dates(until=day(2, 28)))
    assert 1 == len(start().due_dates(until=day(2, 28) - timedelta(seconds=1)))
    assert () == start().due_dates(until=T0 - timedelta(days=1))


def test_next_due_date():
    """The first due date at or after a time."""
    sub = start()
    assert T0 == sub.next_due_date(at=T0)
    assert day(2, 28) == sub.next_due_date(at=T0 + timedelta(seconds=1))
    assert day(3, 31) == sub.next_due_date(at=day(3, 15))


def test_due_at_checks_its_argument():
    """A negative number, or one past the calendar's end, is refused."""
    with pytest.raises(ValidationError) as info:
        start().due_at(-1)
    assert "$.number" == info.value.path
    with pytest.raises(ValidationError) as far:
        start(plan=plan(period=Period.years(1))).due_at(8000)
    assert ("$.number", "date_range") == (far.value.path, far.value.code)


def test_due_dates_refuse_an_unbounded_listing():
    """Listing more than MAX_DUES due dates is refused rather than building a huge tuple."""
    daily = start(plan=plan(period=Period.days(1)))
    with pytest.raises(ValidationError) as info:
        daily.due_dates(until=day(1, 1, 2400))
    assert ("$.until", "too_many") == (info.value.path, info.value.code)


def test_trial_moves_the_anchor():
    """A 14-day trial: trialing until 15 March, which is the first due date."""
    sub = start(at=day(3, 1), plan=plan(trial=Period.days(14)))
    assert SubscriptionStatus.TRIALING is sub.status
    assert day(3, 15) == sub.trial_ends_at
    assert day(3, 15) == sub.billing_anchor
    assert [day(3, 15), day(4, 15)] == list(sub.due_dates(until=day(4, 30)))
    assert sub is sub.refresh(at=day(3, 10))
    assert SubscriptionStatus.ACTIVE is sub.refresh(at=day(3, 15)).status


def test_start_records_the_event():
    """Starting records SubscriptionStarted with the plan's id, fee, period, trial and type."""
    sub = start(periods=12)
    assert (
        SubscriptionStarted(
            sequence=1,
            occurred_at=T0,
            subscription_id=SID,
            customer_id=CID,
            plan_id=PlanId("basic"),
            fee=FEE,
            period=Period.months(1),
            trial=None,
            product_type="streaming",
            status=SubscriptionStatus.ACTIVE,
            term_periods=12,
        ),
    ) == sub.pending_events
    assert FEE == sub.fee
    assert "streaming" == sub.product_type
    assert "Basic" not in repr(sub.pending_events)
    assert T0 == sub.created_at == sub.started_at == sub.updated_at


def test_start_checks_its_arguments():
    """Grace days and terms are bounded; a plan is required."""
    with pytest.raises(ValidationError) as grace:
        start(grace_days=400)
    assert "$.grace_days" == grace.value.path
    with pytest.raises(ValidationError) as term:
        start(periods=0)
    assert "$.periods" == term.value.path
    with pytest.raises(InvalidType) as wrong:
        Subscription.start(SID, customer_id=CID, plan="basic", at=T0)
    assert "$.plan" == wrong.value.path


def test_start_in_a_named_zone_is_pinned_to_its_offset():
    """A schedule started in a named zone keeps its offset and survives serialization."""
    berlin = datetime(2026, 1, 15, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    sub = start(at=berlin)
    assert berlin == sub.started_at
    assert timedelta(hours=1) == sub.due_at(5).utcoffset()
    for number in range(4):
        due = sub.due_at(number)
        sub = sub.record_payment(PaymentId(f"p-{number}"), FEE, at=due)
    assert sub == roundtrip(sub)


# -- status machine --------------------------------------------------------------------------


def test_unpaid_past_grace_is_past_due_and_payment_recovers():
    """Unpaid three days after the due date: past due; paying makes it active again."""
    sub = start()
    assert sub is sub.refresh(at=day(2, 3))
    late = sub.refresh(at=day(2, 4))
    assert SubscriptionStatus.PAST_DUE is late.status
    assert (
        SubscriptionStatusChanged(
            sequence=2,
            occurred_at=day(2, 4),
            subscription_id=SID,
            customer_id=CID,
            previous=SubscriptionStatus.ACTIVE,
            status=SubscriptionStatus.PAST_DUE,
        )
        == late.pending_events[-1]
    )
    recovered = late.record_payment(PaymentId("p-1"), FEE, at=day(2, 5))
    assert SubscriptionStatus.ACTIVE is recovered.status
    assert ["SubscriptionPaymentRecorded", "SubscriptionStatusChanged"] == [
        e.type for e in recovered.pending_events[-2:]
    ]


def test_trial_ends_active_or_past_due():
    """After the trial, an unpaid first fee within grace is active, past grace past due."""
    sub = start(at=day(3, 1), plan=plan(trial=Period.days(14)))
    active = sub.refresh(at=day(3, 16))
    assert SubscriptionStatus.ACTIVE is active.status
    assert SubscriptionStatus.PAST_DUE is active.refresh(at=day(3, 19)).status
    assert SubscriptionStatus.PAST_DUE is sub.refresh(at=day(3, 19)).status
    paid = sub.record_payment(PaymentId("p-1"), FEE, at=day(3, 14))
    assert SubscriptionStatus.TRIALING is paid.status
    assert SubscriptionStatus.ACTIVE is paid.refresh(at=day(3, 20)).status


def test_cancel_at_period_end():
    """A cancellation asked for on 10 February takes effect at the end of the period."""
    sub = start().record_payment(PaymentId("p-1"), FEE, at=T0)
    asked = sub.cancel(at=day(2, 10), reason="too expensive")
    assert SubscriptionStatus.ACTIVE is asked.status
    assert day(2, 28) == asked.ends_at
    assert "too expensive" == asked.cancel_reason
    assert (
        SubscriptionCancellationScheduled(
            sequence=3,
            occurred_at=day(2, 10),
            subscription_id=SID,
            customer_id=CID,
            ends_at=day(2, 28),
        )
        == asked.pending_events[-1]
    )
    assert asked is asked.cancel(at=day(2, 11))
    assert [T0] == list(asked.due_dates(until=day(12, 31)))
    assert asked.next_due_date(at=day(2, 11)) is None
    ended = asked.refresh(at=day(3, 1))
    assert SubscriptionStatus.CANCELLED is ended.status
    assert day(2, 28) == ended.ended_at
    assert (
        SubscriptionCancelled(
            sequence=4,
            occurred_at=day(3, 1),
            subscription_id=SID,
            customer_id=CID,
            immediately=False,
            ended_at=day(2, 28),
        )
        == ended.pending_events[-1]
    )
    assert "too expensive" == ended.cancel_reason
    assert all("too expensive" not in str(to_dict(e)) for e in ended.pending_events)


def test_resume_withdraws_a_scheduled_cancellation():
    """Resuming before the end keeps the subscription renewing."""
    asked = start().cancel(at=day(2, 10))
    resumed = asked.resume(at=day(2, 20))
    assert resumed.ends_at is None
    assert "SubscriptionResumed" == resumed.pending_events[-1].type
    with pytest.raises(ValidationError) as info:
        resumed.resume(at=day(2, 21))
    assert "nothing_scheduled" == info.value.code


def test_cancel_immediately():
    """An immediate cancellation ends the subscription now; fees already due stay owed."""
    sub = start().cancel(at=day(2, 10), immediately=True, reason="moving abroad")
    assert SubscriptionStatus.CANCELLED is sub.status
    assert day(2, 10) == sub.ended_at
    assert [T0] == list(sub.due_dates(until=day(12, 31)))
    assert sub.next_due_date(at=day(2, 11)) is None
    assert FEE == sub.outstanding(at=day(3, 1))
    paid = sub.record_payment(PaymentId("p-1"), FEE, at=day(3, 1))
    assert Money("0.00", "EUR") == paid.outstanding(at=day(3, 1))


def test_a_cancelled_subscription_is_final():
    """Cancelling, renewing or resuming a cancelled subscription is TransitionNotAllowed."""
    sub = start().cancel(at=day(2, 10), immediately=True)
    for command in (
        lambda: sub.cancel(at=day(2, 11)),
        lambda: sub.resume(at=day(2, 11)),
        lambda: sub.renew(at=day(2, 11)),
    ):
        with pytest.raises(TransitionNotAllowed) as info:
            command()
        assert ("$.status", "transition") == (info.value.path, info.value.code)
        assert ("subscription", "cancelled", ()) == (
            info.value.machine,
            info.value.current,
            info.value.allowed,
        )
        assert "that status is final" in info.value.rule
    assert sub is sub.refresh(at=day(6, 1))


def test_fixed_term_expires_and_can_be_renewed_before():
    """Three monthly periods end on 30 April; renewing adds two more."""
    sub = start(periods=3)
    assert [T0, day(2, 28), day(3, 31)] == list(sub.due_dates(until=day(12, 31)))
    assert day(4, 30) == sub.ends_at
    expired = sub.refresh(at=day(5, 1))
    assert SubscriptionStatus.EXPIRED is expired.status
    assert (
        SubscriptionExpired(
            sequence=2,
            occurred_at=day(5, 1),
            subscription_id=SID,
            customer_id=CID,
            ended_at=day(4, 30),
        )
        == expired.pending_events[-1]
    )
    renewed = sub.renew(at=day(4, 1), periods=2)
    assert day(6, 30) == renewed.ends_at
    assert 5 == renewed.term_periods
    assert (
        SubscriptionRenewed(
            sequence=3,  # after the refresh's SubscriptionStatusChanged (fees unpaid)
            occurred_at=day(4, 1),
            subscription_id=SID,
            customer_id=CID,
            periods=2,
            ends_at=day(6, 30),
        )
        == renewed.pending_events[-1]
    )
    with pytest.raises(TransitionNotAllowed) as info:
        sub.renew(at=day(5, 2))
    assert ("$.status", "transition") == (info.value.path, info.value.code)


def test_open_ended_subscription_renews_by_itself():
    """renew() is for fixed terms."""
    with pytest.raises(ValidationError) as info:
        start().renew(at=day(2, 1))
    assert ("$.term_periods", "open_ended") == (info.value.path, info.value.code)


def test_transition_table():
    """Every status is in the machine; cancelled and expired are final; nothing returns to trialing."""
    table = SUBSCRIPTION_STATUSES.transitions
    assert set(SubscriptionStatus) == set(table)
    assert SUBSCRIPTION_STATUSES.is_final(SubscriptionStatus.CANCELLED)
    assert SUBSCRIPTION_STATUSES.is_final(SubscriptionStatus.EXPIRED)
    assert all(SubscriptionStatus.TRIALING not in targets for targets in table.values())
    assert "subscription" == SUBSCRIPTION_STATUSES.name


def test_commands_before_the_start_are_refused():
    """Nothing happens to a subscription before it started: times never go backwards."""
    with pytest.raises(ValidationError) as info:
        start().cancel(at=T0 - timedelta(days=1))
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


# -- the kernel: time rule, envelope, loading -------------------------------------------------


def test_commands_and_refresh_dated_before_the_last_change_are_refused():
    """The time rule holds for refresh like every command; a refused command changes nothing."""
    sub = start().record_payment(PaymentId("p-1"), FEE, at=day(2, 5))
    assert day(2, 5) == sub.updated_at
    for command in (
        lambda: sub.refresh(at=day(2, 4)),
        lambda: sub.record_payment(PaymentId("p-2"), FEE, at=day(2, 4)),
        lambda: sub.record_failed_payment(PaymentId("p-2"), FEE, at=day(2, 4)),
        lambda: sub.cancel(at=day(2, 4)),
        lambda: sub.resume(at=day(2, 4)),
        lambda: sub.renew(at=day(2, 4)),
    ):
        with pytest.raises(ValidationError) as info:
            command()
        assert ("$.at", "time_backwards") == (info.value.path, info.value.code)
    assert day(2, 5) == sub.updated_at
    assert 2 == len(sub.pending_events)
    assert SubscriptionStatus.ACTIVE is sub.status


def test_refused_status_change_is_transition_not_allowed():
    """An expired subscription may not be cancelled: TransitionNotAllowed, code transition."""
    expired = start(periods=1).refresh(at=day(3, 1))
    assert SubscriptionStatus.EXPIRED is expired.status
    with pytest.raises(TransitionNotAllowed) as info:
        expired.cancel(at=day(3, 2), immediately=True)
    assert ("$.status", "transition") == (info.value.path, info.value.code)
    assert ("expired", "cancelled") == (info.value.current, info.value.wanted)


def test_events_carry_the_envelope():
    """Sequence 1..n and event ids; commands pass their envelope on to the refresh they run."""
    sub = start(actor="signup-form", correlation_id="req-1")
    sub = sub.refresh(at=day(2, 4), actor="scheduler")
    sub = sub.record_payment(PaymentId("p-1"), FEE, at=day(2, 5), actor="psp", causation_id="w-7")
    events = sub.pending_events
    assert [
        "SubscriptionStarted",
        "SubscriptionStatusChanged",
        "SubscriptionPaymentRecorded",
        "SubscriptionStatusChanged",
    ] == [e.type for e in events]
    assert [1, 2, 3, 4] == [e.sequence for e in events]
    assert [f"subscription:s-1#{n}" for n in (1, 2, 3, 4)] == [e.event_id for e in events]
    assert ["signup-form", "scheduler", "psp", "psp"] == [e.actor for e in events]
    assert ["req-1", None, None, None] == [e.correlation_id for e in events]
    assert [None, None, "w-7", "w-7"] == [e.causation_id for e in events]
    assert [T0, day(2, 4), day(2, 5), day(2, 5)] == [e.occurred_at for e in events]


def test_a_scheduled_end_is_recorded_when_refresh_passes_it():
    """A payment after the end, then refresh: the event is dated at the refresh, ended_at at the end."""
    sub = start(periods=1).record_payment(PaymentId("p-1"), FEE, at=day(3, 5))
    assert SubscriptionStatus.EXPIRED is sub.status
    expired = sub.pending_events[-1]
    assert isinstance(expired, SubscriptionExpired)
    assert (day(3, 5), day(2, 28)) == (expired.occurred_at, expired.ended_at)
    assert [e.occurred_at for e in sub.pending_events] == sorted(
        e.occurred_at for e in sub.pending_events
    )


def test_schema_1_documents_load_with_started_at():
    """A stored subscription of schema version 1 (started_at, no updated_at) still loads."""
    sub = start().record_payment(PaymentId("p-1"), FEE, at=day(2, 1)).without_pending_events()
    data = to_dict(sub)
    data["schema_version"] = 1
    data["started_at"] = data.pop("created_at")
    del data["updated_at"]
    del data["sequence"]
    loaded = from_dict(Subscription, data)
    assert T0 == loaded.started_at
    assert day(2, 1) == loaded.updated_at


def test_loading_refuses_a_payment_before_the_start():
    """A stored payment dated before the subscription started is refused."""
    data = to_dict(start().record_payment(PaymentId("p-1"), FEE, at=T0).without_pending_events())
    data["payments"][0]["at"] = (T0 - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Subscription, data)
    assert "$.payments[0].at" in [p.path for p in info.value.problems]


@pytest.mark.parametrize("field", ["cancel_requested_at", "ended_at"])
def test_loading_refuses_a_cancellation_or_end_before_the_start(field):
    """A stored cancellation request or end dated before the start is refused."""
    sub = start().cancel(at=T0 + timedelta(days=3), immediately=field == "ended_at")
    data = to_dict(sub.without_pending_events())
    assert data[field] is not None
    data[field] = (T0 - timedelta(days=400)).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Subscription, data)
    assert f"$.{field}" in [p.path for p in info.value.problems]


def test_failure_reason_is_a_code():
    """A failed attempt's reason is a snake_case code; free text is refused."""
    sub = start()
    tried = sub.record_failed_payment(PaymentId("p-1"), FEE, at=T0, reason="expired_card")
    assert "expired_card" == tried.payments[0].failure_reason
    with pytest.raises(ValidationError) as info:
        sub.record_failed_payment(PaymentId("p-1"), FEE, at=T0, reason="the card expired")
    assert "$.reason" == info.value.path


# -- payments against the schedule -----------------------------------------------------------


def test_payment_settles_the_earliest_unpaid_due_date():
    """Payments settle due dates in order; paying ahead is allowed."""
    sub = start()
    sub = sub.record_payment(PaymentId("p-1"), FEE, at=T0, method="card")
    sub = sub.record_payment(PaymentId("p-2"), FEE, at=T0 + timedelta(hours=1))
    assert [T0, day(2, 28)] == [p.due_at for p in sub.payments]


@pytest.mark.parametrize(
    ("amount", "due_at", "error", "path", "code"),
    [
        (Money("10.00", "EUR"), None, ValidationError, "$.amount", "amount"),
        (Money("9.99", "USD"), None, CurrencyMismatch, "$.amount", "currency_mismatch"),
        (FEE, day(2, 1), ValidationError, "$.due_at", "not_a_due_date"),
        (9.99, None, InvalidType, "$.amount", "type"),
    ],
)
def test_payment_rules(amount, due_at, error, path, code):
    """The fee, in the plan's currency, against a real due date; nothing changes on failure."""
    sub = start()
    with pytest.raises(error) as info:
        sub.record_payment(PaymentId("p-1"), amount, at=T0, due_at=due_at)
    assert (path, code) == (info.value.path, info.value.code)
    assert () == sub.payments


def test_paying_an_earlier_due_date_later_is_fine():
    """A fee for an earlier due date may be paid later, as long as the payment is not backdated."""
    sub = start().record_payment(PaymentId("p-2"), FEE, at=day(2, 1), due_at=day(2, 28))
    late = sub.record_payment(PaymentId("p-1"), FEE, at=day(2, 2), due_at=T0)
    assert [day(2, 28), T0] == [p.due_at for p in late.payments]
    with pytest.raises(ValidationError) as info:
        sub.record_payment(PaymentId("p-1"), FEE, at=day(1, 31, hour=13), due_at=T0)
    assert ("$.at", "time_backwards") == (info.value.path, info.value.code)


def test_a_due_date_is_paid_once():
    """Paying a settled due date again is refused; a payment id is used once."""
    sub = start().record_payment(PaymentId("p-1"), FEE, at=T0)
    with pytest.raises(ValidationError) as twice:
        sub.record_payment(PaymentId("p-2"), FEE, at=T0, due_at=T0)
    assert "already_paid" == twice.value.code
    with pytest.raises(ValidationError) as again:
        sub.record_payment(PaymentId("p-1"), FEE, at=T0)
    assert ("$.payment_id", "duplicate") == (again.value.path, again.value.code)


def test_nothing_to_pay_after_the_last_due_date_of_a_term():
    """A fixed term has a last due date."""
    sub = start(periods=2)
    sub = sub.record_payment(PaymentId("p-1"), FEE, at=T0)
    sub = sub.record_payment(PaymentId("p-2"), FEE, at=T0)
    with pytest.raises(ValidationError) as info:
        sub.record_payment(PaymentId("p-3"), FEE, at=T0)
    assert "nothing_due" == info.value.code
    with pytest.raises(ValidationError) as after:
        sub.record_payment(PaymentId("p-3"), FEE, at=T0, due_at=day(3, 31))
    assert "after_end" == after.value.code


def test_loading_refuses_a_payment_off_the_schedule():
    """A stored payment naming a date that is not due is refused on load."""
    data = to_dict(start().record_payment(PaymentId("p-1"), FEE, at=T0).without_pending_events())
    data["payments"][0]["due_at"] = day(2, 1).isoformat()
    with pytest.raises(ValidationError) as info:
        from_dict(Subscription, data)
    assert "$.payments[0].due_at" in [p.path for p in info.value.problems]


def test_loading_refuses_a_final_status_without_an_end():
    """A cancelled subscription needs ended_at."""
    data = to_dict(start().without_pending_events())
    data["status"] = "cancelled"
    with pytest.raises(ValidationError) as info:
        from_dict(Subscription, data)
    assert "$.ended_at" in [p.path for p in info.value.problems]


def test_round_trip_with_events():
    """A subscription with payments, a scheduled cancellation and its events survives JSON."""
    sub = start(at=day(3, 1), plan=plan(trial=Period.days(14)), periods=6)
    sub = sub.record_failed_payment(PaymentId("p-0"), FEE, at=day(3, 15), reason="declined")
    sub = sub.record_payment(PaymentId("p-1"), FEE, at=day(3, 16), method="direct_debit")
    sub = sub.renew(at=day(4, 1)).cancel(at=day(4, 2), reason="moving").refresh(at=day(6, 1))
    back = roundtrip(sub)
    assert sub == back
    assert sub.pending_events == back.pending_events
    for event in sub.pending_events:
        assert event == roundtrip(event, DomainEvent)
    assert plan(trial=Period.days(14)) == roundtrip(plan(trial=Period.days(14)))
    assert Period.weeks(2) == roundtrip(Period.weeks(2))


def test_repr_is_short():
    """The repr names the subscription, plan and status."""
    assert (
        "Subscription(id=SubscriptionId('s-1'), customer_id=CustomerId('c-1'), "
        "plan=PlanId('basic'), status='active', version=0, pending_events=1)"
    ) == repr(start())


def test_timeline_facts():
    """Start, payments, a cancellation request and the end appear on the timeline."""
    sub = start().record_payment(PaymentId("p-1"), FEE, at=T0).cancel(at=day(2, 10))
    sub = sub.refresh(at=day(3, 1))
    assert [
        ("subscription", "s-1"),
        ("payment", "s-1/payment/p-1"),
        ("subscription", "s-1/cancellation-requested"),
        ("subscription", "s-1/ended"),
    ] == [f.identity for f in sub.timeline_facts()]
    assert "subscription s-1 started: Basic, 9.99 EUR every 1 month" == (
        sub.timeline_facts()[0].summary
    )


def test_timeline_facts_of_payments_and_failed_attempts():
    """Each payment is a fact keyed by its id; a failed attempt is of kind payment_failed."""
    sub = start().record_failed_payment(PaymentId("p-0"), FEE, at=T0, reason="card_declined")
    sub = sub.record_payment(PaymentId("p-1"), FEE, at=T0)
    assert [
        (("payment_failed", "s-1/payment/p-0"), "failed payment of 9.99 EUR for subscription s-1"),
        (("payment", "s-1/payment/p-1"), "payment of 9.99 EUR for subscription s-1"),
    ] == [(f.identity, f.summary) for f in sub.timeline_facts()[1:]]


# -- properties ------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - bounds for st.datetimes.
    max_value=datetime(2080, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-4))]),
)


@given(starts, st.sampled_from([1, 2, 3, 6, 12]), st.integers(0, 240))
def test_monthly_due_dates_never_drift_off_the_anchor_day(started, months, number):
    """The n-th due date is on the anchor's day, or the month's last day when shorter."""
    sub = start(at=started, plan=plan(period=Period.months(months)))
    due = sub.due_at(number)
    last = calendar.monthrange(due.year, due.month)[1]
    assert min(started.day, last) == due.day
    assert (started.hour, started.minute, started.second) == (due.hour, due.minute, due.second)
    assert started + relativedelta(months=months * number) == due
    assert due < sub.due_at(number + 1)


@given(
    starts,
    st.sampled_from([Period.days(1), Period.weeks(2), Period.months(1), Period.years(1)]),
    st.integers(0, 3000),
)
def test_due_dates_and_next_due_match_a_brute_force_walk(started, period, offset_days):
    """due_dates and next_due_date agree with computing each due date in turn."""
    sub = start(at=started, plan=plan(period=period))
    moment = started + timedelta(days=offset_days, hours=offset_days % 24)
    expected = []
    number = 0
    while (due := started + period.times(number)) <= moment:
        expected.append(due)
        number += 1
    assert expected == list(sub.due_dates(until=moment))
    assert started + period.times(number) == sub.next_due_date(at=moment + timedelta(seconds=1))


@given(starts, st.lists(st.tuples(st.booleans(), st.integers(0, 10)), max_size=12))
def test_any_history_round_trips(started, attempts):
    """Subscriptions with any mix of payments and failures survive JSON."""
    sub = start(at=started)
    for number, (succeeded, late_days) in enumerate(attempts):
        when = sub.due_at(number) + timedelta(days=late_days)
        command = sub.record_payment if succeeded else sub.record_failed_payment
        sub = command(PaymentId(f"p-{number}"), FEE, at=when, due_at=sub.due_at(number))
    back = roundtrip(sub)
    assert sub == back
    assert sub.pending_events == back.pending_events


@pytest.mark.parametrize(
    ("at", "overdue"),
    [
        (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), True),
        (datetime.max.replace(tzinfo=UTC), True),
        (datetime.min.replace(tzinfo=timezone(timedelta(hours=14))), False),
    ],
)
def test_is_overdue_answers_at_the_edges_of_the_calendar(at, overdue):
    """Where a UTC+7 anchor's clock cannot show ``at`` (past 9999, before year 1), it still answers."""
    subscription = start(at=datetime(2026, 1, 31, 12, 0, tzinfo=timezone(timedelta(hours=7))))
    assert subscription.is_overdue(at=at) is overdue
    assert subscription.due_dates(until=at)[:1] == (
        () if not overdue else (subscription.due_at(0),)
    )

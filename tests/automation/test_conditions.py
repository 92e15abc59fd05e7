"""Tests for `crmcore.automation._conditions`: which records meet a time condition at an instant."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, InvalidType, Money, PersonName, ValidationError
from crmcore._kernel._ids import StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.automation._conditions import (
    MAX_DAYS_AHEAD,
    MAX_HOURS,
    MAX_QUIET_DAYS,
    TIME_CONDITION_BOUNDS,
    TimeCondition,
    TimeMatch,
    check_amount,
    time_matches,
)
from crmcore.commerce import (
    FulfilmentStatus,
    Order,
    OrderId,
    OrderLine,
    OrderStatus,
    PaymentId,
    PaymentStatus,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
    SubscriptionStatus,
)
from crmcore.customers import OrganizationName
from crmcore.errors import UnitOfWorkError
from crmcore.repository import InMemoryUnitOfWork
from crmcore.service import (
    BusinessCalendar,
    Case,
    CaseId,
    CaseStatus,
    SlaClock,
    SlaMetric,
    SlaPolicy,
    SlaTarget,
    sla_status,
)
from crmcore.testing.strategies import (
    aware_datetimes,
    cases,
    customers,
    orders,
    sla_policies,
    subscriptions,
)

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ANA = CustomerId("c-ana")
BUDI = CustomerId("c-budi")
SARI = StaffId("s-sari")
C = TimeCondition


def store(*aggregates: object) -> InMemoryUnitOfWork:
    """A committed in-memory unit holding the aggregates (customers first)."""
    uow = InMemoryUnitOfWork()
    with uow:
        for aggregate in aggregates:
            if isinstance(aggregate, Customer):
                uow.customers.add(aggregate)
            elif isinstance(aggregate, Order):
                uow.orders.add(aggregate)
            elif isinstance(aggregate, Subscription):
                uow.subscriptions.add(aggregate)
            else:
                assert isinstance(aggregate, Case)
                uow.cases.add(aggregate)
        uow.commit()
    return uow


def matches(
    uow: InMemoryUnitOfWork,
    condition: str,
    amount: int,
    at: datetime,
    policy: SlaPolicy | None = None,
) -> list[TimeMatch]:
    with uow:
        return time_matches(condition, amount, uow, at, sla_policy=policy)


def person(
    customer_id: CustomerId = ANA,
    born: date | None = None,
    at: datetime = T0,
    owner: StaffId | None = None,
) -> Customer:
    return Customer.register(
        customer_id, name=PersonName("Ana"), birth_date=born, at=at, owner=owner
    )


# -- arguments -------------------------------------------------------------------------------


def test_bounds_per_condition() -> None:
    """Each condition accepts its own range of amounts, both ends included."""
    assert {
        C.BIRTHDAY_IN: (0, MAX_DAYS_AHEAD),
        C.SUBSCRIPTION_DUE_IN: (0, MAX_DAYS_AHEAD),
        C.NO_PURCHASE_FOR: (1, MAX_QUIET_DAYS),
        C.SLA_BREACH_IN: (1, MAX_HOURS),
        C.TASK_OVERDUE: (0, MAX_HOURS),
    } == dict(TIME_CONDITION_BOUNDS)
    for condition, (low, high) in TIME_CONDITION_BOUNDS.items():
        assert condition.bounds == (low, high)
        assert check_amount(condition, low) == low
        assert check_amount(condition.value, high) == high
        for wrong in (low - 1, high + 1):
            with pytest.raises(ValidationError) as info:
                check_amount(condition, wrong)
            assert (info.value.path, info.value.code) == ("$.amount", "amount_range")
            assert condition.unit in str(info.value)
    assert C.SLA_BREACH_IN.unit == "hours"
    assert C.BIRTHDAY_IN.unit == "days"


@pytest.mark.parametrize("amount", [True, 1.0, "3", None])
def test_amount_must_be_an_int(amount: object) -> None:
    """A bool, float, str or None is not an amount."""
    with pytest.raises(InvalidType) as info:
        check_amount("birthday_in", amount)
    assert info.value.path == "$.amount"


def test_arguments_are_checked_before_reading() -> None:
    """Unknown conditions, naive times, wrong units and a missing policy are refused."""
    uow = store()
    with uow:
        with pytest.raises(ValidationError) as info:
            time_matches("anniversary_in", 1, uow, T0)
        assert (info.value.path, info.value.code) == ("$.condition", "choice")
        with pytest.raises(ValidationError) as info:
            time_matches("birthday_in", 1, uow, datetime(2026, 1, 1))  # noqa: DTZ001
        assert (info.value.path, info.value.code) == ("$.at", "naive_datetime")
        with pytest.raises(InvalidType) as info:
            time_matches("birthday_in", 1, object(), T0)  # type: ignore[arg-type]
        assert info.value.path == "$.unit"
        with pytest.raises(ValidationError) as info:
            time_matches("sla_breach_in", 4, uow, T0)
        assert (info.value.path, info.value.code) == ("$.sla_policy", "sla_policy_required")
        with pytest.raises(InvalidType) as info:
            time_matches("birthday_in", 1, uow, T0, sla_policy="standard")  # type: ignore[arg-type]
        assert info.value.path == "$.sla_policy"
        with pytest.raises(ValidationError) as info:
            time_matches("task_overdue", MAX_HOURS + 1, uow, T0)
        assert info.value.code == "amount_range"
    with pytest.raises(UnitOfWorkError):
        time_matches("birthday_in", 1, uow, T0)


def test_time_match_checks_its_fields() -> None:
    """A match refuses fields of the wrong type and an empty occasion."""
    ref = RecordRef.to(ANA)
    with pytest.raises(InvalidType) as info:
        TimeMatch(condition="birthday_in", record="customer:c-ana", occasion="x")  # type: ignore[arg-type]
    assert info.value.path == "$.record"
    with pytest.raises(InvalidType) as info:
        TimeMatch(condition="birthday_in", record=ref, owner_id="s-1", occasion="x")  # type: ignore[arg-type]
    assert info.value.path == "$.owner_id"
    with pytest.raises(InvalidType) as info:
        TimeMatch(condition="birthday_in", record=ref, occasion=3)  # type: ignore[arg-type]
    assert info.value.path == "$.occasion"
    with pytest.raises(ValidationError) as info:
        TimeMatch(condition="birthday_in", record=ref, occasion="")
    assert info.value.code == "occasion"
    with pytest.raises(ValidationError) as info:
        TimeMatch(condition="someday", record=ref, occasion="x")
    assert info.value.path == "$.condition"
    assert TimeMatch(condition="task_overdue", record=None, occasion="overdue:a").key == (
        "|overdue:a"
    )


# -- birthday_in -----------------------------------------------------------------------------


def celebrated_on(born: date, year: int) -> date:
    """The birthday in ``year``, worked out by hand: 29 February moves to 28 February."""
    if (born.month, born.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, born.month, born.day)


@given(
    people=st.lists(
        customers(pending_events=False, max_created_at=datetime(2030, 1, 1, tzinfo=UTC)),
        max_size=6,
        unique_by=lambda c: c.id,
    ),
    at=aware_datetimes(max_value=datetime(2040, 1, 1, tzinfo=UTC)),
    days=st.integers(0, MAX_DAYS_AHEAD),
)
def test_birthday_in_matches_the_calendar(people: list[Customer], at: datetime, days: int) -> None:
    """A customer matches exactly when the date N days ahead is their birthday."""
    day = at.date() + timedelta(days=days)
    expected = sorted(
        f"customer:{c.id.value}|birthday:{day.isoformat()}"
        for c in people
        if c.profile.birth_date is not None
        and c.merged_into is None
        and c.created_at <= at
        and c.profile.birth_date < day
        and celebrated_on(c.profile.birth_date, day.year) == day
    )
    found = matches(store(*people), "birthday_in", days, at)
    assert expected == [m.key for m in found]
    by_id = {c.id: c for c in people}
    for match in found:
        assert match.condition is C.BIRTHDAY_IN
        assert match.customer_id is not None
        assert match.owner_id == by_id[match.customer_id].owner
        assert match.record == RecordRef.to(match.customer_id)


@pytest.mark.parametrize(
    ("at", "days", "fires_on"),
    [
        (datetime(2027, 2, 28, 8, tzinfo=UTC), 0, date(2027, 2, 28)),  # common year: 28 Feb
        (datetime(2027, 2, 27, 8, tzinfo=UTC), 1, date(2027, 2, 28)),
        (datetime(2027, 3, 1, 8, tzinfo=UTC), 0, None),
        (datetime(2028, 2, 28, 8, tzinfo=UTC), 0, None),  # leap year: the 29th itself
        (datetime(2028, 2, 28, 8, tzinfo=UTC), 1, date(2028, 2, 29)),
        (datetime(2027, 3, 1, 8, tzinfo=UTC), 365, date(2028, 2, 29)),
        (datetime(2027, 3, 1, 8, tzinfo=UTC), 364, None),
    ],
)
def test_birthday_on_29_february(at: datetime, days: int, fires_on: date | None) -> None:
    """Someone born on 29 February celebrates on 28 February in common years."""
    uow = store(person(born=date(2000, 2, 29)))
    found = matches(uow, "birthday_in", days, at)
    expected = [] if fires_on is None else [f"birthday:{fires_on.isoformat()}"]
    assert expected == [m.occasion for m in found]


def test_birthday_today_and_the_time_zone_of_at() -> None:
    """N = 0 is today in the zone of ``at``: one instant is 3 May in UTC, 4 May in Jakarta."""
    uow = store(person(born=date(1990, 5, 4), owner=SARI))
    instant = datetime(2026, 5, 3, 20, 0, tzinfo=UTC)
    assert [] == matches(uow, "birthday_in", 0, instant)
    assert ["birthday:2026-05-04"] == [m.occasion for m in matches(uow, "birthday_in", 1, instant)]
    in_jakarta = instant.astimezone(WIB)  # 2026-05-04 03:00 +07:00
    [today] = matches(uow, "birthday_in", 0, in_jakarta)
    assert (today.occasion, today.owner_id, today.customer_id) == ("birthday:2026-05-04", SARI, ANA)
    assert [] == matches(uow, "birthday_in", 1, in_jakarta)


def test_birthday_skips_who_has_none() -> None:
    """Customers without a birth date, organisations and the not yet registered are skipped."""
    born = date(1990, 1, 10)
    later = datetime(2026, 1, 8, tzinfo=UTC)
    uow = store(
        person(ANA, None),
        Customer.register(CustomerId("c-pt"), name=OrganizationName("PT Maju"), at=T0),
        person(BUDI, born, at=later),
        person(CustomerId("c-cici"), born),
    )
    assert ["customer:c-cici|birthday:2026-01-10"] == [
        m.key for m in matches(uow, "birthday_in", 5, T0)
    ]
    assert 2 == len(matches(uow, "birthday_in", 2, later))


def test_birthday_off_the_calendar_matches_nothing() -> None:
    """A date past year 9999 is nobody's birthday."""
    uow = store(person(born=date(1990, 1, 10)))
    assert [] == matches(uow, "birthday_in", 10, datetime(9999, 12, 30, tzinfo=UTC))


# -- subscription_due_in ---------------------------------------------------------------------


MONTHLY = Plan(
    id=PlanId("basic"),
    name="Basic",
    price=Money("50000", "IDR"),
    period=Period.months(1),
    product_type="internet",
)
FREE = Plan(
    id=PlanId("free"),
    name="Free",
    price=Money("0", "IDR"),
    period=Period.months(1),
    product_type="internet",
)


def monthly(sub_id: str = "s-1", at: datetime = T0, plan: Plan = MONTHLY) -> Subscription:
    return Subscription.start(SubscriptionId(sub_id), customer_id=ANA, plan=plan, at=at)


def test_due_in_days_before_each_due_date() -> None:
    """A monthly subscription started on 5 January is due on the 5th of every month."""
    uow = store(person(), monthly())
    at = datetime(2026, 2, 2, 10, tzinfo=UTC)
    assert [] == matches(uow, "subscription_due_in", 2, at)
    [due] = matches(uow, "subscription_due_in", 3, at)
    assert due.key == "subscription:s-1|due:2026-02-05T09:00:00+00:00"
    assert (due.customer_id, due.owner_id) == (ANA, None)
    on_the_day = datetime(2026, 2, 5, 20, tzinfo=UTC)  # after the due time, the same date
    assert [due.key] == [m.key for m in matches(uow, "subscription_due_in", 0, on_the_day)]


def test_due_dates_in_the_zone_of_at() -> None:
    """The due instant 2026-02-05 23:00 UTC falls on 6 February in Jakarta."""
    start = datetime(2026, 1, 5, 23, 0, tzinfo=UTC)
    uow = store(person(owner=SARI), monthly(at=start))
    at = datetime(2026, 2, 3, 12, tzinfo=UTC)
    assert 1 == len(matches(uow, "subscription_due_in", 2, at))
    [in_jakarta] = matches(uow, "subscription_due_in", 3, at.astimezone(WIB))
    assert in_jakarta.owner_id == SARI  # the customer's owner: the subscription has none
    assert in_jakarta.occasion == "due:2026-02-05T23:00:00+00:00"


def test_due_skips_paid_free_cancelled_and_future_subscriptions() -> None:
    """Paid ahead, free, cancelled and not yet started subscriptions remind nobody."""
    paid_ahead = (
        monthly("s-paid")
        .record_payment(PaymentId("p-1"), MONTHLY.price, at=T0)
        .record_payment(PaymentId("p-2"), MONTHLY.price, at=T0 + timedelta(days=1))
    )
    cancelled = monthly("s-gone").cancel(at=T0 + timedelta(days=1), immediately=True)
    assert cancelled.status is SubscriptionStatus.CANCELLED
    later = monthly("s-later", at=datetime(2026, 2, 1, tzinfo=UTC))
    uow = store(person(), paid_ahead, monthly("s-free", plan=FREE), cancelled, later)
    at = datetime(2026, 2, 2, 10, tzinfo=UTC)
    assert [] == matches(uow, "subscription_due_in", 3, at)
    assert ["subscription:s-paid"] == [
        str(m.record)
        for m in matches(uow, "subscription_due_in", 3, datetime(2026, 3, 2, 10, tzinfo=UTC))
    ]


def test_due_counts_only_payments_made_by_at() -> None:
    """A fee paid on its due date is still reminded three days before: replays see no future."""
    paid_on_time = monthly().record_payment(PaymentId("p-1"), MONTHLY.price, at=T0)
    paid_on_time = paid_on_time.record_payment(
        PaymentId("p-2"), MONTHLY.price, at=datetime(2026, 2, 5, 9, tzinfo=UTC)
    )
    uow = store(person(), paid_on_time)
    assert 1 == len(matches(uow, "subscription_due_in", 3, datetime(2026, 2, 2, 10, tzinfo=UTC)))
    assert [] == matches(uow, "subscription_due_in", 0, datetime(2026, 2, 5, 10, tzinfo=UTC))


def test_due_past_the_calendar_matches_nothing() -> None:
    """A day past year 9999 has no due date."""
    uow = store(person(), monthly())
    assert [] == matches(uow, "subscription_due_in", 3, datetime(9999, 12, 30, tzinfo=UTC))


@given(
    subs=st.lists(
        subscriptions(
            customer_ids=[ANA],
            min_created_at=datetime(2026, 1, 1, tzinfo=UTC),
            max_created_at=datetime(2026, 12, 31, tzinfo=UTC),
            pending_events=False,
        ),
        max_size=4,
        unique_by=lambda s: s.id,
    ),
    at=aware_datetimes(
        min_value=datetime(2026, 1, 1, tzinfo=UTC), max_value=datetime(2028, 1, 1, tzinfo=UTC)
    ),
    days=st.integers(0, 40),
)
def test_due_in_matches_the_listed_due_dates(
    subs: list[Subscription], at: datetime, days: int
) -> None:
    """A live, started subscription matches when an unpaid fee falls due on that date."""
    day = at.date() + timedelta(days=days)
    expected = []
    for sub in subs:
        if sub.status in (SubscriptionStatus.CANCELLED, SubscriptionStatus.EXPIRED):
            continue
        if sub.created_at > at or sub.fee.is_zero():
            continue
        end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), at.tzinfo)
        paid = {p.due_at for p in sub.payments if p.succeeded}
        dues = [
            d
            for d in sub.due_dates(until=end_of_day)
            if d.astimezone(at.tzinfo).date() == day and d not in paid
        ]
        if dues:
            expected.append(
                f"subscription:{sub.id.value}|due:{dues[0].astimezone(UTC).isoformat()}"
            )
    found = matches(store(person(), *subs), "subscription_due_in", days, at)
    assert sorted(expected) == [m.key for m in found]


# -- no_purchase_for -------------------------------------------------------------------------


def order(
    order_id: str, at: datetime, customer_id: CustomerId = ANA, *, paid: bool = True
) -> Order:
    placed = Order.place(
        OrderId(order_id),
        customer_id=customer_id,
        lines=[OrderLine(ProductId("p-1"), 1, Money("275000", "IDR"), category="gift")],
        at=at,
    )
    if not paid:
        return placed
    return placed.record_payment(PaymentId(f"pay-{order_id}"), placed.total, at=at)


def test_quiet_for_exactly_n_days_after_the_last_purchase() -> None:
    """The customer matches on the one day N days after their last purchase."""
    last = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
    uow = store(person(owner=SARI), order("o-1", T0), order("o-2", last))
    assert [] == matches(uow, "no_purchase_for", 30, datetime(2026, 2, 8, 23, tzinfo=UTC))
    [quiet] = matches(uow, "no_purchase_for", 30, datetime(2026, 2, 9, 1, tzinfo=UTC))
    assert quiet.key == "customer:c-ana|quiet-since:2026-01-10T15:00:00+00:00"
    assert (quiet.customer_id, quiet.owner_id) == (ANA, SARI)
    assert [] == matches(uow, "no_purchase_for", 30, datetime(2026, 2, 10, 1, tzinfo=UTC))
    # As of a time before the second order, the first one is the last purchase.
    assert ["quiet-since:2026-01-05T09:00:00+00:00"] == [
        m.occasion for m in matches(uow, "no_purchase_for", 3, datetime(2026, 1, 8, tzinfo=UTC))
    ]


def test_quiet_ignores_unpaid_cancelled_and_refunded_orders() -> None:
    """Only paid orders count; a later unpaid, cancelled or refunded one does not end the quiet."""
    first = order("o-1", T0)
    later = T0 + timedelta(days=2)
    refunded = order("o-3", later, BUDI)
    refunded = refunded.refund(refunded.total, at=later)
    assert refunded.payment_status is PaymentStatus.REFUNDED
    cancelled = order("o-4", later, paid=False).cancel(at=later)
    uow = store(person(), person(BUDI), first, order("o-2", later, paid=False), refunded, cancelled)
    at = T0 + timedelta(days=7)
    assert ["customer:c-ana|quiet-since:2026-01-05T09:00:00+00:00"] == [
        m.key for m in matches(uow, "no_purchase_for", 7, at)
    ]
    assert [] == matches(uow, "no_purchase_for", 5, at)


def test_quiet_takes_the_latest_purchase_whatever_its_status() -> None:
    """A fulfilled older order does not hide a newer paid one, whichever is read first."""
    newer = datetime(2026, 1, 20, 9, tzinfo=UTC)
    older = order("o-1", T0).fulfil(at=T0 + timedelta(hours=1))
    assert older.fulfilment_status is FulfilmentStatus.DELIVERED
    uow = store(person(), older, order("o-2", newer))
    assert ["quiet-since:2026-01-20T09:00:00+00:00"] == [
        m.occasion for m in matches(uow, "no_purchase_for", 10, newer + timedelta(days=10))
    ]
    assert [] == matches(uow, "no_purchase_for", 25, newer + timedelta(days=10))


def test_owner_of_an_unknown_customer_is_none() -> None:
    """A record naming a customer this store does not keep matches without an owner."""
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        uow.subscriptions.add(monthly())
        uow.commit()
    [due] = matches(uow, "subscription_due_in", 3, datetime(2026, 2, 2, 10, tzinfo=UTC))
    assert (due.customer_id, due.owner_id) == (ANA, None)


def test_quiet_days_in_the_zone_of_at() -> None:
    """A purchase at 20:00 UTC is made the next day in Jakarta."""
    uow = store(person(), order("o-1", datetime(2026, 1, 5, 20, tzinfo=UTC)))
    at = datetime(2026, 1, 8, 10, tzinfo=UTC)  # 17:00 in Jakarta, the same day
    assert 1 == len(matches(uow, "no_purchase_for", 3, at))
    assert 1 == len(matches(uow, "no_purchase_for", 2, at.astimezone(WIB)))


def test_quiet_before_the_calendar_matches_nothing() -> None:
    """No purchase is dated before year 1."""
    uow = store(person(), order("o-1", T0))
    assert [] == matches(uow, "no_purchase_for", 30, datetime(1, 1, 2, tzinfo=UTC))


@given(
    data=st.data(),
    at=aware_datetimes(
        min_value=datetime(2026, 1, 1, tzinfo=UTC), max_value=datetime(2027, 1, 1, tzinfo=UTC)
    ),
    days=st.integers(1, 60),
)
def test_quiet_matches_the_last_purchase_date(data: st.DataObject, at: datetime, days: int) -> None:
    """A customer matches when their latest paid order up to ``at`` was placed N days before."""
    ids = [ANA, BUDI]
    drawn = data.draw(
        st.lists(
            orders(
                customer_ids=ids,
                min_created_at=datetime(2025, 10, 1, tzinfo=UTC),
                max_created_at=datetime(2027, 1, 1, tzinfo=UTC),
                pending_events=False,
            ),
            max_size=8,
            unique_by=lambda o: o.id,
        )
    )

    def purchased(o):
        """Paid in full (nothing due), not everything refunded, not cancelled."""
        given_back = o.amount_refunded == o.amount_paid and not o.amount_paid.is_zero()
        return o.status is not OrderStatus.CANCELLED and o.amount_paid == o.total and not given_back

    expected = []
    for customer_id in ids:
        paid = [
            o.placed_at
            for o in drawn
            if o.customer_id == customer_id and purchased(o) and o.placed_at <= at
        ]
        if paid and max(paid).astimezone(at.tzinfo).date() == at.date() - timedelta(days=days):
            expected.append(
                f"customer:{customer_id.value}|quiet-since:{max(paid).astimezone(UTC).isoformat()}"
            )
    found = matches(store(person(ANA), person(BUDI), *drawn), "no_purchase_for", days, at)
    assert expected == [m.key for m in found]


# -- sla_breach_in ---------------------------------------------------------------------------


CALENDAR = BusinessCalendar.standard(["08:00-12:00", "13:00-17:00"], time_zone=WIB)
POLICY = SlaPolicy(
    "standard",
    CALENDAR,
    [
        SlaTarget("low", 8 * 60, 40 * 60),
        SlaTarget("normal", 4 * 60, 16 * 60),
        SlaTarget("high", 60, 8 * 60),
        SlaTarget("urgent", 15, 4 * 60),
    ],
)
FRIDAY = datetime(2026, 3, 6, 16, 30, tzinfo=WIB)


def complaint(case_id: str = "k-1", at: datetime = FRIDAY, **options: object) -> Case:
    return Case.open(
        CaseId(case_id),
        customer_id=ANA,
        kind="complaint",
        priority="high",
        subject="Refund not received",
        channel="whatsapp",
        at=at,
        **options,  # type: ignore[arg-type]
    )


def test_sla_first_response_deadline_over_the_weekend() -> None:
    """Opened Friday 16:30 with a one-hour first response: due Monday 08:30 (Jakarta)."""
    uow = store(person(owner=SARI), complaint())
    saturday = datetime(2026, 3, 7, 12, tzinfo=WIB)  # 44.5 hours before the deadline
    assert [] == matches(uow, "sla_breach_in", 44, saturday, POLICY)
    [soon] = matches(uow, "sla_breach_in", 45, saturday, POLICY)
    assert soon.key == "case:k-1|sla:first_response:2026-03-09T01:30:00+00:00"
    assert (soon.customer_id, soon.owner_id) == (ANA, SARI)
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=WIB)
    assert [soon.key] == [m.key for m in matches(uow, "sla_breach_in", 1, monday, POLICY)]
    # Breached at 08:30: no longer "about to breach".
    assert [] == matches(uow, "sla_breach_in", 1, datetime(2026, 3, 9, 8, 31, tzinfo=WIB), POLICY)


def test_sla_resolution_comes_next_once_responded() -> None:
    """After the first response the resolution deadline (8 business hours) is the next one."""
    responded = complaint(assignee=SARI).respond(at=datetime(2026, 3, 9, 8, 10, tzinfo=WIB))
    uow = store(person(), responded)
    at = datetime(2026, 3, 9, 12, 0, tzinfo=WIB)
    # Counted: Friday 16:30-17:00 and Monday 08:00-12:00, 4.5 hours; 3.5 left after lunch.
    [next_one] = matches(uow, "sla_breach_in", 5, at, POLICY)
    assert next_one.occasion == "sla:resolution:2026-03-09T09:30:00+00:00"  # 16:30 in Jakarta
    assert next_one.owner_id == SARI
    assert [] == matches(uow, "sla_breach_in", 4, at, POLICY)


def test_sla_skips_resolved_paused_and_unopened_cases() -> None:
    """Resolved, waiting-on-customer and not yet opened cases have no running deadline."""
    monday = datetime(2026, 3, 9, 8, 5, tzinfo=WIB)
    resolved = complaint("k-done").resolve(at=monday)
    paused = complaint("k-wait").wait_on_customer(at=monday)
    later = complaint("k-later", at=datetime(2026, 3, 9, 9, 0, tzinfo=WIB))
    uow = store(person(), resolved, paused, later)
    assert resolved.status is CaseStatus.RESOLVED
    assert [] == matches(uow, "sla_breach_in", 100, datetime(2026, 3, 9, 8, 10, tzinfo=WIB), POLICY)
    assert ["case:k-later"] == [
        str(m.record)
        for m in matches(uow, "sla_breach_in", 2, datetime(2026, 3, 9, 9, 30, tzinfo=WIB), POLICY)
    ]


@given(
    drawn=st.lists(
        cases(
            customer_ids=[ANA],
            min_created_at=datetime(2026, 1, 1, tzinfo=UTC),
            max_created_at=datetime(2026, 3, 1, tzinfo=UTC),
            pending_events=False,
        ),
        max_size=4,
        unique_by=lambda c: c.id,
    ),
    policy=sla_policies(max_rules=0),
    later=st.integers(0, 60 * 24 * 30),
    hours=st.integers(1, 200),
)
def test_sla_matches_clocks_that_breach_at_their_deadline(
    drawn: list[Case], policy: SlaPolicy, later: int, hours: int
) -> None:
    """Each match names a running clock whose target runs out exactly at its deadline.

    ``at`` is after every case's last change, so nothing the history says moves
    the deadlines; and the same deadline is found from another instant before it.
    """
    assume(drawn)
    last_change = max(c.updated_at for c in drawn)
    at = last_change + timedelta(minutes=later)
    uow = store(person(), *drawn)
    found = matches(uow, "sla_breach_in", hours, at, policy)
    by_ref = {RecordRef.to(c.id): c for c in drawn}
    for match in found:
        case = by_ref[match.record]  # type: ignore[index]
        assert case.status in (CaseStatus.NEW, CaseStatus.OPEN)
        _, metric, due_text = match.occasion.split(":", 2)
        due = datetime.fromisoformat(due_text)
        assert at < due <= at + timedelta(hours=hours)
        before = sla_status(case, policy, at=due - timedelta(seconds=1)).clock(metric)
        on_time = sla_status(case, policy, at=due).clock(metric)
        assert before.remaining_seconds > 0
        assert (on_time.remaining_seconds, on_time.breached) == (0, False)
        halfway = at + (due - at) / 2
        again = matches(uow, "sla_breach_in", hours, halfway, policy)
        assert match.key in [m.key for m in again]
    matched = {m.record for m in found}
    for ref, case in by_ref.items():
        if ref in matched or case.status not in (CaseStatus.NEW, CaseStatus.OPEN):
            continue
        status = sla_status(case, policy, at=at)
        for clock in (status.first_response, status.resolution):
            assert not running_within(clock, at, hours)


def running_within(clock: SlaClock, at: datetime, hours: int) -> bool:
    return (
        clock.due_at is not None
        and not clock.breached
        and at < clock.due_at <= at + timedelta(hours=hours)
    )


def test_sla_metric_names_match_the_service_package() -> None:
    """The occasion's metric is the service package's name for the clock."""
    assert {"first_response", "resolution"} == {m.value for m in SlaMetric}


# -- ordering ---------------------------------------------------------------------------------


def test_matches_are_sorted_by_key() -> None:
    """Matches come in the order of their keys, whatever the storage order."""
    born = date(1990, 1, 10)
    ids: Iterable[str] = ("c-3", "c-1", "c-2")
    uow = store(*(person(CustomerId(i), born) for i in ids))
    assert ["customer:c-1", "customer:c-2", "customer:c-3"] == [
        str(m.record) for m in matches(uow, "birthday_in", 5, T0)
    ]

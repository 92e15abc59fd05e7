"""Time conditions: which records call for an automation at an instant.

A time trigger of an automation rule names a :class:`TimeCondition` and an
amount (days or hours). :func:`time_matches` answers, for one instant ``at``
and a unit of work it only reads, which records meet the condition then: one
:class:`TimeMatch` per record and real-world occasion. The engine joins a
match's :attr:`TimeMatch.key` with the rule's key to make the intent's
idempotency key, so the same occasion never fires twice however often the
rules run.

Days are calendar days in the time zone of ``at`` (its ``tzinfo``): running at
``23:30+07:00`` asks about a different day than running at the same instant in
UTC. Hours are elapsed hours.

The conditions, and what makes each occasion fire once:

* ``birthday_in`` *N* days: customers whose birthday is the date *N* days
  after the date of ``at`` (*N* = 0 is today). Someone born on 29 February
  celebrates on 28 February in common years (as
  :meth:`~crmcore.customers.Customer.next_birthday` decides). Occasion:
  ``birthday:<the birthday>``. Customers without a birth date (and
  organisations) are skipped.
* ``subscription_due_in`` *N* days: live subscriptions (trialing, active, past
  due) whose next due date falls on that date, has a fee and is not paid by
  ``at``. Occasion: ``due:<the due instant>``.
* ``no_purchase_for`` *N* days: customers whose last purchase (an order paid in
  full, maybe partly refunded since, not cancelled — ``Order.is_paid`` —
  placed at or before ``at``) was placed on
  the date *N* days before, so it fires once per quiet spell. Occasion:
  ``quiet-since:<the instant of that purchase>``.
* ``sla_breach_in`` *N* hours: open cases (new or open, so their clocks run)
  whose next SLA deadline (first response, else resolution) is after ``at``
  and at most *N* hours later, not breached yet, under the
  :class:`~crmcore.service.SlaPolicy` passed in. Occasion:
  ``sla:<metric>:<the deadline>``; a deadline that moves (the case waited on
  the customer) is a new occasion.
* ``task_overdue`` *N* hours: planned activities overdue by at least *N*
  hours. Occasion: ``overdue:<activity id>:<its due instant>``.

Instants in occasions are written in UTC, so they do not depend on the zone a
run uses.

What happened after ``at`` is left out where the records date it (customers
registered, subscriptions started, orders placed, payments made, case history
after ``at``), so a past instant can be replayed; statuses are read as stored,
so a replay over today's records sees a later cancellation or refund early.
"""

from __future__ import annotations

from calendar import isleap
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import optional_typed_id
from crmcore._kernel._checks import enum_converter, require_aware, type_name
from crmcore._kernel._ids import ActivityId, CustomerId, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.activities import Activity
from crmcore.commerce import Order, OrderStatus, Subscription, SubscriptionStatus
from crmcore.customers import Customer
from crmcore.errors import InvalidType, NotFound, ValidationError
from crmcore.repository import UnitOfWork
from crmcore.service import Case, CaseStatus, SlaClock, SlaPolicy, sla_status

#: Most days ahead ``birthday_in`` and ``subscription_due_in`` look.
MAX_DAYS_AHEAD: Final = 366
#: Most days of quiet ``no_purchase_for`` waits for (ten years).
MAX_QUIET_DAYS: Final = 3660
#: Most hours ``sla_breach_in`` looks ahead and ``task_overdue`` waits (a leap year).
MAX_HOURS: Final = 366 * 24


class TimeCondition(StrEnum):
    """What a time trigger waits for (see :func:`time_matches`).

    .. versionadded:: 0.1
    """

    BIRTHDAY_IN = "birthday_in"
    SUBSCRIPTION_DUE_IN = "subscription_due_in"
    NO_PURCHASE_FOR = "no_purchase_for"
    SLA_BREACH_IN = "sla_breach_in"
    TASK_OVERDUE = "task_overdue"

    @property
    def unit(self) -> str:
        """What the amount counts: ``"days"`` or ``"hours"``."""
        return "hours" if self in _HOURLY else "days"

    @property
    def bounds(self) -> tuple[int, int]:
        """The smallest and largest amount the condition accepts."""
        return TIME_CONDITION_BOUNDS[self]


_HOURLY: Final = frozenset({TimeCondition.SLA_BREACH_IN, TimeCondition.TASK_OVERDUE})

#: The amounts each condition accepts, both ends included.
TIME_CONDITION_BOUNDS: Final[Mapping[TimeCondition, tuple[int, int]]] = MappingProxyType(
    {
        TimeCondition.BIRTHDAY_IN: (0, MAX_DAYS_AHEAD),
        TimeCondition.SUBSCRIPTION_DUE_IN: (0, MAX_DAYS_AHEAD),
        TimeCondition.NO_PURCHASE_FOR: (1, MAX_QUIET_DAYS),
        TimeCondition.SLA_BREACH_IN: (1, MAX_HOURS),
        TimeCondition.TASK_OVERDUE: (0, MAX_HOURS),
    }
)


def _condition(value: object) -> TimeCondition:
    return enum_converter(TimeCondition, "$.condition")(value)


def check_record(_: object, __: attrs.Attribute[Any], value: object) -> None:
    """An attrs validator: ``value`` is a RecordRef or None (``$.record``)."""
    if value is not None and type(value) is not RecordRef:
        raise InvalidType(f"must be a RecordRef or None, not {type_name(value)}", path="$.record")


def _occasion(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.occasion")
    if not value or len(value) > _MAX_OCCASION:
        raise ValidationError(
            f"must be 1 to {_MAX_OCCASION} characters", path="$.occasion", code="occasion"
        )


_MAX_OCCASION: Final = 500


@attrs.frozen(slots=True, kw_only=True)
class TimeMatch:
    """One record meeting a time condition, for one real-world occasion.

    Matches carry ids and codes only, never personal data.

    Attributes:
        condition: the condition met.
        record: the record the occasion is about (the customer, the
            subscription, the case; for an overdue activity the record it is
            linked to, or ``None`` if it is linked to none).
        customer_id: the customer concerned, if one is known.
        owner_id: the member of staff responsible: the record's owner or
            assignee, else the customer's owner.
        occasion: stable text naming the occasion within the record (see
            :func:`time_matches`).
        activity_id: the overdue activity, for ``task_overdue``.

    .. versionadded:: 0.1
    """

    condition: TimeCondition = attrs.field(converter=_condition)
    record: RecordRef | None = attrs.field(validator=check_record)
    customer_id: CustomerId | None = attrs.field(
        default=None, validator=optional_typed_id(CustomerId, "$.customer_id")
    )
    owner_id: StaffId | None = attrs.field(
        default=None, validator=optional_typed_id(StaffId, "$.owner_id")
    )
    occasion: str = attrs.field(validator=_occasion)
    activity_id: ActivityId | None = attrs.field(
        default=None, validator=optional_typed_id(ActivityId, "$.activity_id")
    )

    @property
    def key(self) -> str:
        """The record and the occasion as one stable text: unique per real-world occasion.

        >>> from crmcore._kernel._ids import CustomerId
        >>> TimeMatch(
        ...     condition="birthday_in",
        ...     record=RecordRef.to(CustomerId("c-1")),
        ...     occasion="birthday:2026-05-04",
        ... ).key
        'customer:c-1|birthday:2026-05-04'
        """
        return f"{'' if self.record is None else self.record}|{self.occasion}"


# -- arguments ---------------------------------------------------------------------------


def check_amount(condition: TimeCondition | str, amount: object, path: str = "$.amount") -> int:
    """Return ``amount`` if ``condition`` accepts it (see :data:`TIME_CONDITION_BOUNDS`).

    >>> check_amount("birthday_in", 7)
    7
    >>> check_amount("no_purchase_for", 0)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.amount: no_purchase_for takes 1 to 3660 days
    """
    checked = _condition(condition)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidType(f"must be an int, not {type_name(amount)}", path=path)
    low, high = TIME_CONDITION_BOUNDS[checked]
    if not low <= amount <= high:
        raise ValidationError(
            f"{checked.value} takes {low} to {high} {checked.unit}", path=path, code="amount_range"
        )
    return amount


def _unit(value: object) -> UnitOfWork:
    if not isinstance(value, UnitOfWork):
        raise InvalidType(f"must be a UnitOfWork, not {type_name(value)}", path="$.unit")
    return value


def _policy(value: object) -> SlaPolicy | None:
    if value is not None and not isinstance(value, SlaPolicy):
        raise InvalidType(
            f"must be an SlaPolicy or None, not {type_name(value)}", path="$.sla_policy"
        )
    return value


def _required_policy(policy: SlaPolicy | None) -> SlaPolicy:
    if policy is None:
        raise ValidationError(
            "sla_breach_in needs the SLA policy its deadlines are measured by",
            path="$.sla_policy",
            code="sla_policy_required",
        )
    return policy


# -- helpers -----------------------------------------------------------------------------


def _instant(value: datetime) -> str:
    """An instant as stable text: ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat()


def _local_day(at: datetime, days: int) -> date | None:
    """The date ``days`` after (or before) the date of ``at`` in its zone; None off the calendar."""
    try:
        return at.date() + timedelta(days=days)
    except OverflowError:
        return None


def _midnight(day: date, at: datetime) -> datetime:
    """The start of ``day`` in the time zone of ``at``."""
    return datetime.combine(day, time(0), tzinfo=at.tzinfo)


def _customer_owner(unit: UnitOfWork, customer_id: CustomerId) -> StaffId | None:
    try:
        return unit.customers.get(customer_id).owner
    except NotFound:
        return None


def _record_match(
    condition: TimeCondition, record: Subscription | Case, owner: StaffId | None, occasion: str
) -> TimeMatch:
    """The match of a customer's subscription or case, with the owner already decided."""
    return TimeMatch(
        condition=condition,
        record=RecordRef.to(record.id),
        customer_id=record.customer_id,
        owner_id=owner,
        occasion=occasion,
    )


def _ordered(matches: Iterable[TimeMatch]) -> list[TimeMatch]:
    return sorted(matches, key=lambda match: match.key)


# -- the conditions ----------------------------------------------------------------------


def _birthdays(unit: UnitOfWork, days: int, at: datetime) -> list[TimeMatch]:
    day = _local_day(at, days)
    if day is None:
        return []
    return [
        TimeMatch(
            condition=TimeCondition.BIRTHDAY_IN,
            record=RecordRef.to(customer.id),
            customer_id=customer.id,
            owner_id=customer.owner,
            occasion=f"birthday:{day.isoformat()}",
        )
        for customer in unit.customers
        if customer.created_at <= at and _has_birthday_on(customer, day)
    ]


def _has_birthday_on(customer: Customer, day: date) -> bool:
    born = customer.profile.birth_date
    if born is None or born >= day or customer.merged_into is not None:
        return False
    if (born.month, born.day) == (day.month, day.day):
        return True
    # Born on 29 February: 28 February in common years (as Customer.next_birthday decides).
    return (born.month, born.day, day.month, day.day) == (2, 29, 2, 28) and not isleap(day.year)


_LIVE_SUBSCRIPTIONS: Final = (
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
)


def _dues(unit: UnitOfWork, days: int, at: datetime) -> list[TimeMatch]:
    day = _local_day(at, days)
    after = None if day is None else _local_day(at, days + 1)
    if day is None or after is None:
        return []
    start, end = _midnight(day, at), _midnight(after, at)
    found = []
    for status in _LIVE_SUBSCRIPTIONS:
        for subscription in unit.subscriptions.with_status(status):
            due = _unpaid_due_in(subscription, start, end, at)
            if due is None:
                continue
            owner = subscription.owner or _customer_owner(unit, subscription.customer_id)
            occasion = f"due:{_instant(due)}"
            found.append(
                _record_match(TimeCondition.SUBSCRIPTION_DUE_IN, subscription, owner, occasion)
            )
    return found


def _unpaid_due_in(
    subscription: Subscription, start: datetime, end: datetime, at: datetime
) -> datetime | None:
    """The first due date in ``[start, end)`` with a fee not paid yet, of a started subscription."""
    if subscription.created_at > at or subscription.fee.is_zero():
        return None
    due = subscription.next_due_date(at=start)
    if due is None or due >= end:
        return None
    paid = any(p.succeeded and p.due_at == due and p.at <= at for p in subscription.payments)
    return None if paid else due


#: The lifecycles of orders that may count as purchases (open or closed, not cancelled).
_LIVE: Final = (OrderStatus.OPEN, OrderStatus.CLOSED)


def _quiet_customers(unit: UnitOfWork, days: int, at: datetime) -> list[TimeMatch]:
    day = _local_day(at, -days)
    if day is None:
        return []
    last: dict[CustomerId, Order] = {}
    for status in _LIVE:
        for order in unit.orders.with_status(status):
            if not order.is_paid or order.placed_at > at:
                continue
            seen = last.get(order.customer_id)
            if seen is None or (order.placed_at, order.id) > (seen.placed_at, seen.id):
                last[order.customer_id] = order
    found = []
    for customer_id, order in last.items():
        if order.placed_at.astimezone(at.tzinfo).date() != day:
            continue
        found.append(
            TimeMatch(
                condition=TimeCondition.NO_PURCHASE_FOR,
                record=RecordRef.to(customer_id),
                customer_id=customer_id,
                owner_id=_customer_owner(unit, customer_id),
                occasion=f"quiet-since:{_instant(order.placed_at)}",
            )
        )
    return found


_OPEN_CASES: Final = (CaseStatus.NEW, CaseStatus.OPEN)


def _sla_deadlines(
    unit: UnitOfWork, hours: int, at: datetime, policy: SlaPolicy
) -> list[TimeMatch]:
    horizon = at + timedelta(hours=hours)
    found = []
    for status in _OPEN_CASES:
        for case in unit.cases.with_status(status):
            clock = _next_deadline(case, policy, at)
            if clock is None or clock.due_at is None or clock.due_at > horizon:
                continue
            owner = case.assignee or _customer_owner(unit, case.customer_id)
            occasion = f"sla:{clock.metric.value}:{_instant(clock.due_at)}"
            found.append(_record_match(TimeCondition.SLA_BREACH_IN, case, owner, occasion))
    return found


def _next_deadline(case: Case, policy: SlaPolicy, at: datetime) -> SlaClock | None:
    """The running, unbreached clock of ``case`` whose deadline comes first after ``at``."""
    if case.opened_at > at:
        return None
    status = sla_status(case, policy, at=at)
    running = [
        clock
        for clock in (status.first_response, status.resolution)
        if clock.due_at is not None and not clock.breached and clock.due_at > at
    ]
    return min(running, key=lambda clock: clock.due_at or at, default=None)


def _overdue_tasks(unit: UnitOfWork, hours: int, at: datetime) -> list[TimeMatch]:
    try:
        cutoff = at - timedelta(hours=hours)
    except OverflowError:
        return []
    return [_overdue_match(activity) for activity in unit.activities.overdue_at(cutoff)]


def _overdue_match(activity: Activity) -> TimeMatch:
    link = activity.link
    customer = link.customer_id if link is not None else None
    if customer is None and activity.contacts:
        customer = activity.contacts[0]
    return TimeMatch(
        condition=TimeCondition.TASK_OVERDUE,
        record=link,
        customer_id=customer,
        owner_id=activity.owner_id,
        occasion=f"overdue:{activity.id.value}:{_instant(activity.due_at)}",
        activity_id=activity.id,
    )


# -- the entry point ---------------------------------------------------------------------


def time_matches(
    condition: TimeCondition | str,
    amount: int,
    unit: UnitOfWork,
    at: datetime,
    *,
    sla_policy: SlaPolicy | None = None,
) -> list[TimeMatch]:
    """The records meeting ``condition`` with ``amount`` at ``at``, one match per occasion.

    Reads ``unit`` (inside its ``with`` block) and changes nothing in it.
    Matches come sorted by :attr:`TimeMatch.key`. See the module
    documentation for what each condition means and what its occasion is.

    Args:
        condition: the time condition.
        amount: days (``birthday_in``, ``subscription_due_in``,
            ``no_purchase_for``) or hours (``sla_breach_in``,
            ``task_overdue``), within :data:`TIME_CONDITION_BOUNDS`.
        unit: the unit of work to read.
        at: the instant to evaluate at (timezone-aware; its zone decides
            which calendar day "today" is).
        sla_policy: the SLA policy, required by ``sla_breach_in``.

    Raises:
        ValidationError: an unknown condition (``$.condition``), an amount out
            of range (``$.amount``, code ``amount_range``), a naive ``at``
            (code ``naive_datetime``), ``sla_breach_in`` without a policy
            (``$.sla_policy``, code ``sla_policy_required``).
        InvalidType: an argument of the wrong type.
        UnitOfWorkError: ``unit`` is used outside its ``with`` block.

    >>> from datetime import date, datetime, timezone
    >>> from crmcore import Customer, CustomerId, PersonName
    >>> from crmcore.repository import InMemoryUnitOfWork
    >>> at = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)
    >>> uow = InMemoryUnitOfWork()
    >>> with uow:
    ...     _ = uow.customers.add(
    ...         Customer.register(
    ...             CustomerId("c-1"), name=PersonName("Ana"), birth_date=date(1990, 5, 4), at=at
    ...         )
    ...     )
    ...     uow.commit()
    >>> with uow:
    ...     [m.key for m in time_matches("birthday_in", 3, uow, at)]
    ['customer:c-1|birthday:2026-05-04']
    """
    checked = _condition(condition)
    days_or_hours = check_amount(checked, amount)
    reader = _unit(unit)
    when = require_aware(at, "$.at")
    policy = _policy(sla_policy)
    if checked is TimeCondition.SLA_BREACH_IN:
        policy = _required_policy(policy)
    if checked is TimeCondition.BIRTHDAY_IN:
        found = _birthdays(reader, days_or_hours, when)
    elif checked is TimeCondition.SUBSCRIPTION_DUE_IN:
        found = _dues(reader, days_or_hours, when)
    elif checked is TimeCondition.NO_PURCHASE_FOR:
        found = _quiet_customers(reader, days_or_hours, when)
    elif checked is TimeCondition.SLA_BREACH_IN:
        found = _sla_deadlines(reader, days_or_hours, when, _required_policy(policy))
    else:
        found = _overdue_tasks(reader, days_or_hours, when)
    return _ordered(found)

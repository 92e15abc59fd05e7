"""Subscription plans, their billing schedule and the payment history of each due date."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    aware,
    category,
    clean_text,
    items_of,
    optional_aware,
    positive_int,
    reason_text,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import PaymentId, PlanId
from crmcore._kernel._money import Money, money_at_least_zero
from crmcore._kernel._time import Period, TimeUnit, to_period
from crmcore.commerce._payments import Payment
from crmcore.commerce._subscription_events import SUBSCRIPTION_STATUSES, SubscriptionStatus
from crmcore.errors import InvalidType, ValidationError

#: Longest plan name, in characters.
MAX_PLAN_NAME: Final = 120


#: Longest grace period after a due date, in days.
MAX_GRACE_DAYS: Final = 365


class PaymentDueStatus(StrEnum):
    """The state of one due date of a subscription, at a given time.

    ``paid``: paid on time (by the due date plus grace days); ``late``: paid,
    but after that; ``upcoming``: not yet due; ``due``: due and unpaid, still
    within the grace days; ``failed``: due, unpaid, and at least one attempt
    failed; ``overdue``: unpaid past the grace days with no attempt.
    """

    UPCOMING = "upcoming"
    DUE = "due"
    PAID = "paid"
    LATE = "late"
    FAILED = "failed"
    OVERDUE = "overdue"


def _plan_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_PLAN_NAME, what="a plan name")


def _plan_price(value: object) -> Money:
    return money_at_least_zero(value, "$.price")


def _plan_period(value: object) -> Period:
    return to_period(value, "$.period")


def _plan_trial(value: object) -> Period | None:
    return None if value is None else to_period(value, "$.trial")


def _plan_product_type(value: object) -> str:
    return category(value, "$.product_type")


@attrs.frozen(slots=True, kw_only=True)
class Plan:
    """What a subscription is to: a fee every billing period, maybe after a free trial.

    ``period`` and ``trial`` take a :class:`Period` or a dateutil relativedelta
    of whole days, weeks, months or years.

    >>> from dateutil.relativedelta import relativedelta
    >>> plan = Plan(
    ...     id=PlanId("unlimited-data"),
    ...     name="Unlimited data",
    ...     price=Money("150000", "IDR"),
    ...     period=relativedelta(months=1),
    ...     product_type="Mobile data",
    ... )
    >>> str(plan.period), plan.product_type
    ('1 month', 'mobile data')
    """

    id: PlanId = attrs.field(validator=typed_id(PlanId, "$.id"))
    name: str = attrs.field(converter=_plan_name)
    price: Money = attrs.field(converter=_plan_price)
    period: Period = attrs.field(converter=_plan_period)
    product_type: str = attrs.field(converter=_plan_product_type)
    trial: Period | None = attrs.field(default=None, converter=_plan_trial)


@attrs.frozen(slots=True, kw_only=True)
class PaymentDue(Checked):
    """One due date of a subscription and how it stands (see :class:`PaymentDueStatus`).

    Attributes:
        number: the due date's position in the schedule, from 0.
        due_at: when the fee falls due.
        amount: the fee.
        status: its state at the time the history was taken.
        grace_ends_at: after this, an unpaid fee is overdue and a payment late.
        paid_at: when it was paid, if it was.
        payment_id: the payment that settled it, if any.
        failed_attempts: how many attempts to pay it failed.
    """

    number: int
    due_at: datetime
    amount: Money
    status: PaymentDueStatus
    grace_ends_at: datetime
    paid_at: datetime | None = None
    payment_id: PaymentId | None = None
    failed_attempts: int = 0

    @property
    def settled(self) -> bool:
        """True if paid, on time or late."""
        return self.status in (PaymentDueStatus.PAID, PaymentDueStatus.LATE)


_OUT_OF_RANGE: Final = "lies beyond the calendar's range (year 9999)"


_DAY_UNITS: Final = frozenset({TimeUnit.DAY, TimeUnit.WEEK})


_MONTHS_IN: Final = {TimeUnit.MONTH: 1, TimeUnit.QUARTER: 3, TimeUnit.YEAR: 12}


def _unit_days(period: Period) -> int:
    return period.count * (7 if period.unit is TimeUnit.WEEK else 1)


def _estimate(anchor: datetime, period: Period, at: datetime) -> int:
    """Whole periods from ``anchor`` to ``at`` by calendar arithmetic (exact at a due date).

    Off by at most one elsewhere; callers step from the estimate to the exact number.
    """
    if period.unit in _DAY_UNITS:
        return (at - anchor) // timedelta(days=_unit_days(period))
    try:
        local = at if at.tzinfo is anchor.tzinfo else at.astimezone(anchor.tzinfo)
    except OverflowError:
        # ``at`` falls before year 1 or after 9999 in the anchor's offset, so it is
        # no due date; its wall time in its own offset is within a day of it.
        local = at
    months = (local.year - anchor.year) * 12 + local.month - anchor.month
    return months // (period.count * _MONTHS_IN[period.unit])


def _is_due_date(anchor: datetime, period: Period, at: datetime) -> bool:
    if period.unit in _DAY_UNITS:
        offset = at - anchor
        return offset >= timedelta(0) and not offset % timedelta(days=_unit_days(period))
    number = _estimate(anchor, period, at)
    if number < 0:
        return False
    try:
        return _add(anchor, period, number) == at
    except (OverflowError, ValueError):
        return False


def _add(when: datetime, period: Period, number: int) -> datetime:
    """``when`` plus ``number`` periods, in one step."""
    if period.unit in _DAY_UNITS:
        # Whole days: exactly what relativedelta(days=...) adds, without its overhead.
        return when + timedelta(days=_unit_days(period) * number)
    return when + period.times(number)


def _pinned(when: datetime) -> datetime:
    # Pinned to its UTC offset: the schedule then never depends on a named time
    # zone's rules, and survives serialization (which keeps offsets, not zones).
    offset = when.utcoffset()
    if isinstance(when.tzinfo, timezone) or offset is None:
        return when
    return when.astimezone(timezone(offset))


def _sub_created_at(value: object) -> datetime:
    return _pinned(aware("$.created_at")(value))


def _sub_plan(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Plan):
        raise InvalidType(f"must be a Plan, not {type_name(value)}", path="$.plan")


def _sub_status(value: object) -> SubscriptionStatus:
    return SUBSCRIPTION_STATUSES.parse(value)


def _sub_term(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        positive_int(value, "$.term_periods", maximum=MAX_DUES)


def _sub_grace(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.grace_days")
    if not 0 <= value <= MAX_GRACE_DAYS:
        raise ValidationError(
            f"must be from 0 to {MAX_GRACE_DAYS}", path="$.grace_days", code="range"
        )


def _sub_cancel_requested_at(value: object) -> datetime | None:
    return optional_aware("$.cancel_requested_at")(value)


def _sub_cancel_reason(value: object) -> str | None:
    return reason_text(value, "$.cancel_reason")


def _sub_ended_at(value: object) -> datetime | None:
    return optional_aware("$.ended_at")(value)


def _sub_payments(value: object) -> tuple[Payment, ...]:
    return items_of(value, Payment, "$.payments", "a Payment", max_items=MAX_PAYMENTS)


#: Most due dates one call may list, and most billing periods a fixed term may hold.
MAX_DUES: Final = 100_000


#: Most payments and attempts one subscription may record.
MAX_PAYMENTS: Final = 100_000

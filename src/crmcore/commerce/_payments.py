"""Commerce values shared by orders and subscriptions: ids, payments, billing periods.

Orders live in :mod:`crmcore.commerce._orders`, subscriptions in
:mod:`crmcore.commerce._subscriptions`; both record :class:`Payment` s.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Self

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import (
    aware,
    check_name,
    clean_text,
    enum_converter,
    normalize_tag,
    optional_aware,
    type_name,
)
from crmcore._kernel._ids import PaymentId
from crmcore._kernel._money import Money
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

__all__ = [
    "Payment",
    "PaymentMethod",
    "PaymentOutcome",
    "Period",
    "PeriodUnit",
]

#: Longest refund, return or cancellation reason, in characters.
MAX_REASON: Final = 200


# -- shared checks -------------------------------------------------------------------------


def money_at_least_zero(value: object, path: str) -> Money:
    """Return ``value`` if it is Money of zero or more."""
    if not isinstance(value, Money):
        raise InvalidType(f"must be Money, not {type_name(value)}", path=path)
    if value.amount < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return value


def positive_money(value: object, path: str) -> Money:
    """Return ``value`` if it is Money above zero."""
    money = money_at_least_zero(value, path)
    if money.amount == 0:
        raise ValidationError("must be more than zero", path=path, code="not_positive")
    return money


def same_currency(value: Money, currency: str, path: str) -> Money:
    """Return ``value`` if it is in ``currency``; otherwise raise CurrencyMismatch."""
    if value.currency != currency:
        raise CurrencyMismatch(f"must be in {currency}", path=path)
    return value


def category(value: object, path: str) -> str:
    """A product category or type: a normalized label such as ``"mobile-data"``."""
    return normalize_tag(value, path)


def reason_text(value: object, path: str) -> str | None:
    """An optional short free-text reason (a refund, a return, a cancellation).

    Free text may name people, so it stays in the aggregate and never goes
    into an event.
    """
    if value is None:
        return None
    return clean_text(value, path, max_length=MAX_REASON, what="a reason")


def reason_code(value: object, path: str) -> str | None:
    """An optional snake_case reason code, such as a payment failure's ``"card_declined"``.

    >>> reason_code("insufficient_funds", "$.failure_reason")
    'insufficient_funds'
    >>> reason_code("Card was declined", "$.failure_reason")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.failure_reason: must be a snake_case name (a lowercase letter, then lowercase letters, digits or underscores; at most 64 characters)
    """
    if value is None:
        return None
    return check_name(value, path)


def positive_int(value: object, path: str, *, maximum: int) -> int:
    """Return ``value`` if it is an int from 1 to ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 1 <= value <= maximum:
        raise ValidationError(f"must be from 1 to {maximum}", path=path, code="range")
    return value


# -- payments ----------------------------------------------------------------------------


class PaymentOutcome(StrEnum):
    """Whether a payment attempt went through."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentMethod(StrEnum):
    """How the customer paid (or tried to)."""

    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    E_WALLET = "e_wallet"
    CASH = "cash"
    OTHER = "other"


def _payment_amount(value: object) -> Money:
    return positive_money(value, "$.amount")


def _payment_at(value: object) -> datetime:
    return aware("$.at")(value)


def _payment_outcome(value: object) -> PaymentOutcome:
    return enum_converter(PaymentOutcome, "$.outcome")(value)


def _payment_method(value: object) -> PaymentMethod | None:
    if value is None:
        return None
    return enum_converter(PaymentMethod, "$.method")(value)


def _payment_due_at(value: object) -> datetime | None:
    return optional_aware("$.due_at")(value)


def _payment_reason(value: object) -> str | None:
    return reason_code(value, "$.failure_reason")


@attrs.frozen(slots=True, kw_only=True)
class Payment:
    """One payment, or one failed attempt to pay, of an order or a subscription.

    Attributes:
        id: the payment's identifier (from the payment provider, say).
        amount: how much was paid or attempted (more than zero).
        at: when it was paid or attempted.
        outcome: succeeded or failed.
        method: how, if known.
        due_at: for a subscription, the due date this payment settles.
        failure_reason: for a failed attempt, a snake_case reason code
            (``"insufficient_funds"``, at most 64 characters); never free
            text or card data, so payments may travel in events.

    >>> from datetime import datetime, timezone
    >>> Payment(
    ...     id=PaymentId("p-1"),
    ...     amount=Money("9.99", "EUR"),
    ...     at=datetime(2026, 2, 1, tzinfo=timezone.utc),
    ... ).succeeded
    True
    """

    id: PaymentId = attrs.field(validator=typed_id(PaymentId, "$.id"))
    amount: Money = attrs.field(converter=_payment_amount)
    at: datetime = attrs.field(converter=_payment_at)
    outcome: PaymentOutcome = attrs.field(
        default=PaymentOutcome.SUCCEEDED, converter=_payment_outcome
    )
    method: PaymentMethod | None = attrs.field(default=None, converter=_payment_method)
    due_at: datetime | None = attrs.field(default=None, converter=_payment_due_at)
    failure_reason: str | None = attrs.field(default=None, converter=_payment_reason)

    def __attrs_post_init__(self) -> None:
        if self.failure_reason is not None and self.outcome is PaymentOutcome.SUCCEEDED:
            raise ValidationError(
                "only a failed payment has a failure reason",
                path="$.failure_reason",
                code="reason_on_success",
            )

    @property
    def succeeded(self) -> bool:
        """True if the money arrived."""
        return self.outcome is PaymentOutcome.SUCCEEDED


# -- billing periods -----------------------------------------------------------------------


class PeriodUnit(StrEnum):
    """The calendar unit of a :class:`Period`."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


#: The largest count accepted per unit (ten years).
MAX_PERIOD_COUNT: Final[dict[PeriodUnit, int]] = {
    PeriodUnit.DAY: 3660,
    PeriodUnit.WEEK: 522,
    PeriodUnit.MONTH: 120,
    PeriodUnit.YEAR: 10,
}

_TIME_FIELDS: Final = ("hours", "minutes", "seconds", "microseconds", "leapdays")
_ABSOLUTE_FIELDS: Final = (
    "year",
    "month",
    "day",
    "weekday",
    "hour",
    "minute",
    "second",
    "microsecond",
)


def _period_unit(value: object) -> PeriodUnit:
    return enum_converter(PeriodUnit, "$.unit")(value)


def _period_count(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.count")
    if value < 1:
        raise ValidationError("must be 1 or more", path="$.count", code="range")


@attrs.frozen(slots=True)
class Period:
    """A calendar period: a count of days, weeks, months or years.

    Periods are added with :mod:`dateutil` calendar arithmetic, so a month
    from 31 January is 28 (or 29) February. To keep a schedule on its anchor
    day, add ``n`` periods to the anchor in one step (:meth:`times`) rather
    than one period ``n`` times.

    >>> from datetime import date
    >>> monthly = Period.months(1)
    >>> str(monthly), str(Period(3, "month"))
    ('1 month', '3 months')
    >>> [date(2026, 1, 31) + monthly.times(n) for n in range(3)]
    [datetime.date(2026, 1, 31), datetime.date(2026, 2, 28), datetime.date(2026, 3, 31)]
    >>> from dateutil.relativedelta import relativedelta
    >>> Period.from_relativedelta(relativedelta(years=1, months=6))
    Period(count=18, unit=<PeriodUnit.MONTH: 'month'>)
    """

    count: int = attrs.field(validator=_period_count)
    unit: PeriodUnit = attrs.field(converter=_period_unit)

    def __attrs_post_init__(self) -> None:
        limit = MAX_PERIOD_COUNT[self.unit]
        if self.count > limit:
            raise ValidationError(
                f"must be at most {limit} for {self.unit.value}s (ten years)",
                path="$.count",
                code="range",
            )

    @classmethod
    def days(cls, count: int) -> Self:
        """A period of ``count`` days."""
        return cls(count, PeriodUnit.DAY)

    @classmethod
    def weeks(cls, count: int) -> Self:
        """A period of ``count`` weeks."""
        return cls(count, PeriodUnit.WEEK)

    @classmethod
    def months(cls, count: int) -> Self:
        """A period of ``count`` calendar months."""
        return cls(count, PeriodUnit.MONTH)

    @classmethod
    def years(cls, count: int) -> Self:
        """A period of ``count`` calendar years."""
        return cls(count, PeriodUnit.YEAR)

    @classmethod
    def from_relativedelta(cls, delta: relativedelta, path: str = "$") -> Self:
        """Convert a relativedelta of whole days, weeks, months or years.

        Years and months together become months; weeks become days (a
        relativedelta stores weeks as days).

        Raises:
            ValidationError: the delta is not positive, mixes days with months
                or years, or holds times of day or absolute fields.
        """
        if not isinstance(delta, relativedelta):
            raise InvalidType(f"must be a relativedelta, not {type_name(delta)}", path=path)
        rule = "must be a positive whole number of days, weeks, months or years"
        if any(getattr(delta, name) for name in _TIME_FIELDS) or any(
            getattr(delta, name) is not None for name in _ABSOLUTE_FIELDS
        ):
            raise ValidationError(rule, path=path, code="period")
        months = delta.years * 12 + delta.months
        if months and delta.days:
            raise ValidationError(rule, path=path, code="period")
        try:
            if months > 0:
                if months % 12 == 0:
                    return cls(months // 12, PeriodUnit.YEAR)
                return cls(months, PeriodUnit.MONTH)
            if delta.days > 0 and months == 0:
                return cls(delta.days, PeriodUnit.DAY)
        except ValidationError as exc:
            raise exc.under(path) from None
        raise ValidationError(rule, path=path, code="period")

    def times(self, n: int) -> relativedelta:
        """``n`` of these periods as one relativedelta (``n`` may be zero)."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InvalidType(f"must be an int, not {type_name(n)}", path="$.n")
        step = self.count * n
        if self.unit is PeriodUnit.DAY:
            return relativedelta(days=step)
        if self.unit is PeriodUnit.WEEK:
            return relativedelta(weeks=step)
        if self.unit is PeriodUnit.MONTH:
            return relativedelta(months=step)
        return relativedelta(years=step)

    def to_relativedelta(self) -> relativedelta:
        """One period as a relativedelta."""
        return self.times(1)

    def approximate_days(self) -> float:
        """The period's average length in days (for estimates, never for due dates)."""
        per_unit = {
            PeriodUnit.DAY: 1.0,
            PeriodUnit.WEEK: 7.0,
            PeriodUnit.MONTH: 365.2425 / 12,
            PeriodUnit.YEAR: 365.2425,
        }
        return self.count * per_unit[self.unit]

    def __str__(self) -> str:
        plural = "" if self.count == 1 else "s"
        return f"{self.count} {self.unit.value}{plural}"


def to_period(value: object, path: str) -> Period:
    """Accept a :class:`Period` or a dateutil relativedelta."""
    if isinstance(value, Period):
        return value
    if isinstance(value, relativedelta):
        return Period.from_relativedelta(value, path)
    raise InvalidType(f"must be a Period or a relativedelta, not {type_name(value)}", path=path)

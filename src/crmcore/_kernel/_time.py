"""The one vocabulary of calendar units every capability uses, and calendar periods.

Billing periods, pipeline forecasts, analytics buckets and CLV summaries all
speak of ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` and ``"year"``;
each accepts the units that make sense for it and says which when given
another.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Final, Self

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import error_path, type_name
from crmcore.errors import InvalidType, ValidationError


class TimeUnit(StrEnum):
    """A calendar unit.

    Weeks run Monday to Sunday (ISO 8601); months and quarters are calendar
    months and quarters; arithmetic on them uses :mod:`dateutil`.

    >>> TimeUnit("month"), TimeUnit.WEEK.value
    (<TimeUnit.MONTH: 'month'>, 'week')
    """

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def time_unit(value: object, path: str, allowed: Iterable[TimeUnit] = tuple(TimeUnit)) -> TimeUnit:
    """A :class:`TimeUnit` from itself or its value, if it is one of ``allowed``.

    >>> time_unit("week", "$.unit", (TimeUnit.DAY, TimeUnit.WEEK))
    <TimeUnit.WEEK: 'week'>
    >>> time_unit("weeks", "$.unit", (TimeUnit.DAY, TimeUnit.WEEK))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.unit: must be one of: day, week
    """
    choices = tuple(allowed)
    names = ", ".join(unit.value for unit in choices)
    if not isinstance(value, str):
        raise InvalidType(f"must be one of: {names}; not {type_name(value)}", path=path)
    for unit in choices:
        if value == unit.value:
            return unit
    raise ValidationError(f"must be one of: {names}", path=path, code="choice")


#: The largest count accepted per unit (ten years).
MAX_PERIOD_COUNT: Final[dict[TimeUnit, int]] = {
    TimeUnit.DAY: 3660,
    TimeUnit.WEEK: 522,
    TimeUnit.MONTH: 120,
    TimeUnit.QUARTER: 40,
    TimeUnit.YEAR: 10,
}


#: The longest span :meth:`Period.times` gives, per unit: the calendar's 10,000 years.
_MAX_SPAN: Final[dict[TimeUnit, int]] = {
    TimeUnit.DAY: 3_652_500,
    TimeUnit.WEEK: 521_800,
    TimeUnit.MONTH: 120_000,
    TimeUnit.QUARTER: 40_000,
    TimeUnit.YEAR: 10_000,
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


def _period_unit(value: object) -> TimeUnit:
    return time_unit(value, "$.unit")


def _period_count(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.count")
    if value < 1:
        raise ValidationError("must be 1 or more", path="$.count", code="range")


@attrs.frozen(slots=True)
class Period:
    """A calendar period: a count of days, weeks, months, quarters or years.

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
    Period(count=18, unit=<TimeUnit.MONTH: 'month'>)
    """

    count: int = attrs.field(validator=_period_count)
    unit: TimeUnit = attrs.field(converter=_period_unit)

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
        return cls(count, TimeUnit.DAY)

    @classmethod
    def weeks(cls, count: int) -> Self:
        """A period of ``count`` weeks."""
        return cls(count, TimeUnit.WEEK)

    @classmethod
    def months(cls, count: int) -> Self:
        """A period of ``count`` calendar months."""
        return cls(count, TimeUnit.MONTH)

    @classmethod
    def years(cls, count: int) -> Self:
        """A period of ``count`` calendar years."""
        return cls(count, TimeUnit.YEAR)

    @classmethod
    def from_relativedelta(cls, delta: relativedelta, path: str = "$") -> Self:
        """Convert a relativedelta of whole days, weeks, months or years.

        Years and months together become months; weeks become days (a
        relativedelta stores weeks as days).

        Raises:
            ValidationError: the delta is not positive, mixes days with months
                or years, or holds times of day or absolute fields.
        """
        path = error_path(path)
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
                    return cls(months // 12, TimeUnit.YEAR)
                return cls(months, TimeUnit.MONTH)
            if delta.days > 0 and months == 0:
                return cls(delta.days, TimeUnit.DAY)
        except ValidationError as exc:
            raise exc.under(path) from None
        raise ValidationError(rule, path=path, code="period")

    def times(self, n: int) -> relativedelta:
        """``n`` of these periods as one relativedelta (``n`` may be zero)."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise InvalidType(f"must be an int, not {type_name(n)}", path="$.n")
        step = self.count * n
        limit = _MAX_SPAN[self.unit]
        if abs(step) > limit:
            raise ValidationError(
                f"must keep the span within {limit:,} {self.unit.value}s (the calendar's range)",
                path="$.n",
                code="range",
            )
        if self.unit is TimeUnit.DAY:
            return relativedelta(days=step)
        if self.unit is TimeUnit.WEEK:
            return relativedelta(weeks=step)
        if self.unit is TimeUnit.MONTH:
            return relativedelta(months=step)
        if self.unit is TimeUnit.QUARTER:
            return relativedelta(months=3 * step)
        return relativedelta(years=step)

    def to_relativedelta(self) -> relativedelta:
        """One period as a relativedelta."""
        return self.times(1)

    def approximate_days(self) -> float:
        """The period's average length in days (for estimates, never for due dates)."""
        per_unit = {
            TimeUnit.DAY: 1.0,
            TimeUnit.WEEK: 7.0,
            TimeUnit.MONTH: 365.2425 / 12,
            TimeUnit.QUARTER: 365.2425 / 4,
            TimeUnit.YEAR: 365.2425,
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

"""The one vocabulary of calendar units every capability uses.

Billing periods, pipeline forecasts, analytics buckets and CLV summaries all
speak of ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` and ``"year"``;
each accepts the units that make sense for it and says which when given
another.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

__all__ = ["TimeUnit", "time_unit"]


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

"""Calendar periods (weeks and months, in the kernel's :class:`~crmcore.TimeUnit`) that activity is grouped into.

An instant belongs to the period holding its calendar date in the timezone
``tz`` the analysis is run in (UTC unless told). A month starts on its first
day; a week is an ISO week, starting on Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Final

from crmcore._kernel._checks import type_name
from crmcore._kernel._time import TimeUnit, time_unit
from crmcore.errors import InvalidType, ValidationError

_OUT_OF_RANGE: Final = "lies outside the calendar (years 1 to 9999) in the analysis time zone"

#: The units an analysis can be bucketed by.
GRANULARITIES: Final = (TimeUnit.WEEK, TimeUnit.MONTH)


class Buckets:
    """Numbered calendar periods of one unit (a week or a month) for grouping activity.

    >>> weeks = Buckets(TimeUnit.WEEK)
    >>> weeks.label(weeks.number(date(2026, 1, 1)))
    '2026-W01'
    >>> months = Buckets("month")
    >>> months.label(months.number(date(2026, 1, 31)))
    '2026-01'
    """

    __slots__ = ("unit",)

    def __init__(self, unit: object) -> None:
        self.unit: TimeUnit = time_unit(unit, "$.granularity", GRANULARITIES)

    def number(self, day: date) -> int:
        """A running number of the period holding ``day`` (consecutive periods differ by 1)."""
        if self.unit is TimeUnit.MONTH:
            return day.year * 12 + day.month - 1
        return (day.toordinal() - 1) // 7  # day 1 (0001-01-01) is a Monday

    def start(self, index: int) -> date:
        """The first day of the period numbered ``index``.

        Raises:
            ValidationError: the period starts outside the calendar (years 1 to 9999).
        """
        try:
            if self.unit is TimeUnit.MONTH:
                return date(index // 12, index % 12 + 1, 1)
            return date.fromordinal(index * 7 + 1)
        except (OverflowError, ValueError):
            raise ValidationError(_OUT_OF_RANGE, path="$", code="date_range") from None

    def label(self, index: int) -> str:
        """``2026-01`` for a month, ``2026-W05`` for an ISO week."""
        first = self.start(index)
        if self.unit is TimeUnit.MONTH:
            return f"{first.year:04d}-{first.month:02d}"
        year, week, _ = first.isocalendar()
        return f"{year:04d}-W{week:02d}"

    def of(self, at: datetime, tz: tzinfo, path: str = "$.at") -> int:
        """The index of the period holding instant ``at`` in timezone ``tz``.

        Raises:
            ValidationError: ``at`` falls outside the calendar in ``tz``
                (year 1 or 9999 across the offset), reported at ``path``.
        """
        try:
            local = at.astimezone(tz)
        except (OverflowError, ValueError):
            raise ValidationError(_OUT_OF_RANGE, path=path, code="date_range") from None
        return self.number(local.date())


def check_tz(value: object) -> tzinfo:
    """A tzinfo (``None`` means UTC)."""
    if value is None:
        return UTC
    if not isinstance(value, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(value)}", path="$.tz")
    if datetime(2000, 1, 1, tzinfo=value).utcoffset() is None:
        raise ValidationError("must give an offset", path="$.tz", code="tz")
    return value

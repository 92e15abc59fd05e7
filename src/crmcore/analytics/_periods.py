"""Calendar periods (weeks and months) that activity is grouped into.

An instant belongs to the period holding its calendar date in the timezone
``tz`` the analysis is run in (UTC unless told). A month starts on its first
day; a week is an ISO week, starting on Monday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

__all__ = ["Granularity", "check_tz", "granularity"]


class Granularity(StrEnum):
    """How long an analysis period is."""

    WEEK = "week"
    MONTH = "month"

    def number(self, day: date) -> int:
        """A running number of the period holding ``day`` (consecutive periods differ by 1)."""
        if self is Granularity.MONTH:
            return day.year * 12 + day.month - 1
        return (day.toordinal() - 1) // 7  # day 1 (0001-01-01) is a Monday

    def start(self, index: int) -> date:
        """The first day of the period numbered ``index``."""
        if self is Granularity.MONTH:
            return date(index // 12, index % 12 + 1, 1)
        return date.fromordinal(index * 7 + 1)

    def label(self, index: int) -> str:
        """``2026-01`` for a month, ``2026-W05`` for an ISO week.

        >>> Granularity.WEEK.label(Granularity.WEEK.number(date(2026, 1, 1)))
        '2026-W01'
        >>> Granularity.MONTH.label(Granularity.MONTH.number(date(2026, 1, 31)))
        '2026-01'
        """
        first = self.start(index)
        if self is Granularity.MONTH:
            return f"{first.year:04d}-{first.month:02d}"
        year, week, _ = first.isocalendar()
        return f"{year:04d}-W{week:02d}"

    def of(self, at: datetime, tz: tzinfo) -> int:
        """The index of the period holding instant ``at`` in timezone ``tz``."""
        return self.number(at.astimezone(tz).date())


def granularity(value: object) -> Granularity:
    """A :class:`Granularity` from itself or its name (``"week"``, ``"month"``)."""
    if isinstance(value, Granularity):
        return value
    if isinstance(value, str):
        try:
            return Granularity(value)
        except ValueError:
            pass
        raise ValidationError("must be one of: week, month", path="$.granularity", code="choice")
    raise InvalidType(f"must be 'week' or 'month', not {type_name(value)}", path="$.granularity")


def check_tz(value: object) -> tzinfo:
    """A tzinfo (``None`` means UTC)."""
    if value is None:
        return UTC
    if not isinstance(value, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(value)}", path="$.tz")
    if datetime(2000, 1, 1, tzinfo=value).utcoffset() is None:
        raise ValidationError("must give an offset", path="$.tz", code="tz")
    return value

"""Tests for `crmcore._kernel._time`."""

import pytest
from dateutil.relativedelta import relativedelta

from crmcore import TimeUnit, ValidationError
from crmcore.commerce import Period


@pytest.mark.parametrize(
    ("period", "n"),
    [
        (Period.days(1), 2**63),
        (Period.weeks(2), 10**9),
        (Period.years(10), -2_000),
        (Period.months(1), 120_001),
    ],
)
def test_times_keeps_within_the_calendar(period, n):
    """A span beyond the calendar's 10,000 years is refused (relativedelta raised OverflowError)."""
    with pytest.raises(ValidationError) as info:
        period.times(n)
    assert ("$.n", "range") == (info.value.path, info.value.code)


def test_times_in_range():
    """Spans within the calendar are one relativedelta."""
    assert relativedelta(months=120_000) == Period.months(1).times(120_000)
    assert relativedelta(days=-14) == Period(2, TimeUnit.WEEK).times(-1)

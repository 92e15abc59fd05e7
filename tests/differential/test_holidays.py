"""Indonesian public holidays from the ``holidays`` package in a crmcore business calendar.

The recipe is in docs/reference_checks.md; these tests hold it to hand-worked
SLA due times around Independence Day (Monday 17 August 2026).
"""

from datetime import date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from crmcore.customers import CustomerId
from crmcore.service import BusinessCalendar, Case, CaseId, SlaPolicy, SlaTarget, sla_status

WIB = timezone(timedelta(hours=7))
HOURS = ["08:00-12:00", "13:00-17:00"]


def jakarta(days):
    """The Jakarta office calendar with ``days`` as holidays."""
    return BusinessCalendar.standard(HOURS, time_zone=WIB, holidays=sorted(days))


def policy(calendar):
    """One business hour to respond and eight to resolve, whatever the priority."""
    targets = [
        SlaTarget(priority, timedelta(hours=1), timedelta(hours=8))
        for priority in ("low", "normal", "high", "urgent")
    ]
    return SlaPolicy("standard", calendar, targets)


def test_the_package_knows_the_2026_holidays_the_recipe_relies_on(holidays):
    """Independence Day and the two days of Eid al-Fitr 2026, as the government announced them."""
    indonesia = holidays.country_holidays("ID", years=2026)
    assert date(2026, 8, 17) in indonesia
    assert {date(2026, 3, 21), date(2026, 3, 22)} <= set(indonesia)


def test_an_sla_due_time_skips_independence_day(holidays):
    """Opened Friday 16:30 with one hour: 30 minutes Friday, Monday off, due Tuesday 08:30."""
    indonesia = holidays.country_holidays("ID", years=2026)
    case = Case.open(
        CaseId("case-17"),
        customer_id=CustomerId("c-1"),
        kind="complaint",
        priority="high",
        subject="Order not delivered",
        channel="whatsapp",
        at=datetime(2026, 8, 14, 16, 30, tzinfo=WIB),
    )
    at = datetime(2026, 8, 17, 12, 0, tzinfo=WIB)  # Monday noon, on the holiday
    with_holidays = sla_status(case, policy(jakarta(indonesia)), at=at)
    without = sla_status(case, policy(jakarta([])), at=at)
    assert datetime(2026, 8, 18, 8, 30, tzinfo=WIB) == with_holidays.first_response.due_at
    assert timedelta(minutes=30) == with_holidays.first_response.elapsed
    assert not with_holidays.first_response.breached
    # Without the holiday the clock ran out on Monday morning.
    assert datetime(2026, 8, 17, 8, 30, tzinfo=WIB) == without.first_response.due_at
    assert without.first_response.breached


@given(st.integers(min_value=0, max_value=364), st.integers(min_value=1, max_value=40))
def test_no_business_time_falls_on_an_indonesian_holiday(holidays, day, hours):
    """Adding business time across any stretch of 2026 skips exactly the package's holidays."""
    indonesia = holidays.country_holidays("ID", years=[2026, 2027])
    calendar = jakarta(indonesia)
    start = datetime(2026, 1, 1, 8, 0, tzinfo=WIB) + timedelta(days=day)
    due = calendar.add_business_time(start, timedelta(hours=hours))
    assert due.date() not in indonesia
    assert calendar.business_time_between(start, due) == timedelta(hours=hours)
    # Counted by hand: working hours on weekdays that are not holidays, day by day.
    plain = jakarta([])
    counted = timedelta(0)
    cursor = start
    while cursor.date() <= due.date():
        begin = datetime.combine(cursor.date(), datetime.min.time(), WIB)
        end = min(begin + timedelta(days=1), due)
        begin = max(begin, start)
        if cursor.date() not in indonesia:
            counted += plain.business_time_between(begin, end)
        cursor = datetime.combine(cursor.date() + timedelta(days=1), datetime.min.time(), WIB)
    assert timedelta(hours=hours) == counted

"""Tests for `crmcore.service._calendar`: business calendars and business-time arithmetic."""

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.serialization import from_dict, to_dict
from crmcore.service import BusinessCalendar, TimeOfDay, Weekday, WorkingDay, WorkingHours

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    AMSTERDAM: tzinfo | None = ZoneInfo("Europe/Amsterdam")
    NEW_YORK: tzinfo | None = ZoneInfo("America/New_York")
except (ImportError, ZoneInfoNotFoundError):  # pragma: no cover - depends on the machine
    AMSTERDAM = NEW_YORK = None

needs_dst_zones = pytest.mark.skipif(
    AMSTERDAM is None, reason="no time zone database on this machine"
)

WIB = timezone(timedelta(hours=7))
H = timedelta(hours=1)


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


@pytest.fixture
def office() -> BusinessCalendar:
    """Monday to Friday, 08:00-12:00 and 13:00-17:00 in Jakarta time, New Year off."""
    return BusinessCalendar.standard(
        ["08:00-12:00", "13:00-17:00"], time_zone=WIB, holidays=[date(2026, 1, 1)]
    )


# -- value types ----------------------------------------------------------------------------


def test_time_of_day_reads_and_writes_hh_mm():
    """TimeOfDay parses HH:MM, counts minutes and orders by time."""
    assert TimeOfDay(8, 30) == TimeOfDay.parse(" 08:30 ")
    assert 510 == TimeOfDay(8, 30).minutes
    assert "24:00" == str(TimeOfDay.parse("24:00"))
    assert TimeOfDay(7, 59) < TimeOfDay(8)


@pytest.mark.parametrize(
    ("text", "path"),
    [("25:00", "$"), ("08:60", "$"), ("24:30", "$"), ("8h30", "$"), ("", "$")],
)
def test_time_of_day_refuses_impossible_times(text, path):
    """Hours past 24, minutes past 59, 24:30 and junk are refused with a path."""
    with pytest.raises(ValidationError) as info:
        TimeOfDay.parse(text)
    assert path == info.value.path


def test_time_of_day_fields_are_checked():
    """Direct construction checks the fields and refuses bools."""
    with pytest.raises(InvalidType) as info:
        TimeOfDay(True)  # type: ignore[arg-type]
    assert "$.hour" == info.value.path
    with pytest.raises(ValidationError) as info2:
        TimeOfDay(24, 1)
    assert "$.minute" == info2.value.path


def test_working_hours_need_an_end_after_the_start():
    """An interval that ends at or before its start is refused at $.end."""
    with pytest.raises(ValidationError) as info:
        WorkingHours("12:00", "12:00")
    assert ("$.end", "empty_interval") == (info.value.path, info.value.code)
    assert WorkingHours.parse("08:00-12:00") == WorkingHours(TimeOfDay(8), TimeOfDay(12))
    assert timedelta(hours=4) == WorkingHours("08:00", "12:00").duration


def test_overlapping_hours_name_the_weekday():
    """Overlapping intervals on a day are refused; the rule names the weekday."""
    with pytest.raises(ValidationError) as info:
        WorkingDay("wednesday", ["08:00-12:00", "13:00-17:00", "16:00-18:00"])
    assert "$.hours[2]" == info.value.path
    assert "overlap" == info.value.code
    assert "wednesday" in info.value.rule


def test_adjacent_hours_are_sorted_and_allowed():
    """Intervals that touch are fine, and are kept in time order."""
    day = WorkingDay("friday", [("13:00", "17:00"), "08:00-13:00"])
    assert ["08:00-13:00", "13:00-17:00"] == [str(h) for h in day.hours]
    assert timedelta(hours=9) == day.duration


def test_weekday_of_a_date():
    """Weekday.of follows the calendar; number counts from Monday."""
    assert Weekday.THURSDAY == Weekday.of(date(2026, 1, 1))
    assert [0, 6] == [Weekday.MONDAY.number, Weekday.SUNDAY.number]


# -- building calendars ---------------------------------------------------------------------


@pytest.mark.parametrize("week", [{}, {"monday": []}, [WorkingDay("sunday")]])
def test_a_calendar_without_working_time_is_refused(week):
    """No working time at all is a ValidationError at $.week."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar(week, time_zone="UTC")
    assert ("$.week", "no_working_time") == (info.value.path, info.value.code)


def test_a_weekday_listed_twice_is_refused():
    """Each weekday appears once."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar(
            [WorkingDay("monday", ["08:00-12:00"]), WorkingDay("monday", ["13:00-17:00"])],
            time_zone="UTC",
        )
    assert ("$.week[1]", "duplicate") == (info.value.path, info.value.code)


def test_bad_hours_in_a_mapping_name_the_day():
    """The path of a bad interval given in a mapping names the weekday."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar({"tuesday": ["09:00-08:00"]}, time_zone="UTC")
    assert "$.week.tuesday.hours[0].end" == info.value.path


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("UTC", "UTC"),
        ("+07:00", "+07:00"),
        ("UTC-03:30", "-03:30"),
        (UTC, "UTC"),
        (timezone(timedelta(hours=5, minutes=45)), "+05:45"),
    ],
)
def test_fixed_time_zones_get_a_canonical_name(zone, name):
    """Fixed offsets, given as text or tzinfo, are stored under one name."""
    assert name == BusinessCalendar.standard(["09:00-17:00"], time_zone=zone).time_zone


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../etc/passwd", "+25:00", "", 7])
def test_unknown_time_zones_are_refused(zone):
    """An unknown zone name, or something that is no zone at all, is refused at $.time_zone."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar.standard(["09:00-17:00"], time_zone=zone)
    assert "$.time_zone" == info.value.path


class _Nameless(tzinfo):
    """A tzinfo whose offset depends on the date and which carries no name."""

    def utcoffset(self, dt):
        return None if dt is None else timedelta(hours=1 if dt.month < 6 else 2)

    def dst(self, dt):
        return timedelta(0)

    def tzname(self, dt):
        return None


def test_a_nameless_varying_tzinfo_is_refused():
    """A tzinfo without an IANA key or fixed offset cannot be stored by name."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar.standard(["09:00-17:00"], time_zone=_Nameless())
    assert ("$.time_zone", "time_zone") == (info.value.path, info.value.code)


def test_the_calendar_keeps_the_tzinfo_it_was_given():
    """A caller's tzinfo object is used as it is; its name is what is stored."""
    zone = timezone(timedelta(hours=8), "WITA")
    calendar = BusinessCalendar.standard(["09:00-17:00"], time_zone=zone)
    assert zone is calendar.tzinfo
    assert "+08:00" == calendar.time_zone


def test_calendar_round_trips_through_serialization(office):
    """A calendar serializes to plain data and comes back equal and working."""
    data = to_dict(office)
    assert "+07:00" == data["time_zone"]
    assert ["2026-01-01"] == data["holidays"]
    back = from_dict(BusinessCalendar, data)
    assert office == back
    assert office.business_time_between(wib(2026, 1, 2, 9), wib(2026, 1, 6, 9)) == (
        back.business_time_between(wib(2026, 1, 2, 9), wib(2026, 1, 6, 9))
    )


def test_calendar_values_round_trip():
    """TimeOfDay, WorkingHours and WorkingDay serialize on their own too."""
    for value in (
        TimeOfDay(24),
        WorkingHours("08:15", "12:45"),
        WorkingDay("saturday", ["09:00-13:00"]),
    ):
        assert value == from_dict(type(value), to_dict(value))
    with pytest.raises(ValidationError) as info:
        from_dict(TimeOfDay, {"hour": 24, "minute": 30, "schema_version": 1})
    assert "$.minute" == info.value.path


@needs_dst_zones
def test_iana_calendar_round_trips_and_resolves_by_name():
    """A calendar on an IANA zone comes back resolved from its name."""
    calendar = BusinessCalendar.standard(["09:00-17:00"], time_zone=AMSTERDAM)
    back = from_dict(BusinessCalendar, to_dict(calendar))
    assert "Europe/Amsterdam" == back.time_zone
    assert calendar == back


def test_a_stored_calendar_with_a_bad_zone_is_refused(office):
    """from_dict of an unknown zone name reports $.time_zone and no half-built calendar."""
    data = to_dict(office) | {"time_zone": "Nowhere/Atlantis"}
    with pytest.raises(ValidationError) as info:
        from_dict(BusinessCalendar, data)
    assert "$.time_zone" == info.value.path


def test_repr_summarises_the_week(office):
    """The repr lists the working week and counts holidays."""
    assert "holidays=1" in repr(office)
    assert "'monday 08:00-12:00 13:00-17:00'" in repr(office)


# -- business time --------------------------------------------------------------------------


def test_business_time_skips_lunch_nights_weekends_and_holidays(office):
    """Only working hours count."""
    assert timedelta(hours=3) == office.business_time_between(
        wib(2026, 1, 5, 11), wib(2026, 1, 5, 15)
    )
    # Wednesday 31 December 16:00 to Friday 2 January 9:00: one hour, a holiday, one hour.
    assert timedelta(hours=2) == office.business_time_between(
        wib(2025, 12, 31, 16), wib(2026, 1, 2, 9)
    )
    # Friday 16:30 to Monday 08:30 over a weekend.
    assert timedelta(hours=1) == office.business_time_between(
        wib(2026, 1, 9, 16, 30), wib(2026, 1, 12, 8, 30)
    )


def test_business_time_is_signed_and_zero_for_an_instant(office):
    """Measuring backwards gives the negative; from an instant to itself gives zero."""
    a, b = wib(2026, 1, 5, 9), wib(2026, 1, 7, 10)
    assert -office.business_time_between(a, b) == office.business_time_between(b, a)
    assert timedelta(0) == office.business_time_between(a, a)


def test_business_time_accepts_instants_in_any_zone(office):
    """Instants are compared as instants, whatever zone they are written in."""
    assert timedelta(hours=1) == office.business_time_between(
        datetime(2026, 1, 5, 1, 0, tzinfo=UTC), datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    )


def test_a_whole_quarter_is_counted_by_weeks(office):
    """Ninety days: every working day counted once, the holiday left out."""
    start, end = wib(2026, 1, 1), wib(2026, 4, 1)
    working_days = sum(
        1
        for n in range((end - start).days)
        if (start.date() + timedelta(days=n)).weekday() < 5
        and start.date() + timedelta(days=n) != date(2026, 1, 1)
    )
    assert timedelta(hours=8 * working_days) == office.business_time_between(start, end)


def test_a_decade_is_measured_and_added(office):
    """Long spans work both ways and agree with each other."""
    start = wib(2026, 1, 5, 8)
    ten_years = office.business_time_between(start, wib(2036, 1, 5, 8))  # ends on a Saturday
    days = (date(2036, 1, 5) - date(2026, 1, 5)).days
    weekdays = sum(1 for n in range(days) if (date(2026, 1, 5) + timedelta(days=n)).weekday() < 5)
    assert timedelta(hours=8 * weekdays) == ten_years
    assert wib(2036, 1, 4, 17) == office.add_business_time(start, ten_years)  # Friday evening


def test_naive_instants_are_refused(office):
    """A naive datetime is a ValidationError naming the argument."""
    with pytest.raises(ValidationError) as info:
        office.business_time_between(datetime(2026, 1, 5, 9), wib(2026, 1, 5, 10))  # noqa: DTZ001
    assert ("$.start", "naive_datetime") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as info2:
        office.is_working_time(datetime(2026, 1, 5, 9))  # noqa: DTZ001
    assert "$.at" == info2.value.path


def test_adding_business_time_jumps_over_closed_time(office):
    """Adding two hours on Friday at 16:00 ends on Monday at 09:00."""
    due = office.add_business_time(wib(2026, 1, 9, 16), 2 * H)
    assert wib(2026, 1, 12, 9) == due
    assert WIB == due.tzinfo


def test_adding_ends_at_the_end_of_an_interval_not_the_next_morning(office):
    """Exactly one working day from 08:00 is 17:00 the same day."""
    assert wib(2026, 1, 5, 17) == office.add_business_time(wib(2026, 1, 5, 8), 8 * H)
    assert wib(2026, 1, 5, 12) == office.add_business_time(wib(2026, 1, 5, 8), 4 * H)


def test_adding_nothing_gives_the_start(office):
    """A zero duration gives the start itself, even outside working hours."""
    sunday = wib(2026, 1, 4, 3)
    assert sunday == office.add_business_time(sunday, timedelta(0))


def test_adding_returns_the_zone_of_the_start(office):
    """The result is written in the zone of the instant passed in."""
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
    assert datetime(2026, 1, 5, 2, 0, tzinfo=UTC) == office.add_business_time(start, H)
    assert UTC == office.add_business_time(start, H).tzinfo


@pytest.mark.parametrize(
    ("duration", "error"), [(-H, ValidationError), (60, InvalidType), (None, InvalidType)]
)
def test_adding_refuses_bad_durations(office, duration, error):
    """A negative duration or a non-timedelta is refused at $.duration."""
    with pytest.raises(error) as info:
        office.add_business_time(wib(2026, 1, 5, 8), duration)
    assert "$.duration" == info.value.path


def test_adding_beyond_the_calendar_range_is_a_validation_error(office):
    """A result past year 9999 is a ValidationError, not an OverflowError."""
    with pytest.raises(ValidationError) as info:
        office.add_business_time(wib(2026, 1, 5, 8), timedelta(days=999_999))
    assert ("$.duration", "out_of_range") == (info.value.path, info.value.code)


def test_working_time_includes_the_start_of_an_interval_only(office):
    """08:00 is working time, 12:00 and 17:00 are not."""
    assert office.is_working_time(wib(2026, 1, 5, 8))
    assert not office.is_working_time(wib(2026, 1, 5, 12))
    assert not office.is_working_time(wib(2026, 1, 5, 17))
    assert not office.is_working_time(wib(2026, 1, 1, 10))  # a holiday


def test_next_working_instant(office):
    """Inside working hours it is the instant itself; otherwise the next opening."""
    assert wib(2026, 1, 5, 9) == office.next_working_instant(wib(2026, 1, 5, 9))
    assert wib(2026, 1, 5, 13) == office.next_working_instant(wib(2026, 1, 5, 12, 10))
    assert wib(2026, 1, 2, 8) == office.next_working_instant(wib(2025, 12, 31, 17))


def test_working_hours_on_a_date(office):
    """Hours of a date come from its weekday; holidays and weekends have none."""
    assert 2 == len(office.working_hours_on(date(2026, 1, 5)))
    assert () == office.working_hours_on(date(2026, 1, 1))
    assert () == office.working_hours_on(date(2026, 1, 3))
    assert office.is_holiday(date(2026, 1, 1))
    assert timedelta(hours=40) == office.weekly_hours


# -- clock changes --------------------------------------------------------------------------


@needs_dst_zones
def test_a_round_the_clock_day_lasts_as_long_as_real_time():
    """A 24-hour working Sunday has 23 hours in March and 25 in October in Amsterdam."""
    calendar = BusinessCalendar({"sunday": ["00:00-24:00"]}, time_zone=AMSTERDAM)
    spring = datetime(2026, 3, 29, tzinfo=AMSTERDAM)
    autumn = datetime(2026, 10, 25, tzinfo=AMSTERDAM)
    assert timedelta(hours=23) == calendar.business_time_between(
        spring, datetime(2026, 3, 30, tzinfo=AMSTERDAM)
    )
    assert timedelta(hours=25) == calendar.business_time_between(
        autumn, datetime(2026, 10, 26, tzinfo=AMSTERDAM)
    )
    # 1 March to 26 October: 35 Sundays, one of 23 hours and one of 25.
    assert timedelta(hours=24 * 35) == calendar.business_time_between(
        datetime(2026, 3, 1, tzinfo=AMSTERDAM), datetime(2026, 10, 26, tzinfo=AMSTERDAM)
    )


@needs_dst_zones
def test_office_hours_keep_their_wall_clock_length_across_a_clock_change():
    """09:00-17:00 is eight hours on the days around the change, measured over the week."""
    calendar = BusinessCalendar.standard(["09:00-17:00"], time_zone=NEW_YORK)
    week_start = datetime(2026, 3, 6, 12, tzinfo=NEW_YORK)  # Friday before the change
    assert timedelta(hours=5 + 8 * 5) == calendar.business_time_between(
        week_start, datetime(2026, 3, 14, 12, tzinfo=NEW_YORK)
    )
    due = calendar.add_business_time(week_start, timedelta(hours=6))
    assert datetime(2026, 3, 9, 10, tzinfo=NEW_YORK) == due


@needs_dst_zones
def test_hours_inside_the_skipped_and_repeated_hour():
    """02:00-04:00 is one real hour on the spring-forward day and three on fall-back day."""
    calendar = BusinessCalendar({"sunday": ["02:00-04:00"]}, time_zone=AMSTERDAM)
    assert H == calendar.business_time_between(
        datetime(2026, 3, 29, tzinfo=AMSTERDAM), datetime(2026, 3, 30, tzinfo=AMSTERDAM)
    )
    assert 3 * H == calendar.business_time_between(
        datetime(2026, 10, 25, tzinfo=AMSTERDAM), datetime(2026, 10, 26, tzinfo=AMSTERDAM)
    )
    opening = calendar.next_working_instant(datetime(2026, 3, 29, 1, tzinfo=AMSTERDAM))
    assert datetime(2026, 3, 29, 1, 0, tzinfo=UTC) == opening  # 03:00 summer time


# -- properties -----------------------------------------------------------------------------

QUARTER = timedelta(minutes=15)
BASE = datetime(2026, 3, 16, tzinfo=UTC)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Random calendars on quarter-hour boundaries, in fixed and (if available) DST zones."""
    zones: list[str | tzinfo] = ["UTC", "+07:00", "-03:30"]
    if AMSTERDAM is not None and NEW_YORK is not None:
        zones += [AMSTERDAM, NEW_YORK]
    week = {}
    for day in Weekday:
        bounds = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
        if len(bounds) % 2:
            bounds = bounds[:-1]
        week[day.value] = [
            (str(TimeOfDay(*divmod(a * 15, 60))), str(TimeOfDay(*divmod(b * 15, 60))))
            for a, b in zip(bounds[::2], bounds[1::2], strict=True)
        ]
    if not any(week.values()):
        week["monday"] = [("09:00", "17:00")]
    holidays = draw(st.lists(st.dates(date(2026, 3, 1), date(2026, 12, 31)), max_size=20))
    return BusinessCalendar(week, time_zone=draw(st.sampled_from(zones)), holidays=holidays)


instants = st.integers(0, 4 * 24 * 300).map(lambda n: BASE + n * QUARTER)


def reference_business_time(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Count quarter hours whose local wall-clock time lies in the working hours."""
    zone = calendar.tzinfo
    total = timedelta(0)
    t = a
    while t < b:
        local = t.astimezone(zone)
        minute = local.hour * 60 + local.minute
        hours = calendar.working_hours_on(local.date())
        if any(h.start.minutes <= minute < h.end.minutes for h in hours):
            total += QUARTER
        t += QUARTER
    return total


@given(calendar=calendars(), start=instants, slots=st.integers(0, 4 * 24 * 12))
def test_business_time_counts_only_working_wall_clock_time(calendar, start, slots):
    """Business time equals the quarter hours whose local time is inside working hours."""
    end = start + slots * QUARTER
    assert reference_business_time(calendar, start, end) == calendar.business_time_between(
        start, end
    )


@given(calendar=calendars(), a=instants, b=instants, c=instants)
def test_business_time_is_additive(calendar, a, b, c):
    """From a to b plus from b to c is from a to c, in any order."""
    assert calendar.business_time_between(a, c) == calendar.business_time_between(
        a, b
    ) + calendar.business_time_between(b, c)


@given(calendar=calendars(), a=instants, b=instants)
def test_business_time_is_bounded_by_real_time(calendar, a, b):
    """Between two instants, business time is between zero and the real time."""
    a, b = min(a, b), max(a, b)
    measured = calendar.business_time_between(a, b)
    assert timedelta(0) <= measured <= b - a


@given(
    calendar=calendars(),
    start=instants,
    minutes=st.integers(0, 60 * 24 * 200),
    micros=st.integers(0, 59_999_999),
)
def test_adding_then_measuring_gives_the_duration_back(calendar, start, minutes, micros):
    """business_time_between(start, add_business_time(start, d)) == d."""
    duration = timedelta(minutes=minutes, microseconds=micros)
    end = calendar.add_business_time(start, duration)
    assert end >= start
    assert duration == calendar.business_time_between(start, end)
    if duration:
        # The end is the first instant that reaches the duration.
        assert calendar.business_time_between(start, end - timedelta(microseconds=1)) < duration


@given(calendar=calendars(), at=instants)
def test_the_next_working_instant_is_working_time(calendar, at):
    """next_working_instant is working time, and nothing before it (from `at`) is."""
    found = calendar.next_working_instant(at)
    assert found >= at
    assert calendar.is_working_time(found)
    assert timedelta(0) == calendar.business_time_between(at, found)


extreme = st.datetimes(
    timezones=st.sampled_from([UTC, WIB, timezone(timedelta(hours=-11))])
) | st.sampled_from(
    [datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))), datetime.min.replace(tzinfo=WIB)]
)


@given(a=extreme, b=extreme, hours=st.integers(0, 10**6))
def test_any_instant_gives_an_answer_or_a_validation_error(a, b, hours):
    """Even at the ends of the datetime range, only ValidationError escapes."""
    office = BusinessCalendar.standard(["08:00-17:00"], time_zone=WIB)
    codes = []
    for call in (
        lambda: office.is_working_time(a),
        lambda: office.next_working_instant(a),
        lambda: office.business_time_between(a, b),
        lambda: office.add_business_time(a, timedelta(hours=hours)),
    ):
        try:
            call()
        except ValidationError as error:
            codes.append(error.code)
    assert set(codes) <= {"out_of_range"}


@pytest.mark.parametrize("hours", [None, 5, [None], [("09:00",)]])
def test_standard_checks_the_hours(hours):
    """D10: hours that are not working hours are refused with a path (was a bare TypeError)."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar.standard(hours, time_zone="UTC")
    assert info.value.path.startswith("$.hours")


def test_an_unknown_weekday_key_is_never_echoed():
    """D11: a week mapping's key that is no weekday is refused without repeating it."""
    with pytest.raises(ValidationError) as info:
        BusinessCalendar({"Zqxmarker": ["09:00-17:00"]}, time_zone="UTC")
    assert "Zqxmarker" not in str(info.value)
    assert info.value.path.startswith("$.week")


def test_a_week_mapping_holds_at_most_seven_days():
    """More keys than weekdays is refused before any is read."""
    week = {f"day{i}": [] for i in range(8)}
    with pytest.raises(ValidationError) as info:
        BusinessCalendar(week, time_zone="UTC")
    assert "too_many" == info.value.code


def test_the_next_working_instant_skips_a_holiday_on_the_only_working_day():
    """One short working day a week and a holiday on it: the next one is found a week later.

    Found by Hypothesis: the search used to allow one day per holiday instead of one week.
    """
    calendar = BusinessCalendar(
        {"tuesday": ["00:00-00:15"]}, time_zone="UTC", holidays=[date(2026, 3, 31)]
    )
    at = datetime(2026, 3, 24, 0, 15, tzinfo=UTC)
    assert calendar.next_working_instant(at) == datetime(2026, 4, 7, 0, 0, tzinfo=UTC)

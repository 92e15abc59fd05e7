"""Tests for `crmcore.activities._recurrence`: RFC 5545 rules, bounded, and time zone names."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given

from crmcore import InvalidType, ValidationError
from crmcore.activities import (
    MAX_OCCURRENCES,
    MAX_RULE_LENGTH,
    MAX_SERIES_YEARS,
    Recurrence,
    zone_name,
)
from crmcore.activities._recurrence import zone_of
from crmcore.testing.strategies._activities import recurrences

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def _code(rule: str, start: datetime = START, zone: str = "UTC") -> str:
    with pytest.raises(ValidationError) as caught:
        Recurrence(rule, start, zone)
    return caught.value.code


def _direct(recurrence: Recurrence) -> list[datetime]:
    """What dateutil gives for the recurrence, asked directly."""
    local = recurrence.start.astimezone(zone_of(recurrence.time_zone))
    excluded = {day.astimezone(UTC) for day in recurrence.exdates}
    return [
        o for o in rrulestr(recurrence.rule, dtstart=local) if o.astimezone(UTC) not in excluded
    ]


@given(recurrences())
def test_occurrences_match_dateutil(recurrence):
    """The occurrences are exactly what dateutil.rrule gives, minus the exception dates."""
    assert _direct(recurrence) == list(recurrence.occurrences())


@given(recurrences())
def test_occurrences_are_bounded_sorted_and_in_the_zone(recurrence):
    """Never more than the bound, oldest first, each once, read in the recurrence's zone."""
    found = recurrence.occurrences()
    assert 1 <= len(found) <= MAX_OCCURRENCES
    assert list(found) == sorted(set(found))
    assert all(o.tzinfo == zone_of(recurrence.time_zone) for o in found)
    assert all(o.astimezone(UTC) not in recurrence.exdates for o in found)
    assert all(o in recurrence for o in found)


def test_a_weekly_meeting_keeps_its_local_time_over_daylight_saving():
    """09:00 in Berlin stays 09:00 local when the clocks go forward (the UTC hour moves)."""
    weekly = Recurrence("FREQ=WEEKLY;COUNT=4", datetime(2026, 3, 16, 8, 0, tzinfo=UTC), BERLIN)
    assert [(o.hour, o.minute) for o in weekly] == [(9, 0)] * 4
    assert [o.astimezone(UTC).hour for o in weekly] == [8, 8, 7, 7]
    assert weekly.time_zone == "Europe/Berlin"


def test_exception_dates_are_left_out_and_kept_sorted_once():
    """EXDATEs in any zone take the same instants out; they are stored sorted, each once."""
    daily = Recurrence("FREQ=DAILY;COUNT=5", START)
    second, fourth = daily.occurrences()[1], daily.occurrences()[3]
    skipped = Recurrence(
        "FREQ=DAILY;COUNT=5", START, exdates=[fourth, second.astimezone(BERLIN), second]
    )
    assert skipped.exdates == (second, fourth)
    assert all(day.tzinfo is UTC for day in skipped.exdates)
    assert [o for o in daily if o not in (second, fourth)] == list(skipped.occurrences())
    assert skipped.excluding(daily.first).first == daily.occurrences()[2]


def test_queries_after_between_and_contains():
    """after() is strictly later, between() is half-open, `in` compares instants."""
    daily = Recurrence("FREQ=DAILY;COUNT=3", START)
    first, second, third = daily.occurrences()
    assert daily.after(first) == second
    assert daily.after(third) is None
    assert daily.between(first, third) == (first, second)
    assert second.astimezone(BERLIN) in daily
    assert second + timedelta(minutes=1) not in daily
    assert "2026-03-03" not in daily
    assert datetime(2026, 3, 3, 8, 0) not in daily  # noqa: DTZ001 - naive on purpose
    assert (daily.first, daily.last, len(daily)) == (first, third, 3)


def test_starting_again_drops_earlier_exception_dates():
    """A series started again later keeps only the exception dates from then on."""
    daily = Recurrence("FREQ=DAILY;COUNT=5", START)
    first, second, *_ = daily.occurrences()
    skipped = Recurrence(daily.rule, START, exdates=[first, daily.last])
    moved = skipped.starting_at(second)
    assert moved.exdates == (daily.last,)
    assert moved.first == second


def test_a_repeated_local_hour_is_matched_by_its_instant():
    """An occurrence in the hour New York repeats in November is found and excluded by instant."""
    start = datetime(2026, 10, 31, 5, 30, tzinfo=UTC)  # 01:30 EDT
    daily = Recurrence("FREQ=DAILY;COUNT=3", start, "America/New_York")
    ambiguous = daily.occurrences()[1]  # 1 November 01:30, the first (EDT) of the two
    assert ambiguous.astimezone(UTC) in daily
    assert ambiguous.astimezone(UTC) + timedelta(hours=1) not in daily
    skipped = Recurrence(daily.rule, start, daily.time_zone, exdates=[ambiguous])
    assert len(skipped) == 2
    assert daily.after(daily.first.astimezone(UTC)) == ambiguous


def test_the_text_is_normalised():
    """Lower case and an RRULE: prefix are accepted; the text is kept in capitals."""
    assert Recurrence("rrule:freq=daily;count=2", START).rule == "FREQ=DAILY;COUNT=2"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "unbounded"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20270101T000000Z", "rrule"),
        ("DTSTART:20260101T000000Z", "dtstart"),
        ("FREQ=DAILY;DTSTART=20260101T000000Z;COUNT=2", "dtstart"),
        ("FREQ=HOURLY;COUNT=2", "frequency"),
        ("FREQ=SECONDLY;COUNT=2", "frequency"),
        ("COUNT=2", "frequency"),
        ("FREQ=DAILY;COUNT=2;FREQ=DAILY", "rrule"),
        ("FREQ=YEARLY;BYEASTER=0;COUNT=2", "rrule"),
        ("FREQ=DAILY;;COUNT=2", "rrule"),
        ("", "rrule"),
        ("FREQ=DAILY;COUNT=2\nEXDATE:20260101T000000Z", "rrule"),
        ("FREQ=DAILY;COUNT=x", "rrule"),
        ("FREQ=DAILY;COUNT=123456789", "rrule"),
        ("FREQ=DAILY;COUNT=0", "no_occurrences"),
        (f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", "too_many_occurrences"),
        ("FREQ=DAILY;UNTIL=20300101T000000Z", "too_many_occurrences"),
        ("FREQ=DAILY;UNTIL=20270101T000000", "rrule"),
        ("FREQ=DAILY;COUNT=2;FOO=1", "rrule"),
        ("FREQ=DAILY;BYHOUR=25;COUNT=2", "rrule"),
        ("FREQ=DAILY;UNTIL=20200101T000000Z", "no_occurrences"),
        (f"FREQ=YEARLY;COUNT={MAX_SERIES_YEARS + 2}", "span"),
        ("FREQ=YEARLY;UNTIL=21000101T000000Z", "span"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "span"),
        ("FREQ=DAILY;BYSETPOS=2;COUNT=3", "span"),
        ("FREQ=WEEKLY;BYSETPOS=3;BYDAY=MO,TU;UNTIL=20300101T000000Z", "span"),
        # INTERVAL=0 never moves on: with filters that never match, dateutil loops for ever.
        ("FREQ=DAILY;INTERVAL=0;BYMONTH=2;BYMONTHDAY=30;COUNT=2", "rrule"),
        ("FREQ=DAILY;INTERVAL=00;COUNT=2", "rrule"),
        ("FREQ=YEARLY;INTERVAL=-1;COUNT=2", "rrule"),
        ("FREQ=DAILY;INTERVAL=+1;COUNT=2", "rrule"),
        # Values outside RFC 5545 that dateutil parses but fails on while stepping.
        ("FREQ=MONTHLY;BYDAY=53MO;BYYEARDAY=-367;UNTIL=20300101T000000Z", "rrule"),
        ("FREQ=DAILY;UNTIL=00010101T000000Z", "no_occurrences"),
    ],
)
def test_bad_rules_are_refused_with_a_code(rule, code):
    """Malformed, endless, too frequent, too long or never-matching rules: a specific code."""
    assert _code(rule) == code


def test_an_until_before_the_calendar_in_the_zone_is_refused():
    """UNTIL in year 1 read in New York lies before year 1: a ValidationError, no OverflowError."""
    assert _code("FREQ=DAILY;UNTIL=00010101T000000Z", zone="America/New_York") == "rrule"


def test_errors_name_the_rule_path_and_never_the_text():
    """The path is $.rule (relative); the message does not repeat the (caller's) text."""
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=WEEKLY;BYDAY=MO;X-SECRET=BUDI", START)
    assert caught.value.path == "$.rule"
    assert "BUDI" not in str(caught.value)


def test_too_long_text_is_refused_before_parsing():
    """Text over MAX_RULE_LENGTH characters is refused with code too_long."""
    assert _code("FREQ=DAILY;COUNT=2;" + "X" * MAX_RULE_LENGTH) == "too_long"


def test_never_matching_rules_are_refused_quickly_with_until_too():
    """A rule whose filters never match is refused whether it ends by COUNT or UNTIL."""
    assert _code("FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31;UNTIL=20270101T000000Z") == "span"


def test_sparse_rules_within_the_bound_are_kept():
    """Rare but possible rules (29 February on a Monday) are computed in full."""
    rare = Recurrence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;COUNT=1", START)
    assert (rare.first.month, rare.first.day, rare.first.weekday()) == (2, 29, 0)


def test_series_far_from_the_present_use_the_400_year_cycle():
    """Starts outside 1901-2049 are probed over the 400-year calendar cycle and still match."""
    for year in (1850, 2080, 9000):
        start = datetime(year, 3, 1, 9, 0, tzinfo=UTC)
        rule = "FREQ=MONTHLY;BYDAY=-1FR;COUNT=5"
        assert _direct(Recurrence(rule, start)) == list(Recurrence(rule, start).occurrences())


def test_a_start_too_close_to_the_end_of_the_calendar_is_refused():
    """A series must start early enough for its bound to fit before year 9999."""
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=DAILY;COUNT=1", datetime(9990, 1, 1, tzinfo=UTC))
    assert (caught.value.path, caught.value.code) == ("$.start", "range")


def test_naive_times_and_wrong_types_are_refused():
    """Naive starts and exception dates are refused; so are a non-str rule and exdates."""
    naive = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=DAILY;COUNT=2", naive)
    assert (caught.value.path, caught.value.code) == ("$.start", "naive_datetime")
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=DAILY;COUNT=2", START, exdates=[naive])
    assert caught.value.problems[0].path == "$.exdates[0]"
    with pytest.raises(InvalidType):
        Recurrence(42, START)
    with pytest.raises(InvalidType):
        Recurrence("FREQ=DAILY;COUNT=2", START, exdates="2026-03-02")


def test_excluding_every_occurrence_is_refused():
    """A recurrence must leave at least one occurrence."""
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=DAILY;COUNT=1", START, exdates=[START])
    assert caught.value.code == "no_occurrences"


def test_repr_shows_the_rule_and_counts():
    """The repr shows the rule (codes, not personal data), the start and the counts."""
    daily = Recurrence("FREQ=DAILY;COUNT=3", START, "Asia/Jakarta", exdates=[START])
    assert repr(daily) == (
        f"Recurrence({daily.rule!r}, start={START.isoformat()!r}, "
        f"time_zone={daily.time_zone!r}, exdates=1, occurrences={len(daily.occurrences())})"
    )
    assert len(daily.occurrences()) == 2


@pytest.mark.parametrize(
    ("start", "exdate"),
    [
        (datetime(2, 1, 1, tzinfo=timezone(timedelta(hours=1))), START),
        (datetime(1, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-12))), START),
        (START, datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))),
        (START, datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))),
    ],
)
def test_times_at_the_ends_of_the_calendar_are_refused(start, exdate):
    """A start or exception date outside the years 2 to 9998 is a ValidationError (range)."""
    with pytest.raises(ValidationError) as caught:
        Recurrence("FREQ=DAILY;COUNT=2", start, "-12:00", exdates=[exdate])
    path = "$.start" if start != START else "$.exdates[0]"
    found = caught.value.problems[0] if caught.value.problems else caught.value
    assert (found.path, found.code) == (path, "range")


def test_queries_past_the_ends_of_the_calendar_answer():
    """Windows reaching past year 1 or 9999 in some zone are answered, not an OverflowError."""
    daily = Recurrence("FREQ=DAILY;COUNT=3", START)
    end_of_time = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    dawn = datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))
    assert daily.between(dawn, end_of_time) == daily.occurrences()
    assert daily.from_(dawn) == daily.occurrences()
    assert daily.after(end_of_time) is None
    assert daily.after(dawn) == daily.first
    assert end_of_time not in daily


@pytest.mark.parametrize(
    ("given_zone", "expected"),
    [
        ("Asia/Jakarta", "Asia/Jakarta"),
        (" Asia/Jakarta ", "Asia/Jakarta"),
        ("UTC", "UTC"),
        ("Z", "UTC"),
        ("+00:00", "UTC"),
        ("+07:00", "+07:00"),
        ("UTC-03:30", "-03:30"),
        (ZoneInfo("Asia/Makassar"), "Asia/Makassar"),
        (timezone(timedelta(hours=9)), "+09:00"),
        (UTC, "UTC"),
    ],
)
def test_zone_names(given_zone, expected):
    """Zone names, ZoneInfo objects and fixed offsets all come out as one name."""
    assert zone_name(given_zone) == expected
    assert zone_of(expected).utcoffset(START) is not None


@pytest.mark.parametrize(
    "bad",
    ["Mars/Olympus", "+24:00", "+07:60", "x" * 70, "../etc/passwd", "Asia//Jakarta", ""],
)
def test_bad_zone_names_are_refused(bad):
    """Unknown, malformed or out-of-range zones: code time_zone at the path given."""
    with pytest.raises(ValidationError) as caught:
        zone_name(bad, "$.tz")
    assert (caught.value.path, caught.value.code) == ("$.tz", "time_zone")


def test_bad_zone_objects_are_refused():
    """A tzinfo without a name or a whole-minute offset is refused; so is a non-zone."""
    with pytest.raises(ValidationError):
        zone_name(timezone(timedelta(seconds=30)))
    with pytest.raises(InvalidType):
        zone_name(7)


def test_queries_refuse_junk_arguments_with_their_paths():
    """after, from_, between, starting_at and excluding name the argument they refuse."""
    daily = Recurrence("FREQ=DAILY;COUNT=3", START)
    naive = datetime(2026, 3, 3, 8, 0)  # noqa: DTZ001 - naive on purpose
    calls = [
        (lambda: daily.after(None), InvalidType, "$.moment"),
        (lambda: daily.from_(naive), ValidationError, "$.moment"),
        (lambda: daily.between(START, "tomorrow"), InvalidType, "$.end"),
        (lambda: daily.between(naive, START), ValidationError, "$.start"),
        (lambda: daily.starting_at(None), InvalidType, "$.start"),
        (lambda: daily.excluding(naive), ValidationError, "$.moment"),
    ]
    for call, error, path in calls:
        with pytest.raises(error) as caught:
            call()
        assert caught.value.path == path

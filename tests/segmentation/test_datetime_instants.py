"""Datetime conditions compare instants, never wall-clock times.

Python compares two datetimes that share one ``tzinfo`` object by their
wall-clock time (and never finds a time of a repeated hour equal to a time
in another zone). Rules compare instants, as the SQL and polars compilations
do: these tests check ``matches()`` (the generated code on dicts and objects,
and the interpreter on other mappings and in ``explain``) against instants
computed independently, in exact microseconds since 1970, around the daylight
saving changes of zones that have them, and against SQLite.
"""

# ruff: noqa: DTZ001, S608 - naive datetimes on purpose; test queries.

import sqlite3
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from types import MappingProxyType

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, reject
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.segmentation import Condition, FieldSpec, Span, field, rule_from_dict, rule_to_dict
from crmcore.testing.strategies import aware_datetimes

zoneinfo = pytest.importorskip("zoneinfo")
try:
    BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
    NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
    LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")  # a 30-minute DST shift
except zoneinfo.ZoneInfoNotFoundError:  # pragma: no cover - tzdata is a test dependency
    pytest.skip("no time zone database", allow_module_level=True)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
SCHEMA = {"t": FieldSpec.of("datetime")}


def stamp(moment: datetime) -> int:
    """The instant as whole microseconds since 1970 (exact, unlike float ``timestamp()``)."""
    return (moment - EPOCH) // MICROSECOND


@attrs.frozen
class Row:
    t: object


def answers(rule, value, at=None):
    """What matches() says on a dict, an object, and a read-only mapping (the interpreter)."""
    found = {
        rule.matches({"t": value}, at=at),
        rule.matches(Row(value), at=at),
        rule.matches(Row(value), at=at),  # the class is known now: read by attribute
        rule.matches(MappingProxyType({"t": value}), at=at),
        rule.explain({"t": value}, at=at).outcome,
    }
    assert len(found) == 1, (rule, value, at)
    return found.pop()


# -- the reported cases -----------------------------------------------------------------------


def test_within_last_compares_the_instant_not_the_berlin_wall_time():
    # 29 March 2026: Berlin's clocks go from 02:00 to 03:00 (CET to CEST).
    value = datetime(2026, 3, 29, 3, 10, tzinfo=BERLIN)  # 01:10 UTC
    at = datetime(2026, 3, 30, 2, 30, tzinfo=BERLIN)  # 00:30 UTC
    start = at - relativedelta(days=1)  # calendar arithmetic in at's zone: 29 March 02:30,
    assert start.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # a skipped time
    assert stamp(value) < stamp(start)
    assert value >= start  # what Python says: both in BERLIN, 03:10 is after 02:30
    assert not answers(field("t").within_last(days=1), value, at)
    assert answers(field("t").more_than_ago(days=1), value, at)
    later = datetime(2026, 3, 29, 3, 40, tzinfo=BERLIN)  # 01:40 UTC: inside
    assert answers(field("t").within_last(days=1), later, at)
    assert not answers(field("t").more_than_ago(days=1), later, at)


def test_the_two_half_past_two_of_the_october_change_are_an_hour_apart():
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # 00:30 UTC (CEST)
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)  # 01:30 UTC (CET)
    assert stamp(second) - stamp(first) == 3600 * 10**6
    assert not answers(field("t") == first, second)
    assert answers(field("t") != first, second)
    assert answers(field("t") < second, first)
    assert not answers(field("t") >= second, first)
    assert answers(field("t") > first, second)
    assert not answers(field("t").is_in([first]), second)
    assert answers(field("t").not_in([first]), second)
    assert answers(field("t").is_in([first]), first.astimezone(UTC))
    assert answers(field("t").is_in([second]), second.astimezone(timezone(timedelta(hours=5))))
    assert not answers(field("t").between(first, first + timedelta(minutes=10)), second)


def test_a_utc_literal_equals_the_same_instant_in_a_repeated_hour():
    # Python never finds a time of a repeated hour equal to one in another zone.
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert answers(field("t") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC), second)
    assert answers(field("t") == second, datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert answers(field("t").is_in([second]), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))


@pytest.mark.parametrize("fold", [0, 1])
def test_windows_from_an_at_in_the_repeated_hour(fold):
    at = datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=BERLIN)  # 00:30 or 01:30 UTC
    value = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # between the two
    # A day back from either is 24 October 02:30 CEST (00:30 UTC); a day on, 26 October 02:30 CET.
    assert answers(field("t").within_last(days=1), value, at) is (fold == 1)
    assert answers(field("t").within_next(days=1), value, at) is (fold == 0)
    assert answers(field("t").more_than_ago(days=1), value, at) is False
    in_berlin = value.astimezone(BERLIN)  # 02:00 CET (fold=1), in at's very zone object
    assert answers(field("t").within_last(days=1), in_berlin, at) is (fold == 1)
    assert answers(field("t").within_next(days=1), in_berlin, at) is (fold == 0)


def test_dates_still_use_the_calendar_date_of_at_in_its_zone():
    at = datetime(2026, 3, 30, 0, 30, tzinfo=BERLIN)  # 29 March 22:30 UTC
    assert answers(field("t").within_last(days=0), date(2026, 3, 30), at)
    assert not answers(field("t").within_last(days=0), date(2026, 3, 29), at)
    assert answers(field("t").birthday_within(days=0), date(1990, 3, 30), at)


def test_rule_documents_and_explanations_keep_the_literal_and_the_value_as_given():
    literal = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    rule = field("t") >= literal
    document = rule_to_dict(rule)
    assert "2026-10-25T02:30:00+01:00" in str(document)
    assert rule_from_dict(document, schema=SCHEMA).matches(
        {"t": datetime(2026, 10, 25, 1, 30, tzinfo=UTC)}
    )
    value = datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN)  # 00:45 UTC: before the literal
    explanation = rule.explain({"t": value})
    assert explanation.outcome is False
    assert explanation.value == value
    assert explanation.value.tzinfo is BERLIN
    assert explanation.shown == "2026-10-25T02:45:00+02:00"


# -- values the inline code hands to the interpreter ---------------------------------------


class NoOffset(tzinfo):
    """A zone that knows no offset: its datetimes are naive in all but name."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):  # pragma: no cover - never asked
        return None


@pytest.mark.parametrize(
    "rule",
    [
        field("t") == datetime(2026, 1, 1, tzinfo=BERLIN),
        field("t") < datetime(2026, 1, 1, tzinfo=BERLIN),
        field("t").is_in([datetime(2026, 1, 1, tzinfo=BERLIN)]),
        field("t").between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
        field("t").within_last(days=3),
        field("t").more_than_ago(days=3),
    ],
)
@pytest.mark.parametrize("zone", [None, NoOffset()])
def test_a_datetime_without_an_offset_is_refused(rule, zone):
    value = datetime(2026, 1, 1, tzinfo=zone)
    at = datetime(2026, 1, 2, tzinfo=BERLIN)
    for shape in ({"t": value}, Row(value), Row(value), MappingProxyType({"t": value})):
        with pytest.raises(ValidationError) as caught:
            rule.matches(shape, at=at)
        assert caught.value.code == "naive_datetime"
        assert caught.value.path == "$.t"


def test_a_date_is_refused_where_a_datetime_literal_is_compared():
    with pytest.raises(InvalidType):
        (field("t") < datetime(2026, 1, 1, tzinfo=BERLIN)).matches({"t": date(2026, 1, 1)})


def test_datetimes_at_the_calendar_ends_compare_by_instant():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    first = datetime.min.replace(tzinfo=tokyo)  # no UTC datetime holds this instant
    last = datetime.max.replace(tzinfo=NEW_YORK)
    low = datetime.min.replace(tzinfo=timezone(timedelta(hours=5)))
    assert stamp(first) < stamp(low)
    assert answers(field("t") < low, first)
    assert answers(field("t") == first, first)
    assert answers(field("t").is_in([first, last]), last)
    assert answers(field("t") > datetime(9999, 12, 31, 23, tzinfo=UTC), last)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert answers(field("t").more_than_ago(days=1), first, at)
    assert not answers(field("t").within_next(days=1), last, at)


# -- the property: matches() equals comparing instants ------------------------------------------

# Daylight saving changes, as the wall time at which the skipped or repeated range starts.
CHANGES = [
    (BERLIN, datetime(2026, 3, 29, 2)),  # 02:00-03:00 skipped
    (BERLIN, datetime(2026, 10, 25, 2)),  # 02:00-03:00 twice
    (NEW_YORK, datetime(2026, 3, 8, 2)),
    (NEW_YORK, datetime(2026, 11, 1, 1)),
    (LORD_HOWE, datetime(2026, 4, 5, 1, 30)),  # 01:30-02:00 twice
    (LORD_HOWE, datetime(2026, 10, 4, 2)),  # 02:00-02:30 skipped
]
# One change per example, shared by every datetime drawn near it, so values,
# literals and `at` meet in the same zone object around the same change.
change = st.shared(st.sampled_from(CHANGES), key="change")


@st.composite
def near_changes(draw):
    """A wall time within hours of the example's DST change (maybe skipped or repeated).

    Mostly in the change's zone, sometimes the same instant in UTC or a fixed offset.
    """
    zone, wall = draw(change)
    wall += timedelta(minutes=draw(st.integers(-60, 120)), seconds=draw(st.sampled_from([0, 1])))
    local = wall.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))
    other = draw(st.sampled_from([None, None, None, None, UTC, timezone.min]))
    return local if other is None else local.astimezone(other)


extremes = st.sampled_from(
    [
        datetime.min.replace(tzinfo=BERLIN),
        datetime.min.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=NEW_YORK),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
    ]
)
instants = st.one_of(near_changes(), near_changes(), aware_datetimes(), extremes)
spans = st.builds(Span, days=st.integers(0, 3), weeks=st.integers(0, 1), months=st.integers(0, 1))


def delta_of(span):
    return relativedelta(days=span.days, weeks=span.weeks, months=span.months)


@st.composite
def windows(draw):
    """A span, an ``at`` placing the window's start or end near the example's change, a value."""
    span = draw(spans)
    base = draw(near_changes())
    at = base + delta_of(span) * draw(st.sampled_from([0, 1, -1]))
    return span, at, draw(st.one_of(near_changes(), near_changes(), near_changes(), instants))


COMPARE = {
    "eq": lambda v, x: v == x,
    "ne": lambda v, x: v != x,
    "lt": lambda v, x: v < x,
    "le": lambda v, x: v <= x,
    "gt": lambda v, x: v > x,
    "ge": lambda v, x: v >= x,
}


def expected_literal(op, value, literal):
    if op in COMPARE:
        return COMPARE[op](stamp(value), stamp(literal))
    if op == "between":
        low, high = sorted(literal, key=stamp)
        return stamp(low) <= stamp(value) <= stamp(high)
    found = stamp(value) in {stamp(item) for item in literal}
    return found if op == "in" else not found


def expected_window(op, value, span, at):
    delta = delta_of(span)
    if op == "within_next":
        return stamp(at) <= stamp(value) <= stamp(at + delta)
    start = at - delta
    if op == "within_last":
        return stamp(start) <= stamp(value) <= stamp(at)
    return stamp(value) < stamp(start)


literal_rules = st.one_of(
    st.tuples(st.sampled_from(sorted(COMPARE)), instants),
    st.tuples(st.just("between"), st.lists(instants, min_size=2, max_size=2)),
    st.tuples(st.sampled_from(["in", "not_in"]), st.lists(instants, min_size=1, max_size=4)),
)


@given(literal_rules, instants)
def test_literal_conditions_compare_instants(op_literal, value):
    op, literal = op_literal
    if op == "between":
        literal = tuple(sorted(literal, key=stamp))
    try:
        rule = Condition("t", op, literal)
    except ValidationError as error:
        # Rules check low <= high by Python's comparison: wall times in one zone object.
        assert error.code == "order"  # noqa: PT017
        reject()
    assert answers(rule, value) == expected_literal(op, value, rule.value)


@given(st.sampled_from(["within_last", "more_than_ago", "within_next"]), windows())
def test_windows_compare_instants(op, window):
    span, at, value = window
    rule = Condition("t", op, span)
    assert answers(rule, value, at) == expected_window(op, value, span, at)


# -- SQLite and matches() agree on data across DST changes --------------------------------------


def sqlite_selects(rule, values, at=None):
    query = rule.to_sql(dialect="sqlite", at=at, schema=SCHEMA)
    with sqlite3.connect(":memory:") as connection:
        connection.execute("CREATE TABLE snaps (id INTEGER, t TEXT)")
        connection.executemany(
            "INSERT INTO snaps VALUES (?, ?)",
            [
                (index, value.astimezone(UTC).isoformat(timespec="microseconds"))
                for index, value in enumerate(values)
            ],
        )
        found = connection.execute(f"SELECT id FROM snaps WHERE {query.text}", query.params)
        return {index for (index,) in found.fetchall()}


def wall_times(day, zone):
    """Every 10 minutes of a day's wall clock in ``zone``, both folds (gaps and repeats included)."""
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return [
        (start + timedelta(minutes=10 * step)).replace(fold=fold)
        for step in range(6 * 24)
        for fold in (0, 1)
    ]


DST_DAYS = [
    (date(2026, 3, 29), BERLIN),
    (date(2026, 10, 25), BERLIN),
    (date(2026, 11, 1), NEW_YORK),
]
LITERAL_OPS = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize(("day", "zone"), DST_DAYS)
def test_sqlite_and_matches_agree_on_literals_across_a_change(day, zone):
    values = wall_times(day, zone)
    picks = [values[i] for i in (4, 5, 31, 35, 36, 37, 40, 41, 47, 48, 60, 61)]
    rules = [Condition("t", op, literal) for op in LITERAL_OPS for literal in picks]
    rules += [Condition("t", "in", frozenset(picks[i : i + 3])) for i in range(0, 12, 3)]
    rules += [Condition("t", "not_in", frozenset(picks[i : i + 3])) for i in range(0, 12, 3)]
    rules += [field("t").between(low, low + timedelta(hours=1)) for low in picks[:6]]
    for rule in rules:
        selected = {i for i, value in enumerate(values) if rule.matches({"t": value})}
        assert selected == sqlite_selects(rule, values), rule


@pytest.mark.parametrize(("day", "zone"), DST_DAYS)
@pytest.mark.parametrize("op", ["within_last", "more_than_ago", "within_next"])
def test_sqlite_and_matches_agree_on_windows_across_a_change(day, zone, op):
    values = wall_times(day - timedelta(days=1), zone) + wall_times(day, zone)
    values += wall_times(day + timedelta(days=1), zone)
    rule = Condition("t", op, Span(days=1))
    for at in wall_times(day, zone)[::7] + wall_times(day + timedelta(days=1), zone)[1:24:5]:
        selected = {i for i, value in enumerate(values) if rule.matches({"t": value}, at=at)}
        assert selected == sqlite_selects(rule, values, at), at
        assert selected == {
            i for i, v in enumerate(values) if expected_window(op, v, Span(days=1), at)
        }

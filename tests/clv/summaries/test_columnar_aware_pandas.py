"""Timezone-aware pandas time columns are read in bulk, with the answers of value by value.

``summarize_columns`` reads a timezone-aware pandas datetime column through its
int64 epoch values when the calendar has a fixed offset. Each property compares
it with the same column handed over as a list of its own Timestamps (read
value by value, nanoseconds and all), over columns in any zone and unit,
sub-microsecond times and calendars of every kind.
"""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.clv import summarize_columns

CALENDARS = [
    UTC,
    timezone(timedelta(hours=7)),
    timezone(-timedelta(hours=9, minutes=30)),
    ZoneInfo("Europe/Berlin"),  # a zone with rules: read value by value
]
COLUMN_ZONES = ["UTC", "Asia/Jakarta", "America/New_York", "+05:45"]
#: 2019-01-01 to 2024-12-31, in nanoseconds since the epoch.
LOW_NS = 1_546_300_800 * 10**9
HIGH_NS = 1_735_603_200 * 10**9
UNITS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def column(pd, nanos, zone, unit):
    """Epoch nanoseconds as a pandas column of ``unit`` in ``zone`` (truncated to the unit)."""
    step = UNITS[unit]
    values = [value // step * step for value in nanos]
    series = pd.Series(pd.to_datetime(values, unit="ns", utc=True)).dt.tz_convert(zone)
    return series.astype(f"datetime64[{unit}, {zone}]")


def both(pd, ids, at, amounts, **options):
    """The table from the pandas column and from the list of its own Timestamps."""
    bulk = summarize_columns(pd.Series(ids), at, pd.Series(amounts), **options)
    listed = summarize_columns(list(ids), at.tolist(), list(amounts), **options)
    return bulk, listed


@given(
    rows=st.lists(
        st.tuples(st.integers(0, 5), st.integers(LOW_NS, HIGH_NS), st.integers(-500, 9_000)),
        min_size=1,
        max_size=30,
    ),
    zone=st.sampled_from(COLUMN_ZONES),
    unit=st.sampled_from(sorted(UNITS)),
    calendar=st.sampled_from(CALENDARS),
    period=st.sampled_from(["day", "week", "month"]),
    late=st.integers(0, 40 * 86_400),
)
def test_a_pandas_column_in_any_zone_and_unit_summarizes_as_its_timestamps(  # noqa: PLR0917
    pd, rows, zone, unit, calendar, period, late
):
    ids, nanos, cents = zip(*rows, strict=True)
    at = column(pd, nanos, zone, unit)
    end = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=max(nanos) // 10**9 + 1 + late)
    options = {
        "period": period,
        "tz": calendar,
        "observation_end": end,
        "amount_scale": 2,
    }
    bulk, listed = both(pd, ids, at, cents, **options)
    assert bulk == listed
    assert dict(bulk) == dict(listed)


@given(
    nanos=st.lists(st.integers(LOW_NS, HIGH_NS), min_size=1, max_size=20),
    cut=st.integers(LOW_NS, HIGH_NS),
    how=st.sampled_from(["period", "instant", "lifetimes"]),
)
def test_calibration_cuts_see_the_same_instants(pd, nanos, cut, how):
    # An instant cut compares the times themselves, nanoseconds included.
    at = column(pd, nanos, "Asia/Jakarta", "ns")
    ids = [index % 3 for index in range(len(nanos))]
    cents = [100] * len(nanos)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    end = epoch + timedelta(microseconds=HIGH_NS // 1_000 + 1)
    calibration_end = epoch + timedelta(microseconds=min(max(cut, min(nanos)), HIGH_NS) // 1_000)
    bulk, listed = both(
        pd,
        ids,
        at,
        cents,
        period="day",
        observation_end=end,
        calibration_end=calibration_end,
        calibration_cut=how,
        amount_scale=2,
    )
    assert bulk == listed


def test_a_time_a_nanosecond_before_midnight_stays_on_its_day(pd):
    midnight = 1_700_006_400 * 10**9  # 2023-11-15 00:00 UTC
    at = column(pd, [midnight - 1, midnight], "UTC", "ns")
    table = summarize_columns(
        pd.Series(["a", "a"]),
        at,
        pd.Series([100, 100]),
        period="day",
        observation_end=datetime(2023, 11, 20, tzinfo=UTC),
        amount_scale=2,
    )
    assert table["a"].frequency == 1  # two days: one repeat purchase period
    assert table["a"].T == 6


def test_a_missing_time_is_named_by_its_row_as_before(pd):
    at = pd.Series(pd.to_datetime([LOW_NS, None, LOW_NS], unit="ns", utc=True))
    options = {"period": "day", "observation_end": datetime(2024, 1, 1, tzinfo=UTC)}
    with pytest.raises(ValidationError) as caught:
        summarize_columns(pd.Series([1, 2, 3]), at, pd.Series(["1", "2", "3"]), **options)
    assert (caught.value.path, caught.value.code) == ("$.at[1]", "required")
    report = summarize_columns(
        pd.Series([1, 2, 3]), at, pd.Series(["1", "2", "3"]), on_error="skip", **options
    )
    assert sorted(report) == [1, 3]


def test_columns_of_other_lengths_are_refused_as_before(pd):
    at = column(pd, [LOW_NS, LOW_NS + 1], "UTC", "ns")
    with pytest.raises(ValidationError) as caught:
        summarize_columns(
            pd.Series([1]),
            at,
            pd.Series(["1"]),
            period="day",
            observation_end=datetime(2024, 1, 1, tzinfo=UTC),
        )
    assert caught.value.code == "length_mismatch"


def test_a_calendar_offset_finer_than_the_unit_reads_value_by_value(pd):
    # One microsecond past the hour is no whole number of seconds: no epoch arithmetic.
    calendar = timezone(timedelta(hours=1, microseconds=1))
    at = column(pd, [LOW_NS, LOW_NS + 86_400 * 10**9, HIGH_NS], "UTC", "s")
    options = {
        "period": "day",
        "tz": calendar,
        "observation_end": datetime(2025, 1, 1, tzinfo=UTC),
        "amount_scale": 2,
    }
    bulk, listed = both(pd, ["a", "a", "b"], at, [1, 2, 3], **options)
    assert bulk == listed
    assert bulk["a"].frequency == 1


class LooksLikeTimes(list):
    """A list that claims a timezone-aware datetime dtype but has no epoch values."""

    class dtype:  # noqa: N801 - mimics an attribute
        """What pandas' DatetimeTZDtype shows of itself."""

        kind = "M"
        tz = UTC
        unit = "ns"


def test_a_column_that_only_claims_a_datetime_dtype_is_read_value_by_value():
    times = [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 2, 9)]
    options = {"period": "day", "observation_end": datetime(2024, 2, 1, tzinfo=UTC)}
    table = summarize_columns(["a", "a", "b"], LooksLikeTimes(times), ["1", "2", "3"], **options)
    assert table == summarize_columns(["a", "a", "b"], times, ["1", "2", "3"], **options)
    assert table["a"].recency == 1

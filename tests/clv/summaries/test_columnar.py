"""Tests for `crmcore.clv.summaries._columnar`: summaries from columns equal summaries from rows.

The differential properties build transactions, summarize them as rows with
``summarize()`` and as columns with ``summarize_columns()`` (lists, tuples, numpy
arrays, pandas and polars Series, pyarrow arrays; datetimes or epoch values;
Decimals, strings or integer minor units) and require identical tables.
"""

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._columns_forms import libraries

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.clv import SummaryAccumulator, summarize
from crmcore.clv.summaries._columnar import (
    MAX_AMOUNT_SCALE,
    RowReport,
    accumulate_columns,
    summarize_columns,
)

ZONES = [
    UTC,
    timezone(timedelta(hours=7)),
    timezone(-timedelta(hours=5, minutes=30)),
    ZoneInfo("Europe/Berlin"),
]
PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START = int((datetime(2020, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
STOP = int((datetime(2023, 12, 31, tzinfo=UTC) - EPOCH).total_seconds())
BACKENDS = ["list", "tuple", "numpy", "pandas", "polars", "pyarrow"]


@pytest.fixture(scope="module")
def libs():
    return libraries()


def utc(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=UTC)


def as_backend(libs, backend, values, kind):  # noqa: PLR0911, PLR0912 - one branch per form.
    """``values`` as a column of ``backend``; ``kind`` is id, datetime, int, decimal or str."""
    if backend == "list":
        return list(values)
    if backend == "tuple":
        return tuple(values)
    if kind == "datetime":
        values = [value.astimezone(UTC) for value in values]
    if backend == "numpy":
        np = libs["numpy"]
        if kind in {"id", "int"}:
            return np.array(values, dtype=np.int64)
        if kind == "str":
            return np.array(values, dtype=str) if values else np.array([], dtype=str)
        return np.array(values, dtype=object)
    if backend == "pandas":
        pd = libs["pandas"]
        if kind in {"id", "int"}:
            return pd.Series(values, dtype="int64")
        if kind == "datetime":
            return (
                pd.Series(pd.to_datetime(values, utc=True))
                if values
                else pd.Series([], dtype=object)
            )
        return pd.Series(values, dtype=object)
    if backend == "polars":
        pl = libs["polars"]
        if kind in {"id", "int"}:
            return pl.Series(values, dtype=pl.Int64)
        if kind == "datetime":
            return pl.Series(values, dtype=pl.Datetime("us", "UTC"))
        if kind == "decimal":
            return pl.Series(values, dtype=pl.Decimal(38, 2))
        return pl.Series(values, dtype=pl.String)
    pa = libs["pyarrow"]
    if kind in {"id", "int"}:
        return pa.array(values, type=pa.int64())
    if kind == "datetime":
        return pa.array(values, type=pa.timestamp("us", tz="UTC"))
    if kind == "decimal":
        return pa.array(values, type=pa.decimal128(38, 2))
    return pa.array(values, type=pa.string())


@st.composite
def histories(draw):
    """Transactions of a few customers, with the options of one summary."""
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, 6),
                st.integers(START, STOP),
                st.integers(-5_000, 20_000),
            ),
            max_size=40,
        )
    )
    zone = draw(st.sampled_from(ZONES))
    period = draw(st.sampled_from(["day", "week", "month"]))
    last = max((row[1] for row in rows), default=START)
    end = EPOCH + timedelta(seconds=last + draw(st.integers(0, 90 * 86_400)))
    calibration_end = None
    cut = "period"
    if draw(st.booleans()):
        calibration_end = EPOCH + timedelta(
            seconds=draw(st.integers(START, int((end - EPOCH).total_seconds())))
        )
        cut = draw(st.sampled_from(["period", "instant", "lifetimes"]))
    unit = "week" if period == "day" and draw(st.booleans()) else None
    options = {
        "period": period,
        "tz": zone,
        "observation_end": end.astimezone(zone),
        "calibration_end": calibration_end,
        "calibration_cut": cut,
        "unit": unit,
    }
    return rows, options


def reference(rows, options, currency=None):
    transactions = [
        (
            customer,
            (EPOCH + timedelta(seconds=second)).astimezone(options["tz"]),
            Decimal(cents).scaleb(-2)
            if currency is None
            else Money(Decimal(cents).scaleb(-2), currency),
        )
        for customer, second, cents in rows
    ]
    return summarize(transactions, **options)


def same_table(
    table, expected, names=("period", "unit", "observation_end", "calibration_end", "currency")
):
    assert list(table) == list(expected)
    assert dict(table) == dict(expected)
    for name in names:
        assert getattr(table, name) == getattr(expected, name), name
    for customer, summary in expected.items():
        assert type(table[customer].recency) is type(summary.recency)


@given(
    histories(),
    st.sampled_from(BACKENDS),
    st.sampled_from(["datetime", "s", "ms", "us", "ns"]),
    st.sampled_from(["decimal", "cents", "str"]),
)
def test_columns_summarize_like_rows(libs, history, backend, times, amounts):
    rows, options = history
    expected = reference(rows, options)
    ids = as_backend(libs, backend, [row[0] for row in rows], "id")
    if times == "datetime":
        at = as_backend(
            libs,
            backend,
            [(EPOCH + timedelta(seconds=row[1])).astimezone(options["tz"]) for row in rows],
            "datetime",
        )
        time_unit = None
    else:
        at = as_backend(libs, backend, [row[1] * PER_SECOND[times] for row in rows], "int")
        time_unit = times
    scale = None
    if amounts == "decimal":
        money = as_backend(libs, backend, [Decimal(row[2]).scaleb(-2) for row in rows], "decimal")
    elif amounts == "str":
        money = as_backend(libs, backend, [str(Decimal(row[2]).scaleb(-2)) for row in rows], "str")
    else:
        money, scale = as_backend(libs, backend, [row[2] for row in rows], "int"), 2
    table = summarize_columns(ids, at, money, time_unit=time_unit, amount_scale=scale, **options)
    same_table(table, expected)


@given(histories(), st.sampled_from(["cents", "decimal"]))
def test_plain_amounts_with_a_currency_summarize_like_money(history, amounts):
    rows, options = history
    expected = reference(rows, options, currency="EUR")
    seconds = [row[1] for row in rows]
    if amounts == "cents":
        money, scale = [row[2] for row in rows], 2
    else:
        money, scale = [Money(Decimal(row[2]).scaleb(-2), "EUR") for row in rows], None
    table = summarize_columns(
        [row[0] for row in rows],
        seconds,
        money,
        time_unit="s",
        amount_scale=scale,
        currency="EUR",
        **options,
    )
    # A declared currency is kept even without rows (summarize() learns it from the Money).
    same_table(table, expected, ("period", "unit", "observation_end", "calibration_end"))
    assert table.currency == "EUR"


@given(histories(), st.lists(st.integers(0, 39), max_size=6))
def test_skipped_rows_are_left_out_and_reported(history, spoiled):
    rows, options = history
    options = {**options, "calibration_end": None, "calibration_cut": "period"}
    ids = [row[0] for row in rows]
    seconds = [row[1] for row in rows]
    cents = [row[2] for row in rows]
    bad = sorted({index for index in spoiled if index < len(rows)})
    codes = []
    for number, index in enumerate(bad):
        if number % 3 == 0:
            ids[index] = None
            codes.append("required")
        elif number % 3 == 1:
            seconds[index] = "noon"
            codes.append("type")
        else:
            cents[index] = 1.5
            codes.append("float")
    accumulator = SummaryAccumulator(period=options["period"], tz=options["tz"])
    report = accumulate_columns(
        accumulator, ids, seconds, cents, time_unit="s", amount_scale=2, on_error="skip"
    )
    assert report == RowReport(len(rows), tuple(bad), tuple(codes))
    kept = [row for index, row in enumerate(rows) if index not in bad]
    assert report.mask == tuple(index not in bad for index in range(len(rows)))
    assert report.accepted == len(kept)
    expected = reference(kept, options)
    table = accumulator.summarize(observation_end=options["observation_end"], unit=options["unit"])
    assert dict(table) == dict(expected)
    if bad:
        with pytest.raises(ValidationError):
            summarize_columns(ids, seconds, cents, time_unit="s", amount_scale=2, **options)
    skipped = summarize_columns(
        ids, seconds, cents, time_unit="s", amount_scale=2, on_error="skip", **options
    )
    assert dict(skipped) == dict(expected)


@given(histories(), st.integers(0, 40))
def test_batches_add_up_like_extend(history, split):
    rows, options = history
    transactions = [
        (c, (EPOCH + timedelta(seconds=s)).astimezone(options["tz"]), Decimal(a).scaleb(-2))
        for c, s, a in rows
    ]
    by_rows = SummaryAccumulator(period=options["period"], tz=options["tz"])
    by_rows.extend(transactions)
    by_columns = SummaryAccumulator(period=options["period"], tz=options["tz"])
    for part in (transactions[:split], transactions[split:]):
        report = accumulate_columns(by_columns, *zip(*part, strict=True)) if part else None
        assert report is None or report.accepted == len(part)
    end = options["observation_end"]
    assert dict(by_columns.summarize(observation_end=end)) == dict(
        by_rows.summarize(observation_end=end)
    )
    assert list(by_columns.period_totals()) == list(by_rows.period_totals())


# -- hand-computed cases ------------------------------------------------------------------


def test_a_worked_example_in_every_form(libs):
    """CDNOW customer 1: purchases on 1 Jan, 18 Jan, 2 Aug (and 12 Dec, after the end) 1997."""
    days = [
        datetime(1997, 1, 1, tzinfo=UTC),
        datetime(1997, 1, 18, tzinfo=UTC),
        datetime(1997, 8, 2, tzinfo=UTC),
        datetime(1997, 12, 12, tzinfo=UTC),
    ]
    cents = [2933, 2973, 1496, 2648]
    seconds = [int((day - EPOCH).total_seconds()) for day in days]
    end = datetime(1997, 9, 30, tzinfo=UTC)
    for backend in BACKENDS:
        table = summarize_columns(
            as_backend(libs, backend, [1, 1, 1, 1], "id"),
            as_backend(libs, backend, seconds, "int"),
            as_backend(libs, backend, cents, "int"),
            period="day",
            unit="week",
            tz=UTC,
            time_unit="s",
            amount_scale=2,
            observation_end=end,
        )
        row = table[1]
        # Repeats: 18 Jan (29.73) and 2 Aug (14.96): mean 22.345; recency 213 days, T 272 days.
        assert (row.frequency, row.recency, row.T, row.monetary_value) == (
            2,
            213 / 7,
            272 / 7,
            Decimal("22.345"),
        )


def test_microseconds_and_nanoseconds_fall_in_their_period():
    """23:59:59.999999999 is the same day; one nanosecond later the next, on the local calendar."""
    zone = timezone(timedelta(hours=7))
    midnight = datetime(2024, 3, 2, tzinfo=zone)
    ns = int((midnight - EPOCH).total_seconds()) * 10**9
    table = summarize_columns(
        ["a", "a"],
        [ns - 1, ns],
        [1, 1],
        period="day",
        tz=zone,
        time_unit="ns",
        observation_end=midnight,
    )
    assert (table["a"].frequency, table["a"].recency) == (1, 1)


def test_a_time_zone_with_rules_converts_each_row():
    zone = ZoneInfo("America/New_York")
    # 2024-03-10 06:30 UTC is 01:30 EST (10 March); 2024-03-11 03:30 UTC is 23:30 EDT (10 March).
    at = [datetime(2024, 3, 10, 6, 30, tzinfo=UTC), datetime(2024, 3, 11, 3, 30, tzinfo=UTC)]
    seconds = [int((moment - EPOCH).total_seconds()) for moment in at]
    end = datetime(2024, 3, 20, tzinfo=zone)
    for column, unit in ((at, None), (seconds, "s")):
        table = summarize_columns(
            [1, 1], column, ["1", "2"], period="day", tz=zone, time_unit=unit, observation_end=end
        )
        assert table[1].frequency == 0


def test_months_from_epoch_values():
    seconds = [int((utc(2024, month, 28) - EPOCH).total_seconds()) for month in (1, 1, 2, 5)]
    table = summarize_columns(
        ["a"] * 4,
        seconds,
        [10, 20, 30, 40],
        period="month",
        tz=UTC,
        time_unit="s",
        observation_end=utc(2024, 6, 1),
    )
    assert (table["a"].frequency, table["a"].recency, table["a"].T, table["a"].monetary_value) == (
        2,
        4,
        5,
        Decimal(35),
    )


def test_refunds_lower_the_monetary_value():
    table = summarize_columns(
        ["a", "a", "a"],
        [utc(2024, 1, 1), utc(2024, 1, 2), utc(2024, 1, 2)],
        [1000, 3000, -500],
        amount_scale=2,
        period="day",
        observation_end=utc(2024, 1, 3),
    )
    assert table["a"].monetary_value == Decimal("25.00")


def test_money_amounts_and_the_currency_they_set():
    table = summarize_columns(
        ["a", "a"],
        [utc(2024, 1, 1), utc(2024, 1, 2)],
        [Money("5", "EUR"), Money("7", "EUR")],
        period="day",
        observation_end=utc(2024, 1, 3),
    )
    assert (table.currency, table["a"].monetary_value) == ("EUR", Decimal(7))
    with pytest.raises(CurrencyMismatch) as caught:
        summarize_columns(
            ["a", "a"],
            [utc(2024, 1, 1)] * 2,
            [Money("5", "EUR"), Money("7", "USD")],
            period="day",
            observation_end=utc(2024, 1, 3),
        )
    assert caught.value.path == "$.amount[1]"
    with pytest.raises(CurrencyMismatch):
        summarize_columns(
            ["a", "a"],
            [utc(2024, 1, 1)] * 2,
            [Money("5", "EUR"), "7"],
            period="day",
            observation_end=utc(2024, 1, 3),
        )
    with pytest.raises(CurrencyMismatch):
        summarize_columns(
            ["a"],
            [utc(2024, 1, 1)],
            [Money("5", "EUR")],
            currency="USD",
            period="day",
            observation_end=utc(2024, 1, 3),
        )
    accumulator = SummaryAccumulator(period="day", tz=UTC)
    accumulator.add("x", utc(2024, 1, 1), Money("1", "EUR"))
    with pytest.raises(CurrencyMismatch):
        accumulate_columns(accumulator, ["a"], [utc(2024, 1, 1)], [Decimal(1)])
    accumulate_columns(accumulator, ["a"], [utc(2024, 1, 1)], [Decimal(1)], currency="EUR")
    assert accumulator.currency == "EUR"
    assert set(accumulator) == {"x", "a"}


def test_a_failed_batch_adds_nothing():
    accumulator = SummaryAccumulator(period="day", tz=UTC)
    accumulate_columns(accumulator, ["a"], [utc(2024, 1, 1)], ["1"])
    before = list(accumulator.period_totals())
    with pytest.raises(ValidationError) as caught:
        accumulate_columns(accumulator, ["b", "c"], [utc(2024, 1, 1)] * 2, ["1", float("inf")])
    assert (caught.value.path, caught.value.code) == ("$.amount[1]", "not_finite")
    assert list(accumulator.period_totals()) == before


def test_the_empty_batch():
    table = summarize_columns([], [], [], period="week", observation_end=utc(2024, 1, 1))
    assert len(table) == 0
    assert accumulate_columns(SummaryAccumulator(period="day", tz=UTC), (), (), ()) == RowReport(0)


# -- bad input ----------------------------------------------------------------------------


def error_of(*columns, **options):
    options = {"period": "day", "observation_end": utc(2024, 2, 1), **options}
    with pytest.raises(ValidationError) as caught:
        summarize_columns(*columns, **options)
    return caught.value.path, caught.value.code


def test_unequal_lengths():
    assert error_of(["a", "b"], [utc(2024, 1, 1)], ["1", "2"]) == ("$.at", "length_mismatch")
    assert error_of(["a"], [utc(2024, 1, 1)], ["1", "2"]) == ("$.amount", "length_mismatch")


def test_nulls_are_refused_with_the_row(libs):
    pd = libs["pandas"]
    day = utc(2024, 1, 1)
    assert error_of(["a", None], [day, day], ["1", "2"]) == ("$.customer_id[1]", "required")
    assert error_of(["a", pd.NA], [day, day], ["1", "2"]) == ("$.customer_id[1]", "required")
    assert error_of(["a", math.nan], [day, day], ["1", "2"]) == ("$.customer_id[1]", "required")
    assert error_of(["a", "b"], [day, pd.NaT], ["1", "2"]) == ("$.at[1]", "required")
    assert error_of(["a", "b"], [0, None], ["1", "2"], time_unit="s", tz=UTC) == (
        "$.at[1]",
        "required",
    )
    assert error_of(["a", "b"], [day, day], [math.nan, "2"]) == ("$.amount[0]", "required")
    assert error_of(["a", "b"], [day, day], [1, None], amount_scale=2) == (
        "$.amount[1]",
        "required",
    )
    series = pd.Series([1, None], dtype="Int64")
    assert error_of(["a", "b"], [day, day], series, amount_scale=2) == ("$.amount[1]", "required")


def test_times_must_be_aware_or_epoch_integers():
    naive = datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: it must be refused.
    assert error_of(["a"], [naive], ["1"]) == ("$.at[0]", "naive_datetime")
    assert error_of(["a"], [naive], ["1"], tz=UTC) == ("$.at[0]", "naive_datetime")
    assert error_of(["a"], ["2024-01-01"], ["1"]) == ("$.at[0]", "type")
    assert error_of(["a"], [1.5], ["1"], time_unit="s", tz=UTC) == ("$.at[0]", "type")
    assert error_of(["a"], [True], ["1"], time_unit="s", tz=UTC) == ("$.at[0]", "type")
    assert error_of(["a"], [10**12], ["1"], time_unit="s", tz=UTC) == ("$.at[0]", "out_of_range")
    assert error_of(
        ["a"], [-62135596800], ["1"], time_unit="s", tz=timezone(-timedelta(hours=1))
    ) == ("$.at[0]", "out_of_range")
    assert error_of(["a"], [0], ["1"], time_unit="s") == ("$.tz", "required")
    assert error_of(["a"], [0], ["1"], time_unit="minutes", tz=UTC) == ("$.time_unit", "choice")
    # Epoch values on a zone with rules are checked row by row.
    assert error_of(["a"], [10**12], ["1"], time_unit="s", tz=ZoneInfo("Europe/Paris")) == (
        "$.at[0]",
        "out_of_range",
    )


def test_minor_units_are_never_floats_and_scales_are_bounded():
    day = [utc(2024, 1, 1)]
    assert error_of(["a"], day, [float("-inf")]) == ("$.amount[0]", "not_finite")
    assert error_of(["a"], day, [150.0], amount_scale=2) == ("$.amount[0]", "float")
    assert error_of(["a"], day, ["1.5"], amount_scale=2) == ("$.amount[0]", "type")
    assert error_of(["a"], day, [10**100], amount_scale=2) == ("$.amount[0]", "too_long")
    assert error_of(["a"], day, [True]) == ("$.amount[0]", "type")
    assert error_of(["a"], day, [Decimal("NaN")]) == ("$.amount[0]", "not_finite")
    assert error_of(["a"], day, [Decimal("Infinity")]) == ("$.amount[0]", "not_finite")
    assert error_of(["a"], day, ["twelve"]) == ("$.amount[0]", "decimal")
    assert error_of(["a"], day, [1], amount_scale=MAX_AMOUNT_SCALE + 1) == (
        "$.amount_scale",
        "range",
    )
    assert error_of(["a"], day, [1], amount_scale=1.0) == ("$.amount_scale", "type")
    assert error_of(["a"], day, [1], on_error="ignore") == ("$.on_error", "choice")


def test_ids_must_be_hashable_and_columns_must_be_columns():
    assert error_of([["x"]], [utc(2024, 1, 1)], ["1"]) == ("$.customer_id[0]", "type")
    assert error_of("abc", [utc(2024, 1, 1)] * 3, ["1"] * 3) == ("$.customer_id", "type")
    assert error_of(["a"], [utc(2024, 1, 1)], ["1"], calibration_end=utc(2024, 3, 1)) == (
        "$.calibration_end",
        "calibration_after_observation",
    )
    with pytest.raises(InvalidType):
        accumulate_columns("acc", [], [], [])


def test_too_many_bad_rows_to_skip():
    with pytest.raises(ValidationError) as caught:
        summarize_columns(
            [None] * 100_001,
            [utc(2024, 1, 1)] * 100_001,
            [1] * 100_001,
            period="day",
            observation_end=utc(2024, 2, 1),
            on_error="skip",
        )
    assert caught.value.code == "too_many"


def test_row_reports_check_themselves():
    assert RowReport(3).mask == (True, True, True)
    for bad in (
        {"rows": 2, "skipped": (2,), "codes": ("x",)},
        {"rows": 3, "skipped": (1, 0), "codes": ("x", "y")},
        {"rows": 3, "skipped": (1,), "codes": ()},
        {"rows": 3, "skipped": [1], "codes": ("x",)},
        {"rows": 3, "skipped": (-1,), "codes": ("x",)},
        {"rows": 3, "skipped": (True,), "codes": ("x",)},
        {"rows": "3"},
    ):
        with pytest.raises(ValidationError):
            RowReport(**bad)
    with pytest.raises(ValidationError):
        RowReport(10**6, tuple(range(100_001)), ("x",) * 100_001)

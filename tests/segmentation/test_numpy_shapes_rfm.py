"""RFM over the shapes numpy and pandas users pass: float32 amounts, tz-aware time columns.

Differential: the columnar path (`rfm_values_columns`, `score_rfm_columns`) against
the row path (`rfm_values`, `score_rfm`) over the same orders; float32 columns,
Series and lists of numpy float32 scalars against the Decimals of the float32's
own shortest representation; a timezone-aware pandas column (read in bulk)
against the list of its Timestamps (read one by one) and against int64 epochs.
numpy/pandas tests skip without them locally and fail under ``CI=true``.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
from crmcore.segmentation import (
    rfm_cut_points,
    rfm_values,
    rfm_values_columns,
    score_rfm,
    score_rfm_columns,
)

AT = datetime(2024, 6, 30, 12, tzinfo=UTC)


ORDERS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=12),  # customer
        st.integers(min_value=-5 * 86_400, max_value=400 * 86_400),  # seconds before AT
        st.floats(min_value=2.0**-8, max_value=2.0**20, width=32),  # a float32 amount
    ),
    min_size=1,
    max_size=40,
)


def row_scores(values) -> dict:
    return {
        score.customer_id: (score.r, score.f, score.m, score.monetary.amount)
        for score in score_rfm(values)
    }


def column_scores(columns: dict) -> dict:
    scores = score_rfm_columns(
        columns["customer_id"], columns["recency_days"], columns["frequency"], columns["monetary"]
    )
    return {
        key: (r, f, m, amount)
        for key, r, f, m, amount in zip(
            scores["customer_id"],
            scores["r"],
            scores["f"],
            scores["m"],
            columns["monetary"],
            strict=True,
        )
    }


# -- float32 amounts ----------------------------------------------------------------------


@given(ORDERS)
def test_float32_amounts_by_columns_and_by_rows(np, pd, orders):
    ids = [f"c-{who}" for who, _, _ in orders]
    times = [AT - timedelta(seconds=seconds) for _, seconds, _ in orders]
    scalars = [np.float32(amount) for _, _, amount in orders]
    decimals = [Decimal(str(scalar)) for scalar in scalars]  # the float32's own shortest repr
    rows = rfm_values(list(zip(ids, times, scalars, strict=True)), at=AT, amount_currency="USD")
    if not rows:
        return
    expected = row_scores(rows)
    exact = rfm_values(list(zip(ids, times, decimals, strict=True)), at=AT, amount_currency="USD")
    assert row_scores(exact) == expected  # scalars read as the Decimals of their repr
    array = np.array(scalars, dtype=np.float32)
    for amounts in (array, pd.Series(array), scalars, decimals):
        columns = rfm_values_columns(ids, times, amounts, at=AT)
        assert column_scores(columns) == expected
    for amounts in (array, pd.Series(array), scalars):
        # The same Decimals, written alike: a float32 column is no longer widened, and a
        # float32 reads as Python writes the float of its shortest digits (1000000.0).
        columns = rfm_values_columns(ids, times, amounts, at=AT)
        assert list(map(str, columns["monetary"])) == [str(row.monetary.amount) for row in rows]


@given(ORDERS)
def test_float32_totals_scored_against_cut_points(np, pd, orders):
    ids = [f"c-{who}" for who, _, _ in orders]
    times = [AT - timedelta(seconds=seconds) for _, seconds, _ in orders]
    rows = rfm_values(
        [
            (i, t, Decimal(str(np.float32(a))))
            for i, t, (_, _, a) in zip(ids, times, orders, strict=True)
        ],
        at=AT,
        amount_currency="USD",
    )
    if not rows:
        return
    cuts = rfm_cut_points(rows)
    expected = {
        score.customer_id: (score.r, score.f, score.m) for score in score_rfm(rows, cut_points=cuts)
    }
    ids_out = [row.customer_id for row in rows]
    recency = [row.recency_days for row in rows]
    frequency = [row.frequency for row in rows]
    totals = np.array([float(row.monetary.amount) for row in rows], dtype=np.float32)
    # Totals that are float32 values themselves: their column reads as their own repr.
    exact = [Decimal(str(total)) for total in totals]
    want = {
        score.customer_id: (score.r, score.f, score.m)
        for score in score_rfm(
            [
                type(row)(row.customer_id, row.recency_days, row.frequency, Money(amount, "USD"))
                for row, amount in zip(rows, exact, strict=True)
            ],
            cut_points=cuts,
        )
    }
    for monetary in (totals, pd.Series(totals), list(totals), exact):
        got = score_rfm_columns(ids_out, recency, frequency, monetary, cut_points=cuts)
        scores = zip(got["r"], got["f"], got["m"], strict=True)
        assert dict(zip(got["customer_id"], scores, strict=True)) == want
    if all(Decimal(str(t)) == row.monetary.amount for t, row in zip(totals, rows, strict=True)):
        assert want == expected


def test_a_float32_edge_case_by_hand(np):
    # float32(0.3) is 0.300000011920928955078125. Read at its shortest repr it is 0.3, below
    # an edge of 0.30000001: level 3. Widened to 0.30000001192092896 it would pass that edge
    # (level 4), and score unlike the Decimal 0.3 and the numpy scalar float32(0.3).
    from crmcore.segmentation import RfmCutPoints  # noqa: PLC0415

    cuts = RfmCutPoints(
        recency_days=(1, 2, 3, 4),
        frequency=(1, 2, 3, 4),
        monetary=(Decimal("0.1"), Decimal("0.2"), Decimal("0.30000001"), Decimal("0.4")),
        currency=None,
    )
    for monetary in (
        np.array([0.3, 0.1], dtype=np.float32),
        [np.float32(0.3), np.float32(0.1)],
        [Decimal("0.3"), Decimal("0.1")],
    ):
        got = score_rfm_columns(["a", "b"], [0, 0], [0, 0], monetary, cut_points=cuts)
        assert got["m"] == [3, 2]
    # A float64 column is read as the floats it holds: 0.30000001192092896 passes the edge.
    wide = np.array([0.30000001192092896], dtype=np.float64)
    assert score_rfm_columns(["a"], [0], [0], wide, cut_points=cuts)["m"] == [4]


# -- timezone-aware pandas time columns -------------------------------------------------------


TIMES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=9),
        # Nanoseconds before AT: around a day's boundary, within a microsecond, far back.
        st.one_of(
            st.integers(min_value=-(10**12), max_value=400 * 86_400 * 10**9),
            st.integers(min_value=-3, max_value=3).map(lambda d: d * 86_400 * 10**9),
            st.integers(min_value=-2000, max_value=2000).map(lambda n: 86_400 * 10**9 + n),
        ),
        st.integers(min_value=1, max_value=10_000),
    ),
    min_size=1,
    max_size=30,
)
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"])


@given(TIMES, ZONES, st.booleans(), st.sampled_from(["ns", "us", "ms", "s"]))
def test_tz_aware_series_equals_its_timestamps_one_by_one(pd, orders, zone, at_in_zone, unit):
    at_ns = int(pd.Timestamp(AT).value) + 123  # an ``at`` with nanoseconds of its own
    at = pd.Timestamp(at_ns, tz="UTC")
    if at_in_zone:
        at = at.tz_convert(zone)
    ids = [who for who, _, _ in orders]
    epochs = [at_ns - before for _, before, _ in orders]
    series = pd.Series(pd.to_datetime(epochs, unit="ns", utc=True)).dt.tz_convert(zone)
    if unit != "ns":
        series = series.dt.as_unit(unit)
    amounts = [cents for _, _, cents in orders]
    fast = rfm_values_columns(ids, series, amounts, at=at)
    slow = rfm_values_columns(ids, series.to_list(), amounts, at=at)
    assert fast == slow
    index = pd.DatetimeIndex(series)
    assert rfm_values_columns(ids, index, amounts, at=at) == slow
    if unit != "ns" or all(epoch % 1000 == 0 for epoch in epochs):
        # Whole microseconds: the int64 epochs (read to the microsecond) agree too.
        ints = series.dt.as_unit("us").astype("int64").to_list()
        plain_at = at.to_pydatetime(warn=False) if at.nanosecond == 0 else None
        if plain_at is not None:
            by_epochs = rfm_values_columns(
                ids, ints, amounts, at=plain_at, time_unit="us", tz=ZoneInfo(zone)
            )
            assert by_epochs == slow


def test_tz_aware_series_by_hand(pd):
    # Two orders of c1: 10 days and 10 days minus 1 ns before ``at``; c2 one ns after ``at``
    # (left out); c3 exactly one day before ``at``.
    at = datetime(2024, 3, 31, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    at_ns = int(pd.Timestamp(at).value)
    day = 86_400 * 10**9
    epochs = [at_ns - 10 * day, at_ns - 10 * day + 1, at_ns + 1, at_ns - day]
    series = pd.Series(pd.to_datetime(epochs, utc=True)).dt.tz_convert("America/New_York")
    got = rfm_values_columns(["c1", "c1", "c2", "c3"], series, [1, 2, 3, 4], at=at)
    # c1's latest order is 10 days minus 1 ns ago: 9 whole days.
    assert got == {
        "customer_id": ["c1", "c3"],
        "recency_days": [9, 1],
        "frequency": [2, 1],
        "monetary": [Decimal(3), Decimal(4)],
    }


def test_nulls_and_naive_columns_keep_their_errors(pd):
    aware = pd.Series(pd.to_datetime(["2024-01-01", None], utc=True))
    with pytest.raises(ValidationError) as info:
        rfm_values_columns(["a", "b"], aware, [1, 2], at=AT)
    assert (info.value.code, info.value.path) == ("required", "$.ordered_at[1]")
    skipped = rfm_values_columns(["a", "b"], aware, [1, 2], at=AT, on_error="skip")
    assert skipped["customer_id"] == ["a"]
    naive = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"]))
    with pytest.raises(ValidationError) as info:
        rfm_values_columns(["a", "b"], naive, [1, 2], at=AT)
    assert (info.value.code, info.value.path) == ("naive_datetime", "$.ordered_at[0]")
    empty = pd.Series(pd.to_datetime([], utc=True))
    assert rfm_values_columns([], empty, [], at=AT)["customer_id"] == []


def test_tz_aware_series_with_bad_rows_elsewhere(pd):
    series = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"], utc=True))
    got = rfm_values_columns(["a", "b", "c"], series, [1, float("nan"), 3], at=AT, on_error="skip")
    assert got["customer_id"] == ["a", "c"]
    with pytest.raises(ValidationError) as info:
        rfm_values_columns(["a", "b", "c"], series, [1, float("nan"), 3], at=AT)
    assert info.value.path == "$.amount[1]"
    # With time_unit the column must hold integers: the Timestamps are refused as before.
    with pytest.raises(InvalidType) as info:
        rfm_values_columns(["a"], series[:1], [1], at=AT, time_unit="s", tz=UTC)
    assert info.value.path == "$.ordered_at[0]"


class _Dtype:
    kind = "M"
    tz = UTC

    def __init__(self, unit: str) -> None:
        self.unit = unit


class _Column(list):
    """A column that looks like a tz-aware pandas one: a dtype with ``tz``, ``.array.asi8``."""

    def __init__(self, times, unit, epochs) -> None:
        super().__init__(times)
        self.dtype = _Dtype(unit)
        self.array = type("Array", (), {"asi8": epochs})()


def test_columns_the_bulk_read_leaves_to_the_row_path():
    import array  # noqa: PLC0415

    late = [datetime(9999, 12, 31, tzinfo=UTC)]
    beyond = _Column(late, "s", array.array("q", [253_402_214_400]))  # past _HIGH: row by row
    at = datetime(9999, 12, 31, 12, tzinfo=UTC)
    assert rfm_values_columns(["a"], beyond, [1], at=at) == rfm_values_columns(
        ["a"], late, [1], at=at
    )
    odd_unit = _Column([AT], "D", array.array("q", [0]))  # a unit it does not know
    assert rfm_values_columns(["a"], odd_unit, [1], at=AT)["recency_days"] == [0]
    no_ints = _Column([AT], "s", [1.5])  # epochs that are no integers
    assert rfm_values_columns(["a"], no_ints, [1], at=AT)["recency_days"] == [0]
    no_epochs = _Column([AT], "s", None)
    assert rfm_values_columns(["a"], no_epochs, [1], at=AT)["recency_days"] == [0]

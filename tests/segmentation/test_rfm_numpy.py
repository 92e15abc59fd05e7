"""The numpy path of the RFM columns (``crmcore.segmentation._rfm_numpy``) against the pure path.

Differential: ``rfm_values_columns`` and ``score_rfm_columns`` over numpy arrays
and pandas Series give what they give over lists of the same values (read
value by value by the pure path), list for list, with the same types and the
same Decimal reprs; every error is the same error (type, code, path). The
numpy path is also called directly, to check it was the one taken (or that it
handed a case it does not take plainly to the pure path). numpy and pandas tests
skip without them locally and fail under ``CI=true`` (the ``np``/``pd`` fixtures).
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal, localcontext
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CrmcoreError, Money
from crmcore.segmentation import (
    RfmValues,
    _rfm_numpy,
    rfm_cut_points,
    rfm_values_columns,
    score_rfm_columns,
)

AT = datetime(2024, 6, 30, 12, tzinfo=UTC)
AT_SECONDS = int(AT.timestamp())
UNITS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

IDS_STR = st.sampled_from(["a", "b", "B", "ab", "", "é", "z9", "a b", "\U0001f600"])
IDS_INT = st.integers(min_value=-12, max_value=1_200)
FLOATS = st.one_of(
    st.sampled_from([0.1, 0.2, 0.25, 2.5, 3.0, -0.0, 0.0, 12.345, 1e5, 1e13, -7.5]),
    st.integers(-(10**8), 10**8).map(lambda cents: cents / 100),
    st.integers(-(10**6), 10**6).map(lambda tenths: tenths / 1000),
)
DECIMALS = st.one_of(
    st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False),
    st.sampled_from([Decimal("1.0"), Decimal("1.00"), Decimal(1), Decimal("-0.00")]),
)


def same(first: dict, second: dict) -> None:
    """Equal results, with the same types and the same Decimal reprs."""
    assert first == second
    for name, column in first.items():
        assert list(map(type, column)) == list(map(type, second[name])), name
    if "monetary" in first:
        assert list(map(str, first["monetary"])) == list(map(str, second["monetary"]))


def outcome(call):
    try:
        return ("ok", call())
    except CrmcoreError as exc:
        return (type(exc), exc.code, exc.path)


def same_outcome(fast, pure) -> None:
    got, expected = outcome(fast), outcome(pure)
    if got[0] == "ok" and expected[0] == "ok":
        same(got[1], expected[1])
    else:
        assert got == expected


@st.composite
def orders(draw, ids=None, amounts=None):
    ids = ids if ids is not None else draw(st.sampled_from([IDS_STR, IDS_INT]))
    amounts = (
        amounts
        if amounts is not None
        else draw(st.sampled_from([st.integers(-(10**6), 10**6), FLOATS, DECIMALS]))
    )
    rows = draw(
        st.lists(
            st.tuples(ids, st.integers(-3 * 86_400, 400 * 86_400), amounts), min_size=1, max_size=40
        )
    )
    return (
        [who for who, _, _ in rows],
        [AT_SECONDS - s for _, s, _ in rows],
        [a for _, _, a in rows],
    )


def amount_column(np, pd, amounts):
    kinds = set(map(type, amounts))
    if kinds == {int}:
        return np.array(amounts, dtype=np.int64)
    if kinds == {float}:
        return pd.Series(amounts, dtype="float64")
    return pd.Series(amounts, dtype=object)


def id_column(np, pd, ids, shape):
    if set(map(type, ids)) == {int}:
        return np.array(ids, dtype=np.int64) if shape else pd.Series(ids, dtype="int64")
    return np.array(ids, dtype=object) if shape else pd.Series(ids)


# -- values ---------------------------------------------------------------------------------


@given(orders(), st.tuples(st.sampled_from(list(UNITS)), st.booleans(), st.booleans()))
def test_values_over_epoch_columns_equal_the_lists(np, pd, data, shape):
    ids, seconds, amounts = data
    unit, ndarray, offset = shape
    zone = timezone(timedelta(hours=-5)) if offset else UTC
    epochs = [s * UNITS[unit] for s in seconds]
    columns = (id_column(np, pd, ids, ndarray), np.array(epochs), amount_column(np, pd, amounts))
    options = {"at": AT, "time_unit": unit, "tz": zone}
    fast = _rfm_numpy.values_columns(*columns, **options)
    assert fast is not None  # plainly valid: the numpy path takes it
    same(fast, rfm_values_columns(ids, epochs, amounts, **options))
    same(rfm_values_columns(*columns, **options), fast)


@given(orders(amounts=st.integers(-(10**9), 10**9)), st.integers(0, 18))
def test_values_of_minor_units_equal_the_lists(np, pd, data, scale):
    ids, seconds, amounts = data
    columns = (id_column(np, pd, ids, True), np.array(seconds), np.array(amounts))
    options = {"at": AT, "time_unit": "s", "tz": UTC, "amount_scale": scale}
    fast = _rfm_numpy.values_columns(*columns, **options)
    assert fast is not None
    same(fast, rfm_values_columns(ids, seconds, amounts, **options))


@given(
    orders(),
    st.tuples(
        st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]),
        st.sampled_from(["s", "ms", "us", "ns"]),
        st.integers(0, 999),
    ),
)
def test_values_over_a_tz_aware_series_equal_its_timestamps(np, pd, data, shape):
    ids, seconds, amounts = data
    zone, unit, nanos = shape
    ticks = [s * 1_000_000_000 + (nanos if unit == "ns" else 0) for s in seconds]
    series = pd.Series(pd.to_datetime(ticks, unit="ns", utc=True)).dt.as_unit(unit)
    series = series.dt.tz_convert(zone)
    at = pd.Timestamp(AT).tz_convert(zone)
    columns = (id_column(np, pd, ids, False), series, amount_column(np, pd, amounts))
    fast = _rfm_numpy.values_columns(*columns, at=at)
    assert fast is not None
    same(fast, rfm_values_columns(ids, series.tolist(), amounts, at=at))


@given(orders(), st.sampled_from(["raise", "skip"]), st.data())
def test_bad_rows_take_the_pure_path(np, pd, data, on_error, draw):
    ids, seconds, amounts = data
    ids, amounts = list(ids), list(amounts)
    index = draw.draw(st.integers(0, len(ids) - 1))
    fault = draw.draw(st.sampled_from(["id", "amount", "inf"]))
    if fault == "id":
        ids[index] = None
    else:
        amounts = [float(a) for a in amounts]
        amounts[index] = float("nan") if fault == "amount" else float("inf")
    id_series = pd.Series(ids, dtype=object)
    columns = (
        id_series,
        np.array(seconds),
        pd.Series(amounts, dtype=amount_column(np, pd, amounts).dtype),
    )
    options = {"at": AT, "time_unit": "s", "tz": UTC, "on_error": on_error}
    assert _rfm_numpy.values_columns(*columns, at=AT, time_unit="s", tz=UTC) is None
    same_outcome(
        lambda: rfm_values_columns(*columns, **options),
        lambda: rfm_values_columns(ids, seconds, amounts, **options),
    )


def test_values_by_hand(np):
    # c7 ordered 2 and 1 days before ``at`` (10.00 and 20.50), c3 1 day before (9.99);
    # the order after ``at`` is left out.
    day = 86_400
    result = rfm_values_columns(
        np.array([7, 7, 3, 3]),
        np.array([-2 * day, -day, -day, 5 * day]) + AT_SECONDS,
        np.array([1000, 2050, 999, 5]),
        at=AT,
        time_unit="s",
        tz=UTC,
        amount_scale=2,
    )
    assert result == {
        "customer_id": [3, 7],
        "recency_days": [1, 1],
        "frequency": [1, 2],
        "monetary": [Decimal("9.99"), Decimal("30.50")],
    }


def test_float_totals_keep_the_exponent_of_decimal_sums(np):
    ids = np.array(["a", "a", "b", "c", "c"], dtype=object)
    amounts = np.array([0.25, 0.75, 1e16, 1.5, -1.5])
    result = rfm_values_columns(ids, np.full(5, AT_SECONDS), amounts, at=AT, time_unit="s", tz=UTC)
    # 0.25 + 0.75 = 1.00; 1e16 is 1E+16, summed from 0: 10000000000000000; 1.5 - 1.5 = 0.0
    assert list(map(str, result["monetary"])) == ["1.00", "10000000000000000", "0.0"]


def test_ids_in_the_order_of_their_text(np, pd):
    ids = [10, 9, -1, 100, 11]
    result = rfm_values_columns(
        np.array(ids),
        np.full(5, AT_SECONDS),
        np.ones(5, dtype=np.int64),
        at=AT,
        time_unit="s",
        tz=UTC,
    )
    assert result["customer_id"] == [-1, 10, 100, 11, 9]
    texts = ["b", "a", "ab", "B", ""]
    result = rfm_values_columns(
        pd.Series(texts), np.full(5, AT_SECONDS), np.ones(5), at=AT, time_unit="s", tz=UTC
    )
    assert result["customer_id"] == ["", "B", "a", "ab", "b"]


def test_every_order_after_at(np):
    result = rfm_values_columns(
        np.array([1, 2]),
        np.array([AT_SECONDS + 10] * 2),
        np.array([1, 2]),
        at=AT,
        time_unit="s",
        tz=UTC,
    )
    assert result == {"customer_id": [], "recency_days": [], "frequency": [], "monetary": []}


FALLBACKS = {
    "trailing NUL ids": ({"ids": ["a", "a\x00"]}, {}),
    "zoned epochs": ({}, {"tz": ZoneInfo("Europe/Berlin")}),
    "zoned at": ({}, {"at": AT.astimezone(ZoneInfo("Europe/Berlin"))}),
    "out of the calendar": ({"seconds": [10**15, AT_SECONDS]}, {}),
    "float minor units": ({"amounts": [1.5, 2.5]}, {"amount_scale": 2}),
    "shortest reprs too fine": ({"amounts": [1e-20, 1.0]}, {}),
    "sums too large": ({"amounts": [2**62, 2**62]}, {}),
    "floats summing too large": ({"amounts": [5e18, 5e18]}, {}),
    "bool amounts": ({"amounts": [True, False]}, {}),
    "mixed ids": ({"ids": ["a", 1]}, {}),
    "a float id": ({"ids": [1.5, 2.5]}, {}),
    "Decimal and str amounts": ({"amounts": [Decimal(1), "2"]}, {}),
    "NaN Decimal": ({"amounts": [Decimal("NaN"), Decimal(1)]}, {}),
    "float time": ({"seconds": [1.5, 2.5]}, {}),
    "lengths": ({"amounts": [1, 2, 3]}, {}),
    "empty": ({"ids": [], "seconds": [], "amounts": []}, {}),
}


@pytest.mark.parametrize("name", list(FALLBACKS))
def test_cases_left_to_the_pure_path(np, pd, name):
    changes, options = FALLBACKS[name]
    ids = changes.get("ids", ["x", "y"])
    seconds = changes.get("seconds", [AT_SECONDS - 86_400, AT_SECONDS])
    amounts = changes.get("amounts", [1, 2])
    options = {"at": AT, "time_unit": "s", "tz": UTC, **options}
    kind = object if {type(a) for a in amounts} - {int, float, bool} or not amounts else None
    columns = (
        pd.Series(ids, dtype=object),
        np.array(seconds),
        np.array(amounts, dtype=kind),
    )
    assert _rfm_numpy.values_columns(*columns, **options) is None
    same_outcome(
        lambda: rfm_values_columns(*columns, **options),
        lambda: rfm_values_columns(ids, seconds, amounts, **options),
    )


def test_contexts_the_sums_could_round_in(np):
    columns = (np.array([1, 1]), np.array([AT_SECONDS] * 2), np.array([12_345.25, 1.5]))
    options = {"at": AT, "time_unit": "s", "tz": UTC}
    with localcontext(prec=4):  # the pure path's sums round: left to it
        assert _rfm_numpy.values_columns(*columns, **options) is None
        ints = (columns[0], columns[1], np.array([123_456, 1]))
        assert _rfm_numpy.values_columns(*ints, **options) is None
        same(
            rfm_values_columns(*columns, **options),
            rfm_values_columns([1, 1], [AT_SECONDS] * 2, [12_345.25, 1.5], **options),
        )
    with localcontext(rounding=ROUND_FLOOR):  # zero sums keep a sign there
        assert _rfm_numpy.values_columns(*columns, **options) is None


def test_times_far_from_at(np, pd):
    # Nanosecond ticks and an ``at`` whose nanoseconds do not fit in int64: the pure path.
    series = pd.Series(pd.to_datetime([1, 2_000], unit="ns", utc=True))
    at = datetime(9000, 1, 1, tzinfo=UTC)
    assert _rfm_numpy.values_columns(np.array([1, 2]), series, np.array([1, 2]), at=at) is None
    result = rfm_values_columns(np.array([1, 2]), series, np.array([1, 2]), at=at)
    assert result["frequency"] == [1, 1]
    recent = pd.Series(pd.to_datetime([10**18 + 1, 10**18], unit="ns", utc=True))
    for at in (datetime(2300, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)):
        same_outcome(
            lambda at=at: rfm_values_columns(np.array([1, 2]), recent, np.array([1, 2]), at=at),
            lambda at=at: rfm_values_columns([1, 2], recent.tolist(), [1, 2], at=at),
        )


def test_other_columns_are_not_taken(np, pd):
    options = {"at": AT, "time_unit": "s", "tz": UTC}
    seconds = np.array([AT_SECONDS])
    assert _rfm_numpy.values_columns(["a"], seconds, np.array([1]), **options) is None
    assert _rfm_numpy.values_columns(np.array(["a"]), seconds, np.array([1]), **options) is None
    matrix = np.array([[1]])
    assert _rfm_numpy.values_columns(np.array([1]), seconds, matrix, **options) is None
    naive = pd.Series(pd.to_datetime([0]))
    assert _rfm_numpy.values_columns(np.array([1]), naive, np.array([1]), at=AT) is None
    nat = pd.Series(pd.to_datetime([None, 0], utc=True))
    assert _rfm_numpy.values_columns(np.array([1, 2]), nat, np.array([1, 2]), at=AT) is None
    assert (
        _rfm_numpy.values_columns(np.array([1]), np.array([1.5]), np.array([1]), **options) is None
    )


def test_long_ids_are_sorted_by_the_pure_path(np, pd, monkeypatch):
    monkeypatch.setattr(_rfm_numpy, "_STR_CELLS", 3)
    columns = (pd.Series(["bb", "a"]), np.array([AT_SECONDS] * 2), np.array([1, 2]))
    assert _rfm_numpy.values_columns(*columns, at=AT, time_unit="s", tz=UTC) is None


# -- scores ---------------------------------------------------------------------------------

SMALL = st.integers(0, 6)


@st.composite
def value_columns(draw):
    n = draw(st.integers(1, 40))
    ids = draw(
        st.one_of(
            [
                st.lists(st.integers(-(10**6), 10**6), min_size=n, max_size=n, unique=True),
                st.lists(st.text(max_size=4), min_size=n, max_size=n, unique=True),
            ]
        )
    )
    days = draw(st.lists(st.one_of(SMALL, st.integers(0, 2**63 - 1)), min_size=n, max_size=n))
    counts = draw(st.lists(SMALL, min_size=n, max_size=n))
    money = draw(
        st.one_of(
            [
                st.lists(
                    st.one_of(SMALL, st.integers(-(2**63), 2**63 - 1)), min_size=n, max_size=n
                ),
                st.lists(FLOATS, min_size=n, max_size=n),
                st.lists(DECIMALS, min_size=n, max_size=n),
            ]
        )
    )
    return ids, days, counts, money


@given(value_columns(), st.booleans())
def test_scores_over_columns_equal_the_lists(np, pd, data, series):
    ids, days, counts, money = data
    wrap = pd.Series if series else np.array
    columns = (
        pd.Series(ids) if isinstance(ids[0], str) else wrap(ids),
        wrap(np.array(days, dtype=np.int64)),
        wrap(np.array(counts, dtype=np.uint8)),
        amount_column(np, pd, money),
    )
    fast = _rfm_numpy.score_columns(*columns)
    assert fast is not None
    same(fast, score_rfm_columns(ids, days, counts, money))
    same(score_rfm_columns(*columns), fast)


def test_scores_by_hand(np):
    # Recency 1 at sorted positions 0..2 of 4: floor((0 + 3) * 5 / 8) + 1 = 2, reversed 4;
    # 5 at position 3: floor((3 + 4) * 5 / 8) + 1 = 5, reversed 1.
    result = score_rfm_columns(
        np.array([4, 3, 2, 1]),
        np.array([1, 1, 1, 5]),
        np.array([1, 2, 3, 4]),
        np.array([0.5, 0.5, 0.5, 0.5]),
    )
    assert result == {
        "customer_id": [4, 3, 2, 1],
        "r": [4, 4, 4, 1],
        "f": [1, 2, 4, 5],
        "m": [3, 3, 3, 3],
    }


def test_decimals_closer_than_floats(np, pd):
    money = [Decimal("1.000000000000000000002"), Decimal("1.000000000000000000001"), Decimal(0)]
    columns = (
        np.array([1, 2, 3]),
        np.array([1, 1, 1]),
        np.array([1, 1, 1]),
        pd.Series(money, dtype=object),
    )
    fast = _rfm_numpy.score_columns(*columns)
    assert fast is not None
    assert fast["m"] == [5, 3, 1]
    same(fast, score_rfm_columns([1, 2, 3], [1, 1, 1], [1, 1, 1], money))


SCORE_FALLBACKS = {
    "duplicate int ids": {"ids": [1, 1]},
    "duplicate str ids": {"ids": ["a", "a"]},
    "a null id": {"ids": ["a", None]},
    "negative days": {"days": [-1, 2]},
    "float counts": {"counts": [1.0, 2.0]},
    "NaN spend": {"money": [float("nan"), 1.0]},
    "huge spend": {"money": [1e300, 1.0]},
    "tiny spend": {"money": [1e-90, 1.0]},
    "float32 spend": {"money": "float32"},
    "str spend": {"money": ["1", "2"]},
    "Decimal and int spend": {"money": [Decimal(1), 2]},
    "lengths": {"days": [1, 2, 3]},
    "empty": {"ids": [], "days": [], "counts": [], "money": []},
}


@pytest.mark.parametrize("name", list(SCORE_FALLBACKS))
def test_scores_left_to_the_pure_path(np, pd, name):
    case = SCORE_FALLBACKS[name]
    ids = case.get("ids", ["a", "b"])
    days = case.get("days", [1, 2])
    counts = case.get("counts", [1, 2])
    money = case.get("money", [1.5, 2.5])
    spend = np.array([1.5, 2.5], dtype=np.float32) if money == "float32" else None
    if spend is None:
        plain = {type(m) for m in money} <= {int, float}
        spend = np.array(money) if plain and money else pd.Series(money, dtype=object)
        money_list = money
    else:
        money_list = [1.5, 2.5]
    columns = (pd.Series(ids, dtype=object), np.array(days), np.array(counts), spend)
    assert _rfm_numpy.score_columns(*columns) is None
    same_outcome(
        lambda: score_rfm_columns(*columns),
        lambda: score_rfm_columns(ids, days, counts, money_list),
    )


def test_scores_with_cut_points_and_other_columns(np):
    values = [RfmValues(f"c-{i}", i, i, Money(i, "EUR")) for i in range(1, 6)]
    cuts = rfm_cut_points(values)
    columns = (np.array([1, 2]), np.array([1, 5]), np.array([1, 5]), np.array([1, 5]))
    assert score_rfm_columns(*columns, cut_points=cuts) == score_rfm_columns(
        [1, 2], [1, 5], [1, 5], [1, 5], cut_points=cuts
    )
    assert _rfm_numpy.score_columns([1], np.array([1]), np.array([1]), np.array([1])) is None
    two_d = np.array([[1]])
    assert _rfm_numpy.score_columns(np.array([1]), two_d, np.array([1]), np.array([1])) is None


def test_more_columns_left_to_the_pure_path(np, pd):
    seconds = np.array([AT_SECONDS, AT_SECONDS])
    options = {"at": AT, "time_unit": "s", "tz": UTC}
    categories = pd.Series([1, 2], dtype="category")
    cases = [
        (np.array([1, 2]), seconds, categories, options),  # a pandas dtype, not numpy's
        (categories, seconds, np.array([1, 2]), options),
        (np.array([1, "a"], dtype=object), seconds, np.array([1, 2]), options),
        (np.array([1.5, 2.5]), seconds, np.array([1, 2]), options),
        (
            np.array([1, 2]),
            np.array(["2024-01-01"] * 2, dtype="datetime64[s]"),
            np.ones(2),
            {"at": AT},
        ),
    ]
    for ids, times, amounts, kwargs in cases:
        assert _rfm_numpy.values_columns(ids, times, amounts, **kwargs) is None
        same_outcome(
            lambda i=ids, t=times, a=amounts, g=kwargs: rfm_values_columns(i, t, a, **g),
            lambda i=ids, t=times, a=amounts, g=kwargs: rfm_values_columns(
                i.tolist(), t.tolist(), a.tolist(), **g
            ),
        )
    floats = (np.array([1.5, 2.5]), np.array([1, 2]), np.array([1, 2]), np.array([1, 2]))
    assert _rfm_numpy.score_columns(*floats) is None


def test_decimals_in_an_ndarray_are_scored_as_the_lists(np):
    money = [Decimal("2.50"), Decimal("2.5"), Decimal(-1), Decimal(7)]
    columns = (np.array([1, 2, 3, 4]), np.ones(4, dtype=int), np.ones(4, dtype=int))
    fast = _rfm_numpy.score_columns(*columns, np.array(money, dtype=object))
    assert fast is not None
    same(fast, score_rfm_columns([1, 2, 3, 4], [1] * 4, [1] * 4, money))


def test_unhashable_ids_are_named_by_the_pure_path(np, pd):
    ids = pd.Series([["a"], ["b"]], dtype=object)
    columns = (ids, np.array([AT_SECONDS] * 2), np.array([1, 2]))
    options = {"at": AT, "time_unit": "s", "tz": UTC}
    assert _rfm_numpy.values_columns(*columns, **options) is None
    same_outcome(
        lambda: rfm_values_columns(*columns, **options),
        lambda: rfm_values_columns(ids.tolist(), [AT_SECONDS] * 2, [1, 2], **options),
    )


def test_duplicate_int_ids_are_named_by_the_pure_path(np):
    columns = (np.array([7, 3, 7]), np.array([1, 2, 3]), np.array([1, 2, 3]), np.array([1, 2, 3]))
    assert _rfm_numpy.score_columns(*columns) is None
    same_outcome(
        lambda: score_rfm_columns(*columns),
        lambda: score_rfm_columns([7, 3, 7], [1, 2, 3], [1, 2, 3], [1, 2, 3]),
    )

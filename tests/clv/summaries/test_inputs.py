"""HistoryCounts and SpendInputs: mergeable fit inputs equal to the whole table's, on CDNOW too."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, TimeUnit, ValidationError
from crmcore.clv import summarize
from crmcore.clv.models import BetaGeo, GammaGamma
from crmcore.clv.summaries._inputs import HistoryCounts, SpendInputs
from crmcore.serialization import from_dict, to_dict

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 3, 1, tzinfo=UTC)

rows_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),
        st.integers(min_value=0, max_value=59).map(lambda d: START + timedelta(days=d)),
        st.decimals(min_value=1, max_value=100, places=1, allow_nan=False),
    ),
    max_size=60,
)


def parts_by_customer(rows, count):
    parts = [[] for _ in range(count)]
    for row in rows:
        parts[hash(row[0]) % count].append(row)
    return parts


@given(rows_strategy, st.integers(min_value=1, max_value=4), st.booleans())
def test_merged_parts_equal_the_whole(rows, count, skip):
    whole = summarize(rows, period="day", observation_end=END)
    tables = [
        summarize(p, period="day", observation_end=END) for p in parts_by_customer(rows, count)
    ]
    counts = [HistoryCounts.from_table(t, skip_newcomers=skip) for t in tables]
    merged = counts[0].merge(*counts[1:])
    assert merged == HistoryCounts.from_table(whole, skip_newcomers=skip)
    assert merged.fit_arguments() == whole.compress(skip_newcomers=skip)
    assert merged.customers == sum(1 for s in whole.values() if not (skip and s.T == 0))
    spends = [SpendInputs.from_table(t) for t in tables]
    merged_spend = spends[0].merge(*spends[1:])
    assert merged_spend == SpendInputs.from_table(whole)
    repeat = [s for s in whole.values() if s.frequency]
    assert merged_spend.customers == len(repeat)
    # by hand: each repeat buyer's (frequency, monetary) counted once
    expected = {}
    for s in repeat:
        expected[s.frequency, s.monetary_value] = (
            expected.get((s.frequency, s.monetary_value), 0) + 1
        )
    assert (
        dict(
            zip(
                zip(merged_spend.frequency, merged_spend.monetary_value, strict=True),
                merged_spend.weights,
                strict=True,
            )
        )
        == expected
    )
    for value in (merged, merged_spend):
        assert from_dict(type(value), json.loads(json.dumps(to_dict(value)))) == value


def test_parts_of_different_tables_do_not_merge():
    a = HistoryCounts.from_table(summarize([("a", START, "1")], period="day", observation_end=END))
    b = HistoryCounts.from_table(
        summarize([("b", START, "1")], period="day", observation_end=END + timedelta(days=1))
    )
    with pytest.raises(ValidationError) as caught:
        a.merge(b)
    assert (caught.value.path, caught.value.code) == ("$.others[0].observation_end", "mismatch")
    with pytest.raises(InvalidType):
        a.merge(SpendInputs.from_table(summarize([], period="day", observation_end=END)))
    with pytest.raises(InvalidType):
        HistoryCounts.from_table({"a": 1})


def frame():
    return {
        "period": TimeUnit.DAY,
        "unit": TimeUnit.DAY,
        "observation_end": END,
        "calibration_end": None,
        "currency": None,
    }


@pytest.mark.parametrize(
    ("columns", "path", "code"),
    [
        (
            {"frequency": (1,), "recency": (2.0,), "T": (3.0,), "weights": (0,)},
            "$.weights[0]",
            "range",
        ),
        (
            {"frequency": (1,), "recency": (4.0,), "T": (3.0,), "weights": (1,)},
            "$.recency[0]",
            "recency_above_t",
        ),
        (
            {"frequency": (0,), "recency": (1.0,), "T": (3.0,), "weights": (1,)},
            "$.recency[0]",
            "recency_without_repeats",
        ),
        (
            {"frequency": (1, 1), "recency": (2.0, 2.0), "T": (3.0, 3.0), "weights": (1, 1)},
            "$.frequency[1]",
            "order",
        ),
        (
            {"frequency": (1,), "recency": (2.0, 1.0), "T": (3.0,), "weights": (1,)},
            "$.recency",
            "length_mismatch",
        ),
        (
            {"frequency": (1,), "recency": (float("nan"),), "T": (3.0,), "weights": (1,)},
            "$.recency[0]",
            "range",
        ),
        (
            {"frequency": (True,), "recency": (0.0,), "T": (3.0,), "weights": (1,)},
            "$.frequency[0]",
            "type",
        ),
        ({"frequency": "1", "recency": (0.0,), "T": (3.0,), "weights": (1,)}, "$", "type"),
    ],
)
def test_bad_history_counts_are_refused_by_path(columns, path, code):
    with pytest.raises(ValidationError) as caught:
        HistoryCounts(**frame(), **columns)
    assert (caught.value.path, caught.value.code) == (path, code)


def test_bad_spend_inputs_are_refused_by_path():
    with pytest.raises(ValidationError) as caught:
        SpendInputs(**frame(), frequency=(0,), monetary_value=(Decimal(1),), weights=(1,))
    assert caught.value.path == "$.frequency[0]"
    with pytest.raises(InvalidType) as caught:
        SpendInputs(**frame(), frequency=(1,), monetary_value=(1.5,), weights=(1,))
    assert caught.value.path == "$.monetary_value[0]"
    with pytest.raises(ValidationError) as caught:
        SpendInputs(**frame(), frequency=(1,), monetary_value=(Decimal("NaN"),), weights=(1,))
    assert caught.value.code == "not_finite"


def read_cdnow(reference_data):
    rows = []
    with reference_data("cdnow", "CDNOW_master.txt").open() as handle:
        next(handle)  # the header
        for line in handle:
            customer, day, _, dollars = line.split()
            moment = datetime(int(day[:4]), int(day[4:6]), int(day[6:]), tzinfo=UTC)
            rows.append((int(customer), moment, dollars))
    return rows


def test_partitioned_cdnow_fits_equal_the_whole(reference_data):
    rows = read_cdnow(reference_data)
    end = datetime(1998, 6, 30, tzinfo=UTC)
    whole = summarize(rows, period="week", observation_end=end)
    parts = [
        summarize([r for r in rows if r[0] % 5 == k], period="week", observation_end=end)
        for k in range(5)
    ]
    counts = HistoryCounts.from_table(parts[0]).merge(
        *(HistoryCounts.from_table(p) for p in parts[1:])
    )
    assert counts.fit_arguments() == whole.compress()
    assert (
        BetaGeo().fit(**counts.fit_arguments()).params == BetaGeo().fit(**whole.compress()).params
    )
    spend = SpendInputs.from_table(parts[0]).merge(*(SpendInputs.from_table(p) for p in parts[1:]))
    assert spend == SpendInputs.from_table(whole)
    merged_fit = GammaGamma().fit(**spend.fit_arguments()).params
    columns = whole.to_columns()
    row_fit = GammaGamma().fit(columns["frequency"], columns["monetary_value"]).params
    for name, value in merged_fit.items():  # one row per customer: the same sums, another order
        assert value == pytest.approx(row_fit[name], rel=1e-6)
    assert date(1997, 1, 1) < end.date()

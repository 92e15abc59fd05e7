"""Reviewer R2's regressions: hostile documents, skipped rows, fit inputs at scale, exact merges.

Each test pins a defect found in review (see the test's docstring) against an
independent path: the row-wise loaders, the whole table, or a hand-built value.
"""

import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore._kernel._time import TimeUnit
from crmcore.clv import summarize
from crmcore.clv.models import GammaGamma
from crmcore.clv.summaries._inputs import HistoryCounts, SpendInputs
from crmcore.clv.summaries._state import CustomerState, SummaryAccumulator
from crmcore.clv.summaries._table import SummaryTable
from crmcore.serialization import MAX_ITEMS, from_dict, to_dict

END = datetime(2024, 6, 30, tzinfo=UTC)
FRAME = {
    "period": TimeUnit.DAY,
    "unit": TimeUnit.DAY,
    "observation_end": END,
    "calibration_end": None,
    "currency": "EUR",
}


def view(acc):
    return (acc.currency, list(acc.period_totals()))


# -- from_period_total_columns: a skipped row leaves no trace ---------------------------

AMOUNTS = [
    None,
    "1",
    "0",
    "-0",
    5,
    Decimal("1E+2"),
    "-3",
    "abc",
    1.5,
    Decimal("NaN"),
    Money("3", "EUR"),
    Money("-2", "EUR"),
    Money("0", "USD"),
    Money("4", "USD"),
]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", 1]),
            st.sampled_from([1, 2, -3]),
            st.sampled_from(AMOUNTS),
            st.sampled_from(AMOUNTS),
        ),
        max_size=6,
    )
)
def test_skipping_equals_the_row_loader_over_the_kept_rows(rows):
    """A skipped row with Money in one column used to set the accumulator's currency."""
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], [], []]
    acc, report = SummaryAccumulator.from_period_total_columns(
        *columns, period="day", tz=UTC, on_error="skip"
    )
    kept = [row for row, taken in zip(rows, report.mask, strict=True) if taken]
    expected = SummaryAccumulator.from_period_totals(kept, period="day", tz=UTC)
    assert view(acc) == view(expected)
    assert acc._kind == expected._kind  # the kind decides later merges
    if report.skipped:
        with pytest.raises(ValidationError) as caught:
            SummaryAccumulator.from_period_total_columns(*columns, period="day", tz=UTC)
        assert caught.value.path.endswith(f"[{report.skipped[0]}]")


def test_a_row_mixing_currencies_is_skipped_whole():
    acc, report = SummaryAccumulator.from_period_total_columns(
        ["a", "b"],
        [1, 2],
        [Money("1", "EUR"), Money("5", "USD")],
        [Money("0", "USD"), Money("0", "USD")],
        period="day",
        tz=UTC,
        on_error="skip",
    )
    assert report.mask == (False, True)
    assert report.codes == ("currency_mismatch",)
    assert acc.currency == "USD"  # not EUR, the currency of the skipped row's purchase
    assert list(acc.period_totals()) == [("b", 2, Decimal(5), Decimal(0))]


@pytest.mark.parametrize("index", [2**63, -(2**63), 10**30])
def test_row_loaders_refuse_period_indices_beyond_64_bits(index):
    """from_period_totals took any int; the column loader and the documents refuse them."""
    with pytest.raises(ValidationError) as caught:
        SummaryAccumulator.from_period_totals([("a", index, "1", 0)], period="day", tz=UTC)
    assert (caught.value.path, caught.value.code) == ("$.rows[0].period", "range")
    with pytest.raises(ValidationError) as caught:
        CustomerState([(index, "1", 0)])
    assert (caught.value.path, caught.value.code) == ("$.periods[0].period", "range")
    with pytest.raises(ValidationError) as caught:
        SummaryAccumulator.from_period_total_columns(
            ["a"], [index], ["1"], [0], period="day", tz=UTC
        )
    assert (caught.value.path, caught.value.code) == ("$.period_index[0]", "range")
    edge = 2**63 - 1 if index > 0 else -(2**63 - 1)
    acc = SummaryAccumulator.from_period_totals([("a", edge, "1", 0)], period="day", tz=UTC)
    assert from_dict(SummaryAccumulator, to_dict(acc)).state("a") == CustomerState([(edge, "1", 0)])


# -- hostile accumulator documents ------------------------------------------------------


def accumulator_document():
    acc = SummaryAccumulator(period="day", tz=UTC)
    acc.add("c", datetime(2024, 1, 1, tzinfo=UTC), "1")
    return to_dict(acc)


@pytest.mark.parametrize(
    ("key", "value", "path", "code"),
    [
        ("purchases", ["NaN"], "$.purchases[0]", "decimal"),
        ("purchases", ["1e999999"], "$.purchases[0]", "decimal"),
        ("purchases", ["9" * 10_000], "$.purchases[0]", "decimal"),
        ("purchases", [" 1"], "$.purchases[0]", "decimal"),
        ("purchases", [1.0], "$.purchases[0]", "float"),
        ("purchases", [["1"]], "$.purchases[0]", "type"),
        ("refunds", ["1"], "$.refunds[0]", "positive"),
        ("period_index", [2**63], "$.period_index[0]", "range"),
        ("period_index", [True], "$.period_index[0]", "type"),
        ("customer_id", [1], "$.customer_id[0]", "type"),
        ("customer_id", json.loads("[" * 80 + "1" + "]" * 80), "$.customer_id", "too_deep"),
        ("customer_id", ["c", "d"], "$.period_index", "length_mismatch"),
        ("tz", "Mars/Base", "$.tz", "time_zone"),
        ("period", "year", "$.period", "choice"),
    ],
)
def test_hostile_accumulator_documents_are_refused_by_path(key, value, path, code):
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, {**accumulator_document(), key: value})
    assert (caught.value.path[: len(path)], caught.value.code) == (path, code)


# -- summary table documents: errors point into the document ------------------------------


@pytest.mark.parametrize(
    ("key", "value", "path", "code"),
    [
        ("T", [-1], "$.T[0]", "negative"),
        ("T", [2**64], "$.T[0]", "range"),
        ("frequency", [1.5], "$.frequency[0]", "type"),
        ("recency", [10**6], "$.recency[0]", "recency_above_t"),
    ],
)
def test_table_document_errors_name_the_document_path(key, value, path, code):
    """from_columns' paths ($.columns.T[0]) used to leak into document errors."""
    table = summarize(
        [("a", datetime(2024, 1, 1, tzinfo=UTC), "1")], period="day", observation_end=END
    )
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryTable, {**to_dict(table), key: value})
    assert (caught.value.path, caught.value.code) == (path, code)
    assert all(not p.path.startswith("$.columns") for p in caught.value.problems)


# -- fit inputs: documents at scale, hostile documents, settings, overflow -----------------


def test_fit_inputs_documents_hold_more_than_max_items():
    """A population of millions has more distinct spends than a generic document's 100,000."""
    size = MAX_ITEMS + 1
    spend = SpendInputs(
        **FRAME,
        frequency=[1] * size,
        monetary_value=[Decimal(i).scaleb(-2) for i in range(size)],
        weights=[1] * size,
    )
    assert from_dict(SpendInputs, json.loads(json.dumps(to_dict(spend)))) == spend
    counts = HistoryCounts(
        **FRAME,
        frequency=[1] * size,
        recency=[float(i) for i in range(size)],
        T=[float(size)] * size,
        weights=[2] * size,
    )
    assert from_dict(HistoryCounts, json.loads(json.dumps(to_dict(counts)))) == counts


def history_document():
    counts = HistoryCounts(
        **FRAME, frequency=[0, 2], recency=[0.0, 2.5], T=[3.0, 3.0], weights=[1, 4]
    )
    return to_dict(counts)


@pytest.mark.parametrize(
    ("key", "value", "path", "code"),
    [
        ("T", ["1", 3.0], "$.T[0]", "type"),
        ("T", [10**400, 3.0], "$.T[0]", "range"),
        ("frequency", [0, True], "$.frequency[1]", "type"),
        ("weights", [1], "$.weights", "length_mismatch"),
        ("unit", "month", "$.unit", "unit"),
        ("currency", "zz", "$.currency", "currency"),
        ("currency", "eur", "$.currency", "currency"),
        ("calibration_end", "2025-01-01T00:00:00+00:00", "$.calibration_end", "order"),
        ("observation_end", "2024-06-30", "$.observation_end", "naive_datetime"),
        ("secret", 1, "$", "unknown_keys"),
    ],
)
def test_hostile_history_documents_are_refused_by_path(key, value, path, code):
    with pytest.raises(ValidationError) as caught:
        from_dict(HistoryCounts, {**history_document(), key: value})
    assert (caught.value.path, caught.value.code) == (path, code)


def test_hostile_spend_documents_are_refused_by_path():
    spend = to_dict(
        SpendInputs(**FRAME, frequency=[1], monetary_value=[Decimal("2.50")], weights=[3])
    )
    assert spend["monetary_value"] == ["2.50"]
    for value, code in (["NaN"], "decimal"), ([2.5], "float"), (["1e999999"], "decimal"):
        with pytest.raises(ValidationError) as caught:
            from_dict(SpendInputs, {**spend, "monetary_value": value})
        assert (caught.value.path, caught.value.code) == ("$.monetary_value[0]", code)


def test_merged_weights_beyond_64_bits_are_refused():
    big = HistoryCounts(**FRAME, frequency=[0], recency=[0.0], T=[3.0], weights=[2**62])
    with pytest.raises(ValidationError) as caught:
        big.merge(big, big)
    assert (caught.value.path, caught.value.code) == ("$.others[0]", "range")
    spend = SpendInputs(**FRAME, frequency=[1], monetary_value=[Decimal(1)], weights=[2**62])
    with pytest.raises(ValidationError) as caught:
        spend.merge(spend)
    assert (caught.value.path, caught.value.code) == ("$.others[0]", "range")


def test_gamma_gamma_on_merged_parts_is_exact_in_any_order():
    """The merge is canonical (sorted distinct rows), so the fit does not depend on the parts."""
    day = datetime(2024, 1, 1, tzinfo=UTC)
    draw = random.Random(20)  # noqa: S311 - seeded test data.
    rows = []
    for c in range(300):  # spends as Gamma-Gamma draws them: p = 6, q = 4, gamma = 15
        nu = draw.gammavariate(4, 1 / 15)
        for k in range(1 + c % 6):
            spend = Decimal(draw.gammavariate(6, 1 / nu)).quantize(Decimal("0.01"))
            rows.append((f"c{c}", day + timedelta(days=k * 17 + c % 9), spend))
    whole = summarize(rows, period="day", observation_end=END)
    parts = [
        SpendInputs.from_table(
            summarize(
                [r for r in rows if int(r[0][1:]) % 3 == k], period="day", observation_end=END
            )
        )
        for k in range(3)
    ]
    reference = GammaGamma().fit(**SpendInputs.from_table(whole).fit_arguments()).params
    for order in ((0, 1, 2), (2, 1, 0), (1, 0, 2)):
        first, *rest = (parts[i] for i in order)
        merged = first.merge(*rest)
        assert GammaGamma().fit(**merged.fit_arguments()).params == reference


# -- serialization stays light ----------------------------------------------------------


def test_serializing_other_objects_does_not_load_the_clv_package():
    """to_dict / from_dict of any object used to import crmcore.clv first (0.4 s)."""
    code = (
        "import sys\n"
        "from crmcore import Money\n"
        "from crmcore.serialization import from_dict, to_dict\n"
        "from_dict(Money, to_dict(Money('1', 'EUR')))\n"
        "assert 'crmcore.clv' not in sys.modules, 'loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603 - our own interpreter.


def test_currency_mismatch_is_a_validation_error():
    assert issubclass(CurrencyMismatch, ValidationError)
    assert issubclass(InvalidType, ValidationError)


@pytest.mark.parametrize(
    ("kind", "value", "code"),
    [
        ("int", True, "type"),
        ("int", 2**63, "range"),
        ("uuid", 5, "type"),
        ("uuid", "x" * 65, "type"),
        ("uuid", "not-a-uuid", "uuid"),
        ("customer_id", 5, "type"),
        ("customer_id", "", "id_length"),
        ("str", None, "type"),
    ],
)
def test_hostile_customer_ids_are_refused_by_path(kind, value, code):
    document = {**accumulator_document(), "customer_id_type": kind, "customer_id": [value]}
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryAccumulator, document)
    assert (caught.value.path, caught.value.code) == ("$.customer_id[0]", code)


@pytest.mark.parametrize(
    ("key", "value", "path", "code"),
    [
        ("observation_end", 5, "$.observation_end", "type"),
        ("observation_end", "yesterday", "$.observation_end", "datetime"),
        ("monetary_value", "1", "$.monetary_value", "type"),
    ],
)
def test_hostile_table_settings_are_refused_by_path(key, value, path, code):
    table = summarize(
        [("a", datetime(2024, 1, 1, tzinfo=UTC), "1")], period="day", observation_end=END
    )
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryTable, {**to_dict(table), key: value})
    assert (caught.value.path, caught.value.code) == (path, code)


def test_a_table_document_needs_its_holdout_columns():
    table = summarize(
        [("a", datetime(2024, 1, 1, tzinfo=UTC), "1")],
        period="day",
        observation_end=END,
        calibration_end=END - timedelta(days=30),
    )
    document = to_dict(table)
    assert from_dict(SummaryTable, document).calibration_end == table.calibration_end
    del document["duration_holdout"]
    with pytest.raises(ValidationError) as caught:
        from_dict(SummaryTable, document)
    assert (caught.value.path, caught.value.code) == ("$.duration_holdout", "required")

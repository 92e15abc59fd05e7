"""Predictions from any column: lists, numpy arrays, pandas and polars Series, pyarrow arrays.

The same histories go in as plain lists and as the columns of each library (and as
``array.array`` buffers); :func:`predict` and the models' own methods must give the
very same floats, since every form is read into the same Python numbers before the
arithmetic. Bad columns (unequal lengths, nulls, strings, nested values) are refused
with an error naming the column and the row.
"""

import array

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests._columns_forms import libraries

from crmcore import InvalidType, ValidationError
from crmcore.clv import BetaGeo, GammaGamma, ParetoNBD, customer_lifetime_value
from crmcore.clv.models._predict import predict

FORMS = ["list", "tuple", "array", "numpy", "pandas", "polars", "pyarrow"]
BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
PARETO = ParetoNBD(params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67})
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})


@pytest.fixture(scope="module")
def libs():
    return libraries()


def as_form(libs, form, values, *, whole=False):  # noqa: PLR0911 - one branch per form.
    """``values`` (numbers) as a column of ``form``: ints when ``whole``, floats otherwise."""
    values = [int(value) for value in values] if whole else [float(value) for value in values]
    if form == "list":
        return values
    if form == "tuple":
        return tuple(values)
    if form == "array":
        return array.array("q" if whole else "d", values)
    if form == "numpy":
        return libs["numpy"].array(values, dtype="int64" if whole else "float64")
    if form == "pandas":
        return libs["pandas"].Series(values, dtype="int64" if whole else "float64")
    if form == "polars":
        pl = libs["polars"]
        return pl.Series(values, dtype=pl.Int64 if whole else pl.Float64)
    pa = libs["pyarrow"]
    return pa.array(values, type=pa.int64() if whole else pa.float64())


@st.composite
def histories(draw):
    """(frequency, recency, T, monetary value) rows a BG/NBD model takes."""
    size = draw(st.integers(1, 12))
    rows = []
    for _ in range(size):
        age = draw(st.integers(0, 80)) + draw(st.sampled_from([0.0, 0.25, 0.5]))
        frequency = draw(st.integers(0, 9))
        recency = 0.0 if frequency == 0 else draw(st.floats(0, age, allow_nan=False))
        spend = 0.0 if frequency == 0 else draw(st.floats(0.5, 500, allow_nan=False))
        rows.append((frequency, recency, age, spend))
    return rows


def columns_of(libs, form, rows):
    frequency, recency, age, spend = (list(column) for column in zip(*rows, strict=True))
    return {
        "customer_id": list(range(len(rows))),
        "frequency": as_form(libs, form, frequency, whole=True),
        "recency": as_form(libs, form, recency),
        "T": as_form(libs, form, age),
        "monetary_value": as_form(libs, form, spend),
    }


def listed(values):
    return [float(value) for value in values]


@given(histories(), st.sampled_from(FORMS), st.sampled_from([BG, PARETO]))
def test_every_form_predicts_like_lists(libs, rows, form, model):
    plain = columns_of(libs, "list", rows)
    other = columns_of(libs, form, rows)
    options = {"t": 10, "spend_model": GG, "horizon": 12, "discount_rate": 0.01}
    assert predict(model, other, **options) == predict(model, plain, **options)
    names = ("frequency", "recency", "T")
    assert listed(model.probability_alive(*(other[name] for name in names))) == (
        model.probability_alive(*(plain[name] for name in names))
    )
    assert listed(model.expected_purchases(10, *(other[name] for name in names))) == (
        model.expected_purchases(10, *(plain[name] for name in names))
    )
    names = ("frequency", "recency", "T", "monetary_value")
    value = {"horizon": 12, "discount_rate": 0.01}
    assert listed(customer_lifetime_value(model, GG, *(other[n] for n in names), **value)) == (
        customer_lifetime_value(model, GG, *(plain[n] for n in names), **value)
    )


def test_a_worked_example_by_hand(libs):
    """P(alive) of a customer without repeat purchases is 1 under BG/NBD, in every form."""
    for form in FORMS:
        columns = {
            "frequency": as_form(libs, form, [0, 0], whole=True),
            "recency": as_form(libs, form, [0, 0]),
            "T": as_form(libs, form, [5, 30]),
        }
        assert predict(BG, columns)["probability_alive"] == [1.0, 1.0], form


def error_of(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return [(problem.path, problem.code) for problem in caught.value.problems]


def test_nulls_are_refused_with_their_row(libs):
    pa, pl, pd = libs["pyarrow"], libs["polars"], libs["pandas"]
    good = [1.0, 2.0, 3.0]
    for recency in (
        [0.0, None, 1.0],
        pa.array([0.0, None, 1.0]),
        pl.Series([0.0, None, 1.0]),
        pd.Series([0, None, 1], dtype="Int64"),
    ):
        columns = {"frequency": [1, 1, 1], "recency": recency, "T": good}
        assert error_of(lambda columns=columns: predict(BG, columns)) == [
            ("$.histories.recency[1]", "required")
        ]
        assert error_of(lambda recency=recency: BG.probability_alive([1, 1, 1], recency, good)) == [
            ("$.recency[1]", "required")
        ]
    # NaN is a number that is not finite, as before.
    nan = pd.Series([0.0, float("nan"), 1.0])
    assert error_of(lambda: BG.probability_alive([1, 1, 1], nan, good)) == [
        ("$.recency[1]", "not_finite")
    ]


def test_strings_and_nested_values_are_refused_with_their_row(libs):
    pa, pl, np = libs["pyarrow"], libs["polars"], libs["numpy"]
    good = [1.0, 2.0]
    for recency, code in (
        (pl.Series(["0", "1"]), "type"),
        (pa.array(["0", "1"]), "type"),
        (np.array(["0", "1"]), "type"),
        (pa.array([[0.0], [1.0]]), "type"),
        (pl.Series([[0.0], [1.0]]), "type"),
    ):
        with pytest.raises(InvalidType) as caught:
            BG.probability_alive([1, 1], recency, good)
        assert [(p.path, p.code) for p in caught.value.problems] == [
            ("$.recency[0]", code),
            ("$.recency[1]", code),
        ]
    # A two-dimensional array is a column of rows: each row is named as no number.
    with pytest.raises(InvalidType) as caught:
        predict(BG, {"frequency": [1, 1], "recency": np.zeros((2, 1)), "T": good})
    assert caught.value.problems[0].path == "$.histories.recency[0]"


def test_unequal_lengths_are_refused(libs):
    pl, pa = libs["polars"], libs["pyarrow"]
    columns = {"frequency": pl.Series([1, 1]), "recency": pa.array([0.0]), "T": [1.0, 2.0]}
    assert error_of(lambda: predict(BG, columns)) == [("$.histories.recency", "length_mismatch")]
    ids = {"frequency": [1], "recency": [0.0], "T": [1.0], "customer_id": pl.Series(["a", "b"])}
    assert error_of(lambda: predict(BG, ids)) == [("$.histories.customer_id", "length_mismatch")]


def test_ids_pass_through_from_any_column(libs):
    pl, pa = libs["polars"], libs["pyarrow"]
    base = {"frequency": [0, 0], "recency": [0.0, 0.0], "T": [1.0, 2.0]}
    for ids in (pl.Series(["a", "b"]), pa.array(["a", "b"]), ("a", "b")):
        assert predict(BG, {**base, "customer_id": ids})["customer_id"] == ["a", "b"]


def test_iterables_that_are_no_columns_still_read_item_by_item():
    assert BG.probability_alive(iter([0, 0]), (x for x in [0.0, 0.0]), [1.0, 2.0]) == [1.0, 1.0]


def test_sized_iterables_without_a_column_form_read_item_by_item():
    recency = {"a": 0.0, "b": 0.0}.values()
    assert BG.probability_alive([0, 0], recency, [1.0, 2.0]) == [1.0, 1.0]

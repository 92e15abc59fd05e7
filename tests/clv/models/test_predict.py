"""Tests for `crmcore.clv.models._predict`: the batch prediction call."""

import importlib.util
from datetime import UTC, datetime

import pytest
from tests._optional import in_ci

from crmcore import InvalidType, ValidationError
from crmcore.clv import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ParetoNBD,
    customer_lifetime_value,
    predict,
    summarize,
)

BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
PARETO = ParetoNBD(params={"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
BGBB = BetaGeoBetaBinom(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
COLUMNS = {
    "customer_id": ["a", "b", "c", "d"],
    "frequency": [2, 0, 2, 5],
    "recency": [30.43, 0.0, 30.43, 20.0],
    "T": [38.86, 38.86, 38.86, 30.0],
    "monetary_value": [22.35, 0.0, 22.35, 50.0],
}
HISTORY = [COLUMNS[k] for k in ("frequency", "recency", "T")]


@pytest.mark.parametrize("model", [BG, PARETO], ids=["BetaGeo", "ParetoNBD"])
@pytest.mark.parametrize("backend", ["python", "auto"])
def test_the_batch_equals_the_single_calls(model, backend):
    """Every column equals the call that computes it alone."""
    out = predict(
        model,
        COLUMNS,
        t=39,
        spend_model=GG,
        horizon=52,
        discount_rate=0.002,
        margin=0.3,
        backend=backend,
    )
    assert COLUMNS["customer_id"] == out["customer_id"]
    assert model.probability_alive(*HISTORY, backend="python") == out["probability_alive"]
    assert model.expected_purchases(39, *HISTORY, backend="python") == out["expected_purchases"]
    assert (
        GG.expected_average_spend(COLUMNS["frequency"], COLUMNS["monetary_value"])
        == out["expected_average_spend"]
    )
    value = customer_lifetime_value(
        model,
        GG,
        *HISTORY,
        COLUMNS["monetary_value"],
        horizon=52,
        discount_rate=0.002,
        margin=0.3,
        backend="python",
    )
    assert value == out["customer_lifetime_value"]


def test_only_what_is_asked_for_is_returned():
    """P(alive) always; the rest with t, a spend model, a horizon; ids when there are some."""
    columns = {k: v for k, v in COLUMNS.items() if k != "customer_id"}
    assert ["probability_alive"] == list(predict(BG, columns))
    assert ["probability_alive", "expected_purchases"] == list(predict(BG, columns, t=4))
    assert ["customer_id", "probability_alive", "expected_average_spend"] == list(
        predict(BG, COLUMNS, spend_model=GG)
    )


def test_a_summary_table_is_read_with_its_ids():
    """A SummaryTable in: its customers, in its order, with their predictions."""
    utc = UTC
    table = summarize(
        [
            ("ann", datetime(2024, 1, 1, tzinfo=utc), "10"),
            ("bob", datetime(2024, 1, 3, tzinfo=utc), "12"),
            ("ann", datetime(2024, 1, 15, tzinfo=utc), "20"),
            ("ann", datetime(2024, 2, 1, tzinfo=utc), "30"),
        ],
        period="day",
        unit="week",
        observation_end=datetime(2024, 3, 1, tzinfo=utc),
    )
    out = predict(BG, table, t=4, spend_model=GG, horizon=8, discount_rate=0.0)
    assert ["ann", "bob"] == out["customer_id"]
    columns = table.to_columns()
    assert out == predict(BG, columns, t=4, spend_model=GG, horizon=8, discount_rate=0.0)


def test_bgbb_reads_periods_or_t():
    """BG/BB reads ``periods``, or ``T`` when there is none (as in a summary table)."""
    history = {"frequency": [0, 2, 6], "recency": [0, 4, 6], "periods": [6, 6, 6]}
    out = predict(BGBB, history, t=5)
    assert BGBB.probability_alive([0, 2, 6], [0, 4, 6], 6) == out["probability_alive"]
    assert BGBB.expected_purchases(5, [0, 2, 6], [0, 4, 6], 6) == out["expected_purchases"]
    as_t = {"frequency": [0, 2, 6], "recency": [0, 4, 6], "T": [6, 6, 6]}
    assert out == predict(BGBB, as_t, t=5)
    with pytest.raises(ValidationError) as caught:
        predict(BGBB, as_t, t=2.5)
    assert ("$.t", "not_whole") == (caught.value.path, caught.value.code)


def test_any_frame_of_columns_is_read():
    """Anything with keys() and [] (a pandas DataFrame, say) is read like a mapping."""

    class Frame:
        def __init__(self, columns):
            self._columns = columns

        def keys(self):
            return self._columns.keys()

        def __contains__(self, key):
            return key in self._columns

        def __getitem__(self, key):
            return self._columns[key]

    assert predict(BG, Frame(COLUMNS), t=3) == predict(BG, COLUMNS, t=3)


@pytest.mark.parametrize(
    ("columns", "path", "code"),
    [
        (
            {**COLUMNS, "recency": [30.43, 0.0, 50.0, 20.0]},
            "$.histories.recency[2]",
            "recency_above_T",
        ),
        ({**COLUMNS, "frequency": [2, 0, "x", 5]}, "$.histories.frequency[2]", "type"),
        (
            {**COLUMNS, "monetary_value": [1.0, 0.0, float("nan"), 1.0]},
            "$.histories.monetary_value[2]",
            "not_finite",
        ),
        ({k: v for k, v in COLUMNS.items() if k != "T"}, "$.histories.T", "required"),
        ({**COLUMNS, "customer_id": ["a"]}, "$.histories.customer_id", "length_mismatch"),
        ({**COLUMNS, "customer_id": "abcd"}, "$.histories.customer_id", "type"),
    ],
)
def test_bad_columns_are_named_under_histories(columns, path, code):
    """A bad column value is named under $.histories, never echoed."""
    with pytest.raises(ValidationError) as caught:
        predict(BG, columns, spend_model=GG)
    assert (path, code) == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("arguments", "path", "code"),
    [
        ({"purchase_model": GG}, "$.purchase_model", "type"),
        ({"spend_model": BG}, "$.spend_model", "type"),
        ({"histories": [1, 2]}, "$.histories", "type"),
        ({"t": -1}, "$.t", "negative"),
        ({"horizon": 12, "discount_rate": 0.01}, "$.spend_model", "required"),
        ({"horizon": 12, "spend_model": GG}, "$.discount_rate", "required"),
        ({"horizon": 0, "spend_model": GG, "discount_rate": 0.0}, "$.horizon", "too_small"),
        ({"discount_rate": 5}, "$.discount_rate", "not_fraction"),
        ({"margin": 30}, "$.margin", "not_fraction"),
        ({"backend": "gpu"}, "$.backend", "choice"),
    ],
)
def test_bad_options_are_refused(arguments, path, code):
    """Models of the wrong kind and options out of range name their argument."""
    call = {"purchase_model": BG, "histories": COLUMNS, **arguments}
    with pytest.raises(ValidationError) as caught:
        predict(**call)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert isinstance(caught.value, InvalidType) == (code == "type")


def test_numpy_missing_is_refused_at_the_backend(monkeypatch):
    """backend='numpy' without numpy: $.backend, code unavailable (not under $.histories)."""
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)
    with pytest.raises(ValidationError) as caught:
        predict(BG, COLUMNS, backend="numpy")
    assert ("$.backend", "unavailable") == (caught.value.path, caught.value.code)


def test_the_numpy_batch_agrees_with_the_pure_one():
    """Both paths of the batch call agree to 1e-12 (numpy required in CI)."""
    if importlib.util.find_spec("numpy") is None:
        if in_ci():
            pytest.fail("numpy is not installed: CI installs it with the test extra")
        pytest.skip("numpy is not installed")
    for model in (BG, PARETO):
        options = {"t": 39, "spend_model": GG, "horizon": 52, "discount_rate": 0.002}
        pure = predict(model, COLUMNS, **options, backend="python")
        fast = predict(model, COLUMNS, **options, backend="numpy")
        assert pure["customer_id"] == fast["customer_id"]
        for key, values in pure.items():
            if key != "customer_id":
                assert values == pytest.approx(fast[key], rel=1e-12, abs=0)


def test_a_table_whose_columns_are_not_a_mapping_is_refused():
    """to_columns() must give a mapping of columns."""

    class Odd:
        def to_columns(self):
            return [1, 2, 3]

    with pytest.raises(InvalidType) as caught:
        predict(BG, Odd())
    assert "$.histories" == caught.value.path

"""Results as columns: ``to_columns()`` round-trips through pandas and polars DataFrames.

Each DataFrame built from ``to_columns()`` is compared, row by row, with the
fields of the result objects themselves (an independent path); fitted
parameters and diagnostics go through ``json.dumps``. Under ``CI=true`` a
missing pandas or polars fails instead of skipping.
"""

import json
import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tests._optional import in_ci

from crmcore import Money
from crmcore._kernel._numbers import plain_value, rows_to_columns
from crmcore.analytics import cohort_retention, purchase_summary, retention_by_period
from crmcore.clv import (
    BetaGeo,
    BetaGeoCovariates,
    GammaGamma,
    Holdout,
    ModifiedBetaGeo,
    ParetoGGG,
    ParetoNBD,
    compare_models,
    expected_repeat_transactions,
    formula_clv,
    goodness_of_fit,
    holdout_metrics,
    period_errors,
    probability_alive_intervals,
)
from crmcore.segmentation import rfm_values, score_rfm, summarize_segments


def _library(name):
    try:
        return pytest.importorskip(name)
    except pytest.skip.Exception:  # pragma: no cover - installed by the test extra
        if in_ci():
            pytest.fail(f"{name} is not installed: CI installs it with the test extra")
        raise


@pytest.fixture(scope="module", params=["pandas", "polars"])
def frame(request):
    """A function turning columns into a list of row dicts through a real DataFrame."""
    if request.param == "pandas":
        pd = _library("pandas")

        def rows(columns):
            return pd.DataFrame(columns).to_dict("records")

    else:
        pl = _library("polars")

        def rows(columns):
            return pl.DataFrame(columns, strict=False).to_dicts()

    return rows


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is None and isinstance(b, float) and math.isnan(b):
        return True  # pandas shows a missing float as NaN
    if isinstance(a, datetime | type(None)) or not hasattr(a, "__float__"):
        return a == b or str(a) == str(b)
    return float(a) == float(b)


def _check(columns, expected_rows, frame):
    lengths = {len(values) for values in columns.values()}
    assert len(lengths) <= 1
    got = frame(columns)
    assert len(got) == len(expected_rows)
    for row, expected in zip(got, expected_rows, strict=True):
        for name, value in expected.items():
            assert _same(value, _plain(row[name])), name


def _plain(value):
    # pandas hands back numpy scalars and Timestamps; polars Python values.
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, list | tuple):
        return value.item()
    return value


BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
FREQUENCY = [0] * 30 + [1] * 9 + [2] * 4 + [3] * 2 + [5]
T = [38.86] * len(FREQUENCY)


def test_goodness_of_fit_cells(frame):
    result = goodness_of_fit(BG, FREQUENCY, T, parameters=0)
    expected = [
        {"low": c.low, "high": c.high, "observed": c.observed, "expected": c.expected}
        for c in result.cells
    ]
    _check(result.to_columns(), expected, frame)
    assert (
        json.loads(json.dumps(result.to_dict()))["cells"][0]["observed"] == result.cells[0].observed
    )


def test_period_errors_and_holdout_metrics(frame):
    errors = period_errors(BG, [38.86, 20.0, 10.0], [0.1, 0.1, 0.2])
    expected = [
        {"period": p.period, "actual": p.actual, "expected": p.expected} for p in errors.periods
    ]
    _check(errors.to_columns(), expected, frame)
    metrics = holdout_metrics(BG, [2, 0, 5], [30.43, 0, 35.0], [38.86] * 3, [1, 0, 3], 39)
    _check(metrics.to_columns(), [attr_dict(metrics)], frame)
    assert json.loads(json.dumps(metrics.to_dict())) == attr_dict(metrics)


def attr_dict(record):
    import attrs  # noqa: PLC0415

    return {field.name: getattr(record, field.name) for field in attrs.fields(type(record))}


def test_model_comparison_rows_leave_the_models_out(frame):
    data = BetaGeo(params={"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}).simulate(200, 30.0, seed=7)
    holdout = Holdout([0] * 200, 10.0)
    result = compare_models([BetaGeo(), ModifiedBetaGeo()], *data.values(), holdout=holdout)
    expected = [
        {
            "name": s.name,
            "parameters": s.parameters,
            "aic": s.aic,
            "bic": s.bic,
            "log_likelihood": s.log_likelihood,
            "holdout_mean_absolute_error": s.holdout.mean_absolute_error,
            "holdout_correlation": s.holdout.correlation,
        }
        for s in result.scores
    ]
    _check(result.to_columns(), expected, frame)
    no_holdout = result.scores[0].__class__(
        name="x", model=BG, parameters=4, log_likelihood=-1.0, aic=10.0, bic=11.0
    )
    assert no_holdout.to_columns()["holdout_customers"] == [None]
    json.dumps(result.to_dict())  # the scores' to_dict, without the models


def test_tracking_curve_and_intervals(frame):
    curve = expected_repeat_transactions(BG, [0.0, 1.0, 2.5], 4)
    expected = [
        {"period_end": e, "cumulative": c, "incremental": i}
        for e, c, i in zip(curve.period_ends, curve.cumulative, curve.incremental, strict=True)
    ]
    _check(curve.to_columns(), expected, frame)
    fitted = BetaGeo().fit(*BG.simulate(200, 30.0, seed=3).values())
    intervals = probability_alive_intervals(fitted, [1, 0], [20.0, 0.0], [30.0, 30.0])
    columns = rows_to_columns(intervals)
    _check(columns, [attr_dict(i) for i in intervals], frame)


def test_fitted_params_and_diagnostics_are_json_ready():
    data = BG.simulate(300, 30.0, seed=11)
    pareto = ParetoNBD(params={"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7})
    models = [
        BetaGeo().fit(*data.values()),
        ParetoNBD().fit(*pareto.simulate(400, 39.0, seed=5).values()),
    ]
    spend = GammaGamma().fit([1, 2, 3, 1, 4, 2], [10.0, 12.5, 30.0, 8.0, 22.0, 15.0])
    for model in [*models, spend]:
        text = json.dumps({"params": model.params, "diagnostics": model.diagnostics.to_dict()})
        back = json.loads(text)
        assert back["params"] == dict(model.params)
        assert isinstance(model.params, dict)
        assert back["diagnostics"]["converged"] == model.diagnostics.converged
        assert json.loads(json.dumps(model.standard_errors)) == dict(model.standard_errors)
        assert model.params.to_dict() == dict(model.params)
        assert type(model)(params=back["params"]).params == model.params


def test_pareto_ggg_posterior_params_and_summary(frame):
    posterior = ParetoGGG().sample(
        [2, 0, 5], [6.0, 0.0, 9.0], [10.0, 8.0, 10.0], [1.2, 0.0, 2.9],
        seed=1, draws=20, warmup=10, chains=2,
    )  # fmt: skip
    params = json.loads(json.dumps(posterior.params))
    assert params["r"] == pytest.approx(sum(posterior.draws_of("r")) / 40)
    summary = posterior.summary()
    expected = [{"parameter": name, "mean": s.mean, "sd": s.sd} for name, s in summary.items()]
    _check(posterior.to_columns(), expected, frame)


def test_covariate_models_give_plain_dicts():
    model = BetaGeoCovariates(
        params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        coefficients={"purchase[0]": 0.3, "dropout_a[0]": 0.1, "dropout_b[0]": -0.1},
    )
    text = json.dumps({"params": model.params, "coefficients": model.coefficients})
    assert json.loads(text) == {
        "params": dict(model.params),
        "coefficients": dict(model.coefficients),
    }
    assert isinstance(model.coefficients, dict)


def test_params_stay_read_only_and_hashable():
    import copy  # noqa: PLC0415
    import pickle  # noqa: PLC0415

    from crmcore import InvalidType  # noqa: PLC0415

    params = BG.params
    for change in (
        lambda: params.__setitem__("r", 1.0),
        lambda: params.update(r=1.0),
        lambda: params.pop("r"),
        params.clear,
    ):
        with pytest.raises(InvalidType):
            change()
    assert hash(params) == hash(BetaGeo(params=dict(params)).params)
    assert copy.deepcopy(params) is params
    assert copy.copy(params) is params
    assert pickle.loads(pickle.dumps(BG)) == BG  # noqa: S301 - our own bytes
    assert params == dict(params)
    assert params != {"r": 1.0}
    assert params != 3
    assert repr(params) == repr(dict(params))


def _orders():
    usd = lambda amount: Money(amount, "USD")  # noqa: E731
    t = lambda month, day: datetime(2026, month, day, tzinfo=UTC)  # noqa: E731
    return [
        ("a", t(1, 3), usd("10")),
        ("b", t(1, 5), usd("25.50")),
        ("a", t(2, 1), usd("5")),
        ("c", t(2, 9), usd("40")),
        ("a", t(3, 2), usd("12")),
        ("c", t(3, 20), usd("8")),
    ]


def test_cohort_matrix_long_form(frame):
    matrix = cohort_retention(_orders())
    expected = [
        {"cohort": label, "size": size, "offset": k, "active": n, "rate": n / size}
        for label, size, row in zip(matrix.labels, matrix.sizes, matrix.active, strict=True)
        for k, n in enumerate(row)
    ]
    _check(matrix.to_columns(), expected, frame)


def test_analytics_records(frame):
    summary = purchase_summary(_orders())
    _check(
        summary.to_columns(),
        [{"orders": 6, "customers": 3, "revenue": summary.revenue.amount, "currency": "USD"}],
        frame,
    )
    assert json.loads(json.dumps(summary.to_dict()))["revenue"] == float(summary.revenue.amount)
    periods = retention_by_period(_orders())
    _check(rows_to_columns(periods), [attr_dict(p) for p in periods], frame)


def test_rfm_records(frame):
    at = datetime(2026, 4, 1, tzinfo=UTC)
    scores = score_rfm(rfm_values(_orders(), at=at))
    expected = [
        {"customer_id": str(plain_value(s.customer_id)), "r": s.r, "f": s.f, "m": s.m,
         "monetary": s.monetary.amount, "currency": "USD"}
        for s in scores
    ]  # fmt: skip
    _check(rows_to_columns(scores), expected, frame)
    segments = summarize_segments(scores)
    rows = [
        {"segment": str(s.segment), "customers": s.customers, "share": s.share} for s in segments
    ]
    _check(rows_to_columns(segments), rows, frame)


def test_formula_clv_one_row(frame):
    clv = formula_clv(
        Money("50", "USD"), purchases_per_year=2.5, retention_years=2, gross_margin=0.3
    )
    _check(
        {k: v for k, v in clv.to_columns().items() if k != "yearly_values"},
        [{"net_value": clv.net_value.amount, "gross_margin": Decimal("0.3"), "currency": "USD"}],
        frame,
    )
    assert json.loads(json.dumps(clv.to_dict()))["yearly_values"] == [
        float(v.amount) for v in clv.yearly_values
    ]


def test_posterior_params_and_summary(frame):
    from crmcore.clv import sample_posterior  # noqa: PLC0415

    data = BG.simulate(60, 30.0, seed=2)
    posterior = sample_posterior(BetaGeo(), data, seed=4, draws=20, warmup=20, chains=2)
    params = json.loads(json.dumps(posterior.params))
    assert params["r"] == pytest.approx(sum(posterior.draws_of("r")) / len(posterior.draws_of("r")))
    expected = [
        {"parameter": name, "mean": s.mean, "r_hat": s.r_hat}
        for name, s in posterior.summary().items()
    ]
    _check(posterior.to_columns(), expected, frame)


def test_profitability_tables(frame):
    from crmcore import InvalidType, ValidationError  # noqa: PLC0415
    from crmcore.analytics import profitability  # noqa: PLC0415
    from crmcore.catalog import Product, ProductId  # noqa: PLC0415
    from crmcore.commerce import Order, OrderId, OrderLine  # noqa: PLC0415
    from crmcore.customers import CustomerId  # noqa: PLC0415

    at = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    tea = Product.create(
        ProductId("tea"), sku="TEA-1", name="Tea", family="drinks",
        standard_cost=Money("4.00", "USD"), at=at,
    )  # fmt: skip
    order = Order.place(
        OrderId("o-1"),
        customer_id=CustomerId("ana"),
        lines=[OrderLine(ProductId("tea"), 3, Money("10.00", "USD"), category="tea")],
        at=at,
    )
    result = profitability([order], [tea])
    for level in ("products", "families", "customers", "totals"):
        rows = getattr(result, level)
        expected = [
            {"revenue": r.revenue.amount, "margin": r.margin.amount, "margin_rate": r.margin_rate}
            for r in rows
        ]
        _check(result.to_columns(level), expected, frame)
    assert result.to_columns()["product_id"] == ["tea"]  # the id's text
    with pytest.raises(ValidationError):
        result.to_columns("lines")
    with pytest.raises(InvalidType):
        result.to_columns(3)

"""Time-invariant covariates in Pareto/NBD and BG/NBD (Fader & Hardie 2007, note 019).

No published fit with covariates was found for these models (the note derives
the likelihood only), so the checks are: the analytic gradient against
finite differences in every region; the likelihood against the models without
covariates evaluated at each customer's own parameters; the reduction to
crmcore's BetaGeo and ParetoNBD when no covariate is used; the mapping back
from the standardized fit (rescaling a covariate rescales its coefficient);
recovery of known parameters from seeded simulations; and CDNOW with the
(log) amount of the first purchase as covariate, against our own figures.
"""

import collections
import csv
import math
import random

import pytest

from crmcore.clv import BetaGeo, ParetoNBD
from crmcore.clv.models import ConvergenceError, LogNormalPrior, ModelError, NotFittedError
from crmcore.clv.models._covariates import BetaGeoCovariates, ParetoNBDCovariates, covariate_rows
from crmcore.clv.models._covariates_likelihood import Design, Objective
from crmcore.errors import InvalidType, ValidationError

MODELS = {"bgnbd": BetaGeoCovariates, "pareto": ParetoNBDCovariates}
BASES = {"bgnbd": BetaGeo, "pareto": ParetoNBD}

# Histories with repeats, x = 0, t_x = T, a newcomer (T = 0) and a frequency above the
# BG/NBD's short-sum limit (64).
HISTORIES = [
    (0, 0.0, 38.0),
    (2, 30.43, 38.86),
    (1, 1.71, 38.86),
    (5, 20.0, 20.0),
    (0, 0.0, 0.0),
    (70, 35.0, 39.0),
    (3, 3.0, 12.0),
    (0, 0.0, 5.0),
]
Z = [
    [0.3, -1.0],
    [1.2, 0.5],
    [-0.7, 2.0],
    [0.0, 0.0],
    [2.5, -0.4],
    [0.1, 1.1],
    [-1.5, 0.3],
    [0.9, -2.2],
]


def objective(kind, rows, z, selections, weights=None):
    """The standardized objective of a fit, built the way ``fit`` builds it."""
    cls = MODELS[kind]
    w = weights or [1.0] * len(rows)
    full = [(*h, *zz) for h, zz in zip(rows, z, strict=True)]
    used = sorted({*selections["purchase"], *selections["dropout"]})
    moments = dict.fromkeys(used, (0.0, 1.0))  # no standardization: plain coefficients
    design = Design(full, w, cls._links, selections, moments)
    sizes = [len(selections[process]) for _, _, _, process in cls._links]
    return Objective(design, cls._names, cls._links, sizes, cls()._row_terms, 0.0, [1.0] * 4)


def numeric_gradient(fun, x, step=1e-6):
    out = []
    for k in range(len(x)):
        up = list(x)
        down = list(x)
        up[k] += step
        down[k] -= step
        out.append((fun(up)[0] - fun(down)[0]) / (2.0 * step))
    return out


POINTS = {
    # (log base parameters, coefficients) per model; the last Pareto points put
    # |alpha - beta| far above min(alpha, beta) + t, where the tail is a quadrature.
    "bgnbd": [
        [
            math.log(0.24),
            math.log(4.4),
            math.log(0.79),
            math.log(2.4),
            0.3,
            -0.2,
            0.5,
            0.1,
            -0.4,
            0.2,
        ],
        [
            math.log(1.5),
            math.log(0.5),
            math.log(3.0),
            math.log(0.4),
            -0.8,
            0.6,
            0.0,
            0.7,
            0.2,
            -0.5,
        ],
    ],
    "pareto": [
        [math.log(0.55), math.log(10.6), math.log(0.61), math.log(11.7), 0.3, -0.2, 0.5, 0.1],
        [math.log(0.6), math.log(200.0), math.log(0.7), math.log(0.5), 0.4, 0.3, -0.6, 0.2],
        [math.log(2.0), math.log(0.3), math.log(1.5), math.log(80.0), -0.5, 0.2, 0.4, -0.3],
    ],
}
SELECTIONS = {"purchase": (0, 1), "dropout": (0, 1)}


@pytest.mark.parametrize(
    ("kind", "point"), [(k, p) for k, points in POINTS.items() for p in points]
)
def test_the_analytic_gradient_matches_finite_differences(kind, point):
    fun = objective(kind, HISTORIES, Z, SELECTIONS)
    value, grad = fun(point)
    assert math.isfinite(value)
    numeric = numeric_gradient(fun, point)
    for g, n in zip(grad, numeric, strict=True):
        assert abs(g - n) <= 1e-6 * max(1.0, abs(n)), (grad, numeric)


@pytest.mark.parametrize(
    ("kind", "point"), [(k, p) for k, points in POINTS.items() for p in points]
)
def test_the_likelihood_is_the_base_models_at_each_customers_parameters(kind, point):
    """Fader & Hardie (2007): given z_i, the likelihood is the base model's at theta_i."""
    fun = objective(kind, HISTORIES, Z, SELECTIONS)
    cls = MODELS[kind]
    names = cls._names
    coefficients = {}
    at = 4
    for group, _, _, process in cls._links:
        for j in SELECTIONS[process]:
            coefficients[f"{group}[{j}]"] = point[at]
            at += 1
    model = cls(
        params=dict(zip(names, (math.exp(v) for v in point[:4]), strict=True)),
        coefficients=coefficients,
    )
    total = 0.0
    for history, z in zip(HISTORIES, Z, strict=True):
        own = model.customer_params(z)
        base = BASES[kind]()._objective([history], [1.0])
        total += base([math.log(own[n]) for n in names])[0]
    assert fun(point)[0] == pytest.approx(total, rel=1e-12)


@pytest.mark.parametrize("kind", list(MODELS))
def test_without_covariates_the_fit_is_the_base_models(kind):
    x, t_x, t = (list(c) for c in zip(*HISTORIES[:4], (1, 5.0, 30.0), (4, 10.0, 25.0), strict=True))
    base = BASES[kind]().fit(x, t_x, t)
    for covariates, options in [
        (None, {}),
        (Z[:6], {"purchase_covariates": (), "dropout_covariates": ()}),
    ]:
        model = MODELS[kind]().fit(x, t_x, t, covariates, **options)
        assert model.coefficients == {}
        for name in base.params:
            assert model.params[name] == pytest.approx(base.params[name], rel=1e-6)
            assert model.standard_errors[name] == pytest.approx(
                base.standard_errors[name], rel=1e-3
            )
        assert model.log_likelihood == pytest.approx(base.log_likelihood, rel=1e-10)


@pytest.mark.parametrize("kind", list(MODELS))
def test_predictions_are_the_base_models_at_each_customers_parameters(kind):
    cls = MODELS[kind]
    names = cls._names
    groups = [link[0] for link in cls._links]
    model = cls(
        params=dict(zip(names, (0.5, 6.0, 0.9, 2.5), strict=True)),
        coefficients={
            f"{g}[{j}]": 0.2 * (k + 1) * (-1) ** j for k, g in enumerate(groups) for j in (0, 1)
        },
    )
    x, t_x, t = (list(c) for c in zip(*HISTORIES, strict=True))
    rows = Z
    alive = model.probability_alive(x, t_x, t, rows)
    expected = model.expected_purchases(10, x, t_x, t, rows)
    for i, row in enumerate(rows):
        own = BASES[kind](params=model.customer_params(row))
        assert model.customer_model(row) == own
        assert alive[i] == own.probability_alive(*HISTORIES[i])
        assert expected[i] == own.expected_purchases(10, *HISTORIES[i])
        assert model.probability_alive(*HISTORIES[i], row) == alive[i]
        assert model.expected_purchases_new(20, row) == own.expected_purchases_new(20)
    # Coefficients of 0: every prediction is the base model's at the base parameters.
    zero = cls(params=model.params, coefficients=dict.fromkeys(model.coefficients, 0.0))
    plain = BASES[kind](params=model.params)
    assert zero.probability_alive(x, t_x, t, rows) == plain.probability_alive(x, t_x, t)
    assert zero.expected_purchases(10, x, t_x, t, rows) == plain.expected_purchases(10, x, t_x, t)


def test_the_links_follow_the_note():
    """alpha_i = alpha0 e^{-g1 z}, beta_i = beta0 e^{-g2 z}; a_i = a0 e^{g2 z}, b_i = b0 e^{g3 z}."""
    pareto = ParetoNBDCovariates(
        params={"r": 1.0, "alpha": 2.0, "s": 3.0, "beta": 4.0},
        coefficients={"purchase[0]": 0.5, "dropout[1]": -0.25},
    )
    own = pareto.customer_params([2.0, 4.0])
    assert own == {"r": 1.0, "alpha": 2.0 * math.exp(-1.0), "s": 3.0, "beta": 4.0 * math.exp(1.0)}
    bg = BetaGeoCovariates(
        params={"r": 1.0, "alpha": 2.0, "a": 3.0, "b": 4.0},
        coefficients={"purchase[0]": 0.5, "dropout_a[0]": 0.25, "dropout_b[0]": -0.5},
    )
    own = bg.customer_params([2.0])
    assert own == {
        "r": 1.0,
        "alpha": 2.0 * math.exp(-1.0),
        "a": 3.0 * math.exp(0.5),
        "b": 4.0 * math.exp(-1.0),
    }
    assert bg.covariate_count == 1
    assert pareto.estimate_names == ("r", "alpha", "s", "beta", "purchase[0]", "dropout[1]")


def simulated(cls, params, coefficients, n, seed, *, dropout=(1,)):
    rng = random.Random(seed)  # noqa: S311 - a seeded simulation.
    z = [[float(rng.random() < 0.4), rng.gauss(0.0, 1.0)] for _ in range(n)]
    ages = [rng.uniform(20.0, 40.0) for _ in range(n)]
    truth = cls(params=params, coefficients=coefficients)
    data = truth.simulate(z, ages, seed=seed + 1)
    model = cls().fit(data["frequency"], data["recency"], data["T"], z, dropout_covariates=dropout)
    return truth, model


def within(truth, model, sigmas=3.0):
    for name in truth.params:
        assert (
            abs(model.params[name] - truth.params[name]) <= sigmas * model.standard_errors[name]
        ), name
    for name, value in truth.coefficients.items():
        error = model.coefficient_standard_errors[name]
        assert abs(model.coefficients[name] - value) <= sigmas * error, name


def test_bgnbd_recovers_simulated_parameters():
    truth, model = simulated(
        BetaGeoCovariates,
        {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5},
        {"purchase[0]": 0.6, "purchase[1]": -0.3, "dropout_a[1]": 0.4, "dropout_b[1]": -0.3},
        3000,
        11,
    )
    within(truth, model)
    intervals = model.coefficient_intervals()
    assert intervals["purchase[0]"].lower < 0.6 < intervals["purchase[0]"].upper
    assert model.parameter_intervals()["r"].lower < 0.5 < model.parameter_intervals()["r"].upper


@pytest.mark.slow
def test_pareto_nbd_recovers_simulated_parameters():
    truth, model = simulated(
        ParetoNBDCovariates,
        {"r": 0.5, "alpha": 5.0, "s": 0.8, "beta": 10.0},
        {"purchase[0]": 0.6, "purchase[1]": -0.3, "dropout[1]": 0.5},
        1200,
        21,
    )
    within(truth, model)


@pytest.mark.parametrize("kind", list(MODELS))
def test_rescaling_a_covariate_rescales_its_coefficient(kind):
    """The fit is standardized internally; the answer is in the covariates' own units."""
    rng = random.Random(5)  # noqa: S311 - a seeded simulation.
    cls = MODELS[kind]
    truth = cls(
        params=dict(zip(cls._names, (0.7, 4.0, 0.9, 3.0), strict=True)),
        coefficients={f"{link[0]}[0]": 0.3 for link in cls._links},
    )
    z = [[rng.gauss(0.0, 1.0)] for _ in range(400)]
    data = truth.simulate(z, 30.0, seed=3)
    history = (data["frequency"], data["recency"], data["T"])
    plain = cls().fit(*history, z)
    shifted = cls().fit(*history, [[1000.0 * row[0] + 50.0] for row in z])
    assert shifted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-9)
    for name, value in plain.coefficients.items():
        assert 1000.0 * shifted.coefficients[name] == pytest.approx(value, rel=1e-5)
        error = 1000.0 * shifted.coefficient_standard_errors[name]
        assert error == pytest.approx(plain.coefficient_standard_errors[name], rel=1e-3)
    for row in ([0.5], [-1.0]):
        moved = [1000.0 * row[0] + 50.0]
        for name, value in plain.customer_params(row).items():
            assert shifted.customer_params(moved)[name] == pytest.approx(value, rel=1e-5)


def test_a_fit_restarts_from_given_or_fitted_parameters():
    x, t_x, t = (list(c) for c in zip(*HISTORIES, strict=True))
    first = BetaGeoCovariates().fit(x, t_x, t, Z, purchase_covariates=[0], dropout_covariates=())
    again = first.fit(x, t_x, t, Z, purchase_covariates=[0], dropout_covariates=())
    assert again.diagnostics.iterations <= 3
    assert again.log_likelihood == pytest.approx(first.log_likelihood, rel=1e-10)
    start = {**first.params, **first.coefficients}
    given = BetaGeoCovariates().fit(
        x, t_x, t, Z, purchase_covariates=[0], dropout_covariates=(), initial_params=start
    )
    assert given.log_likelihood == pytest.approx(first.log_likelihood, rel=1e-10)


def test_penalizer_and_priors_pull_the_fit():
    x, t_x, t = (list(c) for c in zip(*HISTORIES, strict=True))
    plain = BetaGeoCovariates().fit(x, t_x, t, Z, dropout_covariates=(), require_convergence=False)
    ridge = BetaGeoCovariates().fit(
        x, t_x, t, Z, dropout_covariates=(), penalizer=1.0, require_convergence=False
    )
    assert sum(v * v for v in ridge.coefficients.values()) < sum(
        v * v for v in plain.coefficients.values()
    )
    assert ridge.log_likelihood < plain.log_likelihood  # the unpenalized likelihood is reported
    prior = BetaGeoCovariates().fit(
        x,
        t_x,
        t,
        Z,
        dropout_covariates=(),
        priors={"r": LogNormalPrior(math.log(5.0), 0.01)},
        require_convergence=False,
    )
    # The prior acts on the r of an average customer; r is shared by every customer.
    assert prior.params["r"] == pytest.approx(5.0, rel=0.05)


# -- CDNOW -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_with_first_spend(reference_data):
    """CDNOW's 2,357 customers (39-week calibration) with log(1 + first purchase amount)."""
    with reference_data("cdnow", "cdnow_customers_summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    first: dict[int, float] = {}
    with reference_data("cdnow", "CDNOW_sample.txt").open() as handle:
        for line in handle:
            parts = line.split()
            first.setdefault(int(parts[1]), float(parts[4]))
    return (
        [float(r["frequency"]) for r in rows],
        [float(r["recency"]) for r in rows],
        [float(r["T"]) for r in rows],
        [[math.log1p(first[int(r["ID"])])] for r in rows],
    )


# Without covariates (Fader, Hardie & Lee 2005; Fader & Hardie 2005 note 009).
CDNOW_BASE_LL = {"bgnbd": -9582.4, "pareto": -9595.0}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MODELS))
def test_cdnow_with_the_first_purchase_as_covariate(kind, cdnow_with_first_spend):
    """No published estimates with covariates exist for CDNOW: the fit is checked independently.

    The reported log-likelihood is recomputed as the sum of the base model's
    own likelihood at each customer's parameters (Fader & Hardie 2007), the
    covariate must improve on the base model's published maximum, and a bigger
    first purchase must mean more purchases, clearly so.
    """
    x, t_x, t, z = cdnow_with_first_spend
    model = MODELS[kind]().fit(x, t_x, t, z)
    assert model.diagnostics.converged
    names = MODELS[kind]._names
    groups: collections.Counter[tuple[float, ...]] = collections.Counter(
        (a, b, c, *row) for a, b, c, row in zip(x, t_x, t, z, strict=True)
    )
    total = 0.0
    for (a, b, c, *row), count in groups.items():
        own = model.customer_params(row)
        base = BASES[kind]()._objective([(a, b, c)], [float(count)])
        total -= base([math.log(own[n]) for n in names])[0]
    assert model.log_likelihood == pytest.approx(total, rel=1e-10)
    assert model.log_likelihood > CDNOW_BASE_LL[kind] + 10.0  # the covariate helps
    interval = model.coefficient_intervals()["purchase[0]"]
    assert interval.lower > 0.0


# -- bad input ---------------------------------------------------------------------------------


def fit_with(covariates, **options):
    x, t_x, t = (list(c) for c in zip(*HISTORIES, strict=True))
    return BetaGeoCovariates().fit(x, t_x, t, covariates, **options)


@pytest.mark.parametrize(
    ("covariates", "options", "error", "path", "code"),
    [
        (Z[:5], {}, ValidationError, "$.covariates", "length_mismatch"),
        ([*Z[:3], [1.0], *Z[4:]], {}, ValidationError, "$.covariates[3]", "shape"),
        (
            [*Z[:3], [1.0, math.nan], *Z[4:]],
            {},
            ValidationError,
            "$.covariates[3][1]",
            "not_finite",
        ),
        (
            [*Z[:3], [1.0, math.inf], *Z[4:]],
            {},
            ValidationError,
            "$.covariates[3][1]",
            "not_finite",
        ),
        ([*Z[:2], [1.0, "x"], *Z[3:]], {}, InvalidType, "$.covariates[2][1]", None),
        ([*Z[:2], "ab", *Z[3:]], {}, InvalidType, "$.covariates[2]", None),
        ("abc", {}, InvalidType, "$.covariates", None),
        ([[v[0], 7.0] for v in Z], {}, ValidationError, "$.covariates[*][1]", "constant"),
        (
            [[v[0], 2.0 * v[0] + 1.0] for v in Z],
            {},
            ValidationError,
            "$.covariates[*][1]",
            "collinear",
        ),
        (Z, {"purchase_covariates": [2]}, ValidationError, "$.purchase_covariates[0]", "range"),
        (
            Z,
            {"dropout_covariates": [0, 0]},
            ValidationError,
            "$.dropout_covariates[1]",
            "duplicate",
        ),
        (Z, {"dropout_covariates": ["0"]}, InvalidType, "$.dropout_covariates[0]", None),
        (Z, {"dropout_covariates": 0}, InvalidType, "$.dropout_covariates", None),
        (
            Z,
            {"priors": {"purchase[0]": LogNormalPrior(0.0, 1.0)}},
            ValidationError,
            "$.priors",
            "parameters",
        ),
        (Z, {"initial_params": {"r": 1.0}}, ValidationError, "$.initial_params", "parameters"),
        (
            Z,
            {
                "initial_params": {"r": 1, "alpha": 1, "a": 1, "b": 1, "dropout_b[0]": 0.1},
                "dropout_covariates": (),
            },
            ValidationError,
            "$.initial_params",
            "parameters",
        ),
        (
            Z,
            {"initial_params": {"r": 1, "alpha": 1, "a": 1, "b": 1, "purchase[x]": 0.1}},
            ValidationError,
            "$.initial_params",
            "parameters",
        ),
        (Z, {"initial_params": [1.0]}, InvalidType, "$.initial_params", None),
        (Z, {"penalizer": -1.0}, ValidationError, "$.penalizer", "negative"),
    ],
)
def test_bad_fit_input_is_refused_with_its_path(covariates, options, error, path, code):
    with pytest.raises(error) as caught:
        fit_with(covariates, **options)
    assert caught.value.problems[0].path == path
    if code is not None:
        assert caught.value.problems[0].code == code
    assert "nan" not in str(caught.value).lower().replace("not nan", "")


def test_a_column_is_refused_only_by_the_process_it_enters():
    # Column 1 is constant, but no process uses it: the fit goes ahead.
    model = fit_with(
        [[v[0], 7.0] for v in Z],
        purchase_covariates=[0],
        dropout_covariates=[0],
        require_convergence=False,
    )
    assert set(model.coefficients) == {"purchase[0]", "dropout_a[0]", "dropout_b[0]"}
    assert model.covariate_count == 2
    # Collinear columns split over the two processes are identified.
    collinear = [[v[0], 2.0 * v[0] + 1.0] for v in Z]
    split = fit_with(
        collinear, purchase_covariates=[0], dropout_covariates=[1], require_convergence=False
    )
    assert split.covariate_count == 2


def test_bad_prediction_input_is_refused_with_its_path():
    model = ParetoNBDCovariates(
        params={"r": 0.5, "alpha": 5.0, "s": 0.8, "beta": 10.0},
        coefficients={"purchase[0]": 0.5, "dropout[1]": 0.1},
    )
    cases = [
        (lambda: model.probability_alive(1, 2.0, 3.0, [1.0]), "$.covariates", "shape"),
        (
            lambda: model.probability_alive(1, 2.0, 3.0, [1.0, math.nan]),
            "$.covariates[1]",
            "not_finite",
        ),
        (
            lambda: model.probability_alive([1, 2], [2.0, 2.0], [3.0, 3.0], [[1.0, 0.0]]),
            "$.covariates",
            "length_mismatch",
        ),
        (
            lambda: model.probability_alive([1, 2], [2.0, 2.0], [3.0, 3.0], [[1.0, 0.0], [1.0]]),
            "$.covariates[1]",
            "shape",
        ),
        (
            lambda: model.probability_alive([1], [2.0], [3.0], [[1.0, 0.0, 2.0]]),
            "$.covariates[0]",
            "shape",
        ),
        (lambda: model.expected_purchases(-1, 1, 2.0, 3.0, [1.0, 0.0]), "$.t", "negative"),
        (lambda: model.customer_params([1.0]), "$.covariates", "shape"),
        (lambda: model.simulate([[1.0]], 10.0, seed=1), "$.covariates[0]", "shape"),
        (lambda: model.simulate([], 10.0, seed=1), "$.covariates", "empty"),
    ]
    for call, path, code in cases:
        with pytest.raises(ValidationError) as caught:
            call()
        assert (caught.value.problems[0].path, caught.value.problems[0].code) == (path, code)
    with pytest.raises(InvalidType) as caught:
        model.customer_params(3.0)
    assert caught.value.problems[0].path == "$.covariates"
    with pytest.raises(ModelError):
        model.customer_params([1e300, 0.0])  # alpha_i overflows
    with pytest.raises(ModelError):
        model.coefficient_intervals()  # no covariance
    with pytest.raises(NotFittedError):
        ParetoNBDCovariates().probability_alive(1, 2.0, 3.0, None)


@pytest.mark.parametrize(
    ("fields", "error", "path"),
    [
        ({"coefficients": {"speed[0]": 1.0}}, ValidationError, "$.coefficients"),
        ({"coefficients": {"purchase[01]": 1.0}}, ValidationError, "$.coefficients"),
        ({"coefficients": {3: 1.0}}, ValidationError, "$.coefficients"),
        (
            {"coefficients": {"purchase[0]": math.nan}},
            ValidationError,
            "$.coefficients.purchase[0]",
        ),
        ({"coefficients": [0.1]}, InvalidType, "$.coefficients"),
        (
            {"coefficients": {"purchase[3]": 0.1}, "covariate_count": 2},
            ValidationError,
            "$.coefficients",
        ),
        ({"covariate_count": -1}, ValidationError, "$.covariate_count"),
        ({"covariate_count": 1.0}, InvalidType, "$.covariate_count"),
        (
            {"coefficient_standard_errors": {"purchase[0]": 0.1}},
            ValidationError,
            "$.coefficient_standard_errors",
        ),
        (
            {
                "coefficients": {"purchase[0]": 0.1},
                "coefficient_standard_errors": {"purchase[0]": 0.0},
            },
            ValidationError,
            "$.coefficient_standard_errors.purchase[0]",
        ),
        ({"covariance": [[1.0]]}, ValidationError, "$.covariance"),
        ({"log_likelihood": math.inf}, ValidationError, "$.log_likelihood"),
        ({"diagnostics": "ok"}, InvalidType, "$.diagnostics"),
        ({"standard_errors": {"r": 1.0}}, ValidationError, "$.standard_errors"),
    ],
)
def test_bad_fields_are_refused_with_their_path(fields, error, path):
    with pytest.raises(error) as caught:
        ParetoNBDCovariates(params={"r": 0.5, "alpha": 5.0, "s": 0.8, "beta": 10.0}, **fields)
    assert caught.value.problems[0].path == path


def test_matrices_from_numpy_and_fields_round_trip():
    np = pytest.importorskip("numpy")
    rows = covariate_rows(np.array(Z), len(Z))
    assert rows == Z
    assert covariate_rows(None, 2) == [[], []]
    model = ParetoNBDCovariates(
        params={"r": 0.5, "alpha": 5.0, "s": 0.8, "beta": 10.0},
        coefficients={"purchase[0]": 0.5},
        coefficient_standard_errors={"purchase[0]": 0.1},
        covariance=[[1.0 if i == j else 0.0 for j in range(5)] for i in range(5)],
        covariate_count=2,
    )
    assert model.coefficient_intervals()["purchase[0]"].standard_error == 1.0
    assert model.probability_alive(np.array([1.0]), [2.0], [3.0], np.array([[1.0, 5.0]])) == [
        model.customer_model([1.0, 5.0]).probability_alive(1, 2.0, 3.0)
    ]


def test_a_fit_that_cannot_converge_says_why():
    x, t_x, t = (list(c) for c in zip(*HISTORIES, strict=True))
    with pytest.raises(ConvergenceError):
        BetaGeoCovariates().fit(x, t_x, t, Z, max_iterations=1)
    loose = BetaGeoCovariates().fit(x, t_x, t, Z, max_iterations=1, require_convergence=False)
    assert not loose.diagnostics.converged

"""Gamma-Gamma: zero and negative spends, scale invariance, per cent, penalizer; CLV horizons.

Issue 19, items 2 and 5 and "a discount rate of 10": CDNOW customer 10244's
repeat purchases total zero (a second order of $0.00), which made
``GammaGamma.fit`` and ``customer_lifetime_value`` refuse the whole
population; spends times 1e100 failed to fit although the model is
scale-invariant; the cost of a CLV period grew with the horizon.
"""

from __future__ import annotations

import csv
import math
import warnings
from datetime import UTC, datetime

import pytest
from tests._optional import in_ci

import crmcore.clv.models._clv as clv_module
from crmcore.clv import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    customer_lifetime_value,
    summarize,
)
from crmcore.clv.models._bgnbd import _given_alive_sums, _phi_nodes
from crmcore.clv.models._data import Percent, fraction
from crmcore.clv.models._forecast import increments
from crmcore.clv.models._priors import GammaPrior
from crmcore.clv.models._special import log_phi
from crmcore.errors import InvalidType, ValidationError

BG = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
MBG = ModifiedBetaGeo(params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})
PNBD = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
# Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4): p = 6.25, q = 3.74, gamma = 15.44.
GG = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})


def optional(name):
    """Import an optional test library: a skip without it locally, a failure in CI."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifetimes 0.11.3 sets a deprecated pandas option
            return __import__(name)
    except ImportError:
        if in_ci():
            pytest.fail(f"{name} is not installed: CI installs it with the test extra")
        pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="module")
def spends(reference_data):
    """CDNOW's 2,357 customers: repeat purchases x and mean repeat spend zbar (FHL 2005)."""
    path = reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    return [int(r["x"]) for r in rows], [float(r["zbar"]) for r in rows]


@pytest.fixture(scope="module")
def full_table(reference_data):
    """The weekly summary of the whole CDNOW_master log (to 1998-06-30)."""
    path = reference_data("cdnow", "CDNOW_master.txt")
    transactions = []
    for line in path.read_text().splitlines()[1:]:
        customer, when, _, amount = line.split()
        at = datetime(int(when[:4]), int(when[4:6]), int(when[6:]), tzinfo=UTC)
        transactions.append((customer, at, amount))
    end = datetime(1998, 6, 30, tzinfo=UTC)
    return summarize(transactions, period="week", observation_end=end).to_columns()


# -- zero and negative spends ----------------------------------------------------------------


def test_reproducer_customer_10244_is_excluded_not_fatal(full_table):
    """10244 (one repeat order of $0.00) is left out of the fit, recorded, and nothing else changes."""
    c = full_table
    where = c["customer_id"].index("10244")
    assert (1, 0.0) == (c["frequency"][where], c["monetary_value"][where])
    fitted = GammaGamma().fit(c["frequency"], c["monetary_value"])
    assert (where,) == fitted.excluded_rows
    keep = [i for i in range(len(c["frequency"])) if i != where]
    alone = GammaGamma().fit(
        [c["frequency"][i] for i in keep], [c["monetary_value"][i] for i in keep]
    )
    assert () == alone.excluded_rows
    assert dict(fitted.params) == dict(alone.params)
    assert fitted.log_likelihood == alone.log_likelihood
    mask = GammaGamma.spend_mask(c["frequency"], c["monetary_value"])
    assert not mask[where]
    assert sum(mask) == sum(1 for x in c["frequency"] if x > 0) - 1


def test_reproducer_lifetime_value_of_the_whole_population(full_table):
    """CLV of all 23,570 customers; 10244's spend is the population mean p v / (q - 1)."""
    c = full_table
    columns = [c["frequency"], c["recency"], c["T"], c["monetary_value"]]
    values = customer_lifetime_value(BG, GG, *columns, horizon=52, discount_rate=0.002)
    assert all(math.isfinite(v) and v >= 0 for v in values)
    where = c["customer_id"].index("10244")
    x, t_x, t = (c[k][where] for k in ("frequency", "recency", "T"))
    # The same history with any positive spend m, rescaled by the spends' ratio.
    other = customer_lifetime_value(BG, GG, x, t_x, t, 20.0, horizon=52, discount_rate=0.002)
    mean = 6.25 * 15.44 / (3.74 - 1.0)
    ratio = mean / GG.expected_average_spend(x, 20.0)
    assert values[where] == pytest.approx(other * ratio, rel=1e-13)
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(
            BG, GG, *columns, horizon=52, discount_rate=0.002, nonpositive="refuse"
        )
    assert (f"$.monetary_value[{where}]", "not_positive") == (caught.value.path, caught.value.code)


def test_refuse_policy_names_the_row():
    """``nonpositive="refuse"`` is the old rule: the first such row, by index."""
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0], nonpositive="refuse")
    assert ("$.monetary_value[1]", "not_positive") == (caught.value.path, caught.value.code)
    for backend in ("python", "numpy"):
        if backend == "numpy":
            optional("numpy")
        with pytest.raises(ValidationError) as caught:
            GG.expected_average_spend([1, 0], [10.0, -1.0], nonpositive="refuse", backend=backend)
        assert ("$.monetary_value[1]", "negative") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit([1, 2.5], [10.0, 5.0], nonpositive="refuse")
    assert ("$.frequency[1]", "not_whole") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_nonpositive_spends_get_the_population_mean(backend):
    """Zero and negative spends of repeat buyers read as frequency 0 (any spend for frequency 0)."""
    if backend == "numpy":
        optional("numpy")
    mean = 6.25 * 15.44 / (3.74 - 1.0)
    got = GG.expected_average_spend([3, 2, 0, 0, 2], [0.0, -4.0, -1.0, 7.0, 22.35], backend=backend)
    assert got[:4] == pytest.approx([mean] * 4, rel=1e-15)
    assert got[4] == pytest.approx(6.25 * (15.44 + 2 * 22.35) / (2 * 6.25 + 3.74 - 1), rel=1e-15)


def test_negative_spends_are_excluded_too(spends):
    """A negative mean (refunds over purchases) is excluded; frequency-0 rows are never used."""
    x, m = spends
    plain = GammaGamma().fit(x, m)
    mixed = GammaGamma().fit([*x, 2, 0, 5], [*m, -30.0, -2.0, 0.0])
    assert (len(x), len(x) + 2) == mixed.excluded_rows
    assert dict(mixed.params) == dict(plain.params)
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit([0, 1], [5.0, -1.0])
    assert ("$.frequency", "empty") == (caught.value.path, caught.value.code)


def test_policy_and_field_are_checked():
    """A bad policy or a bad ``excluded_rows`` is a specific error."""
    with pytest.raises(ValidationError) as caught:
        GG.expected_average_spend(1, 1.0, nonpositive="drop")
    assert ("$.nonpositive", "choice") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType) as caught:
        GammaGamma().fit([1], [1.0], nonpositive=None)
    assert "$.nonpositive" == caught.value.path
    with pytest.raises(InvalidType) as caught:
        GammaGamma(excluded_rows=[1])
    assert "$.excluded_rows" == caught.value.path
    with pytest.raises(ValidationError) as caught:
        GammaGamma.spend_mask([1.5], [1.0])
    assert ("$.frequency[0]", "not_whole") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_undefined_expectation_uses_the_effective_frequency(backend):
    """With q < 1 an excluded repeat buyer has no finite expected spend, like frequency 0."""
    if backend == "numpy":
        optional("numpy")
    model = GammaGamma(params={"p": 2.0, "q": 0.5, "v": 10.0})
    assert model.expected_average_spend(1, 5.0) == pytest.approx(2.0 * 15.0 / 1.5)
    with pytest.raises(ValidationError) as caught:
        model.expected_average_spend([1, 1], [5.0, 0.0], backend=backend)
    assert ("$.frequency[1]", "undefined_expectation") == (caught.value.path, caught.value.code)


# -- scale invariance --------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e100, 1e-100, 3.0])
def test_fit_is_scale_invariant(spends, scale):
    """Spends times c: p and q unchanged, v, its error and its covariance scaled by c.

    The density of each of the 946 repeat buyers' mean spends gains -log(c).
    The unscaled fit is the published one (p = 6.25, q = 3.74, gamma = 15.44).
    """
    x, m = spends
    plain = GammaGamma().fit(x, m)
    assert (plain.params["p"], plain.params["q"], plain.params["v"]) == pytest.approx(
        (6.25, 3.74, 15.44), abs=0.01
    )
    scaled = GammaGamma().fit(x, [v * scale for v in m])
    assert scaled.params["p"] == pytest.approx(plain.params["p"], rel=1e-6)
    assert scaled.params["q"] == pytest.approx(plain.params["q"], rel=1e-6)
    assert scaled.params["v"] == pytest.approx(plain.params["v"] * scale, rel=1e-6)
    assert scaled.standard_errors["v"] == pytest.approx(
        plain.standard_errors["v"] * scale, rel=1e-4
    )
    assert scaled.standard_errors["p"] == pytest.approx(plain.standard_errors["p"], rel=1e-4)
    expected = plain.log_likelihood - 946 * math.log(scale)
    assert scaled.log_likelihood == pytest.approx(expected, rel=1e-9)
    if scaled.covariance is not None and plain.covariance is not None:
        assert scaled.covariance[2][2] == pytest.approx(plain.covariance[2][2] * scale**2, rel=1e-4)
    refit = scaled.fit(x, [v * scale for v in m])  # the start is in the spends' unit too
    assert refit.params["v"] == pytest.approx(scaled.params["v"], rel=1e-6)


def test_beyond_the_float_range_the_covariance_is_unknown(spends):
    """At spends of 1e200 the variance of v (1e400) is not a float: left unknown, v still fits."""
    x, m = spends
    huge = GammaGamma().fit(x, [v * 1e200 for v in m])
    assert huge.params["p"] == pytest.approx(6.2488, rel=1e-4)
    assert huge.covariance is None
    assert huge.standard_errors is None or math.isfinite(huge.standard_errors["v"])


# -- penalizer and priors ----------------------------------------------------------------


@pytest.mark.parametrize("penalizer", [0.001, 0.01])
def test_penalizer_matches_lifetimes(spends, penalizer):
    """``penalizer`` is lifetimes' ``penalizer_coef`` (0.11.3) on CDNOW's repeat buyers."""
    x, m = spends
    lifetimes = optional("lifetimes")
    pandas = optional("pandas")
    repeat = [(a, b) for a, b in zip(x, m, strict=True) if a > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifetimes.GammaGammaFitter(penalizer_coef=penalizer).fit(
            pandas.Series([a for a, _ in repeat]), pandas.Series([b for _, b in repeat])
        )
    ours = GammaGamma().fit(x, m, penalizer=penalizer)
    for name in ("p", "q", "v"):
        assert ours.params[name] == pytest.approx(theirs.params_[name], rel=1e-5), name


def test_penalizer_is_applied_in_the_spends_unit(spends):
    """Penalized fits are not scale-invariant: the penalty is on v in the spends' own unit.

    Published lifetimes 0.11.3 figures for penalizer_coef=0.01 on CDNOW:
    p = 4.10925, q = 0.96839, v = 3.78080 (computed with lifetimes, hard-coded here).
    """
    x, m = spends
    ours = GammaGamma().fit(x, m, penalizer=0.01)
    assert (ours.params["p"], ours.params["q"], ours.params["v"]) == pytest.approx(
        (4.10925, 0.968385, 3.780801), rel=1e-5
    )
    assert GammaGamma().fit(x, m, penalizer=0.0).params == GammaGamma().fit(x, m).params
    with pytest.raises(ValidationError) as caught:
        GammaGamma().fit(x, m, penalizer=-1.0)
    assert "$.penalizer" == caught.value.path


def test_priors_give_a_map_fit(spends):
    """A prior pulling p towards 2 moves the fit; the spends are then used as given."""
    x, m = spends
    plain = GammaGamma().fit(x, m)
    pulled = GammaGamma().fit(x, m, priors={"p": GammaPrior(20.0, 10.0)})
    assert pulled.params["p"] < plain.params["p"]
    assert pulled.log_likelihood < plain.log_likelihood
    with pytest.raises(ValidationError):
        GammaGamma().fit(x, m, priors={"nope": GammaPrior(2.0, 1.0)})


# -- per cent ----------------------------------------------------------------------------


def test_percent_is_a_checked_value_and_fraction_reads_it():
    """``Percent(10)`` is 10% for the one argument it is given to; 10 alone is refused with a hint."""
    assert 0.1 == fraction(Percent(10), "discount_rate", what="the rate")
    assert 1.0 == fraction(Percent(100), "margin", what="the margin")
    assert 0.0 == fraction(Percent(0), "margin", what="the margin")
    assert Percent(12.5).fraction == 0.125
    assert Percent(10) == Percent(10.0)
    assert hash(Percent(10)) == hash(Percent(10.0))
    with pytest.raises(ValidationError) as caught:
        fraction(10, "discount_rate", what="the rate")
    assert ("$.discount_rate", "not_fraction") == (caught.value.path, caught.value.code)
    assert "Percent(30)" in str(caught.value)
    for bad in (101, -1, math.inf, math.nan):
        with pytest.raises(ValidationError) as caught:
            Percent(bad)
        assert caught.value.path == "$.value"
    with pytest.raises(ValidationError) as caught:
        Percent(150)
    assert caught.value.code == "not_percent"
    with pytest.raises(InvalidType) as caught:
        Percent("10")
    assert caught.value.path == "$.value"
    with pytest.raises(InvalidType):
        Percent(True)
    with pytest.raises(ValidationError) as caught:
        fraction(-1, "margin", what="the margin")
    assert ("$.margin", "negative") == (caught.value.path, caught.value.code)


def test_lifetime_value_takes_percent_per_argument():
    """R1 item 9: one flag for both meant ``discount_rate=0.01, margin=30, percent=True`` was 0.01%.

    Each argument now says its own unit: ``Percent(1)`` and ``0.01`` are the same rate.
    """
    history = (2, 30.43, 38.86, 22.35)
    share = customer_lifetime_value(BG, GG, *history, horizon=10, discount_rate=0.1, margin=0.3)
    for rate, margin in ((Percent(10), 0.3), (0.1, Percent(30)), (Percent(10), Percent(30))):
        found = customer_lifetime_value(
            BG, GG, *history, horizon=10, discount_rate=rate, margin=margin
        )
        assert found == pytest.approx(share, rel=1e-15)
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, *history, horizon=10, discount_rate=10)
    assert ("$.discount_rate", "not_fraction") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, *history, horizon=10, discount_rate=0.01, margin=30)
    assert ("$.margin", "not_fraction") == (caught.value.path, caught.value.code)
    with pytest.raises(TypeError):
        customer_lifetime_value(  # type: ignore[call-overload]
            BG, GG, *history, horizon=10, discount_rate=10, percent=True
        )


def test_other_purchase_models_get_the_policy_too():
    """Any object with expected_purchases: the spend policy and per cent apply the same way."""

    class Flat:
        def expected_purchases(self, t, frequency, recency, T):  # noqa: N803
            return [0.5 * t for _ in frequency]

    values = customer_lifetime_value(
        Flat(), GG, [1, 1], [1.0, 1.0], [2.0, 2.0], [0.0, 10.0], horizon=2, discount_rate=0
    )
    mean = 6.25 * 15.44 / 2.74
    assert values[0] == pytest.approx(mean * 1.0, rel=1e-15)
    with pytest.raises(ValidationError):
        customer_lifetime_value(
            Flat(), GG, [1], [1.0], [2.0], [0.0], horizon=2, discount_rate=0, nonpositive="refuse"
        )


# -- CLV horizons ----------------------------------------------------------------------


def explicit_sum(model, x, t, factors):
    """The BG/NBD discounted sum term by term from ``log_phi`` (the old way, cost growing with k)."""
    r, alpha, a, b = (model.params[k] for k in ("r", "alpha", "a", "b"))
    m = 1 if isinstance(model, ModifiedBetaGeo) else 0
    g = [
        math.exp(log_phi(r + x, a, b + x + m, k / (alpha + t))) for k in range(1, len(factors) + 1)
    ]
    return increments(g, factors, 0.0)


@pytest.mark.parametrize("model", [BG, MBG], ids=["BetaGeo", "ModifiedBetaGeo"])
@pytest.mark.parametrize("history", [(0, 38.86), (2, 38.86), (12, 10.0), (1, 0.0)])
def test_quadrature_sum_equals_the_term_by_term_sum(model, history):
    """The fixed quadrature equals ``log_phi`` summed period by period, to 1e-13."""
    x, t = history
    factors = [1.01**-k for k in range(1, 401)]
    r, alpha, a, b = (model.params[k] for k in ("r", "alpha", "a", "b"))
    m = 1 if isinstance(model, ModifiedBetaGeo) else 0
    got = _given_alive_sums(r + x, a, b + x + m, alpha + t, factors, None)
    assert got == pytest.approx(explicit_sum(model, x, t, factors), rel=1e-13)


def test_quadrature_nodes_on_a_grid_of_parameters():
    """The node rule against ``log_phi`` where both apply (R, a, B from 0.3 to 30, k to 1e5)."""
    worst = 0.0
    for big_r in (0.3, 3.0, 30.0):
        for a in (0.3, 1.0, 3.0, 30.0):
            for big_b in (0.3, 3.0, 30.0):
                nodes = _phi_nodes(big_r, a, big_b, 4.0, 1e5)
                if nodes is None:
                    continue
                for k in (4.0, 77.0, 1e5):
                    got = sum(
                        v * -math.expm1(-big_r * math.log1p(k * p))
                        for p, v in zip(*nodes, strict=True)
                    )
                    want = math.exp(log_phi(big_r, a, big_b, k))
                    worst = max(worst, abs(got - want) / want)
    assert worst < 5e-12
    assert _phi_nodes(0.5, 0.01, 0.05, 4.0, 1e5) is None  # tails too long: the fallback


def test_long_tails_fall_back_to_the_series():
    """With a and b far below 1, too many nodes: each period comes from log_phi (still exact)."""
    model = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.01, "b": 0.05})
    assert _phi_nodes(0.243, 0.01, 0.05, 18 / 4.414, 60 / 4.414) is None
    factors = [1.01**-k for k in range(1, 61)]
    got = _given_alive_sums(0.243, 0.01, 0.05, 4.414, factors, None)
    assert got == pytest.approx(explicit_sum(model, 0, 0.0, factors), rel=1e-14)


def test_numpy_and_python_agree_on_long_horizons():
    """The two paths, 3,000 periods, BG/NBD and MBG/NBD, to 1e-12."""
    np = optional("numpy")
    x = np.array([0.0, 2.0, 5.0, 1.0])
    t_x = np.array([0.0, 30.43, 20.0, 0.0])
    t = np.array([38.86, 38.86, 30.0, 0.0])
    m = np.array([0.0, 22.35, 10.0, 0.0])
    for model in (BG, MBG, PNBD):
        kwargs = {"horizon": 3000, "discount_rate": 0.001}
        fast = customer_lifetime_value(model, GG, x, t_x, t, m, backend="numpy", **kwargs)
        slow = customer_lifetime_value(
            model, GG, x.tolist(), t_x.tolist(), t.tolist(), m.tolist(), backend="python", **kwargs
        )
        assert fast.tolist() == pytest.approx(slow, rel=1e-12)


@pytest.mark.slow
def test_reproducer_horizon_of_100000_for_one_customer():
    """The longest horizon (10,000 since s33; 100,000 before) finishes and converges."""
    assert clv_module.MAX_CLV_HORIZON == 10_000
    history = (2, 30.43, 38.86, 22.35)
    long = customer_lifetime_value(
        BG, GG, *history, horizon=10_000, discount_rate=0.01, backend="python"
    )
    shorter = customer_lifetime_value(BG, GG, *history, horizon=5_000, discount_rate=0.01)
    # The periods from 5,001 on weigh at most 1.01^-5000 = 2e-22 of their purchases.
    assert long == pytest.approx(shorter, rel=1e-12)
    with pytest.raises(ValidationError) as caught:
        customer_lifetime_value(BG, GG, *history, horizon=10_001, discount_rate=0.01)
    assert ("$.horizon", "too_large") == (caught.value.path, caught.value.code)

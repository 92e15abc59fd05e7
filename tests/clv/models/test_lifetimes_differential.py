"""Differential test against lifetimes 0.11.3 on CDNOW and the donations data (issue 19, "Done means").

Every quantity both libraries compute: maximum-likelihood and penalized fits,
standard errors, P(alive) and conditional expected purchases, for BG/NBD,
MBG/NBD, Pareto/NBD, BG/BB and Gamma-Gamma. lifetimes' optimizer stops at a
looser tolerance than crmcore's, so fitted parameters are compared to a few
parts in a million (Pareto/NBD, whose likelihood is flatter, to 1e-3) and,
independently, lifetimes' own objective is evaluated at both optima: crmcore's
is never worse. Predictions are compared at the same parameters.

lifetimes is in the test extra: locally the test is skipped without it, in CI
(``CI=true``) its absence is a failure.
"""

from __future__ import annotations

import math
import warnings

import pytest
from tests._optional import in_ci

from crmcore.clv import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD


@pytest.fixture(scope="module")
def lifetimes():
    """The lifetimes package; a skip without it locally, a failure without it in CI."""
    try:
        warnings.simplefilter("ignore")
        import lifetimes  # noqa: PLC0415 - optional: imported only by these tests.
    except ImportError:
        if in_ci():
            pytest.fail("lifetimes is not installed: CI installs it with the test extra")
        pytest.skip("lifetimes is not installed")
    return lifetimes


@pytest.fixture(scope="module")
def pd(lifetimes):
    import pandas as pd  # noqa: PLC0415 - lifetimes depends on it.

    return pd


@pytest.fixture(scope="module")
def cdnow(reference_data, pd):
    return pd.read_csv(reference_data("cdnow", "cdnow_customers_summary.csv"))


@pytest.fixture(scope="module")
def donations(reference_data, pd):
    return pd.read_csv(reference_data("cdnow", "donations.csv"))


def rfm(data):
    return data["frequency"].tolist(), data["recency"].tolist(), data["T"].tolist()


def assert_close(mine, theirs, rel):
    for name, value in mine.items():
        assert value == pytest.approx(float(theirs[name]), rel=rel), name


def scaled_objective(fitter_class, params, data, penalizer, time_params, weights=None):  # noqa: PLR0917
    """The objective lifetimes minimizes (scaled time, its penalty) at natural ``params``."""
    scale = 1.0 / data["T"].max()
    log_params = [
        math.log(params[name] * (scale if name in time_params else 1.0)) for name in params
    ]
    import numpy as np  # noqa: PLC0415 - lifetimes depends on it.

    return float(
        fitter_class._negative_log_likelihood(
            np.array(log_params),
            data["frequency"].to_numpy(),
            data["recency"].to_numpy() * scale,
            data["T"].to_numpy() * scale,
            np.ones(len(data)) if weights is None else weights,
            penalizer,
        )
    )


@pytest.mark.parametrize("penalizer", [0.0, 0.001, 0.1])
@pytest.mark.parametrize(
    ("model", "fitter"), [(BetaGeo, "BetaGeoFitter"), (ModifiedBetaGeo, "ModifiedBetaGeoFitter")]
)
def test_bgnbd_fits_and_standard_errors_agree(lifetimes, cdnow, model, fitter, penalizer):
    theirs = getattr(lifetimes, fitter)(penalizer_coef=penalizer).fit(
        cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    mine = model().fit(*rfm(cdnow), penalizer=penalizer)
    assert_close(mine.params, theirs.params_, rel=5e-6)
    assert_close(mine.standard_errors, theirs.standard_errors_, rel=2e-5)
    cls = getattr(lifetimes, fitter)
    at_mine = scaled_objective(cls, mine.params, cdnow, penalizer, {"alpha"})
    at_theirs = scaled_objective(cls, dict(theirs.params_), cdnow, penalizer, {"alpha"})
    assert at_mine <= at_theirs + 1e-12


@pytest.mark.parametrize(
    ("model", "fitter"), [(BetaGeo, "BetaGeoFitter"), (ModifiedBetaGeo, "ModifiedBetaGeoFitter")]
)
def test_bgnbd_predictions_agree_at_the_same_parameters(lifetimes, cdnow, model, fitter):
    mine = model().fit(*rfm(cdnow))
    theirs = getattr(lifetimes, fitter)()
    theirs.params_ = lifetimes.fitters.pd.Series(dict(mine.params))
    f, r, t = rfm(cdnow)
    alive = theirs.conditional_probability_alive(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(
        39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    for a, b in zip(mine.probability_alive(f, r, t), alive, strict=True):
        assert a == pytest.approx(b, rel=1e-9)
    for a, b in zip(mine.expected_purchases(39.0, f, r, t), expected, strict=True):
        assert a == pytest.approx(b, rel=1e-9)


@pytest.fixture(scope="module")
def seeded(lifetimes):
    """Seed numpy's global generator: lifetimes' Pareto/NBD fit starts from random points."""
    import numpy as np  # noqa: PLC0415 - lifetimes depends on it.

    def seed() -> None:
        np.random.seed(19)  # noqa: NPY002 - lifetimes draws from the global generator.

    return seed


@pytest.mark.parametrize("penalizer", [0.0, 0.01, 1.0])
def test_pareto_nbd_fits_and_predictions_agree(lifetimes, cdnow, seeded, penalizer):
    """Pareto/NBD agrees with lifetimes' ``penalizer_coef`` for the same coefficient.

    lifetimes divides Pareto/NBD's summed log-likelihood by weights.mean()
    (1 here, without weights): crmcore weighs the penalty alike for this model
    (docs/clv_fitting.md).
    """
    seeded()
    theirs = lifetimes.ParetoNBDFitter(penalizer_coef=penalizer).fit(
        cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    mine = ParetoNBD().fit(*rfm(cdnow), penalizer=penalizer)
    assert_close(mine.params, theirs.params_, rel=1e-3)
    cls = lifetimes.ParetoNBDFitter
    at_mine = scaled_objective(cls, mine.params, cdnow, penalizer, {"alpha", "beta"})
    at_theirs = scaled_objective(cls, dict(theirs.params_), cdnow, penalizer, {"alpha", "beta"})
    assert at_mine <= at_theirs + 1e-9
    if penalizer:
        return
    theirs.params_ = lifetimes.fitters.pd.Series(dict(mine.params))
    f, r, t = rfm(cdnow)
    alive = theirs.conditional_probability_alive(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(
        39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    for a, b in zip(mine.probability_alive(f, r, t), alive, strict=True):
        assert a == pytest.approx(b, rel=1e-7)
    for a, b in zip(mine.expected_purchases(39.0, f, r, t), expected, strict=True):
        assert a == pytest.approx(b, rel=1e-7)


def test_pareto_nbd_weighted_penalizer_agrees(lifetimes, cdnow, seeded):
    """Compressed rows with weights: lifetimes' penalty is c * mean(weights), and so is crmcore's."""
    grouped = cdnow.groupby(["frequency", "recency", "T"]).size().reset_index(name="weights")
    seeded()
    theirs = lifetimes.ParetoNBDFitter(penalizer_coef=0.01).fit(
        grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["weights"]
    )
    mine = ParetoNBD().fit(*rfm(grouped), weights=grouped["weights"].tolist(), penalizer=0.01)
    assert_close(mine.params, theirs.params_, rel=1e-3)
    cls = lifetimes.ParetoNBDFitter
    weights = grouped["weights"].to_numpy()
    at_mine = scaled_objective(cls, mine.params, grouped, 0.01, {"alpha", "beta"}, weights)
    at_theirs = scaled_objective(
        cls, dict(theirs.params_), grouped, 0.01, {"alpha", "beta"}, weights
    )
    assert at_mine <= at_theirs + 1e-9


@pytest.mark.parametrize("penalizer", [0.0, 0.01, 0.1])
def test_bgbb_fits_standard_errors_and_predictions_agree(lifetimes, donations, penalizer):
    columns = [donations[k] for k in ("frequency", "recency", "periods")]
    theirs = lifetimes.BetaGeoBetaBinomFitter(penalizer_coef=penalizer).fit(
        *columns, weights=donations["weights"]
    )
    mine = BetaGeoBetaBinom().fit(
        *(c.tolist() for c in columns), weights=donations["weights"].tolist(), penalizer=penalizer
    )
    assert_close(mine.params, theirs.params_, rel=5e-6)
    # lifetimes differentiates its objective exactly (autograd): the 0.7-1.9% is gone.
    assert_close(mine.standard_errors, theirs.standard_errors_, rel=2e-5)
    if penalizer:
        return
    theirs.params_ = lifetimes.fitters.pd.Series(dict(mine.params))
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(5, *columns)
    alive = theirs.conditional_probability_alive(1, *columns)
    lists = [c.tolist() for c in columns]
    for a, b in zip(mine.expected_purchases(5, *lists), expected, strict=True):
        assert a == pytest.approx(b, rel=1e-9)
    for a, b in zip(mine.probability_alive(*lists), alive, strict=True):
        assert a == pytest.approx(b, rel=1e-9)


@pytest.mark.parametrize("penalizer", [0.0, 0.001])
def test_gamma_gamma_fits_and_standard_errors_agree(lifetimes, reference_data, pd, penalizer):
    data = pd.read_csv(reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv"))
    repeat = data[data["x"] > 0]
    theirs = lifetimes.GammaGammaFitter(penalizer_coef=penalizer).fit(repeat["x"], repeat["zbar"])
    mine = GammaGamma().fit(repeat["x"].tolist(), repeat["zbar"].tolist(), penalizer=penalizer)
    assert_close(mine.params, theirs.params_, rel=5e-6)
    assert_close(mine.standard_errors, theirs.standard_errors_, rel=2e-5)


# --- predictions at the same parameters (R1 item 12) -----------------------------------

BG = {"r": 0.242593, "alpha": 4.413532, "a": 0.792886, "b": 2.425752}
MBG = {"r": 0.524838, "alpha": 6.182992, "a": 0.891356, "b": 1.613999}
PNBD = {"r": 0.553275, "alpha": 10.577612, "s": 0.606214, "beta": 11.667910}
GG = {"p": 6.248802, "q": 3.744558, "v": 15.447648}


def _fitter(lifetimes, pd, name, params):
    """A lifetimes fitter holding ``params`` (no fit: the predictions are compared)."""
    fitter = getattr(lifetimes, name)()
    fitter.params_ = pd.Series(params)
    # What lifetimes' fit() would set, and its customer_lifetime_value calls.
    fitter.predict = getattr(fitter, "conditional_expected_number_of_purchases_up_to_time", None)
    return fitter


@pytest.fixture(scope="module")
def spends(reference_data, pd):
    """CDNOW's repeat buyers with their mean repeat spend."""
    data = pd.read_csv(reference_data("cdnow", "cdnow_customers_summary_with_transactions.csv"))
    return data[data["x"] > 0]


def test_gamma_gamma_expected_spend_agrees(lifetimes, pd, spends):
    theirs = _fitter(lifetimes, pd, "GammaGammaFitter", GG).conditional_expected_average_profit(
        spends["x"], spends["zbar"]
    )
    mine = GammaGamma(params=GG).expected_average_spend(
        spends["x"].tolist(), spends["zbar"].tolist()
    )
    for a, b in zip(mine, theirs, strict=True):
        assert a == pytest.approx(b, rel=1e-12)
    # lifetimes' population mean (frequency 0 at any spend) is crmcore's no-information value.
    assert GammaGamma(params=GG).expected_average_spend(0, 0.0) == pytest.approx(
        float(
            _fitter(lifetimes, pd, "GammaGammaFitter", GG)
            .conditional_expected_average_profit(pd.Series([0]), pd.Series([0.0]))
            .iloc[0]
        ),
        rel=1e-12,
    )


@pytest.mark.parametrize(
    ("model", "fitter", "params"),
    [(BetaGeo, "BetaGeoFitter", BG), (ParetoNBD, "ParetoNBDFitter", PNBD)],
)
def test_lifetime_values_agree_where_the_conventions_meet(  # noqa: PLR0917 - fixtures.
    lifetimes, pd, cdnow, model, fitter, params
):
    """The lifetimes ``customer_lifetime_value(time=h, discount_rate=d, freq="M")`` is crmcore's.

    lifetimes counts ``time`` in months of ``factor`` model periods each (``freq``
    "M": 1, "W": 4.345, "D": 30) and discounts once a month; with ``freq="M"`` a
    "month" is one model period, which is crmcore's convention (one discount per
    model period). docs/clv_edge_cases.md has the other frequencies.
    """
    from crmcore.clv import customer_lifetime_value  # noqa: PLC0415

    sample = cdnow.iloc[::7]
    spend = (sample["frequency"] * 0 + 35.0).where(sample["frequency"] > 0, 0.0)
    purchase = _fitter(lifetimes, pd, fitter, params)
    with warnings.catch_warnings():
        # lifetimes' Pareto/NBD takes log(0) at t = 0 (the first period's start): harmless.
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = _fitter(lifetimes, pd, "GammaGammaFitter", GG).customer_lifetime_value(
            purchase,
            sample["frequency"],
            sample["recency"],
            sample["T"],
            spend,
            time=24,
            discount_rate=0.01,
            freq="M",
        )
    mine = customer_lifetime_value(
        model(params=params),
        GammaGamma(params=GG),
        *rfm(sample),
        spend.tolist(),
        horizon=24,
        discount_rate=0.01,
    )
    for a, b in zip(mine, theirs, strict=True):
        assert a == pytest.approx(b, rel=1e-9)


@pytest.mark.parametrize(
    ("model", "fitter", "params"),
    [
        (BetaGeo, "BetaGeoFitter", BG),
        (ModifiedBetaGeo, "ModifiedBetaGeoFitter", MBG),
        (ParetoNBD, "ParetoNBDFitter", PNBD),
    ],
)
def test_new_customer_expectations_agree(lifetimes, pd, model, fitter, params):
    theirs = _fitter(lifetimes, pd, fitter, params)
    for t in (1.0, 39.0, 78.0, 500.0):
        assert model(params=params).expected_purchases_new(t) == pytest.approx(
            float(theirs.expected_number_of_purchases_up_to_time(t)), rel=1e-9
        )


@pytest.mark.parametrize(
    ("model", "fitter", "params"),
    [(BetaGeo, "BetaGeoFitter", BG), (ModifiedBetaGeo, "ModifiedBetaGeoFitter", MBG)],
)
def test_unconditional_purchase_counts_agree(lifetimes, pd, model, fitter, params):
    """P(X(t) = n) for a new customer (Fader, Hardie & Lee 2005, eq. 8; Batislam et al. 2007)."""
    theirs = _fitter(lifetimes, pd, fitter, params)
    mine = model(params=params)
    for t in (10.0, 39.0):
        for n in (0, 1, 2, 5, 10):
            assert mine.probability_of_purchases(n, t) == pytest.approx(
                float(theirs.probability_of_n_purchases_up_to_time(t, n)), rel=1e-8
            )


def test_pareto_nbd_conditional_purchase_counts_agree(lifetimes, pd, cdnow):
    """The conditional P(X = n) of the next ``t`` (Fader & Hardie 2006) agrees.

    lifetimes' ``conditional_probability_of_n_purchases_up_to_time`` against
    crmcore's ``conditional_probability_of_purchases``.
    """
    from crmcore.clv import conditional_probability_of_purchases  # noqa: PLC0415

    theirs = _fitter(lifetimes, pd, "ParetoNBDFitter", PNBD)
    mine = ParetoNBD(params=PNBD)
    histories = [(0, 0.0, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0), (1, 2.0, 30.0)]
    for x, t_x, age in histories:
        for n in (0, 1, 3):
            expected = float(
                theirs.conditional_probability_of_n_purchases_up_to_time(n, 39.0, x, t_x, age)
            )
            found = conditional_probability_of_purchases(mine, n, 39.0, x, t_x, age)
            assert found == pytest.approx(expected, rel=1e-7, abs=1e-12)

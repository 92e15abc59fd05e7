"""The corpus of CLV depth (issue 19): one of every new type (wired in as ``CORPUS_ROOTS += CORPUS``).

Everything is built on tiny data, with few iterations and few posterior draws,
so the fuzz targets that start from these values stay cheap.
"""

from crmcore import clv
from crmcore.clv.models._data import Percent

from ._corpus import BG_PARAMS, FIT_AGE, FIT_FREQUENCY, FIT_RECENCY, GAMMA, SPEND

#: Histories with an interior optimum for every purchase model (see ``_corpus.FIT_*``).
HISTORIES = {"frequency": FIT_FREQUENCY, "recency": FIT_RECENCY, "T": FIT_AGE}
#: Repeat purchases and mean spends of the spend model's buyers (``sample_posterior`` refuses
#: a zero spend, which ``GammaGamma.fit`` leaves out by default).
SPENDS = {"frequency": [1, 2, 3, 5, 1, 2], "monetary_value": [20.0, 35.5, 12.0, 50.0, 8.0, 9.5]}
PRIORS = {
    "r": clv.GammaPrior(2.0, 1.0),
    "alpha": clv.LogNormalPrior(1.0, 1.0),
    "a": clv.GammaPrior(3.0, 2.0),
    "b": clv.GammaPrior(5.0, 1.0),
}
SPEND_PRIORS = {"p": clv.GammaPrior(2.0, 0.5), "q": clv.LogNormalPrior(1.0, 1.0)}
#: A converged BG/NBD fit: it carries a covariance, which the intervals need.
BG_FIT = clv.BetaGeo().fit(FIT_FREQUENCY, FIT_RECENCY, FIT_AGE)
#: MBG/NBD has its maximum at the boundary on these histories (r, alpha -> infinity): a MAP fit.
MBG_FIT = clv.ModifiedBetaGeo().fit(
    FIT_FREQUENCY, FIT_RECENCY, FIT_AGE, priors={"r": clv.GammaPrior(2.0, 1.0)}
)
PNBD_FIT = clv.ParetoNBD().fit(FIT_FREQUENCY, FIT_RECENCY, FIT_AGE)
#: The Gamma-Gamma model of ``_corpus`` with a covariance (as published for CDNOW, rounded).
GAMMA_COV = clv.GammaGamma(
    params=dict(GAMMA.params or {}), covariance=[[1.42, 0, 0], [0, 0.084, 0], [0, 0, 17.3]]
)
SBG_FIT = clv.ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326], penalizer=0.01)
BGBB_FIT = clv.BetaGeoBetaBinom().fit(
    [0, 1, 2, 3], [0, 2, 4, 6], [6, 6, 6, 6], weights=[10, 5, 3, 1], require_convergence=False
)

#: A transaction log of (customer, time) pairs for the CNBD-k models.
CNBD_LOG = [
    ("a", 0.0),
    ("a", 2.0),
    ("a", 4.5),
    ("a", 7.0),
    ("b", 1.0),
    ("b", 3.0),
    ("c", 5.0),
    ("d", 0.5),
    ("d", 6.0),
    ("e", 2.0),
    ("e", 2.5),
    ("e", 3.5),
    ("f", 0.0),
]
CNBD_TABLE = clv.cnbd_summary(CNBD_LOG, observation_end=8.0)
#: ``frequency, recency, T, litt`` of the log above (``fit(**CNBD_DATA)``).
CNBD_DATA = {key: values for key, values in CNBD_TABLE.items() if key != "customer"}
CNBD_PARAMS = {"r": 0.85, "alpha": 2.9, "a": 0.79, "b": 2.42}
CNBD = clv.BetaGeoCnbd(k=2, params=CNBD_PARAMS)
MCNBD = clv.ModifiedBetaGeoCnbd(k=2, params=CNBD_PARAMS)
CNBD_CHOSEN = clv.BetaGeoCnbd().fit(
    **CNBD_DATA, max_k=3, max_iterations=20, require_convergence=False
)


#: Posteriors from a handful of draws: enough for every method, cheap to draw from.
POSTERIOR = clv.sample_posterior(
    clv.BetaGeo(params=BG_PARAMS), HISTORIES, seed=1, draws=12, warmup=12, chains=2
)
SPEND_POSTERIOR = clv.sample_posterior(
    clv.GammaGamma(), SPENDS, seed=2, draws=12, warmup=12, chains=2, priors=SPEND_PRIORS
)

#: Covariate models at known parameters, and a Pareto/GGG posterior of a few sweeps.
BG_COVARIATES = clv.BetaGeoCovariates(
    params=BG_PARAMS, coefficients={"purchase[0]": 0.2, "dropout_a[0]": 0.1, "dropout_b[0]": -0.1}
)
PNBD_COVARIATES = clv.ParetoNBDCovariates(
    params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
    coefficients={"purchase[0]": 0.2, "dropout[0]": -0.1},
)
GGG = clv.ParetoGGG()
GGG_DATA = {
    "frequency": [0, 1, 2, 3],
    "recency": [0.0, 4.0, 9.0, 20.0],
    "T": [30.0, 30.0, 30.0, 32.0],
    "litt": [0.0, 1.386, 2.5, 5.0],
}
GGG_POSTERIOR = GGG.sample(**GGG_DATA, seed=3, draws=6, warmup=6, chains=2, customer_draws=4)

HOLDOUT = clv.Holdout(frequency=[0, 1, 1, 2, 0, 3, 0, 0, 1, 4], duration=10.0)
GOODNESS = clv.goodness_of_fit(BG_FIT, FIT_FREQUENCY, FIT_AGE, min_expected=1.0, parameters=1)
METRICS = clv.holdout_metrics(
    BG_FIT, FIT_FREQUENCY, FIT_RECENCY, FIT_AGE, HOLDOUT.frequency, HOLDOUT.duration
)
PERIODS = clv.period_errors(BG_FIT, [38.86, 30.0, 12.5], [0.3, 0.1, 0.2])
COMPARISON = clv.compare_models(
    {"bg": clv.BetaGeo(), "pnbd": clv.ParetoNBD()},
    FIT_FREQUENCY,
    FIT_RECENCY,
    FIT_AGE,
    holdout=HOLDOUT,
)
LOG_CUSTOMERS = ["a", "a", "a", "b", "b", "c"]
LOG_TIMES = [0.0, 1.5, 2.5, 0.5, 2.0, 1.0]
ACTUAL = clv.actual_repeat_transactions(LOG_CUSTOMERS, LOG_TIMES, 3)
EXPECTED = clv.expected_repeat_transactions(
    BG_FIT, list(clv.first_purchases(LOG_CUSTOMERS, LOG_TIMES).values()), 3
)
INTERVALS = BG_FIT.parameter_intervals()
ALIVE_INTERVAL = clv.probability_alive_intervals(BG_FIT, 2, 10.0, 30.0)
SUMMARY = POSTERIOR.summary()

#: The spend column of ``_corpus`` with the frequencies it belongs to.
SPEND_FREQUENCY = [0, 1, 2, 3, 0, 5, 1]
assert len(SPEND_FREQUENCY) == len(SPEND)  # a corpus invariant

CORPUS = (
    Percent(30),
    BG_COVARIATES,
    PNBD_COVARIATES,
    GGG,
    GGG_POSTERIOR,
    BG_FIT,
    MBG_FIT,
    PNBD_FIT,
    GAMMA_COV,
    SBG_FIT,
    BGBB_FIT,
    CNBD,
    MCNBD,
    CNBD_CHOSEN,
    tuple(PRIORS.values()),
    POSTERIOR,
    SPEND_POSTERIOR,
    HOLDOUT,
    GOODNESS,
    METRICS,
    PERIODS,
    COMPARISON,
    ACTUAL,
    EXPECTED,
    tuple(INTERVALS.values()),
    ALIVE_INTERVAL,
    tuple(SUMMARY.values()),
)

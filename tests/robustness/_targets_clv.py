"""The targets of CLV depth (issue 19; see ``_targets.py``, which imports this module).

Fits, priors and penalties, the CNBD-k models, intervals (delta method and
posterior draws), the further quantities, tracking curves and model checks.
Every recipe is cheap: ten histories, a few iterations, a dozen draws.
"""

from hypothesis import strategies as st

from crmcore import clv
from crmcore.clv.models._data import Percent

from ._corpus import FIT_AGE, FIT_FREQUENCY, FIT_RECENCY, GAMMA, MODELS, SPEND
from ._corpus_clv import (
    ACTUAL,
    BG_FIT,
    BGBB_FIT,
    CNBD,
    CNBD_DATA,
    CNBD_LOG,
    CNBD_PARAMS,
    COMPARISON,
    EXPECTED,
    GAMMA_COV,
    GGG_DATA,
    GGG_POSTERIOR,
    GOODNESS,
    HOLDOUT,
    LOG_CUSTOMERS,
    LOG_TIMES,
    MBG_FIT,
    MCNBD,
    PERIODS,
    PNBD_FIT,
    POSTERIOR,
    PRIORS,
    SBG_FIT,
    SPEND_FREQUENCY,
    SPEND_POSTERIOR,
    SPEND_PRIORS,
)
from ._fuzz import BOUNDED_WORK_BUDGET, function, method

# -- fits with a penalty or priors, on every model ---------------------------------------------

_FIT = {
    "frequency": FIT_FREQUENCY,
    "recency": FIT_RECENCY,
    "T": FIT_AGE,
    "max_iterations": 5,
    "require_convergence": False,
}
for _label, _model in MODELS.items():
    method(st.builds(type(_model)), "fit", lambda _: {**_FIT, "penalizer": 0.1}, label=_label)
    method(st.builds(type(_model)), "fit", lambda _: {**_FIT, "priors": PRIORS}, label=_label)
method(
    st.builds(clv.BetaGeoBetaBinom),
    "fit",
    lambda _: {
        "frequency": [0, 1, 2, 3],
        "recency": [0, 2, 4, 6],
        "periods": [6, 6, 6, 6],
        "weights": [10, 5, 3, 1],
        "max_iterations": 5,
        "require_convergence": False,
        "penalizer": 0.1,
        "priors": {"alpha": clv.GammaPrior(2.0, 1.0)},
    },
    label="BetaGeoBetaBinom",
)
method(
    st.builds(clv.GammaGamma),
    "fit",
    lambda _: {
        "frequency": SPEND_FREQUENCY,
        "monetary_value": SPEND,
        "nonpositive": "exclude",
        "max_iterations": 5,
        "require_convergence": False,
        "penalizer": 0.1,
        "priors": SPEND_PRIORS,
    },
    label="GammaGamma",
)
method(
    st.builds(clv.ShiftedBetaGeometric),
    "fit",
    lambda _: {
        "survivors": [1000, 631, 468, 382, 326],
        "max_iterations": 5,
        "require_convergence": False,
        "penalizer": 0.1,
        "priors": {"beta": clv.LogNormalPrior(1.0, 1.0)},
    },
    label="ShiftedBetaGeometric",
)
method(
    st.just(GAMMA),
    "expected_average_spend",
    lambda _: {"frequency": SPEND_FREQUENCY, "monetary_value": SPEND, "nonpositive": "refuse"},
    label="GammaGamma",
)
method(
    st.just(GAMMA),
    "spend_mask",
    lambda _: {"frequency": SPEND_FREQUENCY, "monetary_value": SPEND},
    label="GammaGamma",
)

# -- parameter intervals of every fitted model (ModelBase.parameter_intervals) ---------------

for _label, _fitted in {
    "BetaGeo": BG_FIT,
    "ModifiedBetaGeo": MBG_FIT,
    "ParetoNBD": PNBD_FIT,
    "BetaGeoBetaBinom": BGBB_FIT,
    "GammaGamma": GAMMA_COV,
    "ShiftedBetaGeometric": SBG_FIT,
}.items():
    method(st.just(_fitted), "parameter_intervals", lambda _: {"level": 0.9}, label=_label)

# -- the CNBD-k models -----------------------------------------------------------------------

for _label, _cls, _model in (
    ("BetaGeoCnbd", clv.BetaGeoCnbd, CNBD),
    ("ModifiedBetaGeoCnbd", clv.ModifiedBetaGeoCnbd, MCNBD),
):
    method(
        st.just(_cls(k=2)),
        "fit",
        lambda _: {**CNBD_DATA, "max_iterations": 5, "require_convergence": False},
        label=_label,
    )
    method(
        st.just(_cls()),
        "fit",
        lambda _: {
            **CNBD_DATA,
            "weights": [1, 2, 1, 1, 1, 3],
            "max_iterations": 3,
            "require_convergence": False,
            "max_k": 2,
            "penalizer": 0.1,
        },
        label=_label,
    )
    method(
        st.just(_cls(k=2)),
        "fit",
        lambda _: {
            **CNBD_DATA,
            "max_iterations": 3,
            "require_convergence": False,
            "priors": PRIORS,
        },
        label=_label,
    )
    _subject = st.just(_model)
    method(
        _subject,
        "probability_alive",
        lambda _: {"frequency": [2, 0], "recency": [4.0, 0.0], "T": 8.0},
        label=_label,
    )
    method(
        _subject,
        "expected_purchases",
        lambda _: {"t": 5, "frequency": [2, 0], "recency": [4.0, 0.0], "T": [8.0, 6.0]},
        label=_label,
    )
    method(_subject, "expected_purchases_new", lambda _: {"t": [1, 2.5]}, label=_label)
    method(_subject, "probability_of_purchases", lambda _: {"n": 2, "t": 10}, label=_label)
    method(
        _subject,
        "simulate",
        lambda _: {"n_customers": 3, "T": 10.0, "seed": 1},
        label=_label,
        budget=BOUNDED_WORK_BUDGET,
    )
    method(
        st.just(_cls(k=2, params=CNBD_PARAMS, covariance=BG_FIT.covariance)),
        "parameter_intervals",
        lambda _: {"level": 0.9},
        label=_label,
    )
function(clv.cnbd_summary, {"transactions": CNBD_LOG, "observation_end": 8.0})

# -- priors ----------------------------------------------------------------------------------

method(
    st.sampled_from(sorted(PRIORS.values(), key=repr)),
    "log_density",
    lambda _: {"theta": 1.5},
    label="Prior",
)

# -- intervals: the delta method and posterior draws -----------------------------------------

function(
    clv.delta_method,
    {
        "function": lambda m: m.expected_purchases_new(5),
        "model": BG_FIT,
        "level": 0.9,
        "scale": "log",
    },
)
function(
    clv.probability_alive_intervals,
    {"model": BG_FIT, "frequency": [2, 0], "recency": [10.0, 0.0], "T": 30.0, "level": 0.9},
)
function(
    clv.expected_purchases_intervals,
    {"model": PNBD_FIT, "t": 10, "frequency": 2, "recency": 10.0, "T": 30.0, "level": 0.9},
)
function(
    clv.lifetime_value_intervals,
    {
        "purchase_model": BG_FIT,
        "spend_model": GAMMA_COV,
        "frequency": [1, 2],
        "recency": [5.0, 10.0],
        "T": [30.0, 30.0],
        "monetary_value": [20.0, 30.0],
        "horizon": 6,
        "discount_rate": 0.01,
        "margin": Percent(30),
        "nonpositive": "exclude",
        "level": 0.9,
    },
)
function(
    clv.posterior_lifetime_value_intervals,
    {
        "purchase_posterior": POSTERIOR,
        "spend_posterior": SPEND_POSTERIOR,
        "frequency": [1, 2],
        "recency": [5.0, 10.0],
        "T": [30.0, 30.0],
        "monetary_value": [20.0, 30.0],
        "horizon": 4,
        "discount_rate": Percent(1),
        "margin": 0.3,
        "nonpositive": "refuse",
        "level": 0.9,
        "max_draws": 6,
    },
)
_POSTERIORS = st.sampled_from([POSTERIOR, SPEND_POSTERIOR])
method(_POSTERIORS, "chains_of", lambda p: {"name": p.names[0]}, label="Posterior")
method(_POSTERIORS, "draws_of", lambda p: {"name": p.names[-1]}, label="Posterior")
method(_POSTERIORS, "summary", lambda _: {"level": 0.9}, label="Posterior")
method(_POSTERIORS, "models", lambda _: {"max_draws": 3}, label="Posterior")
method(
    st.just(POSTERIOR),
    "probability_alive_intervals",
    lambda _: {
        "frequency": [2, 0],
        "recency": [10.0, 0.0],
        "T": 30.0,
        "level": 0.9,
        "max_draws": 6,
    },
    label="Posterior",
)
method(
    st.just(POSTERIOR),
    "expected_purchases_intervals",
    lambda _: {
        "t": 10,
        "frequency": 2,
        "recency": 10.0,
        "T": 30.0,
        "level": 0.9,
        "max_draws": 6,
    },
    label="Posterior",
)

# -- the literature's further quantities -----------------------------------------------------

for _model in (MODELS["BetaGeo"], MODELS["ParetoNBD"], CNBD):
    function(
        clv.conditional_probability_of_purchases,
        {"model": _model, "n": 2, "t": 10, "frequency": [2, 0], "recency": [10.0, 0.0], "T": 30.0},
    )
for _model in (MODELS["ModifiedBetaGeo"], MODELS["ParetoNBD"]):
    function(
        clv.discounted_expected_residual_transactions,
        {
            "model": _model,
            "rate": Percent(2.5),
            "frequency": [2, 0],
            "recency": [10.0, 0.0],
            "T": [30.0, 20.0],
        },
    )
function(clv.continuous_discount_rate, {"annual_rate": Percent(15), "periods_per_year": 52})

# -- tracking curves -------------------------------------------------------------------------

function(
    clv.actual_repeat_transactions,
    {"customers": LOG_CUSTOMERS, "times": LOG_TIMES, "period_ends": [1.0, 2.0, 3.0]},
)
function(
    clv.expected_repeat_transactions,
    {
        "model": MODELS["BetaGeo"],
        "first_purchase": [0.0, 0.5, 1.0],
        "period_ends": 3,
        "weights": [1, 2, 1],
    },
)
function(clv.first_purchases, {"customers": LOG_CUSTOMERS, "times": LOG_TIMES})
method(
    st.sampled_from([ACTUAL, EXPECTED]),
    "between",
    lambda _: {"start": 0.5, "end": 2.5},
    label="TrackingCurve",
)

# -- model checking --------------------------------------------------------------------------

function(
    clv.goodness_of_fit,
    {
        "model": BG_FIT,
        "frequency": FIT_FREQUENCY,
        "T": FIT_AGE,
        "weights": [2] * len(FIT_FREQUENCY),
        "tail": 5,
        "min_expected": 1.0,
        "parameters": 1,
    },
)
function(
    clv.holdout_metrics,
    {
        "model": BG_FIT,
        "frequency": FIT_FREQUENCY,
        "recency": FIT_RECENCY,
        "T": FIT_AGE,
        "holdout_frequency": HOLDOUT.frequency,
        "holdout_duration": [10.0] * len(FIT_FREQUENCY),
        "weights": [1] * len(FIT_FREQUENCY),
    },
)
function(
    clv.period_errors,
    {
        "model": MODELS["ParetoNBD"],
        "T": [38.86, 30.0, 12.5],
        "actual": [0.3, 0.1, 0.2],
        "weights": [1, 2, 1],
        "period": 2.0,
        "start": -4.0,
    },
)
function(
    clv.compare_models,
    {
        "models": [clv.BetaGeo(), MBG_FIT],
        "frequency": FIT_FREQUENCY,
        "recency": FIT_RECENCY,
        "T": FIT_AGE,
        "weights": [1] * len(FIT_FREQUENCY),
        "holdout": HOLDOUT,
    },
)
method(st.just(GOODNESS), "table", label="GoodnessOfFit")
method(st.just(PERIODS), "cumulative", label="PeriodErrors")
method(st.just(COMPARISON), "ranking", lambda _: {"by": "aic"}, label="ModelComparison")
method(st.just(COMPARISON), "best", lambda _: {"by": "mae"}, label="ModelComparison")
method(st.just(COMPARISON), "table", lambda _: {"by": "rmse"}, label="ModelComparison")
method(
    st.sampled_from(COMPARISON.scores),
    "criterion",
    lambda _: {"by": "bic"},
    label="ModelScore",
)

# -- predictions with the new options --------------------------------------------------------

function(
    clv.customer_lifetime_value,
    {
        "purchase_model": CNBD,
        "spend_model": GAMMA,
        "frequency": SPEND_FREQUENCY,
        "recency": [0.0, 3.0, 10.0, 20.0, 0.0, 28.0, 7.0],
        "T": 30.0,
        "monetary_value": SPEND,
        "horizon": 5,
        "discount_rate": Percent(1),
        "margin": Percent(30),
        "nonpositive": "exclude",
        "backend": "python",
    },
)


for _name in ("sample", "fit"):
    method(
        st.builds(clv.ParetoGGG),
        _name,
        lambda _: {
            **GGG_DATA,
            "seed": 1,
            "draws": 3,
            "warmup": 3,
            "chains": 1,
            "customer_draws": 2,
        },
        label="ParetoGGG",
    )
for _name, _args in {
    "chains_of": lambda _: {"name": "r"},
    "draws_of": lambda _: {"name": "alpha"},
    "medians": lambda _: {},
    "summary": lambda _: {"level": 0.9},
    "probability_alive": lambda _: {"level": 0.9},
    "expected_transactions": lambda _: {"t": 10.0, "level": 0.9, "replicates": 2},
}.items():
    method(st.just(GGG_POSTERIOR), _name, _args, label="ParetoGGGPosterior")

# -- results as columns (pandas and polars take them as they are) ---------------------------

for _subject, _label in (
    (GOODNESS, "GoodnessOfFit"),
    (PERIODS, "PeriodErrors"),
    (COMPARISON, "ModelComparison"),
    (COMPARISON.scores[0], "ModelScore"),
    (POSTERIOR, "Posterior"),
    (GGG_POSTERIOR, "ParetoGGGPosterior"),
):
    method(st.just(_subject), "to_columns", label=_label)
method(st.just(COMPARISON.scores[0]), "to_dict", label="ModelScore")
method(
    st.sampled_from([*POSTERIOR.summary().values(), *SPEND_POSTERIOR.summary().values()]),
    "to_dict",
    label="ParameterSummary",
)
method(st.sampled_from([ACTUAL, EXPECTED]), "to_columns", label="TrackingCurve")

"""The probabilistic CLV models: one public surface over the private ``_m_*`` modules.

Purchase models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, BG/CNBD-k, MBG/CNBD-k),
the contractual sBG model, the Gamma-Gamma spend model, and the lifetime value
that combines a purchase model with a spend model; priors and penalized fits,
intervals (delta method and posterior sampling), the literature's further
quantities (conditional purchase counts, DERT, tracking curves) and model
checking (goodness of fit, holdout metrics, model comparison). Pure Python: the
standard library and attrs.
"""

from crmcore.clv.models._base import (
    ConvergenceError,
    FitDiagnostics,
    FitReason,
    ModelError,
    NotFittedError,
)
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.clv.models._checking import (
    GoodnessOfFit,
    HistogramCell,
    Holdout,
    ModelComparison,
    ModelScore,
    PeriodError,
    PeriodErrors,
    compare_models,
    goodness_of_fit,
    period_errors,
)
from crmcore.clv.models._clv import MAX_CLV_HORIZON, PurchaseModel, customer_lifetime_value
from crmcore.clv.models._cnbd import BetaGeoCnbd, ModifiedBetaGeoCnbd
from crmcore.clv.models._cnbd_data import cnbd_summary
from crmcore.clv.models._covariates import BetaGeoCovariates, ParetoNBDCovariates
from crmcore.clv.models._data import Percent
from crmcore.clv.models._gammagamma import GammaGamma, NonPositive
from crmcore.clv.models._holdout import HoldoutMetrics, holdout_metrics
from crmcore.clv.models._interval import Interval
from crmcore.clv.models._paretoggg import ParetoGGG, ParetoGGGPosterior
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.clv.models._posterior import (
    ParameterSummary,
    Posterior,
    posterior_lifetime_value_intervals,
    sample_posterior,
)
from crmcore.clv.models._predict import Predictions, predict
from crmcore.clv.models._priors import GammaPrior, LogNormalPrior, Prior
from crmcore.clv.models._quantities import (
    conditional_probability_of_purchases,
    continuous_discount_rate,
    discounted_expected_residual_transactions,
)
from crmcore.clv.models._sbg import ShiftedBetaGeometric
from crmcore.clv.models._tracking import (
    TrackingCurve,
    actual_repeat_transactions,
    expected_repeat_transactions,
    first_purchases,
)
from crmcore.clv.models._uncertainty import (
    delta_method,
    expected_purchases_intervals,
    lifetime_value_intervals,
    probability_alive_intervals,
)

__all__ = [
    "MAX_CLV_HORIZON",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "BetaGeoCnbd",
    "BetaGeoCovariates",
    "ConvergenceError",
    "FitDiagnostics",
    "FitReason",
    "GammaGamma",
    "GammaPrior",
    "GoodnessOfFit",
    "HistogramCell",
    "Holdout",
    "HoldoutMetrics",
    "Interval",
    "LogNormalPrior",
    "ModelComparison",
    "ModelError",
    "ModelScore",
    "ModifiedBetaGeo",
    "ModifiedBetaGeoCnbd",
    "NonPositive",
    "NotFittedError",
    "ParameterSummary",
    "ParetoGGG",
    "ParetoGGGPosterior",
    "ParetoNBD",
    "ParetoNBDCovariates",
    "Percent",
    "PeriodError",
    "PeriodErrors",
    "Posterior",
    "Predictions",
    "Prior",
    "PurchaseModel",
    "ShiftedBetaGeometric",
    "TrackingCurve",
    "actual_repeat_transactions",
    "cnbd_summary",
    "compare_models",
    "conditional_probability_of_purchases",
    "continuous_discount_rate",
    "customer_lifetime_value",
    "delta_method",
    "discounted_expected_residual_transactions",
    "expected_purchases_intervals",
    "expected_repeat_transactions",
    "first_purchases",
    "goodness_of_fit",
    "holdout_metrics",
    "lifetime_value_intervals",
    "period_errors",
    "posterior_lifetime_value_intervals",
    "predict",
    "probability_alive_intervals",
    "sample_posterior",
]

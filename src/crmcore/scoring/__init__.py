"""Lead scoring: serializable rule-based scores and a calibrated predictive score.

Rule-based scoring gives fit points (who the lead is) and engagement points
(what it did, decaying over time), capped, graded A-D and hot/warm/cold, with
every score explained by its largest contributions::

    >>> from datetime import datetime, timezone
    >>> from crmcore.segmentation import field
    >>> from crmcore.serialization import from_dict, to_dict
    >>> model = ScoringModel([ScoringRule("referral", field("source") == "referral", 70)])
    >>> score = score_lead(model, {"source": "referral"}, at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> score.grade.value, score.contributions[0].rule
    ('A', 'referral')
    >>> from_dict(ScoringModel, to_dict(model)) == model
    True

The predictive score (:func:`fit_lead_model`) is a regularized logistic
regression in pure Python with Platt calibration, a held-out AUC and a
calibration table. See docs/lead_scoring.md.
"""

from crmcore.scoring._facts import LEAD_FACTS, lead_facts
from crmcore.scoring._predictive import (
    CALIBRATION_BINS,
    MAX_EXAMPLES,
    MAX_FEATURES,
    MAX_ITERATIONS,
    CalibrationBin,
    FeatureContribution,
    LeadModel,
    Prediction,
    cholesky_solve,
    fit_lead_model,
    mann_whitney_auc,
    platt_scaling,
)
from crmcore.scoring._rules import (
    MAX_CONDITION_DEPTH,
    MAX_ENGAGEMENT_EVENTS,
    MAX_HALF_LIFE_DAYS,
    MAX_POINTS,
    MAX_SCORING_RULES,
    EngagementEvent,
    Grade,
    LeadScore,
    RuleContribution,
    RuleKind,
    ScoringModel,
    ScoringRule,
    Temperature,
    decay_factor,
    score_lead,
)

__all__ = [
    "CALIBRATION_BINS",
    "LEAD_FACTS",
    "MAX_CONDITION_DEPTH",
    "MAX_ENGAGEMENT_EVENTS",
    "MAX_EXAMPLES",
    "MAX_FEATURES",
    "MAX_HALF_LIFE_DAYS",
    "MAX_ITERATIONS",
    "MAX_POINTS",
    "MAX_SCORING_RULES",
    "CalibrationBin",
    "EngagementEvent",
    "FeatureContribution",
    "Grade",
    "LeadModel",
    "LeadScore",
    "Prediction",
    "RuleContribution",
    "RuleKind",
    "ScoringModel",
    "ScoringRule",
    "Temperature",
    "cholesky_solve",
    "decay_factor",
    "fit_lead_model",
    "lead_facts",
    "mann_whitney_auc",
    "platt_scaling",
    "score_lead",
]

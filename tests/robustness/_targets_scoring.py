"""The targets of lead scoring (see ``_targets.py``; the lead imports this module)."""

from decimal import Decimal

from hypothesis import strategies as st

from crmcore.scoring import (
    EngagementEvent,
    ScoringModel,
    ScoringRule,
    cholesky_solve,
    decay_factor,
    fit_lead_model,
    lead_facts,
    mann_whitney_auc,
    platt_scaling,
    score_lead,
)
from crmcore.segmentation import field
from crmcore.testing.strategies._scoring import scoring_models

from ._corpus import LATER, LEAD
from ._corpus_scoring import ENGAGEMENT, LEAD_MODEL, LEAD_SCORE, PREDICTION, SCORING_MODEL
from ._fuzz import function, method

function(
    ScoringRule,
    {"name": "r", "condition": field("industry") == "retail", "points": 5, "kind": "fit"},
    name="ScoringRule",
)
function(
    ScoringModel,
    {"rules": [ScoringRule("r", field("a") == 1, 5)], "fit_cap": 10, "grade_a": 9, "grade_b": 5},
    name="ScoringModel",
)
function(
    EngagementEvent, {"type": "email_open", "at": LATER, "channel": "email"}, name="EngagementEvent"
)
function(
    score_lead,
    lambda _: {
        "model": SCORING_MODEL,
        "facts": {"industry": "retail"},
        "at": LATER,
        "events": [ENGAGEMENT],
    },
)
method(
    st.one_of(st.just(SCORING_MODEL), scoring_models(max_rules=3)),
    "grade",
    lambda _: {"fit": 30},
    label="ScoringModel",
)
method(
    st.one_of(st.just(SCORING_MODEL), scoring_models(max_rules=3)),
    "temperature",
    lambda _: {"engagement": 30},
    label="ScoringModel",
)
method(st.just(LEAD_SCORE), "top", lambda _: {"n": 2}, label="LeadScore")
function(lead_facts, {"lead": LEAD, "at": LATER})
function(decay_factor, {"age_seconds": 86_400 * 7, "half_life_days": Decimal(7)})
function(
    fit_lead_model,
    {
        "examples": [({"x": i}, i % 2 == 0) for i in range(12)],
        "features": ["x"],
        "l2": 1.0,
        "holdout": 0.25,
        "seed": 0,
    },
)
method(
    st.just(LEAD_MODEL),
    "predict",
    lambda _: {"facts": {"visits": 3, "demo": False}},
    label="LeadModel",
)
method(
    st.just(LEAD_MODEL),
    "log_odds",
    lambda _: {"facts": {"visits": 3, "demo": False}},
    label="LeadModel",
)
method(st.just(PREDICTION), "top", lambda _: {"n": 1}, label="Prediction")
function(cholesky_solve, {"matrix": [[4.0, 2.0], [2.0, 3.0]], "rhs": [2.0, 1.0]})
function(mann_whitney_auc, {"scores": [0.1, 0.4, 0.35, 0.8], "outcomes": [0, 0, 1, 1]})
function(platt_scaling, {"logits": [-2.0, -1.0, 1.0, 2.0], "outcomes": [0, 1, 0, 1]})

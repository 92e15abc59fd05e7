"""The corpus of lead scoring: one of every type (wired in as ``CORPUS_ROOTS += CORPUS``)."""

from datetime import timedelta

from crmcore.scoring import EngagementEvent, ScoringModel, ScoringRule, fit_lead_model, score_lead
from crmcore.segmentation import field

from ._corpus import T0

FIT_RULE = ScoringRule("retail", field("industry") == "retail", 30)
ENGAGEMENT_RULE = ScoringRule(
    "webinar", field("type") == "webinar", 20, kind="engagement", half_life_days=14, cap=40
)
SCORING_MODEL = ScoringModel([FIT_RULE, ENGAGEMENT_RULE], fit_cap=100)
ENGAGEMENT = EngagementEvent("webinar", T0 - timedelta(days=3), channel="web", campaign="q2")
LEAD_SCORE = score_lead(SCORING_MODEL, {"industry": "retail"}, at=T0, events=[ENGAGEMENT])
LEAD_MODEL = fit_lead_model(
    [({"visits": v % 7, "demo": v % 3 == 0}, v % 7 >= 3) for v in range(40)],
    features=["visits", "demo"],
    seed=1,
)
PREDICTION = LEAD_MODEL.predict({"visits": 5, "demo": True})

CORPUS = (SCORING_MODEL, ENGAGEMENT, LEAD_SCORE, LEAD_MODEL, PREDICTION)

"""The corpus of crmcore.plots: one of every result type (wired in as ``CORPUS_ROOTS += CORPUS``).

Every value is the data of one figure, computed on tiny inputs; no figure is drawn here.
"""

from crmcore import Money, plots
from crmcore.lifecycle import RELATIONSHIP_LADDER
from crmcore.segmentation import RfmScore

from ._corpus import BGBB, COHORTS, FUNNEL, MODELS, RFM_SCORES

BG = MODELS["BetaGeo"]
#: A calibration and holdout history of four customers (as in the docs).
HOLDOUT_HISTORY = {
    "frequency": [0, 0, 2, 9],
    "recency": [0, 0, 30, 35],
    "T": [38] * 4,
    "holdout_frequency": [0, 1, 2, 6],
    "holdout_duration": 39,
}
#: A CLV per customer for the tier histogram.
TIER_VALUES = {"c0": 0, "c1": 5, "c2": 9}
#: Scores of one customer for the RFM map.
ONE_SCORE = [RfmScore("a", 1, 9, Money("10", "USD"), 5, 5, 5)]

MATRIX = plots.frequency_recency_matrix(BG, T=4, max_frequency=3, t=2)
ALIVE = plots.probability_alive_matrix(BG, T=38.86, max_frequency=2, columns=3)
BGBB_MATRIX = plots.frequency_recency_matrix(BGBB, T=3, max_frequency=3, t=2)
CALIBRATION = plots.calibration_holdout(BG, **HOLDOUT_HISTORY, max_frequency=2)
PERIODS = plots.period_transactions(BG, [0, 0, 1, 3], [38.86] * 4, max_frequency=2)
TRACKING = plots.transaction_tracking(BG, ["a", "a", "b"], [0, 1.5, 0], 2)
TIERS = plots.clv_tier_histogram(TIER_VALUES, bins=3)
HEATMAP = plots.cohort_heatmap(COHORTS, max_offsets=24)
FUNNEL_CHART = plots.funnel_chart(FUNNEL)
RFM_MAP = plots.rfm_segment_map(RFM_SCORES, scheme="rfm11")
LAYOUT = plots.lifecycle_layout(RELATIONSHIP_LADDER)

CORPUS = (
    MATRIX,
    ALIVE,
    BGBB_MATRIX,
    CALIBRATION,
    PERIODS,
    TRACKING,
    TIERS,
    HEATMAP,
    FUNNEL_CHART,
    RFM_MAP,
    plots.rfm_segment_map(ONE_SCORE, scheme="rf10"),
    LAYOUT,
)

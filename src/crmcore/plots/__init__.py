"""Figures for CLV models, analytics and lifecycles, built with matplotlib on demand.

Every figure comes in two parts: a pure data function (``frequency_recency_matrix``,
``cohort_heatmap``, ...) that computes exactly the numbers the figure shows,
with the library's own models and analytics, and needs no plotting library;
and a ``plot_*`` function that draws those numbers on a new
``matplotlib.figure.Figure`` and returns it. Nothing is shown, nothing is
written and no pyplot state is touched: save a figure with
``figure.savefig(...)`` or display it in a notebook. matplotlib is an
optional extra (``pip install 'crmcore[plot]'``); without it the ``plot_*``
functions raise a :class:`~crmcore.errors.ValidationError` saying so, and the
data functions keep working.

See docs/plots.md for each figure.
"""

from crmcore.plots._analytics import (
    MAX_COHORTS,
    MAX_OFFSETS,
    MAX_RFM_SCORES,
    CohortHeatmap,
    FunnelChart,
    RfmSegmentMap,
    cohort_heatmap,
    funnel_chart,
    plot_cohort_retention,
    plot_funnel,
    plot_rfm_segments,
    rfm_segment_map,
)
from crmcore.plots._clv import (
    MAX_BUCKETS,
    MAX_DURATIONS,
    MAX_FIGURE_ROWS,
    MAX_MATRIX_SIDE,
    MAX_MATRIX_SPAN,
    CalibrationHoldout,
    HistoryMatrix,
    PeriodTransactions,
    TransactionTracking,
    calibration_holdout,
    frequency_recency_matrix,
    period_transactions,
    plot_calibration_holdout,
    plot_frequency_recency_matrix,
    plot_period_transactions,
    plot_probability_alive_matrix,
    plot_transaction_tracking,
    probability_alive_matrix,
    transaction_tracking,
)
from crmcore.plots._common import INSTALL
from crmcore.plots._lifecycle import (
    DiagramEdge,
    DiagramNode,
    LifecycleLayout,
    lifecycle_layout,
    plot_lifecycle,
)
from crmcore.plots._tiers import (
    MAX_BINS,
    MAX_TIER_CUSTOMERS,
    TierHistogram,
    clv_tier_histogram,
    plot_clv_by_tier,
)

__all__ = [
    "INSTALL",
    "MAX_BINS",
    "MAX_BUCKETS",
    "MAX_COHORTS",
    "MAX_DURATIONS",
    "MAX_FIGURE_ROWS",
    "MAX_MATRIX_SIDE",
    "MAX_MATRIX_SPAN",
    "MAX_OFFSETS",
    "MAX_RFM_SCORES",
    "MAX_TIER_CUSTOMERS",
    "CalibrationHoldout",
    "CohortHeatmap",
    "DiagramEdge",
    "DiagramNode",
    "FunnelChart",
    "HistoryMatrix",
    "LifecycleLayout",
    "PeriodTransactions",
    "RfmSegmentMap",
    "TierHistogram",
    "TransactionTracking",
    "calibration_holdout",
    "clv_tier_histogram",
    "cohort_heatmap",
    "frequency_recency_matrix",
    "funnel_chart",
    "lifecycle_layout",
    "period_transactions",
    "plot_calibration_holdout",
    "plot_clv_by_tier",
    "plot_cohort_retention",
    "plot_frequency_recency_matrix",
    "plot_funnel",
    "plot_lifecycle",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
    "plot_rfm_segments",
    "plot_transaction_tracking",
    "probability_alive_matrix",
    "rfm_segment_map",
    "transaction_tracking",
]

"""The targets of crmcore.plots (see ``_targets.py``, which imports this module).

Every data function and every ``plot_*`` function with the same well-formed
arguments (the figures also get a ``title``), and ``LifecycleLayout.node``.
Accepted ``plot_*`` calls draw a small figure; matplotlib must be installed
for them (it is in CI).
"""

from hypothesis import strategies as st

from crmcore import plots
from crmcore.lifecycle import RELATIONSHIP_LADDER

from ._corpus import COHORTS, FUNNEL
from ._corpus_plots import BG, HOLDOUT_HISTORY, LAYOUT, ONE_SCORE, TIER_VALUES
from ._fuzz import function, method

#: Each figure's data function, the well-formed arguments of both, and its plot_* function.
_FIGURES = (
    (
        plots.frequency_recency_matrix,
        plots.plot_frequency_recency_matrix,
        {"model": BG, "T": 4, "max_frequency": 3, "t": 2},
    ),
    (
        plots.probability_alive_matrix,
        plots.plot_probability_alive_matrix,
        {"model": BG, "T": 38.86, "max_frequency": 2, "columns": 3},
    ),
    (
        plots.calibration_holdout,
        plots.plot_calibration_holdout,
        {"model": BG, **HOLDOUT_HISTORY, "max_frequency": 2},
    ),
    (
        plots.period_transactions,
        plots.plot_period_transactions,
        {"model": BG, "frequency": [0, 0, 1, 3], "T": [38.86] * 4, "max_frequency": 2},
    ),
    (
        plots.transaction_tracking,
        plots.plot_transaction_tracking,
        {"model": BG, "customers": ["a", "a", "b"], "times": [0, 1.5, 0], "period_ends": 2},
    ),
    (plots.clv_tier_histogram, plots.plot_clv_by_tier, {"values": TIER_VALUES, "bins": 3}),
    (plots.cohort_heatmap, plots.plot_cohort_retention, {"matrix": COHORTS, "max_offsets": 24}),
    (plots.funnel_chart, plots.plot_funnel, {"funnel": FUNNEL}),
    (plots.rfm_segment_map, plots.plot_rfm_segments, {"scores": ONE_SCORE, "scheme": "rf10"}),
    (plots.lifecycle_layout, plots.plot_lifecycle, {"definition": RELATIONSHIP_LADDER}),
)

for _data, _plot, _args in _FIGURES:
    function(_data, _args)
    function(_plot, {**_args, "title": "Figure"})

method(st.just(LAYOUT), "node", lambda _: {"name": "prospect"}, label="LifecycleLayout")

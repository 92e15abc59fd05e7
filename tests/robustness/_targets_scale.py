"""The targets of scale-out (issue 20; see ``_targets.py``, which imports this module).

Columnar summaries (``summarize_columns``, ``accumulate_columns``, period
totals and summary tables from columns), the fit inputs of a summary table
(``HistoryCounts``, ``SpendInputs``), RFM scores from columns and cut points,
and rules compiled for engines (``Rule.to_sql``, ``Rule.to_polars``). Every
recipe holds a handful of rows, so junk is tried one argument at a time on
cheap calls.

``accumulate_columns`` is fuzzed twice: with junk in the accumulator
argument, and on a drawn accumulator (as the subject), so that a refused
batch is checked to leave the accumulator unchanged.
"""

import functools
from datetime import UTC, datetime

from hypothesis import strategies as st

from crmcore import clv, segmentation
from crmcore.clv import summaries

from ._corpus import (
    DAY,
    LATER,
    RFM_VALUES,
    RULES,
    SUMMARY_END,
    SUMMARY_TABLE,
    T0,
    WIB,
    accumulator,
)
from ._corpus_scale import (
    AMOUNTS,
    CENTS,
    CUT_POINTS,
    EPOCH_SECONDS,
    HISTORY_COUNTS,
    IDS,
    RFM_COLUMNS,
    SPEND_INPUTS,
    SPLIT_COLUMNS,
    SPLIT_TABLE,
    TIMES,
    TOTAL_COLUMNS,
)
from ._fuzz import TARGETS, Target, function, method

# -- summaries from columns ------------------------------------------------------------------

function(
    clv.summarize_columns,
    {
        "customer_id": IDS,
        "at": TIMES,
        "amount": AMOUNTS,
        "period": "day",
        "observation_end": SUMMARY_END,
        "calibration_end": T0 + 5 * DAY,
        "calibration_cut": "period",
        "unit": "week",
        "tz": WIB,
        "currency": "USD",
        "on_error": "raise",
    },
)
function(
    clv.summarize_columns,
    {
        "customer_id": IDS,
        "at": EPOCH_SECONDS,
        "amount": CENTS,
        "period": "week",
        "observation_end": SUMMARY_END,
        "tz": UTC,
        "time_unit": "s",
        "amount_scale": 2,
        "on_error": "skip",
    },
)
_ACCUMULATE = {"customer_id": IDS, "at": TIMES, "amount": AMOUNTS, "on_error": "raise"}
_ACCUMULATE_EPOCHS = {
    "customer_id": IDS,
    "at": EPOCH_SECONDS,
    "amount": CENTS,
    "time_unit": "s",
    "amount_scale": 2,
    "on_error": "skip",
}
# Junk in the accumulator itself (a fresh one each call).
function(clv.accumulate_columns, lambda _: {"accumulator": accumulator(), **_ACCUMULATE})
# Junk in the columns of a drawn accumulator: a refused batch must leave it unchanged.
for _recipe in (_ACCUMULATE, _ACCUMULATE_EPOCHS):
    TARGETS.append(
        Target(
            name="accumulate_columns",
            call=lambda acc: functools.partial(clv.accumulate_columns, acc),
            args=lambda _, fixed=_recipe: dict(fixed),
            subject=st.builds(accumulator),
        )
    )
function(
    clv.SummaryAccumulator.from_period_total_columns,
    {**TOTAL_COLUMNS, "period": "day", "tz": UTC, "currency": "USD", "on_error": "raise"},
)
function(
    clv.SummaryAccumulator.from_period_total_columns,
    {
        "customer_id": TOTAL_COLUMNS["customer_id"],
        "period_index": TOTAL_COLUMNS["period_index"],
        "purchases": [None if a is None else int(a * 100) for a in TOTAL_COLUMNS["purchases"]],
        "refunds": [int(a * 100) for a in TOTAL_COLUMNS["refunds"]],
        "period": "week",
        "tz": WIB,
        "amount_scale": 2,
        "on_error": "skip",
    },
)
function(
    clv.SummaryTable.from_columns,
    {
        "columns": SPLIT_COLUMNS,
        "period": "day",
        "unit": "day",
        "observation_end": SPLIT_TABLE.observation_end,
        "calibration_end": SPLIT_TABLE.calibration_end,
        "currency": "USD",
    },
)

# -- the fit inputs of a summary table ---------------------------------------------------------

function(
    summaries.HistoryCounts.from_table,
    lambda _: {"table": SPLIT_TABLE, "skip_newcomers": True},
)
function(summaries.SpendInputs.from_table, {"table": SUMMARY_TABLE})
for _label, _value in (("HistoryCounts", HISTORY_COUNTS), ("SpendInputs", SPEND_INPUTS)):
    method(st.just(_value), "merge", lambda v: {"others": (v, v)}, label=_label)
    method(st.just(_value), "fit_arguments", label=_label)

# -- RFM by columns and cut points -------------------------------------------------------------

function(segmentation.rfm_cut_points, {"values": RFM_VALUES})
function(segmentation.score_rfm_columns, {**RFM_COLUMNS, "cut_points": CUT_POINTS})
function(
    segmentation.score_rfm_columns,
    {**RFM_COLUMNS, "monetary": ["500", 400, "300.5", "200", "100"]},
)
function(
    segmentation.rfm_values_columns,
    {
        "customer_id": ["a", "a", "b"],
        "ordered_at": [1704067200, 1704931200, 1705708800],
        "amount": [1000, 2050, 999],
        "at": datetime(2024, 1, 21, tzinfo=UTC),
        "time_unit": "s",
        "tz": UTC,
        "amount_scale": 2,
    },
)
function(
    segmentation.rfm_values_columns,
    {
        "customer_id": ["a", "b"],
        "ordered_at": [datetime(2024, 1, 1, tzinfo=UTC)] * 2,
        "amount": ["10.5", 3.25],
        "at": datetime(2024, 2, 1, tzinfo=UTC),
        "on_error": "skip",
    },
    name="rfm_values_columns[datetimes, skip]",
)
function(segmentation.fold, {"text": "Straße"})

# -- rules compiled for engines ----------------------------------------------------------------

for _dialect in ("sqlite", "duckdb", "postgresql", "spark"):
    method(
        RULES,
        "to_sql",
        lambda _, dialect=_dialect: {
            "dialect": dialect,
            "columns": None,
            "at": LATER,
            "schema": segmentation.SNAPSHOT_FIELDS,
        },
        label="Rule",
    )


def _columns(rule: segmentation.Rule) -> dict[str, str]:
    """A column name for every field of ``rule`` and every part of it (Money, folded text)."""
    return {
        f"{path}{part}": f"c_{index}{part.replace('.', '_')}"
        for index, path in enumerate(rule.fields())
        for part in ("", ".amount", ".currency", ".folded")
    }


method(
    RULES,
    "to_sql",
    lambda r: {"dialect": "duckdb", "columns": _columns(r), "at": LATER},
    label="Rule",
)
method(
    RULES,
    "to_polars",
    lambda r: {"columns": _columns(r), "at": LATER, "schema": segmentation.SNAPSHOT_FIELDS},
    label="Rule",
)

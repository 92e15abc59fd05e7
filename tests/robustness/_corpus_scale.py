"""The corpus of scale-out (issue 20): one of every new type (wired in as ``CORPUS_ROOTS += CORPUS``).

Columnar summaries and their row reports, the fit inputs of a summary table
(histories and spends with their counts), RFM cut points and a rule compiled
to SQL. Everything is built from the small values of ``_corpus``.
"""

from datetime import UTC
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from crmcore import Money, clv, segmentation
from crmcore.clv import summaries

from ._corpus import DAY, LATER, PURCHASES, RFM_VALUES, RULE, SUMMARY_END, T0, accumulator
from ._fuzz import ANY_ID_TYPES, ROUND_TRIP_TYPES

#: ``PURCHASES`` as three columns (customer ids, aware datetimes, Decimal or str amounts).
IDS = [row[0] for row in PURCHASES]
TIMES = [row[1] for row in PURCHASES]
AMOUNTS = [row[2] for row in PURCHASES]
#: The same transactions as epoch seconds and integer cents.
EPOCH_SECONDS = [int(moment.timestamp()) for moment in TIMES]
CENTS = [int(Decimal(amount) * 100) for amount in AMOUNTS]

#: A summary with a calibration split: its histories carry holdout columns.
SPLIT_TABLE = clv.summarize(
    PURCHASES, period="day", observation_end=SUMMARY_END, calibration_end=T0 + 9 * DAY
)
#: ``from_columns`` rebuilds the table ``to_columns(monetary="decimal")`` wrote.
SPLIT_COLUMNS = dict(SPLIT_TABLE.to_columns(monetary="decimal"))
HISTORY_COUNTS = summaries.HistoryCounts.from_table(SPLIT_TABLE)
SPEND_INPUTS = summaries.SpendInputs.from_table(SPLIT_TABLE)

#: A report of a batch with one row skipped (an infinite amount is no number to sum).
_SKIPPING = clv.SummaryAccumulator(period="day", tz=UTC)
ROW_REPORT = clv.accumulate_columns(
    _SKIPPING, IDS[:3], TIMES[:3], [Decimal(1), float("inf"), "2"], on_error="skip"
)
assert ROW_REPORT.skipped == (1,)  # a corpus invariant

#: Period totals as four columns (what an engine's GROUP BY gives).
TOTALS = list(zip(*accumulator().period_totals(), strict=True))
TOTAL_COLUMNS = {
    "customer_id": list(TOTALS[0]),
    "period_index": list(TOTALS[1]),
    "purchases": list(TOTALS[2]),
    "refunds": list(TOTALS[3]),
}

CUT_POINTS = segmentation.rfm_cut_points(RFM_VALUES)
RFM_COLUMNS = {
    "customer_id": [str(v.customer_id) for v in RFM_VALUES],
    "recency": [v.recency_days for v in RFM_VALUES],
    "frequency": [v.frequency for v in RFM_VALUES],
    "monetary": [v.monetary for v in RFM_VALUES],
}
SQL_QUERY = RULE.to_sql(dialect="postgresql", at=LATER)

CORPUS = (HISTORY_COUNTS, SPEND_INPUTS, ROW_REPORT, CUT_POINTS, SQL_QUERY)


def money_accumulator() -> clv.SummaryAccumulator:
    """An accumulator of Money amounts in one currency, with integer customer ids."""
    acc = clv.SummaryAccumulator(period="week", tz=UTC, currency="EUR")
    acc.extend(
        (index % 3, moment, Money(amount, "EUR"))
        for index, (_, moment, amount) in enumerate(PURCHASES)
    )
    return acc


#: The summaries whose documents are columns (``summaries.column_documents()``): they are no
#: attrs classes, so the documents fuzz takes them from here, and a call that accepts junk
#: and returns one must still round-trip (``_fuzz.check_result``).
COLUMN_DOCUMENTS: dict[type, st.SearchStrategy[Any]] = {
    clv.SummaryAccumulator: st.one_of(st.builds(accumulator), st.builds(money_accumulator)),
    clv.SummaryTable: st.sampled_from(
        [SPLIT_TABLE, money_accumulator().summarize(observation_end=SUMMARY_END)]
    ),
    summaries.HistoryCounts: st.just(HISTORY_COUNTS),
    summaries.SpendInputs: st.just(SPEND_INPUTS),
}
ROUND_TRIP_TYPES.update(COLUMN_DOCUMENTS)
ANY_ID_TYPES.update({clv.SummaryAccumulator, clv.SummaryTable})

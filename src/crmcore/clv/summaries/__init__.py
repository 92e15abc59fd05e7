"""Transaction summaries: frequency, recency, T and monetary value per customer, incremental and mergeable."""

from crmcore.clv.summaries._state import (
    Amount,
    CalibrationCut,
    CustomerState,
    PeriodTotal,
    SummaryAccumulator,
    Transaction,
    TransactionLike,
    period_index,
    period_start,
)
from crmcore.clv.summaries._summarize import summarize
from crmcore.clv.summaries._table import (
    CompressedHistories,
    CustomerSummary,
    SummaryColumns,
    SummaryTable,
)

__all__ = [
    "Amount",
    "CalibrationCut",
    "CompressedHistories",
    "CustomerState",
    "CustomerSummary",
    "PeriodTotal",
    "SummaryAccumulator",
    "SummaryColumns",
    "SummaryTable",
    "Transaction",
    "TransactionLike",
    "period_index",
    "period_start",
    "summarize",
]

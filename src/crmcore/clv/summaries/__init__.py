"""Transaction summaries: frequency, recency, T and monetary value per customer, incremental and mergeable."""

from crmcore.clv.summaries._columnar import RowReport, accumulate_columns, summarize_columns
from crmcore.clv.summaries._documents import MAX_DOCUMENT_ROWS, column_documents
from crmcore.clv.summaries._inputs import HistoryCounts, SpendInputs
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
    "MAX_DOCUMENT_ROWS",
    "Amount",
    "CalibrationCut",
    "CompressedHistories",
    "CustomerState",
    "CustomerSummary",
    "HistoryCounts",
    "PeriodTotal",
    "RowReport",
    "SpendInputs",
    "SummaryAccumulator",
    "SummaryColumns",
    "SummaryTable",
    "Transaction",
    "TransactionLike",
    "accumulate_columns",
    "column_documents",
    "period_index",
    "period_start",
    "summarize",
    "summarize_columns",
]

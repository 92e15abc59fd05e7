"""Customer lifetime value: transaction summaries, the formula CLV and probabilistic models.

The numerics work on plain sequences (lists, tuples, arrays, pandas Series:
anything that iterates) and need no domain types; thin adapters turn domain
orders into summaries. No numpy, scipy or pandas at runtime.

Scoring customers is profiling: :func:`screen_summaries` leaves the
customers who objected to it (or restricted processing, or were erased) out
of a summary table, each with its reason, before a model sees it.
"""

from crmcore.clv._formula import (
    FormulaCLV,
    formula_clv,
)
from crmcore.clv._screening import (
    MAX_SCREENED_SUMMARIES,
    ScreenedSummaries,
    screen_summaries,
)
from crmcore.clv.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    FitDiagnostics,
    GammaGamma,
    ModelError,
    ModifiedBetaGeo,
    NotFittedError,
    ParetoNBD,
    Predictions,
    PurchaseModel,
    ShiftedBetaGeometric,
    customer_lifetime_value,
    predict,
)
from crmcore.clv.summaries import (
    Amount,
    CompressedHistories,
    CustomerState,
    CustomerSummary,
    PeriodTotal,
    SummaryAccumulator,
    SummaryColumns,
    SummaryTable,
    Transaction,
    TransactionLike,
    period_index,
    period_start,
    summarize,
)

__all__ = [
    "MAX_SCREENED_SUMMARIES",
    "Amount",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "CompressedHistories",
    "ConvergenceError",
    "CustomerState",
    "CustomerSummary",
    "FitDiagnostics",
    "FormulaCLV",
    "GammaGamma",
    "ModelError",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "PeriodTotal",
    "Predictions",
    "PurchaseModel",
    "ScreenedSummaries",
    "ShiftedBetaGeometric",
    "SummaryAccumulator",
    "SummaryColumns",
    "SummaryTable",
    "Transaction",
    "TransactionLike",
    "customer_lifetime_value",
    "formula_clv",
    "period_index",
    "period_start",
    "predict",
    "screen_summaries",
    "summarize",
]

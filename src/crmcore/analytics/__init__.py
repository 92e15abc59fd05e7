"""Analytics: retention, churn, cohorts, purchases, profitability, satisfaction and conversion.

Every function takes plain iterables of records (tuples, or objects with
the documented attributes) and returns immutable results. Conventions:

- Rates and shares are ``float`` (in ``[0, 1]``; NPS and CSAT are on their
  usual -100..100 and 0..100 scales). Counts are ``int``. Money stays
  :class:`~crmcore.Money`, unrounded.
- An empty population has no rate: the result is ``None``, never a
  ``ZeroDivisionError`` (and counts are 0).
- Orders are ``(customer_id, at, amount)`` with ``at`` timezone-aware and
  ``amount`` Money in one currency; periods are calendar months or ISO weeks
  in the timezone ``tz`` you pass (UTC by default).

>>> from datetime import datetime, timezone
>>> from crmcore import Money
>>> from crmcore.analytics import cohort_retention, purchase_summary
>>> t = lambda m, d: datetime(2026, m, d, tzinfo=timezone.utc)
>>> orders = [
...     ("ana", t(1, 4), Money("120000", "IDR")),
...     ("ana", t(2, 9), Money("80000", "IDR")),
...     ("budi", t(1, 20), Money("50000", "IDR")),
... ]
>>> purchase_summary(orders).repeat_purchase_rate
0.5
>>> cohort_retention(orders).rates
((1.0, 0.5),)

Product profitability (:func:`profitability`, :func:`product_margins`,
:func:`family_margins`, :func:`customer_margins`) reads
:class:`crmcore.commerce.Order` aggregates and the standard costs of
:class:`crmcore.catalog.Product` values; revenue measures and margins can be
reported in one corporate currency (``currency=`` and ``rates=``, a
:class:`crmcore.exchange.RateTable`), each order converted at the rate of its
own day.

Roll-ups over an account hierarchy (:func:`hierarchy_rollup`) add up the
revenue, open pipeline, open cases and CLV of an account and the accounts
below it (see docs/accounts.md).

See docs/analytics.md for the full guide.
"""

from crmcore.analytics._conversion import (
    CampaignResponse,
    StageConversion,
    campaign_response,
    response_rate,
    stage_conversion,
    stage_funnel,
)
from crmcore.analytics._profitability import (
    CustomerMargin,
    FamilyMargin,
    MarginFigures,
    ProductMargin,
    Profitability,
    customer_margins,
    family_margins,
    product_margins,
    profitability,
)
from crmcore.analytics._purchases import (
    ProductCount,
    ProductRanking,
    PurchaseSummary,
    average_order_value,
    purchase_frequency,
    purchase_summary,
    repeat_purchase_rate,
    top_clv_products,
    top_products,
)
from crmcore.analytics._retention import (
    CohortMatrix,
    PeriodRetention,
    churn_rate,
    cohort_retention,
    retention_by_period,
    retention_rate,
)
from crmcore.analytics._rollups import HierarchyRollup, hierarchy_rollup
from crmcore.analytics._satisfaction import CsatSummary, NpsSummary, csat, nps

__all__ = [
    "CampaignResponse",
    "CohortMatrix",
    "CsatSummary",
    "CustomerMargin",
    "FamilyMargin",
    "HierarchyRollup",
    "MarginFigures",
    "NpsSummary",
    "PeriodRetention",
    "ProductCount",
    "ProductMargin",
    "ProductRanking",
    "Profitability",
    "PurchaseSummary",
    "StageConversion",
    "average_order_value",
    "campaign_response",
    "churn_rate",
    "cohort_retention",
    "csat",
    "customer_margins",
    "family_margins",
    "hierarchy_rollup",
    "nps",
    "product_margins",
    "profitability",
    "purchase_frequency",
    "purchase_summary",
    "repeat_purchase_rate",
    "response_rate",
    "retention_by_period",
    "retention_rate",
    "stage_conversion",
    "stage_funnel",
    "top_clv_products",
    "top_products",
]

"""Quotes: priced offers with line and quote discounts, configurable taxes and revisions.

A :class:`Quote` holds :class:`QuoteLine` s priced from a price book
(:func:`price_line`) or overridden with a reason, a quote (header) discount,
and a :class:`TaxTable` of :class:`TaxRule` s (Indonesian PPN ships as
:func:`ppn_indonesia`). Prices are tax-exclusive or tax-inclusive. Totals are
exact in the currency's minor unit: the total is the sum of the rounded line
nets plus the rounded line taxes (:func:`quote_totals` documents the formulas
and who gets a rounding remainder). Statuses go draft → sent → accepted,
rejected or expired, with revisions; :func:`accept_quote` turns an accepted
quote into an :class:`~crmcore.commerce.Order` and updates its opportunity.

>>> from datetime import datetime, timedelta, timezone
>>> from decimal import Decimal
>>> t0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
>>> quote = Quote.create(
...     QuoteId("q-7"),
...     customer_id=CustomerId("c-1"),
...     currency="IDR",
...     lines=[
...         QuoteLine(ProductId("laptop"), 2, Money("12000000", "IDR"), tax_category="luxury"),
...         QuoteLine(
...             ProductId("support"), 1, Money("1500000", "IDR"), discount_percent=Decimal(10)
...         ),
...     ],
...     tax_table=ppn_indonesia(),
...     valid_until=t0 + timedelta(days=14),
...     at=t0,
... )
>>> [(t.code, t.tax) for t in quote.totals.taxes]
[('ppn_12_luxury', Money('2880000.00', 'IDR')), ('ppn_12_dpp_11_12', Money('148500.00', 'IDR'))]
>>> quote.total
Money('28378500.00', 'IDR')
>>> done = accept_quote(quote.send(at=t0), order_id=OrderId("o-7"), at=t0 + timedelta(days=1))
>>> done.order.total == done.quote.total, done.quote.status.value
(True, 'accepted')
"""

from crmcore._kernel._ids import (
    CustomerId,
    OpportunityId,
    OrderId,
    PriceBookId,
    ProductId,
    QuoteId,
)
from crmcore._kernel._money import Money
from crmcore.quotes._acceptance import (
    QuoteAcceptance,
    accept_quote,
    quote_opportunity_lines,
    quote_order_lines,
)
from crmcore.quotes._events import (
    QuoteAccepted,
    QuoteAnonymised,
    QuoteCreated,
    QuoteCustomerRepointed,
    QuoteDiscountChanged,
    QuoteEvent,
    QuoteExpired,
    QuoteLinesChanged,
    QuoteRejected,
    QuoteRevised,
    QuoteSent,
    QuoteTermsChanged,
)
from crmcore.quotes._lines import (
    MAX_QUOTE_LINES,
    MAX_QUOTE_QUANTITY,
    PriceSource,
    QuoteLine,
    price_line,
)
from crmcore.quotes._quote import (
    MAX_QUOTE_HISTORY,
    MAX_REVISIONS,
    QUOTE_STATUSES,
    Quote,
    QuoteStatus,
    QuoteStatusChange,
)
from crmcore.quotes._tax import (
    MAX_TAX_RULES,
    PPN_CATEGORIES,
    TaxRule,
    TaxTable,
    ppn_indonesia,
)
from crmcore.quotes._totals import LineTotals, QuoteTotals, TaxBreakdown, quote_totals

__all__ = [
    "MAX_QUOTE_HISTORY",
    "MAX_QUOTE_LINES",
    "MAX_QUOTE_QUANTITY",
    "MAX_REVISIONS",
    "MAX_TAX_RULES",
    "PPN_CATEGORIES",
    "QUOTE_STATUSES",
    "CustomerId",
    "LineTotals",
    "Money",
    "OpportunityId",
    "OrderId",
    "PriceBookId",
    "PriceSource",
    "ProductId",
    "Quote",
    "QuoteAcceptance",
    "QuoteAccepted",
    "QuoteAnonymised",
    "QuoteCreated",
    "QuoteCustomerRepointed",
    "QuoteDiscountChanged",
    "QuoteEvent",
    "QuoteExpired",
    "QuoteId",
    "QuoteLine",
    "QuoteLinesChanged",
    "QuoteRejected",
    "QuoteRevised",
    "QuoteSent",
    "QuoteStatus",
    "QuoteStatusChange",
    "QuoteTermsChanged",
    "QuoteTotals",
    "TaxBreakdown",
    "TaxRule",
    "TaxTable",
    "accept_quote",
    "ppn_indonesia",
    "price_line",
    "quote_opportunity_lines",
    "quote_order_lines",
    "quote_totals",
]

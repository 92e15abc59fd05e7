"""The corpus of the quotes capability: one of every type.

Imported by ``_corpus.py`` before it harvests its samples, so every public attrs type of
:mod:`crmcore.quotes` (and every event a quote records) has a valid sample.
"""

from datetime import date
from decimal import Decimal

from crmcore import Money
from crmcore.customers import CustomerId
from crmcore.quotes import (
    OrderId,
    PriceBookId,
    ProductId,
    Quote,
    QuoteId,
    QuoteLine,
    TaxRule,
    TaxTable,
    accept_quote,
    ppn_indonesia,
    quote_totals,
)

from ._corpus import CID, DAY, HOUR, T0

PPN = ppn_indonesia()
VAT_RULE = TaxRule(
    "vat",
    Decimal("0.2"),
    category="standard",
    valid_from=date(2011, 1, 4),
    valid_until=date(2040, 1, 1),
    base_numerator=1,
    base_denominator=2,
)
TAX_TABLE = TaxTable([VAT_RULE])
BOOK_LINE = QuoteLine(
    ProductId("sku-1"),
    12,
    Money("1100000", "IDR"),
    discount_percent=Decimal("2.5"),
    category="hardware",
    price_book_id=PriceBookId("pb-1"),
)
OVERRIDE_LINE = QuoteLine(
    ProductId("sku-2"),
    1,
    Money("1800000", "IDR"),
    discount=Money("50000", "IDR"),
    tax_category="luxury",
    price_source="override",
    override_reason="bundle price for Ibu Sari",
)
DRAFT_QUOTE = Quote.create(
    QuoteId("q-1"),
    customer_id=CID,
    currency="IDR",
    lines=[BOOK_LINE],
    tax_table=PPN,
    valid_until=T0 + 14 * DAY,
    at=T0,
    discount_percent=5,
    price_book_id=PriceBookId("pb-1"),
)
#: A quote through every command (so every event has a sample), ending sent.
SENT_QUOTE = (
    DRAFT_QUOTE.add_line(OVERRIDE_LINE, at=T0 + HOUR)
    .remove_line(1, at=T0 + HOUR)
    .replace_lines([BOOK_LINE, OVERRIDE_LINE], at=T0 + HOUR)
    .set_discount(at=T0 + HOUR, amount=Money("10000", "IDR"))
    .change_terms(at=T0 + HOUR, tax_inclusive=True, valid_until=T0 + 20 * DAY)
    .send(at=T0 + 2 * HOUR)
    .reject(at=T0 + DAY)
    .revise(at=T0 + DAY)
    .send(at=T0 + DAY)
    .expire(at=T0 + 20 * DAY)
    .revise(at=T0 + 20 * DAY, valid_until=T0 + 40 * DAY)
    .send(at=T0 + 21 * DAY)
)
ACCEPTANCE = accept_quote(SENT_QUOTE, order_id=OrderId("o-q1"), at=T0 + 22 * DAY)
ANONYMISED_QUOTE = SENT_QUOTE.anonymise(at=T0 + 23 * DAY)
# A merge of duplicates moves the quote to the surviving customer.
REPOINTED_QUOTE = DRAFT_QUOTE.repoint_customer(CID, CustomerId("c-2"), at=T0 + DAY)
TOTALS = quote_totals(
    [BOOK_LINE, OVERRIDE_LINE], currency="IDR", tax_table=PPN, on=T0.date(), discount_percent=3
)

CORPUS = (
    PPN,
    VAT_RULE,
    TAX_TABLE,
    BOOK_LINE,
    OVERRIDE_LINE,
    DRAFT_QUOTE,
    SENT_QUOTE,
    ACCEPTANCE,
    ACCEPTANCE.quote,
    ANONYMISED_QUOTE,
    REPOINTED_QUOTE,
    TOTALS,
)

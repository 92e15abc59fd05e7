"""The targets of the quotes capability (see ``_targets.py``)."""

from datetime import date

from crmcore import Money, quotes
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, Product
from crmcore.quotes import OrderId, ProductId, Quote, QuoteId, QuoteLine, TaxTable
from crmcore.testing.strategies._quotes import quote_lines, tax_rules, tax_tables
from crmcore.testing.strategies._quotes import quotes as quote_strategy

from ._corpus import CID, DAY, HOUR, LATER, T0, either
from ._corpus_quotes import BOOK_LINE, DRAFT_QUOTE, PPN, SENT_QUOTE, TAX_TABLE, VAT_RULE
from ._fuzz import function, method

QUOTES = either(SENT_QUOTE, quote_strategy(max_steps=3))
DRAFTS = either(DRAFT_QUOTE, quote_strategy(max_steps=0))
TABLES = either(PPN, tax_tables(max_periods=2))
LINES = either(BOOK_LINE, quote_lines(currencies=["IDR", "USD", "JPY", "KWD"]))

function(
    Quote.create,
    {
        "quote_id": QuoteId("q-9"),
        "customer_id": CID,
        "currency": "IDR",
        "tax_table": PPN,
        "valid_until": T0 + 30 * DAY,
        "at": T0,
        "lines": [BOOK_LINE],
        "discount_percent": 10,
    },
    name="Quote.create",
)
function(
    QuoteLine,
    {"product_id": ProductId("sku-9"), "quantity": 3, "unit_price": Money("19.99", "USD")},
    name="QuoteLine",
)
function(TaxTable, {"rules": list(TAX_TABLE.rules)}, name="TaxTable")
function(
    quotes.quote_totals,
    {
        "lines": [BOOK_LINE],
        "currency": "IDR",
        "tax_table": PPN,
        "on": date(2025, 6, 1),
        "tax_inclusive": True,
        "discount_percent": 5,
    },
)
function(
    quotes.accept_quote,
    {"quote": SENT_QUOTE, "order_id": OrderId("o-9"), "at": T0 + 22 * DAY},
)
function(
    quotes.price_line,
    {
        "books": [
            PriceBook.create(
                PriceBookId("pb-9"),
                name="List",
                currency="IDR",
                at=T0,
                entries=[
                    PriceEntry(
                        ProductId("sku-9"), Money("100000", "IDR"), valid_from=date(2025, 1, 1)
                    )
                ],
            )
        ],
        "product_id": ProductId("sku-9"),
        "quantity": 2,
        "currency": "IDR",
        "on": date(2025, 6, 1),
        "discount_percent": 5,
        "product": Product.create(
            ProductId("sku-9"), sku="SKU-9", name="Item", family="hardware", at=T0
        ),
    },
)
function(quotes.quote_order_lines, {"quote": SENT_QUOTE})
function(quotes.quote_opportunity_lines, {"quote": SENT_QUOTE})
for _name, _args in {
    "add_line": lambda q: {"line": BOOK_LINE, "at": q.updated_at + HOUR},
    "remove_line": lambda q: {"index": 0, "at": q.updated_at + HOUR},
    "replace_lines": lambda q: {"lines": [BOOK_LINE], "at": q.updated_at + HOUR},
    "set_discount": lambda q: {"at": q.updated_at + HOUR, "percent": 5},
    "change_terms": lambda q: {"at": q.updated_at + HOUR, "tax_inclusive": True},
    "send": lambda q: {"at": q.updated_at + HOUR},
}.items():
    method(DRAFTS, _name, _args, label="Quote")
for _name, _args in {
    "accept": lambda q: {"order_id": OrderId("o-8"), "at": q.updated_at + HOUR},
    "reject": lambda q: {"at": q.updated_at + HOUR},
    "expire": lambda q: {"at": LATER},
    "revise": lambda q: {"at": q.updated_at + HOUR},
    "anonymise": lambda q: {"at": q.updated_at + HOUR},
    "is_valid_at": lambda q: {"at": LATER},
    "check_acceptable": lambda q: {"at": q.updated_at + HOUR},
    "masked": lambda q: {"fields": ["override_reasons"]},
    "repoint_customer": lambda q: {
        "previous": q.customer_id,
        "customer_id": quotes.CustomerId("c-77"),
        "at": LATER,
    },
    "without_pending_events": None,
}.items():
    method(QUOTES, _name, _args, label="Quote")
for _name, _args in {
    "rule_for": lambda t: {"category": "standard", "on": date(2025, 6, 1)},
    "rate_for": lambda t: {"category": "standard", "on": date(2025, 6, 1)},
    "with_rules": lambda t: {"rules": []},
}.items():
    method(TABLES, _name, _args, label="TaxTable")
for _name, _args in {
    "overridden": lambda line: {"unit_price": line.unit_price, "reason": "price match"},
    "without_reason": None,
}.items():
    method(LINES, _name, _args, label="QuoteLine")
for _name, _args in {
    "applies_on": lambda r: {"on": date(2025, 6, 1)},
    "overlaps": lambda r: {"other": r},
}.items():
    method(either(VAT_RULE, tax_rules()), _name, _args, label="TaxRule")

"""Tests for `crmcore.quotes._acceptance` and `price_line`: a quote becomes an order in one call."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given

from crmcore import Money
from crmcore.catalog import PriceBook, PriceBookId, PriceEntry
from crmcore.errors import CurrencyMismatch, InvalidType, TransitionNotAllowed, ValidationError
from crmcore.quotes import (
    CustomerId,
    OpportunityId,
    OrderId,
    PriceSource,
    ProductId,
    Quote,
    QuoteStatus,
    accept_quote,
    ppn_indonesia,
    price_line,
    quote_order_lines,
)
from crmcore.sales import STANDARD_PIPELINE, Opportunity
from crmcore.teams import StaffId
from crmcore.testing.strategies._quotes import quotes

from ._helpers import DAY, HOUR, T0, draft, flat_table, line, units

ANA = CustomerId("c-1")


def opportunity(
    customer: CustomerId = ANA, at: datetime = T0, currency: str = "USD"
) -> Opportunity:
    """An open opportunity of ``customer``, its amount in ``currency``."""
    return Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=customer,
        name="Laptops for the Jakarta office",
        amount=Money("0", currency),
        expected_close=date(2025, 7, 1),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=at,
    )


@given(quotes(max_steps=0, max_lines=6))
def test_order_total_equals_quote_total_exactly(quote: Quote) -> None:
    """For any priced quote, in any currency and tax treatment, the order's total is the quote's."""
    assume(quote.lines)
    sent = quote.send(at=quote.created_at)
    done = accept_quote(sent, order_id=OrderId("o-1"), at=quote.created_at)
    assert done.order.total == done.quote.total == quote.total
    assert done.order.tax == quote.tax
    assert done.order.customer_id == quote.customer_id
    assert done.quote.status is QuoteStatus.ACCEPTED
    assert done.quote.order_id == OrderId("o-1")
    # Each order line carries the quote line's net and tax.
    for order_line, amounts in zip(done.order.lines, quote.totals.lines, strict=True):
        assert order_line.net == amounts.net
        assert order_line.tax_amount == amounts.tax
        assert order_line.unit_price.rounded() == order_line.unit_price


@given(quotes(max_steps=0, max_lines=4, currencies=["USD", "IDR", "JPY", "KWD"]))
def test_opportunity_gets_the_quote_lines_without_tax(quote: Quote) -> None:
    """The quote's opportunity gets its lines; its amount becomes the quote's net."""
    assume(quote.lines)
    opp = opportunity(quote.customer_id, quote.created_at, quote.currency)
    linked = Quote.create(
        quote.id,
        customer_id=quote.customer_id,
        currency=quote.currency,
        tax_table=quote.tax_table,
        valid_until=quote.valid_until,
        at=quote.created_at,
        lines=quote.lines,
        priced_on=quote.priced_on,
        tax_inclusive=quote.tax_inclusive,
        discount_percent=quote.discount_percent,
        discount=quote.discount,
        opportunity_id=opp.id,
    ).send(at=quote.created_at)
    done = accept_quote(linked, order_id=OrderId("o-1"), at=quote.created_at, opportunity=opp)
    assert done.opportunity is not None
    assert done.opportunity.amount == quote.totals.net
    assert len(done.opportunity.lines) == len(quote.lines)


def test_inclusive_quote_order_lines_hand_computed() -> None:
    """Tax-inclusive IDR: 3 x Rp 11,100 incl. 11% PPN, 5% off.

    gross 33,300; 5% = 1,665 -> amount 31,635; tax = 31,635 * 11/111 = 3,135 (3,135.0 exactly);
    net 28,500. Order unit price: ceil(11,100 / 1.11) = 10,000; gross 30,000; discount 1,500.
    """
    quote = draft(
        [line("11100", "IDR", 3, discount_percent=Decimal(5))],
        "IDR",
        ppn_indonesia(),
        tax_inclusive=True,
    )
    (order_line,) = quote_order_lines(quote)
    assert (order_line.unit_price, order_line.discount, order_line.tax) == (
        Money("10000.00", "IDR"),
        Money("1500.00", "IDR"),
        Money("3135.00", "IDR"),
    )
    assert units(order_line.net) + units(order_line.tax) == units(quote.total) == 3163500


def test_exclusive_quote_order_line_discount_is_line_plus_quote_discount() -> None:
    """Exclusive USD: the order line's discount is its own plus its quote-discount share."""
    quote = draft(
        [line("10.00", "USD", 2, discount=Money("1.00", "USD")), line("5.00", "USD")],
        "USD",
        flat_table("0.1"),
        discount=Money("2.40", "USD"),
    )
    # amounts 19.00 and 5.00 (24.00); 2.40 splits 1.90 / 0.50 exactly.
    first, second = quote_order_lines(quote)
    assert (first.discount, second.discount) == (Money("2.90", "USD"), Money("0.50", "USD"))
    assert (first.tax, second.tax) == (Money("1.71", "USD"), Money("0.45", "USD"))


def test_accept_refuses_expired_and_unsent_quotes_nothing_applied() -> None:
    """An expired or unsent quote is not accepted; no order is made."""
    quote = draft([line("10.00", "USD")], "USD", flat_table("0.1"))
    with pytest.raises(TransitionNotAllowed) as unsent:
        accept_quote(quote, order_id=OrderId("o-1"), at=T0 + HOUR)
    assert unsent.value.code == "transition"
    sent = quote.send(at=T0 + HOUR)
    with pytest.raises(TransitionNotAllowed) as late:
        accept_quote(sent, order_id=OrderId("o-1"), at=sent.valid_until + HOUR)
    assert (late.value.path, late.value.code) == ("$.valid_until", "expired")
    expired = sent.expire(at=sent.valid_until)
    with pytest.raises(TransitionNotAllowed) as caught:
        accept_quote(expired, order_id=OrderId("o-1"), at=sent.valid_until + HOUR)
    assert (caught.value.path, caught.value.code) == ("$.status", "expired")
    assert expired.status is QuoteStatus.EXPIRED


def test_accept_checks_the_opportunity() -> None:
    """Another opportunity, or none when the quote names one, is refused."""
    opp = opportunity()
    mine = draft(
        [line("10.00", "USD")], "USD", flat_table("0.1"), opportunity_id=OpportunityId("opp-9")
    ).send(at=T0 + HOUR)
    with pytest.raises(ValidationError) as other:
        accept_quote(mine, order_id=OrderId("o-1"), at=T0 + HOUR, opportunity=opp)
    assert (other.value.path, other.value.code) == ("$.opportunity", "not_quote_opportunity")
    with pytest.raises(ValidationError) as missing:
        accept_quote(mine, order_id=OrderId("o-1"), at=T0 + HOUR)
    assert (missing.value.path, missing.value.code) == ("$.opportunity", "required")
    unlinked = draft([line("10.00", "USD")], "USD", flat_table("0.1")).send(at=T0 + HOUR)
    with pytest.raises(ValidationError) as extra:
        accept_quote(unlinked, order_id=OrderId("o-1"), at=T0 + HOUR, opportunity=opp)
    assert extra.value.code == "not_quote_opportunity"
    with pytest.raises(InvalidType):
        accept_quote("q", order_id=OrderId("o-1"), at=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        accept_quote(unlinked, order_id=OrderId("o-1"), at=T0, opportunity="opp")  # type: ignore[arg-type]


def test_accept_passes_the_envelope_to_all_three() -> None:
    """One correlation id ties the quote's, the order's and the opportunity's events."""
    opp = opportunity()
    quote = draft([line("10.00", "USD")], "USD", flat_table("0.1"), opportunity_id=opp.id).send(
        at=T0 + HOUR
    )
    done = accept_quote(
        quote, order_id=OrderId("o-1"), at=T0 + DAY, opportunity=opp, correlation_id="req-1"
    )
    assert done.opportunity is not None
    for record in (done.quote, done.order, done.opportunity):
        assert record.pending_events[-1].correlation_id == "req-1"


# -- pricing from a book ---------------------------------------------------------------------


def book(currency: str = "IDR") -> PriceBook:
    """A price book with a list price and a volume tier of one product."""
    router = ProductId("p-router")
    return PriceBook.create(
        PriceBookId(f"pb-{currency.lower()}"),
        name="Indonesia 2025",
        currency=currency,
        entries=[
            PriceEntry(router, Money("1250000", currency), valid_from=date(2025, 1, 1)),
            PriceEntry(
                router, Money("1100000", currency), valid_from=date(2025, 1, 1), min_quantity=10
            ),
        ],
        at=T0,
    )


def test_price_line_uses_the_volume_tier() -> None:
    """Twelve routers are priced at the 10+ tier; the line names its book."""
    item = price_line(
        [book()], product_id=ProductId("p-router"), quantity=12, currency="IDR", on=date(2025, 6, 1)
    )
    assert (item.unit_price, item.price_source, item.price_book_id) == (
        Money("1100000", "IDR"),
        PriceSource.PRICE_BOOK,
        PriceBookId("pb-idr"),
    )


def test_price_line_refuses_a_book_in_another_currency() -> None:
    """A quote in IDR is never priced from a USD book: CurrencyMismatch at the book."""
    with pytest.raises(CurrencyMismatch) as caught:
        price_line(
            [book("USD")],
            product_id=ProductId("p-router"),
            quantity=1,
            currency="IDR",
            on=date(2025, 6, 1),
        )
    assert caught.value.path == "$.books[0].currency"

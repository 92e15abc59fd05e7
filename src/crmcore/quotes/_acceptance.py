"""Accepting a quote: the quote accepted, its order placed and its opportunity updated, in one call.

The order's lines express the quote's amounts in the order's terms: an
:class:`~crmcore.commerce.OrderLine` has a **tax-exclusive** unit price, a
discount and the tax charged on the line, and ``order.total`` is the sum of
``unit_price * quantity - discount + tax``. Each order line's net
(``unit_price * quantity - discount``) is the quote line's net and its tax is
the quote line's tax, so ``order.total == quote.total`` exactly.

* Tax-exclusive quote: the order line has the quote line's unit price; its
  discount is the line discount plus the line's share of the quote discount.
* Tax-inclusive quote: the order line's unit price is the quoted unit price
  without tax, ``ceil(unit_price / (1 + r))`` in whole minor units (``r`` the
  line's effective rate); its discount is whatever brings
  ``unit_price * quantity`` down to the quote line's net: the discounts,
  expressed without tax, plus less than one minor unit per unit from the
  rounding up. Rounding up keeps that discount from ever being negative.

The opportunity gets the same lines without tax
(:class:`~crmcore.sales.OpportunityLine`), so its amount becomes the
quote's net (the usual pipeline convention: amounts before tax). Winning the
opportunity stays a separate, deliberate step.
"""

from __future__ import annotations

import math
from datetime import datetime
from fractions import Fraction
from typing import Unpack

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._events import EventMeta
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import OrderId
from crmcore._kernel._money import Money
from crmcore.commerce import Order, OrderLine
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.quotes._quote import Quote
from crmcore.quotes._tax import TaxRule
from crmcore.quotes._totals import LineTotals
from crmcore.sales import Opportunity, OpportunityLine


@attrs.frozen(slots=True)
class QuoteAcceptance(Checked):
    """What :func:`accept_quote` gives: the accepted quote, its order and the updated opportunity.

    Each holds the events it recorded, for the caller to save in one unit of work.

    .. versionadded:: 0.1
    """

    quote: Quote
    order: Order
    opportunity: Opportunity | None = None


def _exclusive_unit_price(unit_price: Money, rule: TaxRule) -> Money:
    # ceil(u / (1 + r)) in whole minor units: never below the tax-free price, so the
    # order line's discount (gross without tax less the net) is never negative.
    scale = 10**unit_price.minor_unit
    units = Fraction(unit_price.amount) * scale / (1 + rule.effective_rate)
    return Money.from_minor_units(math.ceil(units), unit_price.currency)


def _priced(quote: Quote) -> list[tuple[Money, Money | None, LineTotals]]:
    """Each line's tax-exclusive unit price, its discount (``None`` if none) and its totals."""
    totals = quote.totals
    out: list[tuple[Money, Money | None, LineTotals]] = []
    for line, amounts in zip(quote.lines, totals.lines, strict=True):
        if quote.tax_inclusive:
            rule = quote.tax_table.rule_for(line.tax_category, quote.priced_on)
            unit_price = _exclusive_unit_price(line.unit_price, rule)
        else:
            unit_price = line.unit_price
        discount = unit_price * line.quantity - amounts.net
        out.append((unit_price, None if discount.is_zero() else discount, amounts))
    return out


def _quote_argument(quote: object) -> Quote:
    if type(quote) is not Quote:
        raise InvalidType(f"must be a Quote, not {type_name(quote)}", path="$.quote")
    return quote


def quote_order_lines(quote: Quote) -> tuple[OrderLine, ...]:
    """The order lines a quote becomes (see the module documentation).

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore.quotes import CustomerId, ProductId, QuoteId, QuoteLine, ppn_indonesia
    >>> t0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
    >>> quote = Quote.create(
    ...     QuoteId("q-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     currency="IDR",
    ...     lines=[QuoteLine(ProductId("sku-1"), 1, Money("111000", "IDR"))],
    ...     tax_table=ppn_indonesia(),
    ...     tax_inclusive=True,
    ...     valid_until=t0 + timedelta(days=30),
    ...     at=t0,
    ... )
    >>> (line,) = quote_order_lines(quote)
    >>> line.unit_price, line.discount, line.tax
    (Money('100000.00', 'IDR'), None, Money('11000.00', 'IDR'))

    Raises:
        InvalidType: ``quote`` is not a :class:`Quote`.
    """
    quote = _quote_argument(quote)
    return tuple(
        OrderLine(
            line.product_id,
            line.quantity,
            unit_price,
            category=line.category,
            discount=discount,
            tax=amounts.tax,
        )
        for line, (unit_price, discount, amounts) in zip(quote.lines, _priced(quote), strict=True)
    )


def quote_opportunity_lines(quote: Quote) -> tuple[OpportunityLine, ...]:
    """The opportunity lines a quote becomes: the order lines without tax.

    Raises:
        InvalidType: ``quote`` is not a :class:`Quote`.
    """
    quote = _quote_argument(quote)
    return tuple(
        OpportunityLine(line.product_id, line.quantity, unit_price, discount=discount)
        for line, (unit_price, discount, _) in zip(quote.lines, _priced(quote), strict=True)
    )


def accept_quote(
    quote: Quote,
    *,
    order_id: OrderId,
    at: datetime,
    opportunity: Opportunity | None = None,
    **meta: Unpack[EventMeta],
) -> QuoteAcceptance:
    """Accept ``quote``, place the order ``order_id`` for it and update its opportunity, at ``at``.

    The quote records :class:`~crmcore.quotes.QuoteAccepted`, the order
    :class:`~crmcore.commerce.OrderPlaced` with ``order.total == quote.total``,
    and the opportunity (required when the quote names one) its new lines.
    The envelope keywords (``actor``, ``correlation_id``, ``causation_id``) go
    to all three. Nothing is returned unless every step succeeds; the inputs
    are immutable, so a refusal leaves everything as it was.

    Raises:
        InvalidType: ``quote`` is not a Quote, ``order_id`` not an OrderId,
            ``opportunity`` not an Opportunity.
        TransitionNotAllowed: the quote is expired or past its validity (code
            ``expired``), or not sent (code ``transition``).
        CurrencyMismatch: the opportunity's amount is in another currency
            than the quote (``$.opportunity.amount``).
        ValidationError: ``opportunity`` is not the quote's
            (``$.opportunity``, ``not_quote_opportunity``), is another
            customer's (``$.opportunity.customer_id``, ``customer_mismatch``)
            or is missing when the quote names one (``$.opportunity``,
            ``required``); ``at`` is naive or before the quote's last change
            (``$.at``); the opportunity refuses its new lines (the error under
            ``$.opportunity``: ``$.opportunity.lines`` ``won_frozen`` for a won
            one, ``$.opportunity.at`` ``time_backwards`` if it changed after ``at``).
    """
    if not isinstance(quote, Quote):
        raise InvalidType(f"must be a Quote, not {type_name(quote)}", path="$.quote")
    if opportunity is not None and not isinstance(opportunity, Opportunity):
        raise InvalidType(
            f"must be an Opportunity, not {type_name(opportunity)}", path="$.opportunity"
        )
    if opportunity is None and quote.opportunity_id is not None:
        raise ValidationError(
            "must be given: the quote belongs to an opportunity",
            path="$.opportunity",
            code="required",
        )
    if opportunity is not None:
        _check_opportunity(quote, opportunity)
    accepted = quote.accept(order_id=order_id, at=at, **meta)
    order = Order.place(
        order_id, customer_id=quote.customer_id, lines=quote_order_lines(quote), at=at, **meta
    )
    updated = None
    if opportunity is not None:
        try:
            updated = opportunity.replace_lines(quote_opportunity_lines(quote), at=at, **meta)
        except ValidationError as exc:
            raise exc.under("$.opportunity") from None
    return QuoteAcceptance(accepted, order, updated)


def _check_opportunity(quote: Quote, opportunity: Opportunity) -> None:
    """The opportunity is the quote's: its id, its customer and its currency."""
    if opportunity.id != quote.opportunity_id:
        raise ValidationError(
            "must be the opportunity the quote belongs to",
            path="$.opportunity",
            code="not_quote_opportunity",
        )
    if opportunity.customer_id != quote.customer_id:
        raise ValidationError(
            "must be the quote customer's opportunity",
            path="$.opportunity.customer_id",
            code="customer_mismatch",
        )
    if opportunity.amount.currency != quote.currency:
        raise CurrencyMismatch(
            f"must be in the quote's currency {quote.currency} "
            "(change the opportunity's amount first to switch its currency)",
            path="$.opportunity.amount",
        )

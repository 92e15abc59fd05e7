"""The lines of a quote: a product, how many, at what unit price, less a line discount.

A line's price comes from a price book (``price_source="price_book"``, see
:func:`price_line`) or is typed over it (``price_source="override"``), and an
override needs a reason. The reason is free text: it stays in the quote,
never goes into an event and is left out of the repr (like an order's refund
reasons); :meth:`~crmcore.quotes.Quote.anonymise` erases it.

Amounts are exact: a unit price and a line discount are whole minor units of
the currency (cents, rupiah), so a line's gross, ``quantity * unit_price``, is
too. A percentage discount is rounded to the minor unit (half to even).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import optional_typed_id, typed_id
from crmcore._kernel._checks import (
    category,
    check_name,
    enum_converter,
    positive_int,
    reason_text,
    to_decimal,
    type_name,
)
from crmcore._kernel._ids import PriceBookId, ProductId
from crmcore._kernel._money import Money, money_at_least_zero, same_currency
from crmcore._kernel._personal import ERASED
from crmcore.catalog import PriceBook, Product, resolve_price
from crmcore.errors import InvalidType, ValidationError

#: Largest quantity of one quote line.
MAX_QUOTE_QUANTITY: Final = 1_000_000
#: Most lines one quote may hold.
MAX_QUOTE_LINES: Final = 500
_HUNDRED: Final = Decimal(100)


class PriceSource(StrEnum):
    """Where a line's unit price came from: the price book, or typed over it (with a reason)."""

    PRICE_BOOK = "price_book"
    OVERRIDE = "override"


def in_minor_units(money: Money, path: str) -> Money:
    """Return ``money`` if its amount is whole minor units of its currency (code ``precision``)."""
    if money.rounded().amount != money.amount:
        raise ValidationError(
            f"must be whole minor units of {money.currency} ({money.minor_unit} decimal places)",
            path=path,
            code="precision",
        )
    return money


def _quantity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
        raise ValidationError(
            "must be a positive number of units", path="$.quantity", code="not_positive"
        )
    positive_int(value, "$.quantity", maximum=MAX_QUOTE_QUANTITY)


def _unit_price(value: object) -> Money:
    return in_minor_units(money_at_least_zero(value, "$.unit_price"), "$.unit_price")


def check_percent(value: object, path: str) -> Decimal | None:
    """A discount percentage from 0 to 100 (``Decimal("12.5")`` is 12.5%), or ``None``."""
    if value is None:
        return None
    percent = to_decimal(value, path)
    if percent < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    if percent > _HUNDRED:
        raise ValidationError("must not be over 100 (percent)", path=path, code="over_100")
    return percent


def _discount_percent(value: object) -> Decimal | None:
    return check_percent(value, "$.discount_percent")


def _discount(value: object) -> Money | None:
    if value is None:
        return None
    return in_minor_units(money_at_least_zero(value, "$.discount"), "$.discount")


def _tax_category(value: object) -> str:
    return check_name(value, "$.tax_category")


def _category(value: object) -> str:
    return category(value, "$.category")


def _price_source(value: object) -> PriceSource:
    return enum_converter(PriceSource, "$.price_source")(value)


def _override_reason(value: object) -> str | None:
    return reason_text(value, "$.override_reason")


def percent_of(amount: Money, percent: Decimal) -> Money:
    """``amount * percent / 100`` rounded to the minor unit, half to even.

    Exact (rational arithmetic, one rounding): never more than ``amount`` for
    a percentage up to 100, however large the amount.

    >>> percent_of(Money("0.25", "USD"), Decimal(10)), percent_of(Money("0.35", "USD"), Decimal(10))
    (Money('0.02', 'USD'), Money('0.04', 'USD'))
    """
    exact = Fraction(amount.amount) * Fraction(percent) / 100 * 10**amount.minor_unit
    return Money.from_minor_units(round(exact), amount.currency)  # half to even


@attrs.frozen(slots=True)
class QuoteLine:
    """One line of a quote.

    Args:
        product_id: the product quoted.
        quantity: how many units, from 1 to :data:`MAX_QUOTE_QUANTITY`; times
            the unit price below 10**21 (else ``$.quantity``, ``too_large``).
        unit_price: the price of one unit in whole minor units, zero or more.
            Tax-exclusive or tax-inclusive as the quote says
            (:attr:`~crmcore.quotes.Quote.tax_inclusive`).
        discount_percent: a line discount in **percent** of the gross (0 to 100).
        discount: a line discount as an amount (at most the gross); not both.
        tax_category: the product tax category the quote's tax table rates.
        category: the product category or family the order line gets.
        price_source: ``"price_book"`` or ``"override"``.
        price_book_id: the book the price came from, if known.
        override_reason: why the price was overridden (required for, and only
            for, an override). Free text: left out of the repr and of events.

    >>> line = QuoteLine(
    ...     ProductId("sku-1"), 3, Money("20.00", "USD"), discount_percent=Decimal("12.5")
    ... )
    >>> line.gross, line.line_discount, line.amount
    (Money('60.00', 'USD'), Money('7.50', 'USD'), Money('52.50', 'USD'))
    >>> QuoteLine(ProductId("sku-1"), -1, Money("20.00", "USD"))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.quantity: must be a positive number of units

    .. versionadded:: 0.1
    """

    product_id: ProductId = attrs.field(validator=typed_id(ProductId, "$.product_id"))
    quantity: int = attrs.field(validator=_quantity)
    unit_price: Money = attrs.field(converter=_unit_price)
    discount_percent: Decimal | None = attrs.field(
        default=None, kw_only=True, converter=_discount_percent
    )
    discount: Money | None = attrs.field(default=None, kw_only=True, converter=_discount)
    tax_category: str = attrs.field(default="standard", kw_only=True, converter=_tax_category)
    category: str = attrs.field(default="general", kw_only=True, converter=_category)
    price_source: PriceSource = attrs.field(
        default=PriceSource.PRICE_BOOK, kw_only=True, converter=_price_source
    )
    price_book_id: PriceBookId | None = attrs.field(
        default=None, kw_only=True, validator=optional_typed_id(PriceBookId, "$.price_book_id")
    )
    override_reason: str | None = attrs.field(
        default=None, kw_only=True, converter=_override_reason, repr=False
    )

    def __attrs_post_init__(self) -> None:
        try:
            _ = self.gross
        except ValidationError:
            raise ValidationError(
                "times the unit price must be smaller than 10**21 (what Money holds)",
                path="$.quantity",
                code="too_large",
            ) from None
        if self.discount is not None:
            if self.discount_percent is not None:
                raise ValidationError(
                    "must not be given with discount_percent: one line discount",
                    path="$.discount",
                    code="one_discount",
                )
            same_currency(self.discount, self.unit_price.currency, "$.discount")
            if self.discount > self.gross:
                raise ValidationError(
                    "must not exceed the line's quantity times its unit price",
                    path="$.discount",
                    code="discount_exceeds_line",
                )
        overridden = self.price_source is PriceSource.OVERRIDE
        if overridden and self.override_reason is None:
            raise ValidationError(
                "must be given when the price is overridden",
                path="$.override_reason",
                code="required",
            )
        if not overridden and self.override_reason is not None:
            raise ValidationError(
                "must be given only for an overridden price",
                path="$.override_reason",
                code="not_override",
            )

    @property
    def currency(self) -> str:
        """The line's currency."""
        return self.unit_price.currency

    @property
    def gross(self) -> Money:
        """``quantity * unit_price`` (exact: whole minor units)."""
        return self.unit_price * self.quantity

    @property
    def line_discount(self) -> Money:
        """The line discount as an amount: the given one, or the percentage of the gross rounded."""
        if self.discount is not None:
            return self.discount
        if self.discount_percent is not None:
            return percent_of(self.gross, self.discount_percent)
        return Money.zero(self.currency)

    @property
    def amount(self) -> Money:
        """Gross less the line discount (before any quote discount)."""
        return self.gross - self.line_discount

    def overridden(self, unit_price: Money, *, reason: str) -> QuoteLine:
        """The same line at ``unit_price`` typed over the book price, for ``reason``.

        A line discount given as an amount must still fit the new gross.
        """
        return attrs.evolve(
            self, unit_price=unit_price, price_source=PriceSource.OVERRIDE, override_reason=reason
        )

    def without_reason(self) -> QuoteLine:
        """The same line with its override reason replaced by ``[erased]`` (for anonymising)."""
        if self.override_reason is None:
            return self
        return attrs.evolve(self, override_reason=ERASED)


def price_line(
    books: Iterable[PriceBook],
    *,
    product_id: ProductId,
    quantity: int,
    currency: str,
    on: date,
    customer_group: str | None = None,
    tax_category: str | None = None,
    category: str | None = None,
    discount_percent: Decimal | int | str | None = None,
    discount: Money | None = None,
    product: Product | None = None,
) -> QuoteLine:
    """A line priced from ``books`` (:class:`~crmcore.catalog.PriceBook`) on the day ``on``.

    The unit price is what :func:`crmcore.catalog.resolve_price` picks for the
    product, quantity (volume tiers) and customer group; the line names the
    book it came from. Given the catalog's ``product`` (the one ``product_id``
    names), the line takes its tax category and, as its category, its family,
    unless ``tax_category`` or ``category`` say otherwise; a retired product
    is not quoted. Without it the tax category is ``"standard"`` and the
    category ``"general"`` unless given.

    Raises:
        InvalidType: ``product`` is not a :class:`~crmcore.catalog.Product`.
        CurrencyMismatch: a book is not in ``currency`` (``$.books[i].currency``):
            a quote is never priced from a book of another currency.
        ValidationError: no price applies (code ``no_price``); the price is
            not in whole minor units (``$.unit_price``, ``precision``); the
            line breaks a rule of :class:`QuoteLine`; ``product`` is another
            product than ``product_id`` (``$.product``, ``wrong_product``) or
            retired (``$.product.status``, ``retired``).
    """
    if product is not None:
        if type(product) is not Product:
            raise InvalidType(f"must be a Product, not {type_name(product)}", path="$.product")
        if product.id != product_id:
            raise ValidationError(
                "must be the product the line prices (product_id)",
                path="$.product",
                code="wrong_product",
            )
        if not product.is_active:
            raise ValidationError(
                "must be an active product: a retired product is not quoted",
                path="$.product.status",
                code="retired",
            )
        if tax_category is None:
            tax_category = product.tax_category
        if category is None and product.family is not None:
            category = product.family
    resolution = resolve_price(
        books,
        product_id=product_id,
        quantity=quantity,
        currency=currency,
        on=on,
        customer_group=customer_group,
    )
    return QuoteLine(
        product_id,
        quantity,
        resolution.unit_price,
        discount_percent=discount_percent,
        discount=discount,
        tax_category="standard" if tax_category is None else tax_category,
        category="general" if category is None else category,
        price_source=PriceSource.PRICE_BOOK,
        price_book_id=resolution.book_id,
    )

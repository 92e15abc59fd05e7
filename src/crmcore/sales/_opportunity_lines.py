"""Opportunity line items: the products a deal is about, from which its amount is derived.

An :class:`OpportunityLine` names a product, a quantity, a unit price and an
optional discount, like an order line without a category. An
:class:`~crmcore.sales.Opportunity` holding lines (see
:meth:`~crmcore.sales.Opportunity.replace_lines`) takes its amount from them:
the exact sum of the lines' net amounts, all in one currency.

>>> from crmcore import Money
>>> from crmcore.sales import ProductId
>>> line = OpportunityLine(
...     ProductId("espresso-x2"), 3, Money("1250.00", "USD"), discount=Money("150.00", "USD")
... )
>>> line.gross, line.net
(Money('3750.00', 'USD'), Money('3600.00', 'USD'))
>>> OpportunityLine(ProductId("espresso-x2"), 0, Money("1250.00", "USD"))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.quantity: must be from 1 to 1000000
>>> OpportunityLine(ProductId("espresso-x2"), 1, Money("10", "USD"), discount=Money("11", "USD"))
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.discount: must not exceed the line's quantity times its unit price
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import typed_id
from crmcore._kernel._checks import items_of, positive_int, to_decimal
from crmcore._kernel._derived import Derivable, derived, keep, start_keeping
from crmcore._kernel._ids import ProductId
from crmcore._kernel._money import (
    Money,
    difference,
    less_nothing,
    money_at_least_zero,
    product,
    same_currency,
)
from crmcore.errors import CurrencyMismatch, ValidationError

#: Most lines one opportunity may hold (as many as an order: an accepted quote becomes both).
MAX_OPPORTUNITY_LINES: Final = 500
#: Largest quantity of one line.
MAX_LINE_QUANTITY: Final = 1_000_000

_HUNDRED: Final = Decimal(100)


def _quantity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    positive_int(value, "$.quantity", maximum=MAX_LINE_QUANTITY)


def _unit_price(value: object) -> Money:
    return money_at_least_zero(value, "$.unit_price")


def _discount(value: object) -> Money | None:
    return None if value is None else money_at_least_zero(value, "$.discount")


@attrs.frozen(slots=True)
class OpportunityLine(Derivable):
    """One line of an opportunity: a product, how many, at what unit price, less any discount.

    The quantity is a whole number from 1 to :data:`MAX_LINE_QUANTITY`; the
    unit price and the discount are Money of zero or more, in one currency,
    and the discount never exceeds the line's gross (quantity times unit
    price). Amounts are not rounded to the minor unit: round them when you
    show them. Like an order line's, the gross is ``unit_price * quantity``
    as :class:`~crmcore.Money` multiplies: exact up to 28 significant digits.

    Raises:
        InvalidType: ``product_id`` is not a ProductId, ``quantity`` not an
            int, a price or discount not Money.
        ValidationError: a quantity out of range (``$.quantity``, code
            ``range``), a negative price or discount (code ``negative``), a
            gross of 10**21 or more (``$.unit_price``, ``too_large``), a
            discount above the gross (``$.discount``,
            ``discount_exceeds_line``).
        CurrencyMismatch: the discount is in another currency (``$.discount``).
    """

    product_id: ProductId = attrs.field(validator=typed_id(ProductId, "$.product_id"))
    quantity: int = attrs.field(validator=_quantity)
    unit_price: Money = attrs.field(converter=_unit_price)
    discount: Money | None = attrs.field(default=None, kw_only=True, converter=_discount)

    def __attrs_post_init__(self) -> None:
        start_keeping(self)
        try:
            gross = Money(product(self.unit_price.amount, self.quantity), self.currency)
        except ValidationError:
            raise ValidationError(
                "times the quantity must be below 10**21",
                path="$.unit_price",
                code="too_large",
            ) from None
        keep(self, "gross", gross)
        discount = self.discount
        if discount is not None:
            same_currency(discount, self.currency, "$.discount")
            if discount.amount > gross.amount:
                raise ValidationError(
                    "must not exceed the line's quantity times its unit price",
                    path="$.discount",
                    code="discount_exceeds_line",
                )

    @classmethod
    def with_discount_percent(
        cls,
        product_id: ProductId,
        quantity: int,
        unit_price: Money,
        *,
        percent: Decimal | int | str,
    ) -> OpportunityLine:
        """A line whose discount is ``percent`` per cent of its gross (not rounded to the minor unit).

        ``percent`` is a Decimal, int or numeric string from 0 to 100 (floats
        are refused). The discount is kept as Money; round it first and pass
        ``discount=`` instead if it must be whole minor units.

        >>> from crmcore import Money
        >>> from crmcore.sales import ProductId
        >>> line = OpportunityLine.with_discount_percent(
        ...     ProductId("grinder"), 3, Money("19.99", "USD"), percent="10"
        ... )
        >>> line.discount, line.net
        (Money('5.9970', 'USD'), Money('53.9730', 'USD'))
        >>> OpportunityLine.with_discount_percent(
        ...     ProductId("grinder"), 1, Money("19.99", "USD"), percent=120
        ... )
        Traceback (most recent call last):
        ...
        crmcore.errors.ValidationError: $.discount_percent: must be from 0 to 100

        Raises:
            ValidationError: ``percent`` below 0 or above 100
                (``$.discount_percent``, code ``range``), or any error of the
                line itself.
        """
        share = to_decimal(percent, "$.discount_percent")
        if not 0 <= share <= _HUNDRED:
            raise ValidationError("must be from 0 to 100", path="$.discount_percent", code="range")
        plain = cls(product_id, quantity, unit_price)
        # gross * percent / 100: the product keeps 28 digits and rounds monotonically, so
        # for a percent of 100 or less the discount never exceeds the gross (28 digits).
        amount = product(plain.gross.amount, share).scaleb(-2)
        return cls(product_id, quantity, unit_price, discount=Money(amount, plain.currency))

    @property
    def currency(self) -> str:
        """The line's currency (its unit price's)."""
        return self.unit_price.currency

    @derived
    def gross(self) -> Money:
        """Quantity times unit price."""
        return Money(product(self.unit_price.amount, self.quantity), self.currency)

    @derived
    def net(self) -> Money:
        """Gross less the line discount."""
        gross = self.gross
        if self.discount is None:
            return less_nothing(gross)  # gross less a zero discount, as an order line's net
        return Money(difference(gross.amount, self.discount.amount), self.currency)


def check_lines(value: object) -> tuple[OpportunityLine, ...]:
    """The lines of an opportunity: at most :data:`MAX_OPPORTUNITY_LINES`, all in one currency.

    Raises:
        InvalidType: not a sequence of OpportunityLine (``$.lines``, ``$.lines[i]``).
        ValidationError: too many lines (``$.lines``, code ``too_many``).
        CurrencyMismatch: a line in another currency than the first
            (``$.lines[i].unit_price``).
    """
    lines = items_of(
        value,
        OpportunityLine,
        "$.lines",
        "an OpportunityLine",
        max_items=MAX_OPPORTUNITY_LINES,
        noun="lines",
    )
    if lines:
        first = lines[0].currency
        for index, line in enumerate(lines):
            if line.currency != first:
                raise CurrencyMismatch(
                    f"must be in {first}, the currency of the first line",
                    path=f"$.lines[{index}].unit_price",
                )
    return lines


def lines_amount(lines: Sequence[OpportunityLine]) -> Money:
    """The exact sum of the net amounts of ``lines`` (checked, at least one, one currency).

    Raises:
        ValidationError: the sum is 10**21 or more, or needs more digits than
            an amount may hold (``$.lines``, code ``too_large`` or ``too_long``).
    """
    try:
        return Money.total((line.net for line in lines), currency=lines[0].currency)
    except ValidationError as exc:
        raise ValidationError(
            "must have net amounts that add up to an amount Money can hold "
            "(below 10**21, at most 100 significant digits)",
            path="$.lines",
            code=exc.code,
        ) from None

"""A quote's totals: line amounts, the quote discount spread over the lines, tax, and the total.

Every amount is computed in whole **minor units** of the quote's currency
(cents for USD, rupiah for IDR, fils for KWD), with exact arithmetic, in this
order (the formulas of :func:`quote_totals`):

1. **Gross** of line *i*: ``g_i = quantity_i * unit_price_i`` (exact: unit
   prices are whole minor units).
2. **Line discount**: the amount given, or ``round(g_i * percent_i / 100)``.
   The line's **amount** is ``a_i = g_i - line discount_i``.
3. **Quote (header) discount** ``D``: the amount given, or
   ``round(Σ a_i * percent / 100)``; at most ``Σ a_i``. It is split over the
   lines in proportion to their amounts ``a_i`` with :meth:`Money.allocate
   <crmcore.Money.allocate>` (largest remainder): each line first gets the
   whole minor units of ``D * a_i / Σ a_i``; the units left over (fewer than
   the number of lines) go one each to the lines with the largest fractional
   remainders, **the earlier line on a tie**; a line with a zero amount gets
   nothing. The shares add up to ``D`` exactly and no share exceeds its
   line's amount. The line's discounted amount is ``c_i = a_i - share_i``.
4. **Tax**, per line, with the effective rate ``r`` of the rule the tax table
   gives the line's tax category on the quote's pricing day
   (``r = rate * base fraction``; see :class:`~crmcore.quotes.TaxRule`):

   * tax-exclusive prices: ``tax_i = round(c_i * r)``, ``net_i = c_i``;
   * tax-inclusive prices (the tax is inside ``c_i``):
     ``tax_i = round(c_i * r / (1 + r))``, ``net_i = c_i - tax_i``.

   Each line's tax is rounded on its own; the tax of a rate is the sum of
   its lines' rounded taxes (so it may differ by a few minor units from the
   rate applied to the summed base).
5. **Total** ``= Σ net_i + Σ tax_i``, exactly: every term is whole minor
   units, nothing is rounded after the lines. For tax-inclusive prices
   that is ``Σ c_i``: the customer pays the prices quoted.

``round`` is round half to even (banker's rounding, :meth:`Money.rounded
<crmcore.Money.rounded>`'s default), applied to the exact rational value, so
that ``r = 12% * 11/12`` taxes exactly like 11%.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final

import attrs

from crmcore._kernel._checks import items_of, require_date, type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import MAX_MAGNITUDE, Money, same_currency
from crmcore.errors import InvalidType, ValidationError
from crmcore.quotes._lines import MAX_QUOTE_LINES, QuoteLine, check_percent, in_minor_units
from crmcore.quotes._tax import TaxRule, TaxTable

_HUNDRED: Final = Fraction(100)


def round_minor(value: Fraction) -> int:
    """``value`` (in minor units) rounded to a whole number, half to even."""
    return round(value)  # Fraction.__round__ with no digits rounds half to even


@attrs.frozen(slots=True)
class LineTotals(Checked):
    """The amounts of one quote line (see the module documentation for the formulas).

    Attributes:
        gross: quantity * unit price.
        line_discount: the line's own discount.
        quote_discount: the line's share of the quote discount.
        amount: gross less both discounts, in the quote's price terms
            (tax included if the quote's prices include tax).
        net: the amount without tax.
        tax: the line's tax, rounded on its own.
        total: net plus tax.
        tax_code: the code of the tax rule applied.
        rate: its nominal rate (a fraction).

    .. versionadded:: 0.1
    """

    gross: Money
    line_discount: Money
    quote_discount: Money
    amount: Money
    net: Money
    tax: Money
    total: Money
    tax_code: str
    rate: Decimal


@attrs.frozen(slots=True)
class TaxBreakdown(Checked):
    """The tax of one rule over a quote, for the quote document.

    Attributes:
        code: the rule's code; category: its tax category; rate: its nominal rate.
        base_numerator, base_denominator: its tax base fraction.
        net: the sum of the nets of the lines it taxes.
        base: the tax base, ``round(net * base fraction)`` (Indonesia's DPP).
        tax: the sum of those lines' rounded taxes.

    .. versionadded:: 0.1
    """

    code: str
    category: str
    rate: Decimal
    base_numerator: int
    base_denominator: int
    net: Money
    base: Money
    tax: Money


@attrs.frozen(slots=True)
class QuoteTotals(Checked):
    """Every amount of a quote: per line, per tax rule, and in total.

    ``total == net + tax`` and ``net == sum of the line nets``, exactly.

    Attributes:
        lines: the amounts of each line, in line order.
        subtotal: the sum of the gross amounts.
        line_discounts: the sum of the line discounts.
        quote_discount: the quote (header) discount.
        net: the sum of the line nets (without tax).
        tax: the sum of the line taxes.
        total: what the customer pays.
        taxes: the tax per rule, in the order the lines first use them.

    .. versionadded:: 0.1
    """

    currency: str
    tax_inclusive: bool
    lines: tuple[LineTotals, ...]
    subtotal: Money
    line_discounts: Money
    quote_discount: Money
    net: Money
    tax: Money
    total: Money
    taxes: tuple[TaxBreakdown, ...]


def _units(money: Money) -> int:
    # Exact: every amount here is whole minor units (checked on the way in).
    return int(money.amount.scaleb(money.minor_unit))


def quote_discount_units(
    amounts: Sequence[int],
    currency: str,
    *,
    discount_percent: object = None,
    discount: Money | None = None,
) -> int:
    """The quote discount in minor units, from a percentage or an amount (not both)."""
    percent = check_percent(discount_percent, "$.discount_percent")
    total = sum(amounts)
    if discount is not None:
        if percent is not None:
            raise ValidationError(
                "must not be given with discount_percent: one quote discount",
                path="$.discount",
                code="one_discount",
            )
        same_currency(discount, currency, "$.discount")
        units = _units(in_minor_units(discount, "$.discount"))
        if units < 0:
            raise ValidationError("must not be negative", path="$.discount", code="negative")
        if units > total:
            raise ValidationError(
                "must not exceed the lines' amounts after their own discounts",
                path="$.discount",
                code="discount_exceeds_total",
            )
        return units
    if percent is None:
        return 0
    return round_minor(Fraction(total) * Fraction(percent) / _HUNDRED)


def allocate_units(total: int, weights: Sequence[int], currency: str) -> list[int]:
    """Split ``total`` minor units over ``weights`` by largest remainder (see the module doc)."""
    if total == 0 or not any(weights):
        return [0] * len(weights)
    parts = Money.from_minor_units(total, currency).allocate(list(weights))
    return [_units(part) for part in parts]


def line_tax_units(amount: int, rule: TaxRule, *, tax_inclusive: bool) -> int:
    """The tax of a line amount (minor units) under ``rule``; see the module documentation."""
    rate = rule.effective_rate
    if tax_inclusive:
        return round_minor(Fraction(amount) * rate / (1 + rate))
    return round_minor(Fraction(amount) * rate)


def quote_totals(
    lines: Sequence[QuoteLine],
    *,
    currency: str,
    tax_table: TaxTable,
    on: date,
    tax_inclusive: bool = False,
    discount_percent: Decimal | int | str | None = None,
    discount: Money | None = None,
) -> QuoteTotals:
    """The totals of ``lines`` in ``currency``, taxed by ``tax_table`` on the day ``on``.

    See the module documentation for the formulas and the rounding.

    >>> from datetime import date
    >>> from crmcore.quotes import ProductId
    >>> japan = TaxTable(
    ...     [TaxRule("jct", Decimal("0.10"), category="standard", valid_from=date(2019, 10, 1))]
    ... )
    >>> lines = [
    ...     QuoteLine(ProductId("a"), 1, Money("100", "JPY")),
    ...     QuoteLine(ProductId("b"), 1, Money("200", "JPY")),
    ... ]
    >>> totals = quote_totals(
    ...     lines, currency="JPY", tax_table=japan, on=date(2025, 6, 1), discount=Money("1", "JPY")
    ... )
    >>> [line.quote_discount for line in totals.lines]
    [Money('0', 'JPY'), Money('1', 'JPY')]
    >>> [line.tax for line in totals.lines]
    [Money('10', 'JPY'), Money('20', 'JPY')]
    >>> totals.net, totals.tax, totals.total
    (Money('299', 'JPY'), Money('30', 'JPY'), Money('329', 'JPY'))

    (The yen of discount goes to line b, whose share, 2/3 of a yen, has the
    larger remainder; line b's tax is ``round(199 * 0.10) = round(19.9) = 20``.)

    Raises:
        CurrencyMismatch: a line or the discount is in another currency
            (``$.lines[i].unit_price``, ``$.discount``).
        ValidationError: no tax rule for a line's category that day
            (``$.lines[i].tax_category``, ``no_tax_rule``); a discount over
            100% or over the lines' amounts; both discount kinds given; the
            lines' gross amounts, or the total, 10**21 or more (``$.lines``,
            ``too_large``).
    """
    code = Money.zero(currency).currency
    if not isinstance(tax_table, TaxTable):
        raise InvalidType(f"must be a TaxTable, not {type_name(tax_table)}", path="$.tax_table")
    if not isinstance(tax_inclusive, bool):
        raise InvalidType(f"must be a bool, not {type_name(tax_inclusive)}", path="$.tax_inclusive")
    day = require_date(on, "$.on")
    lines = items_of(
        lines, QuoteLine, "$.lines", "a QuoteLine", max_items=MAX_QUOTE_LINES, noun="lines"
    )
    gross: list[int] = []
    own: list[int] = []
    rules: list[TaxRule] = []
    for index, line in enumerate(lines):
        if line.currency != code:
            same_currency(line.unit_price, code, f"$.lines[{index}].unit_price")
        rules.append(_rule_of(tax_table, line.tax_category, day, index))
        gross.append(_units(line.gross))
        own.append(_units(line.line_discount))
    bound = int(MAX_MAGNITUDE) * 10 ** Money.zero(code).minor_unit
    _check_bound(sum(gross), bound)
    amounts = [g - d for g, d in zip(gross, own, strict=True)]
    header = quote_discount_units(
        amounts, code, discount_percent=discount_percent, discount=discount
    )
    shares = allocate_units(header, amounts, code)

    def money(units: int) -> Money:
        return Money.from_minor_units(units, code)

    charged_of = [amount - share for amount, share in zip(amounts, shares, strict=True)]
    taxes_of = [
        line_tax_units(charged, rule, tax_inclusive=tax_inclusive)
        for charged, rule in zip(charged_of, rules, strict=True)
    ]
    nets = [
        charged - tax if tax_inclusive else charged
        for charged, tax in zip(charged_of, taxes_of, strict=True)
    ]
    _check_bound(sum(nets) + sum(taxes_of), bound)  # every other amount is at most this

    results: list[LineTotals] = []
    groups: dict[TaxRule, list[int]] = {}
    for index, rule in enumerate(rules):
        charged, tax, net = charged_of[index], taxes_of[index], nets[index]
        results.append(
            LineTotals(
                gross=money(gross[index]),
                line_discount=money(own[index]),
                quote_discount=money(shares[index]),
                amount=money(charged),
                net=money(net),
                tax=money(tax),
                total=money(net + tax),
                tax_code=rule.code,
                rate=rule.rate,
            )
        )
        group = groups.setdefault(rule, [0, 0])
        group[0] += net
        group[1] += tax
    taxes = tuple(
        TaxBreakdown(
            code=rule.code,
            category=rule.category,
            rate=rule.rate,
            base_numerator=rule.base_numerator,
            base_denominator=rule.base_denominator,
            net=money(net),
            base=money(round_minor(Fraction(net) * rule.base_fraction)),
            tax=money(tax),
        )
        for rule, (net, tax) in groups.items()
    )
    return QuoteTotals(
        currency=code,
        tax_inclusive=tax_inclusive,
        lines=tuple(results),
        subtotal=money(sum(gross)),
        line_discounts=money(sum(own)),
        quote_discount=money(header),
        net=money(sum(nets)),
        tax=money(sum(taxes_of)),
        total=money(sum(nets) + sum(taxes_of)),
        taxes=taxes,
    )


def _check_bound(units: int, bound: int) -> None:
    if units >= bound:
        raise ValidationError(
            "must add up, with their taxes, to less than 10**21 (what Money holds)",
            path="$.lines",
            code="too_large",
        )


def _rule_of(table: TaxTable, category: str, on: date, index: int) -> TaxRule:
    try:
        return table.rule_for(category, on)
    except ValidationError as exc:
        if exc.code != "no_tax_rule":
            raise
        raise ValidationError(
            exc.rule, path=f"$.lines[{index}].tax_category", code=exc.code
        ) from None

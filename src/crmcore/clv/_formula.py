"""The formula CLV of the source documents, with margin, discounting, costs and payback.

The source documents' basic formula is *average value of a sale x number of
transactions per year x retention time in years*; their refinements are the
profit margin, retention costs and discounting. With all of them this is the
present value of the yearly margins net of retention costs, less the
acquisition cost, as CLV is usually defined (Gupta et al., "Modeling Customer
Lifetime Value", Journal of Service Research 9(2), 2006). Everything is exact
Decimal arithmetic on :class:`~crmcore.Money`; the plain numbers may be floats
(read at their shortest decimal representation), the costs are Money.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, Literal

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import Tabular, statistic_decimal
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

#: The longest retention the formula accepts, in years (one discounted term per year).
MAX_RETENTION_YEARS: Final = 1000

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)


@attrs.frozen(slots=True)
class FormulaCLV(Checked, Tabular):
    """The formula CLV of one customer (or one average customer), with its components.

    Attributes:
        average_order_value: the average value of one sale.
        purchases_per_year: sales per year.
        retention_years: how long the customer stays, in years.
        gross_margin: the fraction of revenue kept as margin (1 without a margin).
        discount_rate: the annual discount rate (0 without discounting).
        timing: ``"end"`` if each year's value arrives at the end of the year,
            ``"start"`` if at its start.
        gross_value: revenue over the whole retention, undiscounted: the
            documents' basic formula.
        margin_value: ``gross_value`` x ``gross_margin``, undiscounted.
        present_value: the discounted yearly margins.
        retention_cost: the discounted yearly retention costs.
        acquisition_cost: the one-off cost of winning the customer (at time 0).
        net_value: ``present_value`` - ``retention_cost`` - ``acquisition_cost``:
            the customer lifetime value.
        yearly_values: each year's discounted margin less its discounted
            retention cost (the last one pro rata for a fractional retention).
        payback_years: years until the cumulative discounted net margin covers
            the acquisition cost (linear within a year), ``Decimal(0)``
            without acquisition cost, ``None`` if it is never covered within
            the retention time.
    """

    average_order_value: Money
    purchases_per_year: Decimal
    retention_years: Decimal
    gross_margin: Decimal
    discount_rate: Decimal
    timing: Literal["end", "start"]
    gross_value: Money
    margin_value: Money
    present_value: Money
    retention_cost: Money
    acquisition_cost: Money
    net_value: Money
    yearly_values: tuple[Money, ...]
    payback_years: Decimal | None


def _number(value: object, path: str, *, low: Decimal, high: Decimal | None = None) -> Decimal:
    number = statistic_decimal(value, path)
    if number < low:
        raise ValidationError(f"must be at least {low}", path=path, code="too_small")
    if high is not None and number > high:
        raise ValidationError(f"must be at most {high}", path=path, code="too_large")
    return number


def _fraction(value: object, path: str, what: str) -> Decimal:
    """A share from 0 to 1; above 1 is almost always a percentage, refused with a hint."""
    number = statistic_decimal(value, path)
    if number < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    if number > 1:
        raise ValidationError(
            f"must be a fraction from 0 to 1 ({what}): pass 0.3 for 30%, not 30",
            path=path,
            code="not_fraction",
        )
    return number


def _money(value: object, path: str, currency: str) -> Money:
    if not isinstance(value, Money):
        raise InvalidType(f"must be Money, not {type_name(value)}", path=path)
    if value.currency != currency:
        raise CurrencyMismatch(
            "must be in the currency of average_order_value", path=f"{path}.currency"
        )
    if value.amount < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return value


def formula_clv(
    average_order_value: Money,
    *,
    purchases_per_year: Decimal | int | str,
    retention_years: Decimal | int | str,
    gross_margin: Decimal | int | str | None = None,
    discount_rate: Decimal | int | str | None = None,
    retention_cost_per_year: Money | None = None,
    acquisition_cost: Money | None = None,
    timing: Literal["end", "start"] = "end",
) -> FormulaCLV:
    """The formula CLV: average order value x purchases per year x retention years, refined.

    Year ``k`` (``k = 1 ... ceil(retention_years)``) contributes the yearly margin
    ``average_order_value x purchases_per_year x gross_margin`` less the
    yearly retention cost, pro rata for a final partial year, discounted by
    ``(1 + discount_rate) ** k`` with ``timing="end"`` (the default: each
    year's value arrives at its end, so the first year is discounted once) or
    by ``(1 + discount_rate) ** (k - 1)`` with ``timing="start"``. The
    acquisition cost is paid at time 0 and not discounted.

    Args:
        average_order_value: the average value of a sale, as Money. Its
            currency is the currency of every result.
        purchases_per_year: sales per year (24 for twice a month); >= 0.
        retention_years: years the customer stays; from 0 to 1000, may be
            fractional.
        gross_margin: the fraction of revenue kept, from 0 to 1; default 1.
        discount_rate: the annual discount rate as a fraction from 0 to 1
            (``"0.10"`` for 10 %); default 0. A margin or rate above 1 is
            refused (code ``not_fraction``): it is almost always a percentage.
        retention_cost_per_year: what keeping the customer costs each year.
        acquisition_cost: what winning the customer cost.
        timing: ``"end"`` or ``"start"`` of each year, see above.

    Returns:
        A :class:`FormulaCLV` with every component.

    Raises:
        ValidationError: a number out of range or not finite.
        InvalidType: a number of the wrong type, or a cost that is not Money.
        CurrencyMismatch: a cost in another currency.

    The documents' worked example: a gift-shop customer buying Rp 275,000 items
    twice a month for three years.

    >>> clv = formula_clv(Money("275000", "IDR"), purchases_per_year=24, retention_years=3)
    >>> clv.gross_value
    Money('19800000', 'IDR')

    With a 40 % margin, a 10 % discount rate, Rp 300,000 a year of retention
    cost and Rp 2,000,000 to acquire the customer:

    >>> clv = formula_clv(
    ...     Money("275000", "IDR"),
    ...     purchases_per_year=24,
    ...     retention_years=3,
    ...     gross_margin="0.40",
    ...     discount_rate="0.10",
    ...     retention_cost_per_year=Money("300000", "IDR"),
    ...     acquisition_cost=Money("2000000", "IDR"),
    ... )
    >>> clv.margin_value, clv.present_value.rounded()
    (Money('7920000.00', 'IDR'), Money('6565289.26', 'IDR'))
    >>> clv.net_value.rounded(), clv.payback_years.quantize(Decimal("0.01"))
    (Money('3819233.66', 'IDR'), Decimal('0.94'))
    """
    if not isinstance(average_order_value, Money):
        raise InvalidType(
            f"must be Money, not {type_name(average_order_value)}", path="$.average_order_value"
        )
    code = average_order_value.currency
    per_year = _number(purchases_per_year, "$.purchases_per_year", low=_ZERO)
    years = _number(
        retention_years, "$.retention_years", low=_ZERO, high=Decimal(MAX_RETENTION_YEARS)
    )
    margin = (
        _ONE
        if gross_margin is None
        else _fraction(gross_margin, "$.gross_margin", "the share of revenue kept")
    )
    rate = (
        _ZERO
        if discount_rate is None
        else _fraction(discount_rate, "$.discount_rate", "the annual discount rate")
    )
    keep = (
        Money.zero(code)
        if retention_cost_per_year is None
        else _money(retention_cost_per_year, "$.retention_cost_per_year", code)
    )
    acquire = (
        Money.zero(code)
        if acquisition_cost is None
        else _money(acquisition_cost, "$.acquisition_cost", code)
    )
    if timing not in ("end", "start"):
        raise ValidationError("must be 'end' or 'start'", path="$.timing", code="choice")

    yearly_revenue = average_order_value * per_year
    yearly_margin = yearly_revenue * margin
    gross_value = yearly_revenue * years
    margin_value = yearly_margin * years

    # Present value of yearly cash flows: year k's value over (1 + rate)^k at the end of
    # the year, or (1 + rate)^(k - 1) at its start; a final partial year counts pro rata.
    growth = _ONE + rate
    present = Money.zero(code)
    costs = Money.zero(code)
    yearly: list[Money] = []
    shares: list[Decimal] = []
    year = 0
    while year < years:
        share = min(_ONE, years - year)
        year += 1
        exponent = year if timing == "end" else year - 1
        factor = share / growth**exponent
        earned = yearly_margin * factor
        spent = keep * factor
        present += earned
        costs += spent
        yearly.append(earned - spent)
        shares.append(share)

    return FormulaCLV(
        average_order_value=average_order_value,
        purchases_per_year=per_year,
        retention_years=years,
        gross_margin=margin,
        discount_rate=rate,
        timing=timing,
        gross_value=gross_value,
        margin_value=margin_value,
        present_value=present,
        retention_cost=costs,
        acquisition_cost=acquire,
        net_value=present - costs - acquire,
        yearly_values=tuple(yearly),
        payback_years=_payback(acquire, yearly, shares),
    )


def _payback(acquire: Money, yearly: list[Money], shares: list[Decimal]) -> Decimal | None:
    """Years until the cumulative yearly values reach ``acquire``, linear within a year."""
    if acquire.amount <= 0:
        return _ZERO
    covered = _ZERO
    elapsed = _ZERO
    for value, share in zip(yearly, shares, strict=True):
        if value.amount > 0 and covered + value.amount >= acquire.amount:
            return elapsed + share * (acquire.amount - covered) / value.amount
        covered += value.amount
        elapsed += share
    return None

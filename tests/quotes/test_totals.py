"""Tests for `crmcore.quotes._totals`: line amounts, the quote discount, tax and totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.quotes import QuoteLine, TaxTable, ppn_indonesia, quote_totals
from crmcore.testing.strategies import moneys
from crmcore.testing.strategies._quotes import quote_lines, tax_tables

from ._helpers import flat_table, half_even, line, units

CURRENCIES = ["IDR", "USD", "JPY", "KWD", "BHD"]
DAY = date(2025, 6, 1)


@st.composite
def priced(draw: st.DrawFn) -> tuple[list[QuoteLine], str, TaxTable, dict[str, object], bool]:
    """Lines of one currency, a table, a quote discount (maybe) and the tax treatment."""
    code = draw(st.sampled_from(CURRENCIES))
    lines = draw(st.lists(quote_lines(currencies=[code]), max_size=6))
    table = draw(tax_tables(ppn=False))
    room = sum(units(item.amount) for item in lines)
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    header: dict[str, object] = {}
    if kind == "percent":
        header["discount_percent"] = draw(st.integers(min_value=0, max_value=100))
    elif kind == "amount":
        header["discount"] = Money.from_minor_units(
            draw(st.integers(min_value=0, max_value=room)), code
        )
    return lines, code, table, header, draw(st.booleans())


@given(priced())
def test_total_is_the_sum_of_rounded_nets_plus_taxes_exactly(
    case: tuple[list[QuoteLine], str, TaxTable, dict[str, object], bool],
) -> None:
    """Totals identity, in minor units, for every currency: total = sum(net) + sum(tax)."""
    lines, code, table, header, inclusive = case
    totals = quote_totals(
        lines,
        currency=code,
        tax_table=table,
        on=DAY,
        tax_inclusive=inclusive,
        **header,  # type: ignore[arg-type]
    )
    nets = [units(item.net) for item in totals.lines]
    taxes = [units(item.tax) for item in totals.lines]
    assert units(totals.total) == sum(nets) + sum(taxes)
    assert units(totals.net) == sum(nets)
    assert units(totals.tax) == sum(taxes)
    assert [units(item.total) for item in totals.lines] == [
        n + t for n, t in zip(nets, taxes, strict=True)
    ]
    assert sum(units(t.tax) for t in totals.taxes) == sum(taxes)
    assert sum(units(t.net) for t in totals.taxes) == sum(nets)
    # Every amount is whole minor units of the quote's currency.
    for item in totals.lines:
        for money in (item.gross, item.line_discount, item.quote_discount, item.net, item.tax):
            assert money.currency == code
            assert money.rounded() == money
    if inclusive:
        # The customer pays the prices quoted: the total is the discounted amounts.
        assert units(totals.total) == sum(units(item.amount) for item in totals.lines)


@given(priced())
def test_quote_discount_allocation_sums_and_fits(
    case: tuple[list[QuoteLine], str, TaxTable, dict[str, object], bool],
) -> None:
    """Shares add up to the quote discount, never exceed a line, and follow largest remainder."""
    lines, code, table, header, inclusive = case
    totals = quote_totals(
        lines,
        currency=code,
        tax_table=table,
        on=DAY,
        tax_inclusive=inclusive,
        **header,  # type: ignore[arg-type]
    )
    amounts = [units(item.amount) for item in lines]
    shares = [units(item.quote_discount) for item in totals.lines]
    discount = units(totals.quote_discount)
    assert sum(shares) == discount
    assert all(0 <= s <= a for s, a in zip(shares, amounts, strict=True))
    if "discount" in header:
        assert totals.quote_discount == header["discount"]
    if "discount_percent" in header:
        expected = half_even(Fraction(sum(amounts)) * Fraction(header["discount_percent"]) / 100)  # type: ignore[arg-type]
        assert discount == expected
    total = sum(amounts)
    if total:
        # Largest remainder: each share is the floor or the ceiling of its exact share.
        for share, amount in zip(shares, amounts, strict=True):
            exact = Fraction(discount * amount, total)
            assert exact - 1 < share < exact + 1


@given(priced())
def test_line_tax_matches_the_formula_brute_force(
    case: tuple[list[QuoteLine], str, TaxTable, dict[str, object], bool],
) -> None:
    """Each line's tax is round-half-even of the exact formula (written out here)."""
    lines, code, table, header, inclusive = case
    totals = quote_totals(
        lines,
        currency=code,
        tax_table=table,
        on=DAY,
        tax_inclusive=inclusive,
        **header,  # type: ignore[arg-type]
    )
    for item, amounts in zip(lines, totals.lines, strict=True):
        rule = next(r for r in table.rules if r.category == item.tax_category and r.applies_on(DAY))
        r = Fraction(rule.rate) * Fraction(rule.base_numerator, rule.base_denominator)
        charged = (
            units(amounts.gross) - units(amounts.line_discount) - units(amounts.quote_discount)
        )
        assert charged == units(amounts.amount)
        if inclusive:
            assert units(amounts.tax) == half_even(Fraction(charged) * r / (1 + r))
            assert units(amounts.net) == charged - units(amounts.tax)
        else:
            assert units(amounts.tax) == half_even(Fraction(charged) * r)
            assert units(amounts.net) == charged


@given(
    st.sampled_from(CURRENCIES).flatmap(
        lambda code: st.lists(
            moneys(currencies=[code], min_value=0, max_value=10**9), min_size=1, max_size=5
        )
    ),
    st.sampled_from(["0", "0.05", "0.1", "0.11", "0.12", "0.2", "0.27"]),
)
def test_inclusive_prices_carry_the_same_tax_within_one_minor_unit(
    nets: list[Money], rate: str
) -> None:
    """Pricing tax-inclusive at net + exclusive tax gives back that tax, within one minor unit."""
    code = nets[0].currency
    table = flat_table(rate)
    exclusive = quote_totals(
        [QuoteLine(line("0", code).product_id, 1, net) for net in nets],
        currency=code,
        tax_table=table,
        on=DAY,
    )
    inclusive = quote_totals(
        [QuoteLine(line("0", code).product_id, 1, item.total) for item in exclusive.lines],
        currency=code,
        tax_table=table,
        on=DAY,
        tax_inclusive=True,
    )
    assert inclusive.total == exclusive.total
    for a, b in zip(exclusive.lines, inclusive.lines, strict=True):
        assert abs(units(a.tax) - units(b.tax)) <= 1
        assert units(b.net) + units(b.tax) == units(a.total)


# -- worked examples, one per minor unit, computed by hand ----------------------------------


def test_usd_two_decimals() -> None:
    """USD: 3 x 19.99 less 10%, 8.25% tax."""
    totals = quote_totals(
        [line("19.99", "USD", 3, discount_percent=Decimal(10))],
        currency="USD",
        tax_table=flat_table("0.0825"),
        on=DAY,
    )
    # gross 59.97; 10% = 5.997 -> 6.00; net 53.97; tax 53.97 * 0.0825 = 4.452525 -> 4.45
    (item,) = totals.lines
    assert (item.gross, item.line_discount, item.net, item.tax) == (
        Money("59.97", "USD"),
        Money("6.00", "USD"),
        Money("53.97", "USD"),
        Money("4.45", "USD"),
    )
    assert totals.total == Money("58.42", "USD")


def test_jpy_zero_decimals_half_even() -> None:
    """JPY: 10% of 125 yen is 12.5, rounded half to even to 12; of 135, 13.5 to 14."""
    totals = quote_totals(
        [line("125", "JPY"), line("135", "JPY")],
        currency="JPY",
        tax_table=flat_table("0.1"),
        on=DAY,
    )
    assert [item.tax for item in totals.lines] == [Money("12", "JPY"), Money("14", "JPY")]
    assert totals.total == Money("286", "JPY")


@pytest.mark.parametrize("code", ["KWD", "BHD"])
def test_three_decimals_with_remainder(code: str) -> None:
    """KWD/BHD: 1.000 discount over three equal lines: 0.334, 0.333, 0.333 (earlier line first)."""
    lines = [line("2.500", code), line("2.500", code), line("2.500", code)]
    totals = quote_totals(
        lines, currency=code, tax_table=flat_table("0"), on=DAY, discount=Money("1.000", code)
    )
    assert [item.quote_discount for item in totals.lines] == [
        Money("0.334", code),
        Money("0.333", code),
        Money("0.333", code),
    ]
    assert totals.total == Money("6.500", code)


def test_idr_inclusive_ppn() -> None:
    """IDR (two decimals in ISO 4217): Rp 111,000 including 11% PPN is 100,000 + 11,000."""
    totals = quote_totals(
        [line("111000", "IDR")],
        currency="IDR",
        tax_table=ppn_indonesia(),
        on=DAY,
        tax_inclusive=True,
    )
    (item,) = totals.lines
    assert (item.net, item.tax, item.total) == (
        Money("100000.00", "IDR"),
        Money("11000.00", "IDR"),
        Money("111000.00", "IDR"),
    )


# -- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "path", "code"),
    [
        (lambda: line("10.00", "USD", -2), ValidationError, "$.quantity", "not_positive"),
        (lambda: line("10.00", "USD", 0), ValidationError, "$.quantity", "not_positive"),
        (lambda: line("-1.00", "USD"), ValidationError, "$.unit_price", "negative"),
        (lambda: line("1.005", "USD"), ValidationError, "$.unit_price", "precision"),
        (
            lambda: line("10.00", "USD", discount_percent=Decimal("100.01")),
            ValidationError,
            "$.discount_percent",
            "over_100",
        ),
        (
            lambda: line("10.00", "USD", discount_percent=Decimal(-1)),
            ValidationError,
            "$.discount_percent",
            "negative",
        ),
        (
            lambda: line("10.00", "USD", discount=Money("10.01", "USD")),
            ValidationError,
            "$.discount",
            "discount_exceeds_line",
        ),
        (
            lambda: line("10.00", "USD", discount=Money("1", "EUR")),
            CurrencyMismatch,
            "$.discount",
            "currency_mismatch",
        ),
        (
            lambda: line("10.00", "USD", discount=Money("1", "USD"), discount_percent=Decimal(1)),
            ValidationError,
            "$.discount",
            "one_discount",
        ),
        (
            lambda: line("10.00", "USD", price_source="override"),
            ValidationError,
            "$.override_reason",
            "required",
        ),
        (
            lambda: line("10.00", "USD", override_reason="because"),
            ValidationError,
            "$.override_reason",
            "not_override",
        ),
        (
            lambda: line("10.00", "USD", discount_percent=0.5),
            InvalidType,
            "$.discount_percent",
            "float",
        ),
    ],
)
def test_line_refusals(build: object, error: type[Exception], path: str, code: str) -> None:
    """Bad lines raise a specific crmcore error naming the path and the rule."""
    with pytest.raises(error) as caught:
        build()  # type: ignore[operator]
    assert (caught.value.path, caught.value.code) == (path, code)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"discount_percent": 101}, ValidationError, "$.discount_percent", "over_100"),
        (
            {"discount": Money("30.01", "USD")},
            ValidationError,
            "$.discount",
            "discount_exceeds_total",
        ),
        ({"discount": Money("-1", "USD")}, ValidationError, "$.discount", "negative"),
        ({"discount": Money("1", "EUR")}, CurrencyMismatch, "$.discount", "currency_mismatch"),
        (
            {"discount": Money("1", "USD"), "discount_percent": 1},
            ValidationError,
            "$.discount",
            "one_discount",
        ),
    ],
)
def test_quote_discount_refusals(
    kwargs: dict[str, object], error: type[Exception], path: str, code: str
) -> None:
    """A quote discount over 100% or over the lines' amounts is refused at its path."""
    with pytest.raises(error) as caught:
        quote_totals(
            [line("10.00", "USD", 3)],
            currency="USD",
            tax_table=flat_table("0.1"),
            on=DAY,
            **kwargs,  # type: ignore[arg-type]
        )
    assert (caught.value.path, caught.value.code) == (path, code)  # type: ignore[attr-defined]


def test_line_in_another_currency_and_missing_rule_name_the_line() -> None:
    """Errors about one line name that line."""
    with pytest.raises(CurrencyMismatch) as caught:
        quote_totals(
            [line("1.00", "USD"), line("1.00", "EUR")],
            currency="USD",
            tax_table=flat_table("0.1"),
            on=DAY,
        )
    assert caught.value.path == "$.lines[1].unit_price"
    with pytest.raises(ValidationError) as missing:
        quote_totals(
            [line("1.00", "USD"), line("1.00", "USD", tax_category="luxury")],
            currency="USD",
            tax_table=flat_table("0.1"),
            on=DAY,
        )
    assert (missing.value.path, missing.value.code) == ("$.lines[1].tax_category", "no_tax_rule")


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"tax_table": "vat"}, "$.tax_table"),
        ({"tax_inclusive": 1}, "$.tax_inclusive"),
        ({"on": "2025-01-01"}, "$.on"),
        ({"currency": "XXY"}, "$.currency"),
    ],
)
def test_argument_types(kwargs: dict[str, object], path: str) -> None:
    """Arguments of the wrong type or value are refused at their path."""
    base: dict[str, object] = {"currency": "USD", "tax_table": flat_table("0.1"), "on": DAY}
    with pytest.raises(ValidationError) as caught:
        quote_totals([line("1.00", "USD")], **{**base, **kwargs})  # type: ignore[arg-type]
    assert caught.value.path == path


def test_no_lines_no_totals() -> None:
    """An empty quote totals zero; a quote discount on nothing is zero."""
    totals = quote_totals(
        [], currency="USD", tax_table=flat_table("0.1"), on=DAY, discount_percent=50
    )
    assert (totals.total, totals.taxes) == (Money("0.00", "USD"), ())


@given(quote_lines(currencies=["USD"]))
def test_line_amount_is_gross_less_discount(item: QuoteLine) -> None:
    """A line's amount never goes below zero nor above its gross."""
    assume(item.gross.amount > 0)
    assert Money.zero("USD") <= item.amount <= item.gross

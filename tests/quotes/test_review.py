"""Review tests: hostile amounts, acceptance against the wrong opportunity, allocation, events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.quotes import (
    CustomerId,
    OpportunityId,
    OrderId,
    ProductId,
    Quote,
    QuoteLine,
    accept_quote,
    quote_totals,
)
from crmcore.sales import STANDARD_PIPELINE, Opportunity
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import StaffId
from crmcore.testing.strategies._quotes import quotes

from ._helpers import HOUR, T0, draft, flat_table, half_even, line, units

DEAL = OpportunityId("opp-1")


def deal(*, customer: str = "c-1", currency: str = "USD", at: object = T0) -> Opportunity:
    """An open opportunity ``opp-1``."""
    return Opportunity.open(
        DEAL,
        customer_id=CustomerId(customer),
        name="Laptops",
        amount=Money("0", currency),
        expected_close=date(2025, 7, 1),
        owner=StaffId("rep-1"),
        pipeline=STANDARD_PIPELINE,
        at=at,  # type: ignore[arg-type]
    )


def sent() -> Quote:
    """A sent USD quote of opportunity ``opp-1``."""
    quote = draft([line("100.00", "USD", 2)], "USD", flat_table("0.1"), opportunity_id=DEAL)
    return quote.send(at=T0 + HOUR)


# -- hostile amounts -----------------------------------------------------------------------


def test_a_line_whose_gross_money_cannot_hold_is_refused_at_its_quantity() -> None:
    """Quantity x unit price must fit Money (below 10**21): refused when the line is built."""
    with pytest.raises(ValidationError) as caught:
        QuoteLine(ProductId("p"), 1_000_000, Money("999999999999999999999", "USD"))
    assert ("$.quantity", "too_large") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("prices", "rate"),
    [
        (["400000000000000000000"] * 3, "0"),  # the lines add up past Money's limit
        (["900000000000000000000"], "0.2"),  # the total with tax does
    ],
)
def test_totals_money_cannot_hold_are_refused_at_the_lines(prices: list[str], rate: str) -> None:
    """A sum past Money's limit names $.lines (code too_large), not an inner $.amount."""
    with pytest.raises(ValidationError) as caught:
        quote_totals(
            [line(price, "USD") for price in prices],
            currency="USD",
            tax_table=flat_table(rate),
            on=date(2025, 6, 1),
        )
    assert ("$.lines", "too_large") == (caught.value.path, caught.value.code)


# -- acceptance against the wrong opportunity ----------------------------------------------


def test_accepting_with_another_customers_opportunity_is_refused() -> None:
    """The opportunity named by the quote must be the quote customer's."""
    with pytest.raises(ValidationError) as caught:
        accept_quote(
            sent(), order_id=OrderId("o-1"), at=T0 + 2 * HOUR, opportunity=deal(customer="c-2")
        )
    assert ("$.opportunity.customer_id", "customer_mismatch") == (
        caught.value.path,
        caught.value.code,
    )


def test_accepting_with_an_opportunity_in_another_currency_is_refused() -> None:
    """A USD quote never silently turns a EUR opportunity into a USD one."""
    with pytest.raises(CurrencyMismatch) as caught:
        accept_quote(
            sent(), order_id=OrderId("o-1"), at=T0 + 2 * HOUR, opportunity=deal(currency="EUR")
        )
    assert "$.opportunity.amount" == caught.value.path


def test_opportunity_refusals_name_the_opportunity() -> None:
    """A won opportunity, or one changed after ``at``: the error's path is under $.opportunity."""
    won = deal().win(STANDARD_PIPELINE, at=T0 + HOUR)
    with pytest.raises(ValidationError) as caught:
        accept_quote(sent(), order_id=OrderId("o-1"), at=T0 + 2 * HOUR, opportunity=won)
    assert ("$.opportunity.lines", "won_frozen") == (caught.value.path, caught.value.code)
    later = deal(at=T0 + 3 * HOUR)
    with pytest.raises(ValidationError) as caught:
        accept_quote(sent(), order_id=OrderId("o-1"), at=T0 + 2 * HOUR, opportunity=later)
    assert ("$.opportunity.at", "time_backwards") == (caught.value.path, caught.value.code)


# -- the quote discount: largest remainder, written out ------------------------------------


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Floors of the exact shares, then one unit each by largest remainder, earlier on a tie."""
    whole = sum(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    floors = [share.numerator // share.denominator for share in exact]
    order = sorted(range(len(weights)), key=lambda i: (floors[i] - exact[i], i))
    for index in order[: total - sum(floors)]:
        floors[index] += 1
    return floors


@given(
    st.sampled_from(["JPY", "USD", "KWD"]).flatmap(
        lambda code: st.tuples(
            st.just(code),
            st.lists(st.integers(0, 10**6), min_size=1, max_size=8),
            st.integers(0, 10**6),
        )
    )
)
def test_quote_discount_shares_are_exactly_largest_remainder(
    case: tuple[str, list[int], int],
) -> None:
    """Each line's share of the quote discount is the largest-remainder share, ties to the earlier."""
    code, amounts, wanted = case
    total = sum(amounts)
    discount = min(wanted, total)
    lines = [QuoteLine(ProductId("p"), 1, Money.from_minor_units(a, code)) for a in amounts]
    totals = quote_totals(
        lines,
        currency=code,
        tax_table=flat_table("0"),
        on=date(2025, 6, 1),
        discount=Money.from_minor_units(discount, code),
    )
    shares = [units(item.quote_discount) for item in totals.lines]
    expected = largest_remainder(discount, amounts) if total else [0] * len(amounts)
    assert shares == expected


# -- events read back ----------------------------------------------------------------------


@given(quotes())
def test_every_quote_event_round_trips_through_documents(quote: Quote) -> None:
    """Each recorded event written with crmcore.serialization reads back equal."""
    for event in quote.pending_events:
        assert from_dict(type(event), to_dict(event)) == event


# -- line discount percentages: exact, whatever the size ------------------------------------


@given(
    st.integers(1, 10**6) | st.integers(10**20, 10**23 - 1),
    st.integers(0, 10**12).map(lambda n: Decimal(n).scaleb(-10)).filter(lambda p: p <= 100),
)
def test_a_percentage_line_discount_is_one_exact_rounding(gross: int, percent: Decimal) -> None:
    """round_half_even(gross * percent / 100) in minor units, even near Money's limit."""
    item = QuoteLine(
        ProductId("p"), 1, Money.from_minor_units(gross, "USD"), discount_percent=percent
    )
    expected = half_even(Fraction(gross) * Fraction(percent) / 100)
    assert units(item.line_discount) == expected
    assert units(item.amount) == gross - expected

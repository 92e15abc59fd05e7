"""Property tests for `crmcore.exchange`: converting there and back, and how far it can move.

The bound (see docs/exchange_rates.md): ``x`` in currency A, a whole number of
A's minor units ``a``, goes to B (minor unit ``b``) at ``r_f`` and comes back at
``r_b``, rounded each way. With ``d = r_f * r_b - 1`` (zero up to the rounding
of computed rates: at most about 10**-27),

* half-way modes: ``|z - x| <= a/2 + (b/2) * r_b + |x| * |d|``;
* directed modes: ``|z - x| < a + b * r_b + |x| * |d|``;

and ``z - x`` is a whole number of ``a``. So a round trip from the side whose
minor unit is worth more (``b * r_b <= a``) stays within one minor unit of A
with a half-way mode, and within two with a directed one. With an exact
(unrounded) intermediate, a half-way mode brings ``x`` back exactly.
"""

from datetime import date
from fractions import Fraction

from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import Money
from crmcore.errors import ValidationError
from crmcore.exchange import ExchangeRate, RateTable
from crmcore.testing.strategies._base import moneys
from crmcore.testing.strategies._exchange import exchange_rates, rate_tables

HALF_WAY = ("ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_HALF_DOWN")
DIRECTED = ("ROUND_CEILING", "ROUND_DOWN", "ROUND_FLOOR", "ROUND_UP", "ROUND_05UP")
CODES = ["EUR", "IDR", "JPY", "KWD", "SGD", "USD", "VND", "CLF"]


def minor(code):
    return Fraction(1, 10 ** Money.zero(code).minor_unit)


def there_and_back(table, money, to, on, mode):
    out = table.conversion(money, to, on=on, rounding=mode)
    back = table.conversion(out.rounded, money.currency, on=on, rounding=mode)
    return out, back


@st.composite
def trips(draw, *, through_pivot=False):
    """A table, a day with a rate, an amount on A's grid and a target B."""
    if through_pivot:
        table = draw(rate_tables(currencies=CODES, pivot="USD", min_rate="1e-4", max_rate="1e4"))
    else:
        row = draw(
            exchange_rates(currencies=CODES, max_digits=draw(st.sampled_from([1, 4, 8, 28])))
        )
        table = RateTable([row])
    assume(table.rates)
    row = draw(st.sampled_from(table.rates))
    codes = sorted(table.currencies)
    source = draw(st.sampled_from(codes))
    target = draw(st.sampled_from([c for c in codes if c != source]))
    money = draw(moneys(currencies=[source], min_value=-(10**9), max_value=10**9))
    return table, money, target, row.valid_from


def checked_trip(table, money, target, on, mode):
    try:
        return there_and_back(table, money, target, on, mode)
    except ValidationError as exc:
        if exc.code != "no_rate":  # a cross table may lack a leg on that day
            raise
        assume(False)
        raise


@given(st.one_of(trips(), trips(through_pivot=True)), st.sampled_from(HALF_WAY + DIRECTED))
def test_a_round_trip_moves_no_further_than_the_documented_bound(trip, mode):
    """|z - x| obeys the bound, and z - x is a whole number of A's minor units."""
    table, money, target, on = trip
    out, back = checked_trip(table, money, target, on, mode)
    x, z = Fraction(money.amount), Fraction(back.rounded.amount)
    a, b = minor(money.currency), minor(target)
    r_b = Fraction(back.rate)
    drift = abs(x) * abs(Fraction(out.rate) * r_b - 1)
    assert (z - x) / a == int((z - x) / a)
    if mode in HALF_WAY:
        assert abs(z - x) <= a / 2 + b / 2 * r_b + drift
    else:
        assert abs(z - x) < a + b * r_b + drift


@given(st.one_of(trips(), trips(through_pivot=True)), st.sampled_from(HALF_WAY))
def test_from_the_coarser_side_a_round_trip_stays_within_one_minor_unit(trip, mode):
    """When B's minor unit is worth no more than A's (b * r_b <= a): |z - x| <= one unit of A."""
    table, money, target, on = trip
    _, back = checked_trip(table, money, target, on, mode)
    a, b = minor(money.currency), minor(target)
    assume(b * Fraction(back.rate) <= a)
    assert abs(back.rounded.amount - money.amount) <= a


@given(st.one_of(trips(), trips(through_pivot=True)), st.sampled_from(HALF_WAY))
def test_with_an_exact_intermediate_a_round_trip_comes_back_exactly(trip, mode):
    """Unrounded on the way out, rounded once on the way back: the original, to the unit."""
    table, money, target, on = trip
    try:
        exact = table.convert(money, target, on=on, rounding=None)
    except ValidationError as exc:
        if exc.code != "no_rate":
            raise
        assume(False)
        raise
    assert money == table.convert(exact, money.currency, on=on, rounding=mode)


@given(st.sampled_from(DIRECTED), moneys(currencies=["USD"], min_value=-(10**9), max_value=10**9))
def test_with_an_exact_intermediate_a_directed_mode_stays_within_one_unit(mode, money):
    """A directed mode may round x(1 + d) past x by one unit, never more."""
    table = RateTable([ExchangeRate("USD", "EUR", "0.9137", valid_from=date(2026, 1, 1))])
    on = date(2026, 1, 1)
    exact = table.convert(money, "EUR", on=on, rounding=None)
    assert abs(table.convert(exact, "USD", on=on, rounding=mode).amount - money.amount) <= minor(
        "USD"
    )


def test_the_bound_is_reached_from_the_finer_side():
    """1 USD = 16,000 IDR (IDR has 2 decimals in ISO 4217): IDR -> USD -> IDR can move 80 IDR."""
    table = RateTable([ExchangeRate("USD", "IDR", "16000", valid_from=date(2026, 1, 1))])
    on = date(2026, 1, 1)
    start = Money("80.00", "IDR")  # 0.005 USD exactly: half-even rounds it to 0.00
    cents = table.convert(start, "USD", on=on)
    assert Money("0.00", "USD") == cents
    assert Money("0.00", "IDR") == table.convert(cents, "IDR", on=on)
    # The bound a/2 + (b/2) * r_b = 0.005 + 0.005 * 16000 = 80.005 IDR holds with 80.
    assert Money("80.00", "IDR") - table.convert(cents, "IDR", on=on) <= Money("80.005", "IDR")


def test_from_the_coarser_side_the_trip_moves_at_most_a_cent():
    """USD -> IDR -> USD: an IDR cent is worth far less than a US cent."""
    table = RateTable([ExchangeRate("USD", "IDR", "16243.37", valid_from=date(2026, 1, 1))])
    on = date(2026, 1, 1)
    for cents in range(1, 2000, 7):
        start = Money.from_minor_units(cents, "USD")
        back = table.convert(table.convert(start, "IDR", on=on), "USD", on=on)
        assert abs(back - start) <= Money("0.01", "USD")

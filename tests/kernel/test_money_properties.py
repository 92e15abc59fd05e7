"""Property tests for `crmcore._kernel._money`, drawing every input from `crmcore.testing.strategies`."""

import operator
from decimal import Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore._kernel._checks import to_decimal
from crmcore._kernel._money import _EXACT as EXACT
from crmcore._kernel._money import _ROUNDED as ROUNDED
from crmcore._kernel._money import MAX_MAGNITUDE, _check_code, less_nothing
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import currency_codes, moneys

ROUNDING_MODES = [
    "ROUND_CEILING",
    "ROUND_DOWN",
    "ROUND_FLOOR",
    "ROUND_HALF_DOWN",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_UP",
    "ROUND_UP",
    "ROUND_05UP",
]


@st.composite
def same_currency(draw, count, **options):
    """``count`` amounts of one drawn currency, and the currency's code."""
    code = draw(currency_codes())
    amounts = draw(st.lists(moneys(currencies=[code], **options), min_size=count, max_size=count))
    return code, amounts


@st.composite
def two_currencies(draw):
    """Two amounts in two different currencies."""
    first, second = draw(st.lists(currency_codes(), min_size=2, max_size=2, unique=True))
    return draw(moneys(currencies=[first])), draw(moneys(currencies=[second]))


@given(same_currency(2))
def test_addition_is_commutative(drawn):
    """Addition is commutative within one currency: a + b == b + a."""
    _, (a, b) = drawn
    assert a + b == b + a


@given(same_currency(3))
def test_addition_is_associative(drawn):
    """(a + b) + c == a + (b + c) within one currency."""
    _, (a, b, c) = drawn
    assert (a + b) + c == a + (b + c)


@given(same_currency(2))
def test_subtraction_undoes_addition(drawn):
    """(a + b) - b == a."""
    _, (a, b) = drawn
    assert a == (a + b) - b


@given(
    currency_codes().flatmap(
        lambda code: st.tuples(
            st.just(code), st.lists(moneys(currencies=[code]), min_size=1, max_size=8)
        )
    )
)
def test_sum_equals_total(drawn):
    """The builtin sum() of amounts equals Money.total, and is in their currency."""
    code, amounts = drawn
    total = Money.total(amounts, currency=code)
    assert total == sum(amounts)
    assert code == total.currency
    assert sum((m.amount for m in amounts), Decimal(0)) == total.amount


@given(currency_codes())
def test_total_of_nothing_is_zero(code):
    """Money.total of no amounts is zero in the currency asked for."""
    assert Money.zero(code) == Money.total([], currency=code)


@given(moneys(places=8), st.sampled_from(ROUNDING_MODES))
def test_rounding_is_idempotent(money, mode):
    """Rounding a rounded amount changes nothing, whatever the mode."""
    once = money.rounded(mode)
    assert once == once.rounded(mode)
    assert once == once.rounded()
    assert -money.minor_unit >= once.amount.as_tuple().exponent


@given(moneys(places=8))
def test_rounding_moves_less_than_half_a_minor_unit(money):
    """Banker's rounding moves an amount by at most half a minor unit."""
    half = Decimal(1).scaleb(-money.minor_unit) / 2
    assert abs(money.rounded().amount - money.amount) <= half


@given(moneys(), st.integers(min_value=1, max_value=12))
def test_allocate_in_equal_parts(money, count):
    """Equal parts sum exactly to the rounded amount and differ by at most one minor unit."""
    parts = money.allocate([1] * count)
    unit = Money.from_minor_units(1, money.currency)
    assert count == len(parts)
    assert money.rounded() == Money.total(parts, currency=money.currency)
    assert max(parts) - min(parts) <= unit


@given(
    moneys(places=8),
    st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8).filter(any),
)
def test_allocate_by_ratios(money, ratios):
    """Parts sum exactly to the rounded amount and each is at most a minor unit from its share."""
    parts = money.allocate(ratios)
    total = money.rounded()
    assert total == Money.total(parts, currency=money.currency)
    unit = Decimal(1).scaleb(-money.minor_unit)
    weight = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        assert abs(part.amount - total.amount * ratio / weight) <= unit


@example(Money("0.01", "USD"), [0, 1, 1])
@given(
    moneys(),
    st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=5).filter(any),
)
def test_a_zero_ratio_gets_nothing(money, ratios):
    """A part whose ratio is 0 receives nothing, not even a leftover minor unit."""
    parts = money.allocate(ratios)
    assert [Money.zero(money.currency)] * ratios.count(0) == [
        part for part, ratio in zip(parts, ratios, strict=True) if ratio == 0
    ]


OPERATIONS = {
    "add": operator.add,
    "sub": operator.sub,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "ratio": Money.ratio,
    "total": lambda a, b: Money.total([a, b], currency=a.currency),
    "sum": lambda a, b: sum([a, b]),
}


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=OPERATIONS.keys())
@given(pair=two_currencies())
def test_mixing_currencies_raises_currency_mismatch(operation, pair):
    """Arithmetic, ordering and totals across currencies raise CurrencyMismatch."""
    a, b = pair
    with pytest.raises(CurrencyMismatch):
        operation(a, b)


@given(two_currencies())
def test_amounts_of_different_currencies_are_never_equal(pair):
    """Equality across currencies is False, not an error."""
    a, b = pair
    assert a != b


@given(currency_codes(), st.floats(allow_nan=True, allow_infinity=True))
def test_float_amounts_are_refused(code, number):
    """Money refuses floats, with InvalidType."""
    with pytest.raises(InvalidType) as info:
        Money(number, code)
    assert "$.amount" == info.value.path


@given(moneys(), st.floats())
def test_float_factors_are_refused(money, number):
    """Multiplying or dividing Money by a float raises InvalidType."""
    with pytest.raises(InvalidType):
        money * number
    with pytest.raises(InvalidType):
        money / number


@given(moneys(), st.floats(allow_nan=False))
def test_float_amounts_in_documents_are_refused(money, number):
    """A serialized amount that is a JSON number (a float) is refused with InvalidType."""
    document = to_dict(money)
    document["amount"] = number
    with pytest.raises(InvalidType) as info:
        from_dict(Money, document)
    assert "$.amount" == info.value.path


# -- the shortcuts of checked construction and arithmetic ------------------------------------

#: Decimals near every bound: digits, exponents, magnitude, zeros, specials.
EDGE_DECIMALS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        Decimal,
        st.tuples(
            st.integers(0, 1),
            st.lists(st.integers(0, 9), min_size=1, max_size=105).map(tuple),
            st.integers(-130, 30),
        ),
    ),
    st.sampled_from(
        [
            Decimal("0E+30"),
            Decimal("0E-100"),
            Decimal("0E-101"),
            Decimal("-0.00"),
            Decimal("1E+20"),
            Decimal("9" * 21),
            Decimal("9" * 21 + ".99"),
            Decimal("1E+21"),
            Decimal("-1E+21"),
            Decimal("12.34"),
            Decimal(100),
            Decimal("0.001"),
        ]
    ),
)


def reference_amount(value):
    """Money's amount check as it was before its shortcut: to_decimal, then the magnitude."""
    number = to_decimal(value, "$.amount")
    if abs(number) >= MAX_MAGNITUDE:
        raise ValidationError(
            "must be smaller than 10**21 in absolute value", path="$.amount", code="too_large"
        )
    return number


def result_of(run):
    """("ok", digits-exact value) or the error's class, path, code and rule."""
    try:
        value = run()
    except ValidationError as exc:
        return ("error", type(exc), exc.path, exc.code, exc.rule)
    if isinstance(value, Money):
        return ("ok", value.amount.as_tuple(), value.currency)
    return ("ok", value.as_tuple() if isinstance(value, Decimal) else value)


@given(EDGE_DECIMALS)
@example(Decimal("0E+21"))
def test_money_accepts_exactly_what_the_full_check_accepts(number):
    """The shortcut for usual amounts never accepts, refuses or changes anything differently."""
    expected = result_of(lambda: Money(reference_amount(number), "USD"))
    assert expected == result_of(lambda: Money(number, "USD"))


def reference_exact(operation):
    """Exact arithmetic as Money did it in a local context."""
    try:
        with localcontext(EXACT):
            return operation()
    except ArithmeticError:
        raise ValidationError(
            "the exact result needs more than 100 significant digits",
            path="$.amount",
            code="too_long",
        ) from None


def reference_rounded(operation):
    """Rounded arithmetic as Money did it in a local context."""
    try:
        with localcontext(ROUNDED):
            return +operation()
    except ArithmeticError:
        raise ValidationError(
            "the result is out of range", path="$.amount", code="too_large"
        ) from None


@given(EDGE_DECIMALS, EDGE_DECIMALS)
def test_sums_and_differences_are_the_exact_ones(first, second):
    """Addition and subtraction give the digits an exact local context gives, or its error."""
    try:
        a, b = Money(first, "USD"), Money(second, "USD")
    except ValidationError:
        return
    plus = result_of(lambda: Money(reference_exact(lambda: a.amount + b.amount), "USD"))
    minus = result_of(lambda: Money(reference_exact(lambda: a.amount - b.amount), "USD"))
    assert plus == result_of(lambda: a + b)
    assert minus == result_of(lambda: a - b)


@given(
    EDGE_DECIMALS,
    st.one_of(
        st.integers(-(10**101), 10**101),
        st.sampled_from([10**100 - 1, 10**100, -(10**100), 0, 1, -1, 3]),
        EDGE_DECIMALS,
    ),
)
def test_products_and_quotients_are_the_rounded_ones(first, factor):
    """Multiplying and dividing give what a rounding local context gives, or the same error."""
    try:
        money = Money(first, "USD")
    except ValidationError:
        return

    def reference(op):
        checked = to_decimal(factor, "$")
        if op == "divide" and checked == 0:
            raise ValidationError("cannot divide Money by zero", path="$", code="division_by_zero")
        if op == "multiply":
            return Money(reference_rounded(lambda: money.amount * checked), "USD")
        return Money(reference_rounded(lambda: money.amount / checked), "USD")

    assert result_of(lambda: reference("multiply")) == result_of(lambda: money * factor)
    assert result_of(lambda: reference("divide")) == result_of(lambda: money / factor)


@given(EDGE_DECIMALS)
@example(Decimal("-0.00"))
@example(Decimal("1E+2"))
@example(Decimal("-0E+3"))
def test_less_nothing_is_subtracting_zero(number):
    """less_nothing gives the digits, exponent and sign that subtracting Money.zero gives."""
    try:
        money = Money(number, "EUR")
    except ValidationError:
        return
    expected = money - Money.zero("EUR")
    actual = less_nothing(money)
    assert (expected.amount.as_tuple(), expected.currency) == (
        actual.amount.as_tuple(),
        actual.currency,
    )


@pytest.mark.parametrize("code", ["usd", " USD ", "Usd", "XXX", "US", 840])
def test_currency_codes_are_still_normalized_or_refused(code):
    """Only a code spelled as the table spells it skips normalizing."""
    try:
        expected = ("ok", _check_code(code.strip().upper() if isinstance(code, str) else code))
    except ValidationError as exc:
        expected = ("error", type(exc), exc.path, exc.code)
    try:
        actual = ("ok", Money(1, code).currency)
    except ValidationError as exc:
        actual = ("error", type(exc), exc.path, exc.code)
    assert expected == actual

"""Tests for the fast paths of building orders: shared Money, checked payments, one-line orders.

Each fast path must give what the general path gives, digit for digit, and
refuse what it refuses.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, Money, ValidationError
from crmcore._kernel._derived import kept
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    Payment,
    PaymentId,
    PaymentMethod,
    PaymentOutcome,
    PaymentStatus,
    ProductId,
)
from crmcore.commerce._orders import _order_lines, _order_payments
from crmcore.customers import CustomerId
from crmcore.testing import strategies as crm

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
NAIVE = T0.replace(tzinfo=None)


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def line(quantity: int = 1, price: str = "11.77", discount: str | None = None) -> OrderLine:
    return OrderLine(
        ProductId("cd"),
        quantity,
        usd(price),
        category="music",
        discount=None if discount is None else usd(discount),
    )


def _same(a: Money, b: Money) -> bool:
    return repr(a) == repr(b) and a.amount.as_tuple() == b.amount.as_tuple()


# -- Money times one ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shared"),
    [("11.77", True), ("5", True), ("0", True), ("-0", False), ("1E+2", True), ("0.10", True)],
)
def test_times_one_is_the_same_money_when_digit_for_digit(amount, shared):
    money = usd(amount)
    product = money * 1
    expected = Money(+(Decimal(amount) * 1), "USD")  # what the product was before
    assert _same(product, expected)
    assert (product is money) is shared


def test_times_one_still_rounds_what_it_rounded():
    money = usd("1234567890123456789.0123456789")  # 29 digits: the product keeps 28
    product = money * 1
    assert product is not money
    assert product.amount == Decimal("1234567890123456789.012345679")


@given(
    amount=st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**12), max_value=10**12
    )
)
def test_times_one_gives_the_digits_it_gave(amount):
    money = Money(amount, "USD")
    assert _same(money * 1, Money(+(money.amount * 1), "USD"))
    assert _same(money * Decimal("1.0"), Money(+(money.amount * Decimal("1.0")), "USD"))


# -- totals of one line and one payment -------------------------------------------------


def _general_sum(amounts: list[Money]) -> Money:
    return Money(sum((m.amount for m in amounts), Decimal(0)), "USD")


@pytest.mark.parametrize(
    ("quantity", "price", "discount"),
    [
        (1, "11.77", None),
        (3, "4.99", None),
        (1, "30.00", "5.00"),
        (2, "0", None),
        (1, "1E+1", None),
    ],
)
def test_one_line_orders_share_their_line_amounts(quantity, price, discount):
    the_line = line(quantity, price, discount)
    order = Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[the_line], at=T0)
    assert _same(order.subtotal, _general_sum([the_line.gross]))
    expected_total = order.subtotal - order.discount if discount else order.subtotal
    assert _same(order.total, expected_total)
    if discount is not None:
        assert order.total is the_line.net
    if order.payment_status is PaymentStatus.UNPAID:
        paid = order.record_payment(PaymentId("p-1"), order.total, at=T0)
        assert paid.amount_paid is paid.payments[0].amount
        assert _same(paid.amount_paid, _general_sum([paid.total]))
        assert paid.payment_status is PaymentStatus.PAID


@given(order=crm.orders())
def test_totals_are_the_general_sums(order):
    currency = order.currency
    gross = Money(sum((x.gross.amount for x in order.lines), Decimal(0)), currency)
    assert _same(order.subtotal, gross)
    discounts = [x.discount.amount for x in order.lines if x.discount is not None]
    assert _same(order.discount, Money(sum(discounts, Decimal(0)), currency))
    taxes = [x.tax.amount for x in order.lines if x.tax is not None]
    assert _same(order.tax, Money(sum(taxes, Decimal(0)), currency))
    if discounts or taxes:
        assert _same(order.total, order.subtotal - order.discount + order.tax)
    paid = [p.amount.amount for p in order.payments if p.succeeded]
    assert _same(order.amount_paid, Money(sum(paid, Decimal(0)), currency))


# -- checked payments ----------------------------------------------------------------------


def _fields(**changes):
    fields = {
        "id": PaymentId("p-1"),
        "amount": usd("9.99"),
        "at": T0,
        "outcome": PaymentOutcome.SUCCEEDED,
        "method": PaymentMethod.CARD,
        "due_at": None,
        "failure_reason": None,
    }
    fields.update(changes)
    return fields


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"method": None},
        {"due_at": T0 + timedelta(days=1)},
        {"outcome": PaymentOutcome.FAILED, "failure_reason": "card_declined"},
        {"at": datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=7)))},
    ],
)
def test_a_checked_payment_is_the_payment(changes):
    fields = _fields(**changes)
    assert Payment._of_checked(**fields) == Payment(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"at": NAIVE},
        {"due_at": NAIVE},
        {"amount": usd("0")},
        {"id": "p-1"},
        {"method": "carrier pigeon"},
        {"failure_reason": "card_declined"},  # on a payment that succeeded
        {"outcome": PaymentOutcome.FAILED, "failure_reason": "Not A Code"},
    ],
)
def test_a_checked_payment_refuses_what_the_payment_refuses(changes):
    fields = _fields(**changes)
    with pytest.raises((ValidationError, InvalidType)) as expected:
        Payment(**fields)
    with pytest.raises(type(expected.value)) as found:
        Payment._of_checked(**fields)
    assert (found.value.path, found.value.code) == (expected.value.path, expected.value.code)


@attrs.frozen(slots=True, kw_only=True)
class _StrictPayment(Payment):
    """A payment class with a rule of its own (never used outside this test)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.method is None:
            raise ValidationError("must say how", path="$.method", code="required")


def test_a_checked_payment_of_a_subclass_runs_its_rules():
    """``_of_checked`` leaves out Payment's own rule only when it cannot fail, never a subclass's."""
    fields = _fields(method=None)
    assert type(Payment._of_checked(**fields)) is Payment
    with pytest.raises(ValidationError) as info:
        _StrictPayment._of_checked(**fields)
    assert (info.value.path, info.value.code) == ("$.method", "required")
    made = _StrictPayment._of_checked(**_fields())
    assert type(made) is _StrictPayment
    assert made == _StrictPayment(**_fields())


# -- one-line orders and payment tuples ----------------------------------------------------


def test_one_line_is_taken_as_the_general_check_takes_it():
    the_line = line()
    assert _order_lines([the_line]) == (the_line,)
    as_tuple = (the_line,)
    assert _order_lines(as_tuple) is as_tuple
    with pytest.raises(InvalidType) as info:
        _order_lines(["not a line"])
    assert info.value.path == "$.lines[0]"
    with pytest.raises(ValidationError) as empty:
        _order_lines([])
    assert empty.value.code == "empty"


def test_too_many_payments_are_refused_before_any_is_looked_at():
    payment = Payment(id=PaymentId("p-1"), amount=usd("1"), at=T0)
    assert _order_payments((payment,)) == (payment,)
    with pytest.raises(ValidationError) as info:
        _order_payments((payment,) * 1001)
    assert info.value.code == "too_many"


# -- line amounts without their Money --------------------------------------------------


@st.composite
def _lines(draw):
    """Lines of any amounts an OrderLine takes: many digits, positive exponents, zero."""
    places = draw(st.integers(min_value=-3, max_value=30))
    units = draw(st.integers(min_value=0, max_value=10**11))
    price = Decimal(units).scaleb(-places)
    quantity = draw(st.integers(min_value=1, max_value=1_000_000))
    gross = (usd(str(price)) * quantity).amount
    discount = None
    if draw(st.booleans()):
        share = draw(st.fractions(min_value=0, max_value=1))
        discount = usd(
            str(
                (gross * share.numerator / share.denominator)
                .quantize(Decimal(1).scaleb(-places))
                .min(gross)
            )
        )
    return OrderLine(
        ProductId("cd"), quantity, usd(str(price)), category="music", discount=discount
    )


@given(the_line=_lines())
def test_line_amounts_are_those_of_the_line_money(the_line):
    """The gross amount, the zero test and the net built from amounts are the Money ones."""
    gross = the_line.unit_price * the_line.quantity
    assert gross.amount.as_tuple() == the_line._gross_amount.as_tuple()
    assert _same(the_line.gross, gross)
    net = gross - (usd("0") if the_line.discount is None else the_line.discount)
    assert _same(the_line.net, net)
    assert the_line._net_is_zero() is net.is_zero()
    order = Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[the_line], at=T0)
    assert _same(order.subtotal, _general_sum([gross]))
    assert (order.payment_status is PaymentStatus.PAID) is the_line.total.is_zero()


def test_placing_a_one_line_order_builds_no_gross_money_for_the_line():
    """The order reads its line's amounts: the line's gross Money is made only when asked."""
    the_line = line(3, "4.99")
    order = Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[the_line], at=T0)
    order = order.record_payment(PaymentId("p-1"), order.total, at=T0)
    assert "gross" not in kept(the_line)
    assert _same(order.subtotal, usd("14.97"))
    assert _same(the_line.gross, usd("14.97"))
    assert "gross" in kept(the_line)


# -- a payment of the whole total holds the order's total --------------------------------


@pytest.mark.parametrize(
    ("price", "paid", "shared"),
    [("11.77", "11.77", True), ("10.00", "10.0", False), ("10", "10.00", False)],
)
def test_a_payment_of_the_total_digit_for_digit_holds_the_total(price, paid, shared):
    """Only the same amount digit for digit is replaced by the total: the digits paid stay."""
    order = Order.place(
        OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[line(1, price)], at=T0
    )
    money = usd(paid)
    done = order.record_payment(PaymentId("p-1"), money, at=T0)
    payment = done.payments[0]
    assert _same(payment.amount, money)
    assert (payment.amount is done.total) is shared
    assert (payment.amount is money) is not shared
    assert payment == Payment(id=PaymentId("p-1"), amount=money, at=T0)
    assert done.pending_events[1].payment == payment
    assert done.payment_status is PaymentStatus.PAID


def test_a_part_payment_and_what_follows_keep_their_own_money():
    order = Order.place(
        OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[line(2, "5.00")], at=T0
    )
    first, second = usd("5.00"), usd("5.00")
    done = order.record_payment(PaymentId("p-1"), first, at=T0)
    done = done.record_payment(PaymentId("p-2"), second, at=T0)
    assert [first, second] == [p.amount for p in done.payments]
    assert done.payments[0].amount is first
    assert done.payments[1].amount is second
    assert done.payment_status is PaymentStatus.PAID


def test_a_money_subclass_paid_is_kept_as_given():
    class Tagged(Money):
        __slots__ = ()

    order = Order.place(OrderId("o-1"), customer_id=CustomerId("c-1"), lines=[line()], at=T0)
    money = Tagged(Decimal("11.77"), "USD")
    done = order.record_payment(PaymentId("p-1"), money, at=T0)
    assert done.payments[0].amount is money

"""Tests for `crmcore.recommendations._baskets`: baskets from orders, pairs and usage records."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given

from crmcore import CustomerId, Money
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, ProductId
from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import Basket, UsageRecord, _baskets, as_baskets, check_item
from crmcore.testing.strategies._recommendations import usage_records

AT = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def order(key, customer, *products, at=AT):
    lines = [OrderLine(ProductId(p), 1, Money("10.00", "USD"), category="shop") for p in products]
    return Order.place(OrderId(key), customer_id=CustomerId(customer), lines=lines, at=at)


def returned(placed, line):
    paid = placed.fulfil(at=AT).record_payment(
        PaymentId("p-" + placed.id.value), placed.total, at=AT
    )
    return paid.return_items({line: 1}, at=AT)


def test_an_order_is_a_basket_of_its_products():
    """Each purchase is one basket with its customer."""
    (basket,) = as_baskets([order("o-1", "c-1", "tea", "cups", "tea")])
    assert Basket("o-1", ["cups", "tea"], customer_id=CustomerId("c-1")) == basket


def test_returned_lines_leave_the_basket():
    """A line sent back in full is no longer bought; it is named as returned."""
    (basket,) = as_baskets([returned(order("o-1", "c-1", "tea", "cups"), 1)])
    assert (("tea",), ("cups",)) == (basket.items, basket.returned)


def test_cancelled_orders_are_no_purchases():
    """A cancelled order gives no basket."""
    assert () == as_baskets([order("o-1", "c-1", "tea").cancel(at=AT)])


def test_pairs_group_by_basket_in_the_order_first_seen():
    """Int and str basket ids; items once each."""
    got = as_baskets([(2, "b"), ("x", "a"), (2, "a"), (2, "b")])
    assert [("2", ("a", "b")), ("x", ("a",))] == [(b.basket_id, b.items) for b in got]


def test_usage_records_make_one_basket_per_customer():
    """The categories used above zero; tuples and records alike."""
    c1, c2 = CustomerId("c-1"), CustomerId("c-2")
    records = [
        UsageRecord(c1, "data", AT, 500),
        (c1, "video", AT, Decimal("1.5")),
        (c1, "sms", AT, 0),
        (c2, "sms", AT, 0),
    ]
    (basket,) = as_baskets(records)
    assert ("c-1", ("data", "video"), c1) == (basket.basket_id, basket.items, basket.customer_id)


@given(usage_records())
def test_usage_baskets_hold_exactly_the_categories_used(records):
    """Brute force: a customer's basket is the set of categories with a positive quantity."""
    expected = {}
    for record in records:
        if record.quantity > 0:
            expected.setdefault(record.customer_id, set()).add(record.item)
    got = {b.customer_id: set(b.items) for b in as_baskets(records)}
    assert expected == got


@pytest.mark.parametrize(
    ("source", "path", "error"),
    [
        ([("a", "x"), Basket("b", ["y"])], "$.baskets[1]", ValidationError),
        ([object()], "$.baskets[0]", InvalidType),
        ([("a", "")], "$.baskets[0][1]", ValidationError),
        ([(1.5, "x")], "$.baskets[0].basket_id", InvalidType),
        ([(CustomerId("c"), "x", AT, 1.5)], "$.baskets[0].quantity", InvalidType),
        ([(CustomerId("c"), "x", AT, -1)], "$.baskets[0].quantity", ValidationError),
        ([(CustomerId("c"), "x", AT.replace(tzinfo=None), 1)], "$.baskets[0].at", ValidationError),
        ([("c", "x", AT, 1)], "$.baskets[0].customer_id", InvalidType),
        ("abc", "$.baskets", InvalidType),
        (5, "$.baskets", InvalidType),
    ],
)
def test_bad_sources_name_the_path(source, path, error):
    """Mixed kinds, junk elements and bad fields are refused where they are."""
    with pytest.raises(error) as caught:
        as_baskets(source)
    assert path == caught.value.path


def test_mixed_sources_have_their_own_code():
    """Pairs then a basket: mixed_sources."""
    with pytest.raises(ValidationError) as caught:
        as_baskets([("a", "x"), Basket("b", ["y"])])
    assert "mixed_sources" == caught.value.code


def test_a_pair_basket_too_large_is_refused(monkeypatch):
    """Bounded work: a basket of more items than the cap."""
    monkeypatch.setattr(_baskets, "MAX_BASKET_ITEMS", 2)
    with pytest.raises(ValidationError) as caught:
        as_baskets([("a", "x"), ("a", "y"), ("a", "z")])
    assert ("$.baskets[2]", "too_many") == (caught.value.path, caught.value.code)


def test_too_many_records_are_refused(monkeypatch):
    """Bounded work: at most MAX_BASKETS records."""
    monkeypatch.setattr(_baskets, "MAX_BASKETS", 2)
    with pytest.raises(ValidationError) as caught:
        as_baskets([("a", "x"), ("b", "y"), ("c", "z")])
    assert "too_many" == caught.value.code


class TestBasket:
    """The basket value checks its fields."""

    @pytest.mark.parametrize(
        ("args", "kwargs", "path"),
        [
            (("b", "xy"), {}, "$.items"),
            (("b", ["x", 3]), {}, "$.items[1]"),
            (("b", ["x"]), {"returned": "x"}, "$.returned"),
            (("b", ["x"]), {"returned": [""]}, "$.returned[0]"),
            (("b", ["x"]), {"customer_id": "c-1"}, "$.customer_id"),
            ((None, ["x"]), {}, "$.basket_id"),
        ],
    )
    def test_bad_fields(self, args, kwargs, path):
        """Each names its field."""
        with pytest.raises(ValidationError) as caught:
            Basket(*args, **kwargs)
        assert path == caught.value.path

    def test_too_many_items(self, monkeypatch):
        """Items and returned items are capped."""
        monkeypatch.setattr(_baskets, "MAX_BASKET_ITEMS", 1)
        for kwargs in ({"items": ["a", "b"]}, {"items": ["a"], "returned": ["a", "b"]}):
            with pytest.raises(ValidationError) as caught:
                Basket("b", **kwargs)
            assert "too_many" == caught.value.code

    def test_ids_and_product_ids_become_text(self):
        """A typed id gives its text."""
        basket = Basket(OrderId("o-1"), [ProductId("sku-1")])
        assert ("o-1", ("sku-1",)) == (basket.basket_id, basket.items)
        assert "sku-1" == check_item(ProductId("sku-1"), "$")

    def test_usage_record_at_later_times(self):
        """A usage record keeps its time."""
        record = UsageRecord(CustomerId("c"), "calls", AT + timedelta(days=1), 3)
        assert Decimal(3) == record.quantity

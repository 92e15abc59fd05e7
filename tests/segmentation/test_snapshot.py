"""Tests for `crmcore.segmentation._snapshot`."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crmcore import InvalidType, Money
from crmcore.segmentation import purchase_facts

AT = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_customer_without_orders_has_zero_facts():
    """Looking up a customer without orders gives orders_count 0, never a bare KeyError."""
    facts = purchase_facts([("c-1", AT, Money("10", "USD"))], at=AT)
    assert 1 == facts["c-1"]["orders_count"]
    assert {
        "orders_count": 0,
        "first_purchase_at": None,
        "last_purchase_at": None,
        "total_spent": None,
        "average_order_value": None,
    } == facts["c-9"]
    assert "c-9" not in facts
    assert facts.get("c-9") is None
    assert 0 == purchase_facts([], at=AT)["anyone"]["orders_count"]


def test_an_unhashable_lookup_is_an_invalid_type():
    """D15: a signalling NaN (or a list) as the key is refused with a crmcore error."""
    facts = purchase_facts([], at=AT)
    with pytest.raises(InvalidType):
        facts[Decimal("sNaN")]
    with pytest.raises(InvalidType):
        facts[[]]


@pytest.mark.parametrize("customer_id", [Decimal("sNaN"), 1.5, None, True])
def test_order_ids_must_be_ids(customer_id):
    """D15: order rows name their customer by an id (a signalling NaN was hashed blindly)."""
    with pytest.raises(InvalidType) as info:
        purchase_facts([(customer_id, AT, Money("10", "USD"))], at=AT)
    assert "$.orders[0].customer_id" == info.value.path

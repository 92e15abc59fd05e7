"""Tests for `crmcore.testing.strategies._recommendations`: arguments checked eagerly, values valid."""

import pytest
from hypothesis import given

from crmcore.errors import InvalidType, ValidationError
from crmcore.recommendations import Basket, UsageRecord
from crmcore.testing.strategies._recommendations import basket_pairs, baskets, usage_records


@given(baskets(min_size=1, max_size=5, items=("a", "b"), max_items=2, with_customers=True))
def test_baskets_respect_their_bounds(drawn):
    """1 to 5 baskets of 1 or 2 of the items, each with a customer."""
    assert 1 <= len(drawn) <= 5
    for basket in drawn:
        assert isinstance(basket, Basket)
        assert set(basket.items) <= {"a", "b"}
        assert basket.customer_id is not None


@given(basket_pairs(max_baskets=3), usage_records(customers=2, max_records=5, allow_zero=False))
def test_pairs_and_usage_records(pairs, records):
    """Pairs of text; usage records with positive quantities of two customers."""
    assert all(isinstance(key, str) and isinstance(item, str) for key, item in pairs)
    assert all(isinstance(r, UsageRecord) and r.quantity > 0 for r in records)
    assert len({r.customer_id for r in records}) <= 2


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: baskets(items="ab"), InvalidType),
        (lambda: baskets(items=()), ValidationError),
        (lambda: baskets(min_size=3, max_size=2), ValidationError),
        (lambda: baskets(max_items=0), ValidationError),
        (lambda: baskets(with_customers=1), InvalidType),
        (lambda: usage_records(categories=("",)), ValidationError),
        (lambda: usage_records(customers=0), ValidationError),
        (lambda: usage_records(allow_zero="no"), InvalidType),
    ],
)
def test_bad_arguments_are_refused_at_once(call, error):
    """Arguments are validated when the strategy is made, not when drawn."""
    with pytest.raises(error):
        call()

"""Strategies for crmcore.recommendations: baskets, basket pairs and usage records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._ids import CustomerId
from crmcore.errors import InvalidType
from crmcore.recommendations import MAX_BASKET_ITEMS, Basket, UsageRecord, check_item
from crmcore.testing.strategies._base import _int_arg, _non_empty

#: Items of the default baskets: a small shop's products.
SHOP_ITEMS: Final = ("bread", "butter", "cheese", "coffee", "cups", "milk", "tea")
#: The usage categories of the telecom example.
TELECOM_CATEGORIES: Final = ("calls", "sms", "data", "video", "roaming")
_START: Final = datetime(2026, 1, 1, tzinfo=UTC)


def _choices(value: object, path: str) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise InvalidType("must be a tuple of items", path=path)
    return _non_empty(tuple(check_item(item, f"{path}[{i}]") for i, item in enumerate(value)), path)


def baskets(
    *,
    items: tuple[str, ...] = SHOP_ITEMS,
    min_size: int = 0,
    max_size: int = 12,
    max_items: int = 4,
    with_customers: bool = False,
) -> st.SearchStrategy[tuple[Basket, ...]]:
    """Tuples of ``min_size`` to ``max_size`` baskets, each of 1 to ``max_items`` of ``items``.

    Basket ids are ``b-0``, ``b-1``, ...; with ``with_customers`` each basket
    belongs to one of three customers.
    """
    pool = _choices(items, "$.items")
    low = _int_arg(min_size, "$.min_size")
    high = _int_arg(max_size, "$.max_size", minimum=low, maximum=10_000)
    most = _int_arg(max_items, "$.max_items", minimum=1, maximum=MAX_BASKET_ITEMS)
    if not isinstance(with_customers, bool):
        raise InvalidType("must be a bool", path="$.with_customers")
    one = st.frozensets(st.sampled_from(pool), min_size=1, max_size=most)
    owners = st.sampled_from([CustomerId(f"c-{n}") for n in range(3)])

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Basket, ...]:
        contents = draw(st.lists(one, min_size=low, max_size=high))
        return tuple(
            Basket(
                f"b-{number}",
                chosen,
                customer_id=draw(owners) if with_customers else None,
            )
            for number, chosen in enumerate(contents)
        )

    return build()


def basket_pairs(
    *, items: tuple[str, ...] = SHOP_ITEMS, max_baskets: int = 12, max_items: int = 4
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """``(basket_id, item)`` pairs of up to ``max_baskets`` baskets, as an order-lines table reads."""
    chosen = baskets(items=items, max_size=max_baskets, max_items=max_items)
    return chosen.map(
        lambda drawn: [(basket.basket_id, item) for basket in drawn for item in basket.items]
    )


def usage_records(
    *,
    categories: tuple[str, ...] = TELECOM_CATEGORIES,
    customers: int = 5,
    max_records: int = 30,
    allow_zero: bool = True,
) -> st.SearchStrategy[list[UsageRecord]]:
    """Usage records of up to ``customers`` customers over ``categories`` (quantities 0 to 5,000)."""
    pool = _choices(categories, "$.categories")
    people = _int_arg(customers, "$.customers", minimum=1, maximum=1_000)
    most = _int_arg(max_records, "$.max_records", maximum=10_000)
    if not isinstance(allow_zero, bool):
        raise InvalidType("must be a bool", path="$.allow_zero")
    record = st.builds(
        UsageRecord,
        st.integers(0, people - 1).map(lambda n: CustomerId(f"c-{n}")),
        st.sampled_from(pool),
        st.integers(0, 60 * 24 * 90).map(lambda minutes: _START + timedelta(minutes=minutes)),
        st.integers(0 if allow_zero else 1, 5_000).map(Decimal),
    )
    return st.lists(record, max_size=most)

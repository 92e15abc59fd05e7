"""Property tests of `crmcore.catalog`: the shipped strategies, invariants and serialization."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore.catalog import (
    MAX_PRICE_ENTRIES,
    PriceBook,
    PriceBookEvent,
    PriceEntry,
    Product,
    ProductEvent,
    ProductId,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._catalog import price_books, price_entries, products

from ._helpers import AT


def assert_no_overlap(book):
    """Entries of one key never share a day, checked pair by pair."""
    for i, first in enumerate(book.entries):
        for second in book.entries[i + 1 :]:
            assert first.key != second.key or not first.overlaps(second)


@given(products())
def test_products_round_trip_and_keep_their_invariants(product):
    """A drawn product serializes and reads back equal, events included."""
    assert product == from_dict(Product, to_dict(product))
    assert product.pending_events == from_dict(Product, to_dict(product)).pending_events
    assert all(
        isinstance(e, ProductEvent) and e.product_id == product.id for e in product.pending_events
    )
    assert product.standard_cost is None or product.standard_cost.amount >= 0


@given(price_books())
def test_price_books_round_trip_and_never_overlap(book):
    """A drawn book serializes and reads back equal, and its entries never overlap within a key."""
    again = from_dict(PriceBook, to_dict(book))
    assert (book, book.pending_events) == (again, again.pending_events)
    assert all(isinstance(e, PriceBookEvent) for e in book.pending_events)
    assert all(e.unit_price.currency == book.currency for e in book.entries)
    assert_no_overlap(book)


@given(price_entries(currency="KWD", customer_groups=[None]))
def test_entries_honour_their_arguments(entry):
    """The currency and groups asked for are the ones drawn."""
    assert ("KWD", None) == (entry.unit_price.currency, entry.customer_group)
    assert entry == from_dict(PriceEntry, to_dict(entry))


@given(price_books(pending_events=False, active=False, currency="jpy", max_entries=0))
def test_book_arguments(book):
    """Stored books, inactive, in JPY, empty as asked."""
    assert ((), False, "JPY", ()) == (book.pending_events, book.active, book.currency, book.entries)


@given(price_books(max_entries=40), st.data())
def test_a_failed_addition_changes_nothing(book, data):
    """Adding an entry overlapping one the book holds is refused, and the book is as it was."""
    if not book.entries:
        return
    held = data.draw(st.sampled_from(book.entries))
    clash = PriceEntry(
        held.product_id,
        held.unit_price,
        valid_from=held.valid_from,
        min_quantity=held.min_quantity,
        customer_group=held.customer_group,
    )
    before = (book.entries, book.pending_events, book.sequence)
    with pytest.raises(ValidationError) as caught:
        book.add_entries([clash], at=max(AT, book.updated_at))
    assert ("overlap", f"$.entries[{len(book.entries)}]") == (caught.value.code, caught.value.path)
    assert before == (book.entries, book.pending_events, book.sequence)


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: products(max_steps=21), ValidationError),
        (lambda: products(product_ids=["p"]), InvalidType),
        (lambda: products(product_ids=[]), ValidationError),
        (lambda: price_entries(currency="XXY"), ValidationError),
        (lambda: price_entries(customer_groups=["Bad Group"]), ValidationError),
        (
            lambda: price_entries(min_valid_from=date(2030, 1, 1), max_valid_from=date(2029, 1, 1)),
            ValidationError,
        ),
        (lambda: price_entries(max_valid_from=date(9999, 1, 1)), ValidationError),
        (lambda: price_entries(min_valid_from="2026-01-01"), InvalidType),
        (lambda: price_books(max_entries=MAX_PRICE_ENTRIES), ValidationError),
        (lambda: price_books(active="yes"), InvalidType),
        (lambda: price_books(currency=5), InvalidType),
    ],
)
def test_strategy_arguments_are_checked_eagerly(build, error):
    """Bad strategy arguments raise when the strategy is built, naming the argument."""
    with pytest.raises(error):
        build()


@given(products(product_ids=[ProductId("p-1")], max_steps=0))
def test_product_ids_are_honoured(product):
    """A pool of one id gives that id."""
    assert ProductId("p-1") == product.id

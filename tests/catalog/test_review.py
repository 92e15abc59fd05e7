"""Review tests: overlap reporting, hostile amounts, and an independent check of the rule."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, ValidationError
from crmcore.catalog import PriceBookId, PriceEntry, resolve_price

from ._helpers import JAN, ROUTER, book, entry
from .test_resolution import books_and_queries

# -- overlaps: the path names the entry the documentation says ----------------------------


def test_overlap_names_the_first_entry_overlapping_one_placed_before_it():
    """Entries 1 and 2 both overlap entry 0: entry 1, the first offender, is named."""
    with pytest.raises(ValidationError) as caught:
        book(
            entry(1, valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 1)),
            entry(2, valid_from=date(2026, 6, 1), valid_until=date(2026, 7, 1)),
            entry(3, valid_from=date(2026, 1, 2), valid_until=date(2026, 1, 4)),
        )
    assert ("$.entries[1]", "overlap") == (caught.value.path, caught.value.code)


SPANS = st.tuples(st.integers(0, 30), st.one_of(st.none(), st.integers(1, 10)))


@given(st.lists(st.tuples(st.integers(1, 2), SPANS), min_size=1, max_size=8))
def test_overlap_path_matches_a_pairwise_search(specs):
    """By brute force over every pair: the lowest j overlapping an entry placed before it."""
    base = date(2026, 1, 1)
    entries = [
        entry(
            10,
            valid_from=base + timedelta(days=start),
            valid_until=None if length is None else base + timedelta(days=start + length),
            min_quantity=tier,
        )
        for tier, (start, length) in specs
    ]

    def days(held):
        end = held.valid_until or base + timedelta(days=100)
        return {held.valid_from + timedelta(days=n) for n in range((end - held.valid_from).days)}

    offenders = [
        j
        for j, later in enumerate(entries)
        if any(
            earlier.key == later.key and i < j and days(earlier) & days(later)
            for i, earlier in enumerate(entries)
        )
    ]
    if not offenders:
        assert len(book(*entries).entries) == len(entries)
        return
    with pytest.raises(ValidationError) as caught:
        book(*entries)
    assert (f"$.entries[{min(offenders)}]", "overlap") == (caught.value.path, caught.value.code)


# -- hostile amounts -----------------------------------------------------------------------


def test_a_price_times_quantity_money_cannot_hold_names_the_quantity():
    """The extended price must fit Money: refused at $.quantity, not at an inner $.amount."""
    huge = book(entry("999999999999999999999", currency="IDR"))
    with pytest.raises(ValidationError) as caught:
        resolve_price([huge], product_id=ROUTER, quantity=1000, currency="IDR", on=JAN)
    assert ("$.quantity", "too_large") == (caught.value.path, caught.value.code)


# -- the rule, read step by step as the documentation states it --------------------------


def stepwise(books, product_id, quantity, on, group):
    """Filter the applying entries, then keep group prices if any, the highest tier, the first book."""
    applying = [
        (index, price_book.id, held)
        for index, price_book in enumerate(books)
        if price_book.active
        for held in price_book.entries
        if held.product_id == product_id
        and held.customer_group in (None, group)
        and held.is_valid_on(on)
        and held.min_quantity <= quantity
    ]
    if not applying:
        return None
    if any(held.customer_group is not None for _, _, held in applying):
        applying = [item for item in applying if item[2].customer_group is not None]
    top = max(held.min_quantity for _, _, held in applying)
    applying = [item for item in applying if item[2].min_quantity == top]
    first = min(index for index, _, _ in applying)
    (chosen,) = [item for item in applying if item[0] == first]
    return chosen


@given(books_and_queries())
def test_resolution_matches_the_rule_applied_step_by_step(drawn):
    """The winner is the documented rule, applied as three successive filters."""
    books, (product_id, quantity, on, group) = drawn
    expected = stepwise(books, product_id, quantity, on, group)
    call = {
        "product_id": product_id,
        "quantity": quantity,
        "currency": "IDR",
        "on": on,
        "customer_group": group,
    }
    if expected is None:
        with pytest.raises(ValidationError) as caught:
            resolve_price(books, **call)
        assert "no_price" == caught.value.code
        return
    found = resolve_price(books, **call)
    again = resolve_price(list(books), **call)
    assert found == again
    _, book_id, held = expected
    assert (found.book_id, found.entry, found.unit_price) == (book_id, held, held.unit_price)
    assert isinstance(found.book_id, PriceBookId)
    assert isinstance(found.entry, PriceEntry)
    assert found.extended_price == Money(held.unit_price.amount * quantity, "IDR")

"""Tests of `crmcore.catalog._resolution`: the one price rule, its explanation and its errors."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, ValidationError
from crmcore.catalog import (
    MAX_PRICE_QUANTITY,
    MAX_RESOLUTION_BOOKS,
    CandidateReason,
    PriceBook,
    PriceBookId,
    PriceResolution,
    ProductId,
    resolve_price,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._catalog import price_books

from ._helpers import AT, FEB, MAR, ROUTER, SWITCH, book, entry, idr

R = CandidateReason


def resolve(books, quantity=1, *, on=FEB, group=None, product_id=ROUTER, currency="IDR"):
    """resolve_price with the defaults of these tests."""
    return resolve_price(
        books,
        product_id=product_id,
        quantity=quantity,
        currency=currency,
        on=on,
        customer_group=group,
    )


# -- the rule by example ----------------------------------------------------------------


def test_list_price_tier_and_group():
    """A list price, a tier from 10 and a reseller price: each wins where it should."""
    prices = book(entry(100), entry(90, min_quantity=10), entry(80, customer_group="reseller"))
    assert (idr(100), "only_price") == (
        resolve([prices], 1).unit_price,
        resolve([prices], 1).reason,
    )
    tier = resolve([prices], 10)
    assert (idr(90), idr(900), "volume_tier") == (tier.unit_price, tier.extended_price, tier.reason)
    group = resolve([prices], 12, group="reseller")
    assert (idr(80), "customer_group") == (group.unit_price, group.reason)
    assert [R.LESS_SPECIFIC, R.LESS_SPECIFIC, R.WINNER] == [c.reason for c in group.candidates]
    other = resolve([prices], 3, group="partner")
    assert [R.WINNER, R.TIER_NOT_REACHED, R.OTHER_GROUP] == [c.reason for c in other.candidates]


def test_a_group_tier_beats_a_higher_general_tier():
    """Group first, tier second: a group list price beats a general tier of 50."""
    prices = book(entry(100), entry(70, min_quantity=50), entry(85, customer_group="reseller"))
    found = resolve([prices], 60, group="reseller")
    assert idr(85) == found.unit_price
    assert [R.LESS_SPECIFIC, R.LESS_SPECIFIC, R.WINNER] == [c.reason for c in found.candidates]


def test_the_earlier_book_wins_a_tie_and_later_books_say_so():
    """Same specificity in two books: the first given wins; swapping them swaps the winner."""
    contract = book(entry(95), book_id="pb-contract")
    public = book(entry(100), entry(90, min_quantity=5), book_id="pb-public")
    found = resolve([contract, public], 2)
    assert (PriceBookId("pb-contract"), "earlier_book") == (found.book_id, found.reason)
    assert [R.WINNER, R.LATER_BOOK, R.TIER_NOT_REACHED] == [c.reason for c in found.candidates]
    assert PriceBookId("pb-public") == resolve([public, contract], 2).book_id
    assert (idr(90), "volume_tier") == (
        resolve([contract, public], 5).unit_price,
        resolve([contract, public], 5).reason,
    )
    assert R.LOWER_TIER is resolve([contract, public], 5).candidates[1].reason


def test_dates_inactive_books_and_other_products():
    """Not yet valid, expired and inactive-book entries are explained; other products are not listed."""
    prices = book(
        entry(100, valid_until=FEB),
        entry(110, valid_from=FEB, valid_until=MAR),
        entry(120, valid_from=MAR),
        entry(5, product_id=SWITCH),
    )
    sleeping = book(entry(1), book_id="pb-old", active=False)
    found = resolve([prices, sleeping], on=FEB)
    assert idr(110) == found.unit_price
    assert [R.EXPIRED, R.WINNER, R.NOT_YET_VALID, R.INACTIVE_BOOK] == [
        c.reason for c in found.candidates
    ]
    assert [(0, 0), (0, 1), (0, 2), (1, 0)] == [
        (c.book_index, c.entry_index) for c in found.candidates
    ]
    assert found.winner.applied
    assert not found.candidates[0].applied


def test_the_first_reason_that_holds_is_given():
    """An entry of an inactive book that is also expired is reported as inactive_book."""
    found = resolve(
        [book(entry(1), book_id="a"), book(entry(2, valid_until=FEB), book_id="b", active=False)],
        on=MAR,
    )
    assert R.INACTIVE_BOOK is found.candidates[1].reason


# -- errors -------------------------------------------------------------------------------


def test_a_book_in_another_currency_is_a_currency_mismatch():
    """Every book must be in the currency asked for, inactive ones too."""
    usd = book(entry(1, currency="USD"), book_id="pb-usd", currency="USD", active=False)
    with pytest.raises(CurrencyMismatch) as caught:
        resolve([book(entry(1)), usd])
    assert "$.books[1].currency" == caught.value.path


def test_no_price_when_nothing_applies():
    """Nothing applies: code ``no_price``; no books at all is the same."""
    for books, kwargs in (
        ([book(entry(1, valid_from=MAR))], {}),
        ([book(entry(1, min_quantity=10))], {}),
        ([book(entry(1, customer_group="reseller"))], {}),
        ([book(entry(1), active=False)], {}),
        ([book(entry(1))], {"product_id": SWITCH}),
        ([], {}),
    ):
        with pytest.raises(ValidationError) as caught:
            resolve(books, **kwargs)
        assert ("$.product_id", "no_price") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("kwargs", "path", "code", "error"),
    [
        ({"quantity": 0}, "$.quantity", "range", ValidationError),
        ({"quantity": -3}, "$.quantity", "range", ValidationError),
        ({"quantity": MAX_PRICE_QUANTITY + 1}, "$.quantity", "range", ValidationError),
        ({"quantity": 1.5}, "$.quantity", "type", InvalidType),
        ({"quantity": True}, "$.quantity", "type", InvalidType),
        ({"on": AT}, "$.on", "type", InvalidType),
        ({"group": "Reseller!"}, "$.customer_group", "name", ValidationError),
        ({"product_id": "p-router"}, "$.product_id", "type", InvalidType),
        ({"currency": "RPH"}, "$.currency", "currency", ValidationError),
        ({"currency": 360}, "$.currency", "type", InvalidType),
    ],
)
def test_bad_arguments_name_their_path(kwargs, path, code, error):
    """Bad quantities, days, groups, ids and currencies: the specific error at its path."""
    with pytest.raises(error) as caught:
        resolve([book(entry(1))], **kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_books_must_be_distinct_price_books_and_bounded():
    """A repeated book, a non-book, a string, too many books: each refused."""
    prices = book(entry(1))
    with pytest.raises(ValidationError) as caught:
        resolve([prices, prices])
    assert ("$.books[1]", "duplicate") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType) as caught:
        resolve([prices, "pb"])
    assert "$.books[1]" == caught.value.path
    with pytest.raises(InvalidType):
        resolve("pb-idr")
    many = (book(entry(1), book_id=f"pb-{n}") for n in range(MAX_RESOLUTION_BOOKS + 1))
    with pytest.raises(ValidationError) as caught:
        resolve(many)
    assert ("$.books", "too_many") == (caught.value.path, caught.value.code)


def test_a_resolution_document_is_checked():
    """A resolution read back must hold its winner and its arithmetic."""
    found = resolve([book(entry(100), entry(90, min_quantity=2))], 3)
    assert found == from_dict(PriceResolution, to_dict(found))
    data = to_dict(found)
    data["extended_price"]["amount"] = "1"
    with pytest.raises(ValidationError):
        from_dict(PriceResolution, data)
    data = to_dict(found)
    data["candidates"][1]["reason"] = "lower_tier"
    with pytest.raises(ValidationError):
        from_dict(PriceResolution, data)
    data = to_dict(found)
    data["unit_price"]["amount"] = "1"
    with pytest.raises(ValidationError):
        from_dict(PriceResolution, data)


# -- properties: brute force, determinism, completeness -----------------------------------

PRODUCTS = (ProductId("p-a"), ProductId("p-b"))
GROUPS = (None, "reseller", "partner")
DAYS = st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 3, 31))
QUANTITIES = st.sampled_from([1, 2, 4, 5, 9, 10, 11, 49, 50, 100, 150]) | st.integers(1, 200)
#: Books that compete for two products in 2026: most active, a third inactive.
BOOK = price_books(
    currency="IDR",
    product_ids=PRODUCTS,
    customer_groups=GROUPS,
    max_entries=16,
    min_valid_from=date(2026, 1, 1),
    max_valid_from=date(2026, 9, 30),
    active=True,
) | price_books(
    currency="IDR", product_ids=PRODUCTS, customer_groups=GROUPS, max_entries=6, active=True
)
BOOK = BOOK | price_books(currency="IDR", product_ids=PRODUCTS, max_entries=4, active=False)
BOOKS = st.lists(BOOK, max_size=4, unique_by=lambda b: b.id)
QUERIES = st.tuples(st.sampled_from(PRODUCTS), QUANTITIES, DAYS, st.sampled_from(GROUPS))


@st.composite
def books_and_queries(draw):
    """Books, and a query that often hits their entries: a day, a product and a group they name."""
    books = draw(BOOKS)
    product_id, quantity, on, group = draw(QUERIES)
    entries = [held for price_book in books for held in price_book.entries]
    if entries and draw(st.booleans()):
        chosen = draw(st.sampled_from(entries))
        product_id, on = chosen.product_id, chosen.valid_from
        group = draw(st.sampled_from((group, chosen.customer_group)))
        quantity = draw(st.sampled_from((quantity, chosen.min_quantity, chosen.min_quantity + 1)))
    return books, (product_id, quantity, on, group)


def brute_force(books, product_id, quantity, on, group):
    """Every entry tried against the rule written out plainly; the best by (group, tier, -book)."""
    best = None
    for book_index, price_book in enumerate(books):
        if not price_book.active:
            continue
        for held in price_book.entries:
            if held.product_id != product_id:
                continue
            if held.customer_group not in (None, group):
                continue
            if not (held.valid_from <= on and (held.valid_until is None or on < held.valid_until)):
                continue
            if held.min_quantity > quantity:
                continue
            score = (held.customer_group is not None, held.min_quantity, -book_index)
            if best is None or score > best[0]:
                best = (score, price_book.id, held)
    return best


@given(books_and_queries())
def test_resolution_matches_a_brute_force_search(drawn):
    """The winner is what enumerating every entry finds; no_price exactly when none applies."""
    books, (product_id, quantity, on, group) = drawn
    expected = brute_force(books, product_id, quantity, on, group)
    if expected is None:
        with pytest.raises(ValidationError) as caught:
            resolve(books, quantity, on=on, group=group, product_id=product_id)
        assert "no_price" == caught.value.code
        return
    found = resolve(books, quantity, on=on, group=group, product_id=product_id)
    _, book_id, held = expected
    assert (book_id, held, held.unit_price) == (found.book_id, found.entry, found.unit_price)
    assert held.unit_price * quantity == found.extended_price


def _reason_of(price_book, held, quantity, on, group):
    if not price_book.active:
        return R.INACTIVE_BOOK
    if held.customer_group is not None and held.customer_group != group:
        return R.OTHER_GROUP
    if on < held.valid_from:
        return R.NOT_YET_VALID
    if held.valid_until is not None and on >= held.valid_until:
        return R.EXPIRED
    if held.min_quantity > quantity:
        return R.TIER_NOT_REACHED
    return None


@given(books_and_queries())
def test_the_explanation_lists_every_entry_with_its_reason(drawn):
    """Every entry of the product appears once, in order, with the reason the rule gives it."""
    books, (product_id, quantity, on, group) = drawn
    if brute_force(books, product_id, quantity, on, group) is None:
        return
    found = resolve(books, quantity, on=on, group=group, product_id=product_id)
    listed = [
        (i, j, held)
        for i, price_book in enumerate(books)
        for j, held in enumerate(price_book.entries)
        if held.product_id == product_id
    ]
    assert listed == [(c.book_index, c.entry_index, c.entry) for c in found.candidates]
    winner = (
        found.entry.customer_group is not None,
        found.entry.min_quantity,
        -found.winner.book_index,
    )
    for candidate in found.candidates:
        price_book = books[candidate.book_index]
        assert price_book.id == candidate.book_id
        expected = _reason_of(price_book, candidate.entry, quantity, on, group)
        if expected is None and candidate is not found.winner:
            mine = (
                candidate.entry.customer_group is not None,
                candidate.entry.min_quantity,
                -candidate.book_index,
            )
            assert mine < winner
            expected = (
                R.LESS_SPECIFIC
                if mine[0] != winner[0]
                else R.LOWER_TIER
                if mine[1] != winner[1]
                else R.LATER_BOOK
            )
        assert (expected or R.WINNER) == candidate.reason
    assert 1 == sum(c.reason is R.WINNER for c in found.candidates)


@given(books_and_queries(), st.randoms())
def test_the_order_of_entries_inside_a_book_never_changes_the_result(drawn, rng):
    """Shuffling each book's entries gives the same price, book and entry, every time."""
    books, (product_id, quantity, on, group) = drawn
    shuffled = []
    for price_book in books:
        entries = list(price_book.entries)
        rng.shuffle(entries)
        shuffled.append(
            PriceBook.create(
                price_book.id,
                name=price_book.name,
                currency=price_book.currency,
                entries=entries,
                active=price_book.active,
                at=AT,
            )
        )
    if brute_force(books, product_id, quantity, on, group) is None:
        for given_books in (books, shuffled):
            with pytest.raises(ValidationError, match="no price"):
                resolve(given_books, quantity, on=on, group=group, product_id=product_id)
        return
    first = resolve(books, quantity, on=on, group=group, product_id=product_id)
    again = resolve(shuffled, quantity, on=on, group=group, product_id=product_id)
    assert (first.unit_price, first.book_id, first.entry, first.reason) == (
        again.unit_price,
        again.book_id,
        again.entry,
        again.reason,
    )
    assert sorted(c.reason for c in first.candidates) == sorted(c.reason for c in again.candidates)
    assert first == resolve(books, quantity, on=on, group=group, product_id=product_id)

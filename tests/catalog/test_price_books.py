"""Tests of `crmcore.catalog._price_books`: price entries and the PriceBook aggregate."""

from datetime import date, timedelta

import pytest

from crmcore import CurrencyMismatch, InvalidType, Money, ValidationError
from crmcore.catalog import (
    MAX_PRICE_ENTRIES,
    MAX_PRICE_QUANTITY,
    PriceBook,
    PriceBookActivated,
    PriceBookCreated,
    PriceBookDeactivated,
    PriceBookId,
    PriceBookRenamed,
    PriceEntriesAdded,
    PriceEntry,
    PriceEntryEnded,
    PriceEntryRemoved,
)

from ._helpers import AT, FEB, JAN, MAR, ROUTER, SWITCH, book, entry, idr


def snapshot(price_book):
    """Everything a refused command must leave as it was."""
    return (
        price_book.name,
        price_book.currency,
        price_book.active,
        price_book.entries,
        price_book.pending_events,
        price_book.sequence,
    )


# -- entries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "path", "code", "error"),
    [
        (lambda: entry(-1), "$.unit_price", "negative", ValidationError),
        (lambda: entry("-0.01", currency="USD"), "$.unit_price", "negative", ValidationError),
        (lambda: PriceEntry(ROUTER, 100, valid_from=JAN), "$.unit_price", "type", InvalidType),
        (lambda: PriceEntry("p", idr(1), valid_from=JAN), "$.product_id", "type", InvalidType),
        (lambda: entry(1, valid_until=JAN), "$.valid_until", "range", ValidationError),
        (
            lambda: entry(1, valid_from=FEB, valid_until=JAN),
            "$.valid_until",
            "range",
            ValidationError,
        ),
        (lambda: entry(1, valid_from=AT), "$.valid_from", "type", InvalidType),
        (lambda: entry(1, valid_until="2026-02-01"), "$.valid_until", "type", InvalidType),
        (lambda: entry(1, min_quantity=0), "$.min_quantity", "range", ValidationError),
        (lambda: entry(1, min_quantity=-5), "$.min_quantity", "range", ValidationError),
        (
            lambda: entry(1, min_quantity=MAX_PRICE_QUANTITY + 1),
            "$.min_quantity",
            "range",
            ValidationError,
        ),
        (lambda: entry(1, min_quantity=True), "$.min_quantity", "type", InvalidType),
        (lambda: entry(1, min_quantity=2.0), "$.min_quantity", "type", InvalidType),
        (lambda: entry(1, customer_group="Resellers"), "$.customer_group", "name", ValidationError),
    ],
)
def test_bad_entries_are_refused_at_their_field(build, path, code, error):
    """Negative prices, empty ranges, bad quantities and groups: the specific error and path."""
    with pytest.raises(error) as caught:
        build()
    assert (path, code) == (caught.value.path, caught.value.code)


def test_entry_validity_is_half_open():
    """valid_from is included, valid_until excluded."""
    ranged = entry(1, valid_from=JAN, valid_until=FEB)
    assert [True, True, False, False] == [
        ranged.is_valid_on(day)
        for day in (JAN, FEB - timedelta(days=1), FEB, JAN - timedelta(days=1))
    ]
    assert entry(1).is_valid_on(date(2999, 1, 1))


def test_overlaps_ignores_keys_and_touching_ranges_do_not_overlap():
    """[Jan, Feb) and [Feb, Mar) touch without overlapping; open ranges overlap later ones."""
    first = entry(1, valid_until=FEB)
    assert not first.overlaps(entry(2, valid_from=FEB, valid_until=MAR))
    assert first.overlaps(entry(2, product_id=SWITCH, valid_from=JAN + timedelta(days=3)))
    assert entry(1).overlaps(entry(2, valid_from=MAR))
    with pytest.raises(InvalidType):
        first.overlaps("x")


# -- the book's rules --------------------------------------------------------------------


def test_create_records_the_book_and_its_entries():
    """The creation event carries the name, the currency and the entries."""
    made = book(entry(100), entry(90, min_quantity=10))
    (event,) = made.pending_events
    assert isinstance(event, PriceBookCreated)
    assert ("IDR", made.entries, True) == (event.currency, event.entries, event.active)
    assert frozenset({ROUTER}) == made.product_ids


def test_an_entry_in_another_currency_is_a_currency_mismatch_naming_it():
    """The path names the entry's unit price."""
    with pytest.raises(CurrencyMismatch) as caught:
        book(entry(100), entry(5, currency="USD"))
    assert "$.entries[1].unit_price" == caught.value.path


def test_the_currency_must_be_iso_4217():
    """An unknown code is refused at $.currency; a lower-case one is normalized."""
    with pytest.raises(ValidationError) as caught:
        book(currency="XXY")
    assert ("$.currency", "currency") == (caught.value.path, caught.value.code)
    assert "IDR" == book(currency="idr").currency


@pytest.mark.parametrize(
    ("second", "clash"),
    [
        (entry(90), True),
        (entry(90, valid_from=MAR), True),
        (entry(90, valid_from=date(2025, 6, 1), valid_until=JAN + timedelta(days=1)), True),
        (entry(90, valid_from=date(2025, 6, 1), valid_until=JAN), False),
        (entry(90, min_quantity=2), False),
        (entry(90, customer_group="reseller"), False),
        (entry(90, product_id=SWITCH), False),
    ],
)
def test_overlapping_entries_of_one_key_are_refused(second, clash):
    """Same product, tier and group on a common day: code ``overlap`` at the later entry."""
    if not clash:
        assert 2 == len(book(entry(100), second).entries)
        return
    with pytest.raises(ValidationError) as caught:
        book(entry(100), second)
    assert ("$.entries[1]", "overlap") == (caught.value.path, caught.value.code)


def test_overlap_names_the_lowest_placed_offender_whatever_the_order():
    """Three entries, the first and third overlapping: the third is named."""
    with pytest.raises(ValidationError) as caught:
        book(
            entry(1, valid_from=MAR),
            entry(2, valid_until=FEB),
            entry(3, valid_from=date(2026, 5, 1)),
        )
    assert "$.entries[2]" == caught.value.path


def test_a_book_is_bounded():
    """More than MAX_PRICE_ENTRIES entries are refused before they are looked at."""
    with pytest.raises(ValidationError) as caught:
        book(*[entry(1)] * (MAX_PRICE_ENTRIES + 1))
    assert ("$.entries", "too_many") == (caught.value.path, caught.value.code)
    endless = iter(lambda: entry(1), None)
    with pytest.raises(ValidationError) as caught:
        PriceBook.create(PriceBookId("pb"), name="n", currency="IDR", entries=endless, at=AT)
    assert "too_many" == caught.value.code


def test_entries_may_come_from_any_iterable_but_must_be_entries():
    """A generator works; a non-entry is an InvalidType at its index."""
    made = PriceBook.create(
        PriceBookId("pb"), name="n", currency="IDR", entries=(e for e in [entry(1)]), at=AT
    )
    assert 1 == len(made.entries)
    with pytest.raises(InvalidType) as caught:
        book(entry(1), "entry")
    assert "$.entries[1]" == caught.value.path
    for junk in (5, "entries", {"a": 1}):
        with pytest.raises(InvalidType) as caught:
            PriceBook.create(PriceBookId("pb"), name="n", currency="IDR", entries=junk, at=AT)
        assert "$.entries" == caught.value.path
        with pytest.raises(InvalidType):
            book().add_entries(junk, at=AT)


# -- commands ----------------------------------------------------------------------------


def test_add_entries_appends_and_records():
    """New entries follow the old ones; nothing to add is a no-op."""
    made = book(entry(100))
    added = made.add_entries([entry(90, min_quantity=10)], at=AT)
    assert [1, 10] == [e.min_quantity for e in added.entries]
    assert isinstance(added.pending_events[-1], PriceEntriesAdded)
    assert added is added.add_entries([], at=AT)


@pytest.mark.parametrize(
    ("new", "error", "path", "code"),
    [
        (entry(90, valid_from=FEB), ValidationError, "$.entries[1]", "overlap"),
        (
            entry(9, currency="USD"),
            CurrencyMismatch,
            "$.entries[1].unit_price",
            "currency_mismatch",
        ),
        ("x", InvalidType, "$.entries[0]", "type"),
    ],
)
def test_refused_additions_leave_the_book_unchanged(new, error, path, code):
    """Overlap, currency mismatch, wrong type: the error names the entry; nothing is applied."""
    made = book(entry(100))
    before = snapshot(made)
    with pytest.raises(error) as caught:
        made.add_entries([new], at=AT)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert before == snapshot(made)


def test_adding_past_the_limit_is_refused():
    """The limit holds across commands."""
    made = book(*[entry(1, min_quantity=n) for n in range(1, MAX_PRICE_ENTRIES + 1)])
    with pytest.raises(ValidationError) as caught:
        made.add_entries([entry(1, product_id=SWITCH)], at=AT)
    assert ("$.entries", "too_many") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        made.change_price(SWITCH, idr(1), on=JAN, at=AT)
    assert "too_many" == caught.value.code


def test_end_entry_shortens_and_records_the_old_entry():
    """Ending dates the entry; the event carries the entry as it was."""
    old = entry(100)
    ended = book(old).end_entry(old, until=MAR, at=AT)
    assert MAR == ended.entries[0].valid_until
    event = ended.pending_events[-1]
    assert isinstance(event, PriceEntryEnded)
    assert (old, MAR) == (event.entry, event.valid_until)
    assert ended is ended.end_entry(ended.entries[0], until=MAR, at=AT)


@pytest.mark.parametrize(
    ("until", "code", "path"),
    [(JAN, "range", "$.until"), (date(2027, 1, 1), "range", "$.until")],
)
def test_end_entry_never_extends(until, code, path):
    """Ending on or before the first day, or after the current end, is refused."""
    old = entry(100, valid_until=date(2026, 12, 1))
    made = book(old)
    before = snapshot(made)
    with pytest.raises(ValidationError) as caught:
        made.end_entry(old, until=until, at=AT)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert before == snapshot(made)


def test_unknown_entries_are_refused():
    """Ending or removing an entry the book does not hold: ``unknown_entry``."""
    made = book(entry(100))
    for call in (
        lambda: made.end_entry(entry(99), until=MAR, at=AT),
        lambda: made.remove_entry(entry(99), at=AT),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert ("$.entry", "unknown_entry") == (caught.value.path, caught.value.code)
    with pytest.raises(InvalidType):
        made.remove_entry("entry", at=AT)


def test_change_price_dates_the_old_price_and_adds_the_new():
    """The old price ends the day the new one starts; history stays."""
    made = book(entry(100, valid_until=date(2026, 12, 1)))
    changed = made.change_price(ROUTER, idr(120), on=MAR, at=AT)
    assert [(JAN, MAR, idr(100)), (MAR, date(2026, 12, 1), idr(120))] == [
        (e.valid_from, e.valid_until, e.unit_price) for e in changed.entries
    ]
    assert [PriceEntryEnded, PriceEntriesAdded] == [type(e) for e in changed.pending_events[-2:]]


def test_change_price_without_a_current_price_runs_until_the_next():
    """With no price on the day, the new one runs until the next entry of its key starts."""
    made = book(entry(100, valid_from=MAR))
    changed = made.change_price(ROUTER, idr(80), on=JAN, at=AT)
    assert (JAN, MAR) == (changed.entries[1].valid_from, changed.entries[1].valid_until)
    fresh = book().change_price(ROUTER, idr(80), on=JAN, at=AT)
    assert fresh.entries[0].valid_until is None


def test_change_price_on_the_day_an_entry_starts_overlaps():
    """An entry of the key starting that very day is not ended: the new one overlaps."""
    made = book(entry(100))
    with pytest.raises(ValidationError) as caught:
        made.change_price(ROUTER, idr(120), on=JAN, at=AT)
    assert ("$.entries[1]", "overlap") == (caught.value.path, caught.value.code)
    with pytest.raises(CurrencyMismatch):
        made.change_price(ROUTER, Money(1, "USD"), on=MAR, at=AT)
    with pytest.raises(ValidationError) as caught:
        made.change_price(ROUTER, idr(-1), on=MAR, at=AT)
    assert ("$.unit_price", "negative") == (caught.value.path, caught.value.code)


def test_remove_rename_and_activation():
    """Remove an entry, rename, deactivate and activate, each with its event; repeats are no-ops."""
    old = entry(100)
    made = book(old, entry(1, product_id=SWITCH))
    removed = made.remove_entry(old, at=AT)
    assert (SWITCH,) == tuple(e.product_id for e in removed.entries)
    assert isinstance(removed.pending_events[-1], PriceEntryRemoved)
    renamed = removed.rename("Resellers 2026", at=AT)
    assert ("Resellers 2026", "Indonesia 2026") == (
        renamed.pending_events[-1].name,
        renamed.pending_events[-1].previous,
    )
    assert isinstance(renamed.pending_events[-1], PriceBookRenamed)
    assert renamed is renamed.rename("Resellers 2026", at=AT)
    off = renamed.deactivate(at=AT)
    assert (False, PriceBookDeactivated) == (off.is_active, type(off.pending_events[-1]))
    assert off is off.deactivate(at=AT)
    on = off.activate(at=AT)
    assert (True, PriceBookActivated) == (on.is_active, type(on.pending_events[-1]))
    assert on is on.activate(at=AT)


def test_entries_for_and_repr():
    """entries_for filters by product; the repr shows counts and codes, not the name."""
    made = book(entry(1), entry(2, product_id=SWITCH))
    assert (SWITCH,) == tuple(e.product_id for e in made.entries_for(SWITCH))
    with pytest.raises(InvalidType):
        made.entries_for("p-switch")
    assert "Indonesia" not in repr(made)
    assert "entries=2" in repr(made)


def test_time_rule_and_bad_names():
    """Commands dated before the last change are refused; names are bounded text."""
    made = book(entry(1)).rename("Later", at=AT + timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        made.deactivate(at=AT)
    assert "time_backwards" == caught.value.code
    with pytest.raises(ValidationError) as caught:
        made.rename("", at=AT + timedelta(days=2))
    assert ("$.name", "too_short") == (caught.value.path, caught.value.code)

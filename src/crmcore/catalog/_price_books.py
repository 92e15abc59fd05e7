"""Price books: dated prices of products in one currency, with volume tiers and customer groups.

A :class:`PriceBook` holds :class:`PriceEntry` values, each a unit price of
one product in the book's currency, valid on a range of calendar days
(``valid_from`` included, ``valid_until`` excluded; ``None``: open-ended),
from a minimum quantity (a volume tier; ``1`` is the list price) and
optionally for one customer group (``"reseller"``). Entries with the same
*key* (product, minimum quantity, customer group) never overlap in time, so
at most one of them applies on any day: prices change by dating
(:meth:`PriceBook.end_entry`, :meth:`PriceBook.change_price`), never by
editing history. Which entry of which book applies to a sale is decided by
:func:`~crmcore.catalog.resolve_price`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Aggregate, typed_id
from crmcore._kernel._checks import (
    check_name,
    clean_text,
    is_bool,
    items_of,
    limit,
    positive_int,
    require_date,
    type_name,
)
from crmcore._kernel._events import DomainEvent, EventDraft, EventMeta
from crmcore._kernel._ids import PriceBookId, ProductId
from crmcore._kernel._money import Money, currency, money_at_least_zero
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

#: Most entries one price book may hold.
MAX_PRICE_ENTRIES: Final = 10_000
#: Largest quantity a price entry's tier or a price resolution may name (as an order line's).
MAX_PRICE_QUANTITY: Final = 1_000_000
#: Longest price book name, in characters.
MAX_BOOK_NAME: Final = 200


# -- entries ---------------------------------------------------------------------------------


def _entry_price(value: object) -> Money:
    return money_at_least_zero(value, "$.unit_price")


def _entry_from(value: object) -> date:
    return require_date(value, "$.valid_from")


def _entry_until(value: object) -> date | None:
    return None if value is None else require_date(value, "$.valid_until")


def _entry_quantity(_: object, __: attrs.Attribute[Any], value: object) -> None:
    positive_int(value, "$.min_quantity", maximum=MAX_PRICE_QUANTITY)


def check_customer_group(value: object, path: str = "$.customer_group") -> str | None:
    """A customer group code (snake_case, such as ``"reseller"``), or ``None``.

    >>> check_customer_group("reseller")
    'reseller'
    >>> check_customer_group("Gold Resellers")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.customer_group: must be a snake_case name (a lowercase letter, then lowercase letters, digits or underscores; at most 64 characters)
    """
    return None if value is None else check_name(value, path)


def _entry_group(value: object) -> str | None:
    return check_customer_group(value, "$.customer_group")


@attrs.frozen(slots=True)
class PriceEntry:
    """One price of one product in a price book, for a range of days, a tier and a group.

    ``valid_until`` is excluded: an entry from 1 January until 1 February
    applies in January only; ``None`` leaves it open. ``min_quantity`` is 1
    for a list price and more for a volume tier (the price from that many
    units); ``customer_group`` is ``None`` for everyone or a group code
    (``"reseller"``) for that group's price. The unit price is Money of zero
    or more; the book checks that it is in the book's currency.

    >>> from datetime import date
    >>> entry = PriceEntry(
    ...     ProductId("p-1"), Money("90000", "IDR"), valid_from=date(2026, 1, 1), min_quantity=10
    ... )
    >>> entry.is_valid_on(date(2026, 3, 1)), entry.key
    (True, (ProductId('p-1'), 10, None))
    >>> PriceEntry(ProductId("p-1"), Money("-1", "IDR"), valid_from=date(2026, 1, 1))
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.unit_price: must not be negative

    Attributes:
        product_id: the product priced.
        unit_price: the price of one unit.
        valid_from: the first day the price applies.
        valid_until: the first day it no longer applies, or ``None``.
        min_quantity: the smallest quantity the price applies to (1: the list price).
        customer_group: the customer group the price is for, or ``None`` (everyone).

    .. versionadded:: 0.1
    """

    product_id: ProductId = attrs.field(validator=typed_id(ProductId, "$.product_id"))
    unit_price: Money = attrs.field(converter=_entry_price)
    valid_from: date = attrs.field(kw_only=True, converter=_entry_from)
    valid_until: date | None = attrs.field(default=None, kw_only=True, converter=_entry_until)
    min_quantity: int = attrs.field(default=1, kw_only=True, validator=_entry_quantity)
    customer_group: str | None = attrs.field(default=None, kw_only=True, converter=_entry_group)

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise ValidationError(
                "must be after valid_from (valid_until is the first day the price no longer applies)",
                path="$.valid_until",
                code="range",
            )

    @property
    def key(self) -> tuple[ProductId, int, str | None]:
        """What two entries of a book must not share on the same day: product, tier and group."""
        return (self.product_id, self.min_quantity, self.customer_group)

    def is_valid_on(self, day: date) -> bool:
        """True if the price applies on ``day``: ``valid_from <= day < valid_until``."""
        when = require_date(day, "$.on")
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)

    def overlaps(self, other: PriceEntry) -> bool:
        """True if the two entries apply on a common day (whatever their keys)."""
        if type(other) is not PriceEntry:
            raise InvalidType(f"must be a PriceEntry, not {type_name(other)}", path="$.other")
        return (other.valid_until is None or self.valid_from < other.valid_until) and (
            self.valid_until is None or other.valid_from < self.valid_until
        )


def _entry_arg(value: object, path: str) -> PriceEntry:
    if type(value) is not PriceEntry:
        raise InvalidType(f"must be a PriceEntry, not {type_name(value)}", path=path)
    return value


def _entries(value: object) -> tuple[PriceEntry, ...]:
    return items_of(
        value,
        PriceEntry,
        "$.entries",
        "a PriceEntry",
        max_items=MAX_PRICE_ENTRIES,
        noun="entries",
    )


def check_entries(entries: tuple[PriceEntry, ...], book_currency: str) -> None:
    """The rules a book's entries keep together: one currency, and no overlap within a key.

    Raises :class:`~crmcore.CurrencyMismatch` at ``$.entries[i].unit_price``
    for the first entry in another currency, and a ValidationError with code
    ``overlap`` at ``$.entries[j]`` for the first entry (lowest ``j``) that
    shares its key with an entry placed before it and applies on a common day
    (so an entry added to a book is named, never the entry it clashes with).
    Costs ``O(n log n)`` comparisons.
    """
    for index, entry in enumerate(entries):
        if entry.unit_price.currency != book_currency:
            raise CurrencyMismatch(
                f"must be in the price book's currency {book_currency}",
                path=f"$.entries[{index}].unit_price",
            )
    # Per key, the entries seen so far are disjoint ranges kept sorted by their first
    # day; a new range overlaps one of them exactly when it overlaps a neighbour.
    starts: dict[tuple[ProductId, int, str | None], list[date]] = {}
    ends: dict[tuple[ProductId, int, str | None], list[date | None]] = {}
    for index, entry in enumerate(entries):
        firsts = starts.setdefault(entry.key, [])
        lasts = ends.setdefault(entry.key, [])
        place = bisect.bisect_right(firsts, entry.valid_from)
        before = place > 0 and _ends_after(lasts[place - 1], entry.valid_from)
        after = place < len(firsts) and _ends_after(entry.valid_until, firsts[place])
        if before or after:
            raise ValidationError(
                "must not apply on a day another entry of the book with the same product, "
                "min_quantity and customer_group applies",
                path=f"$.entries[{index}]",
                code="overlap",
            )
        firsts.insert(place, entry.valid_from)
        lasts.insert(place, entry.valid_until)


def _ends_after(end: date | None, day: date) -> bool:
    """True if a range ending (exclusive) at ``end`` (``None``: never) still applies on ``day``."""
    return end is None or day < end


# -- events ----------------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True)
class PriceBookEvent(DomainEvent, aggregate="price_book"):
    """Base of the events recorded by a :class:`PriceBook` (prices and codes: no personal data).

    .. versionadded:: 0.1
    """

    price_book_id: PriceBookId


@attrs.frozen(slots=True, kw_only=True)
class PriceBookCreated(PriceBookEvent):
    """A price book was created in ``currency`` with these entries.

    .. versionadded:: 0.1
    """

    name: str
    currency: str
    active: bool = True
    entries: tuple[PriceEntry, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class PriceEntriesAdded(PriceBookEvent):
    """Entries were added to a price book (after those it held, in this order).

    .. versionadded:: 0.1
    """

    entries: tuple[PriceEntry, ...]


@attrs.frozen(slots=True, kw_only=True)
class PriceEntryEnded(PriceBookEvent):
    """The entry ``entry`` (as it was) no longer applies from ``valid_until`` on.

    .. versionadded:: 0.1
    """

    entry: PriceEntry
    valid_until: date


@attrs.frozen(slots=True, kw_only=True)
class PriceEntryRemoved(PriceBookEvent):
    """The entry ``entry`` was removed from the price book.

    .. versionadded:: 0.1
    """

    entry: PriceEntry


@attrs.frozen(slots=True, kw_only=True)
class PriceBookRenamed(PriceBookEvent):
    """A price book's name changed from ``previous`` to ``name``.

    .. versionadded:: 0.1
    """

    name: str
    previous: str


@attrs.frozen(slots=True, kw_only=True)
class PriceBookDeactivated(PriceBookEvent):
    """A price book was deactivated: price resolution passes it over.

    .. versionadded:: 0.1
    """


@attrs.frozen(slots=True, kw_only=True)
class PriceBookActivated(PriceBookEvent):
    """A deactivated price book applies again.

    .. versionadded:: 0.1
    """


# -- the aggregate ---------------------------------------------------------------------------


def _book_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_BOOK_NAME, what="a price book name")


def _book_currency(value: object) -> str:
    try:
        return currency(value).code  # type: ignore[arg-type]
    except ValidationError as exc:
        raise exc.under("$.currency") from None


@attrs.frozen(slots=True, kw_only=True, repr=False)
class PriceBook(Aggregate[PriceBookId], kind="price_book"):
    """A named set of dated prices in one currency: list prices, volume tiers and group prices.

    Create one with :meth:`create` (:class:`PriceBookCreated`); :meth:`add_entries`,
    :meth:`end_entry`, :meth:`change_price`, :meth:`remove_entry`,
    :meth:`rename`, :meth:`deactivate` and :meth:`activate` change it.

    Every entry's unit price is in the book's currency (else
    :class:`~crmcore.CurrencyMismatch` at ``$.entries[i].unit_price``), and
    two entries with the same product, ``min_quantity`` and
    ``customer_group`` never apply on a common day (else a ValidationError
    with code ``overlap`` at ``$.entries[i]``). Paths count the book's entries
    *after* the change: those it held first, then the new ones in the order
    given. A book holds at most :data:`MAX_PRICE_ENTRIES` entries. An
    inactive book keeps its entries; :func:`~crmcore.catalog.resolve_price`
    passes it over.

    Like every crmcore aggregate it is immutable: each command returns a new
    book and records an event; a command dated before the last change is
    refused (``time_backwards``); a refused command leaves the book as it
    was. Every command takes the envelope keywords ``actor``,
    ``correlation_id`` and ``causation_id``.

    >>> from datetime import date, datetime, timezone
    >>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    >>> router = ProductId("p-router")
    >>> book = PriceBook.create(
    ...     PriceBookId("pb-idr"),
    ...     name="Indonesia 2026",
    ...     currency="IDR",
    ...     entries=[PriceEntry(router, Money("1250000", "IDR"), valid_from=date(2026, 1, 1))],
    ...     at=at,
    ... )
    >>> book = book.change_price(router, Money("1190000", "IDR"), on=date(2026, 7, 1), at=at)
    >>> [(str(e.unit_price), e.valid_from.isoformat(), e.valid_until) for e in book.entries]
    [('1250000 IDR', '2026-01-01', datetime.date(2026, 7, 1)), ('1190000 IDR', '2026-07-01', None)]
    >>> book.add_entries(
    ...     [PriceEntry(router, Money("1200000", "IDR"), valid_from=date(2026, 3, 1))], at=at
    ... )
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.entries[2]: must not apply on a day another entry of the book with the same product, min_quantity and customer_group applies

    Attributes:
        name: the book's name (not personal data).
        currency: the ISO 4217 code every price is in.
        active: whether price resolution uses the book.
        entries: the prices, in the order they were added.

    .. versionadded:: 0.1
    """

    name: str = attrs.field(converter=_book_name)
    currency: str = attrs.field(converter=_book_currency)
    active: bool = attrs.field(default=True, validator=is_bool)
    entries: tuple[PriceEntry, ...] = attrs.field(
        default=(), converter=_entries, metadata=limit(MAX_PRICE_ENTRIES)
    )

    def _check(self) -> None:
        check_entries(self.entries, self.currency)

    def _event_fields(self) -> Mapping[str, object]:
        return {"price_book_id": self.id}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        book_id: PriceBookId,
        *,
        name: str,
        currency: str,
        at: datetime,
        entries: Iterable[PriceEntry] = (),
        active: bool = True,
        **meta: Unpack[EventMeta],
    ) -> PriceBook:
        """Create a price book at ``at``; records :class:`PriceBookCreated`.

        Raises:
            InvalidType: ``book_id`` is not a PriceBookId, or an entry is not a PriceEntry.
            CurrencyMismatch: an entry's price is in another currency
                (``$.entries[i].unit_price``).
            ValidationError: ``currency`` is not an ISO 4217 code
                (``$.currency``); two entries overlap (``$.entries[i]``, code
                ``overlap``); too many entries (``$.entries``, code ``too_many``);
                the name or ``at`` is refused.
        """
        command = cls._begin_new(at, meta)
        return cls._create(
            command,
            lambda book: PriceBookCreated.draft(
                name=book.name, currency=book.currency, active=book.active, entries=book.entries
            ),
            id=book_id,
            name=name,
            currency=currency,
            active=active,
            entries=entries if isinstance(entries, (tuple, list)) else _listed(entries),
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def is_active(self) -> bool:
        """True while price resolution uses the book."""
        return self.active

    @property
    def product_ids(self) -> frozenset[ProductId]:
        """Every product the book lists (in any entry, valid or not)."""
        return frozenset(entry.product_id for entry in self.entries)

    def entries_for(self, product_id: ProductId) -> tuple[PriceEntry, ...]:
        """The entries of ``product_id``, in the book's order."""
        if type(product_id) is not ProductId:
            raise InvalidType(
                f"must be a ProductId, not {type_name(product_id)}", path="$.product_id"
            )
        return tuple(entry for entry in self.entries if entry.product_id == product_id)

    # -- commands -------------------------------------------------------------------------

    def add_entries(
        self, entries: Iterable[PriceEntry], *, at: datetime, **meta: Unpack[EventMeta]
    ) -> PriceBook:
        """Add entries after those the book holds; records :class:`PriceEntriesAdded`.

        No entries is a no-op.

        Raises:
            InvalidType: an item is not a PriceEntry (``$.entries[i]``, counting the given ones).
            CurrencyMismatch: an entry's price is in another currency
                (``$.entries[i].unit_price``, counting the book's entries after the change).
            ValidationError: an entry overlaps another with its key
                (``$.entries[i]``, code ``overlap``); the book would hold more
                than :data:`MAX_PRICE_ENTRIES` (``$.entries``, code ``too_many``);
                ``at`` is refused.
        """
        added = items_of(
            entries if isinstance(entries, (tuple, list)) else _listed(entries),
            PriceEntry,
            "$.entries",
            "a PriceEntry",
            max_items=MAX_PRICE_ENTRIES,
            noun="entries",
        )
        command = self._begin(at, meta)
        if not added:
            return self
        if len(self.entries) + len(added) > MAX_PRICE_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_PRICE_ENTRIES} entries", path="$.entries", code="too_many"
            )
        return self._record(
            command, PriceEntriesAdded.draft(entries=added), entries=(*self.entries, *added)
        )

    def _index_of(self, entry: object) -> int:
        checked = _entry_arg(entry, "$.entry")
        for index, held in enumerate(self.entries):
            if held == checked:
                return index
        raise ValidationError(
            "must be an entry of the price book", path="$.entry", code="unknown_entry"
        )

    def end_entry(
        self, entry: PriceEntry, *, until: date, at: datetime, **meta: Unpack[EventMeta]
    ) -> PriceBook:
        """Make ``entry`` stop applying from the day ``until`` on; records :class:`PriceEntryEnded`.

        Ending only shortens an entry: ``until`` must be after its first day
        and, if it already ends, not after that; the day it already ends on
        is a no-op.

        Raises:
            InvalidType: ``entry`` is not a PriceEntry or ``until`` not a date.
            ValidationError: ``entry`` is not in the book (``$.entry``, code
                ``unknown_entry``); ``until`` is not after ``valid_from`` or is
                after the entry's end (``$.until``, code ``range``); ``at`` is refused.
        """
        day = require_date(until, "$.until")
        index = self._index_of(entry)
        command = self._begin(at, meta)
        held = self.entries[index]
        if held.valid_until == day:
            return self
        if day <= held.valid_from or (held.valid_until is not None and day > held.valid_until):
            raise ValidationError(
                "must be after the entry's valid_from and not after its valid_until "
                "(ending shortens an entry, never extends it)",
                path="$.until",
                code="range",
            )
        ended = attrs.evolve(held, valid_until=day)
        entries = (*self.entries[:index], ended, *self.entries[index + 1 :])
        return self._record(
            command, PriceEntryEnded.draft(entry=held, valid_until=day), entries=entries
        )

    def change_price(
        self,
        product_id: ProductId,
        unit_price: Money,
        *,
        on: date,
        at: datetime,
        min_quantity: int = 1,
        customer_group: str | None = None,
        **meta: Unpack[EventMeta],
    ) -> PriceBook:
        """A new price from the day ``on``, ending the one of that key that applies then.

        The entry of the same product, tier and group that applies on ``on``
        (if one does and started before ``on``) is ended at ``on``
        (:class:`PriceEntryEnded`), then the new entry, valid from ``on`` until
        that entry's old end (when none applied: until the next entry of the
        key starts, or open-ended), is added (:class:`PriceEntriesAdded`).
        History stays: the old price still applies before ``on``.

        Raises:
            InvalidType: an argument has the wrong type.
            CurrencyMismatch: ``unit_price`` is in another currency (``$.entries[i].unit_price``).
            ValidationError: ``unit_price`` is negative (``$.unit_price``); an
                entry of that key starting on ``on`` exists already (``$.entries[i]``, code ``overlap``);
                ``at`` is refused.
        """
        day = require_date(on, "$.on")
        probe = PriceEntry(
            product_id,
            unit_price,
            valid_from=day,
            min_quantity=min_quantity,
            customer_group=customer_group,
        )
        command = self._begin(at, meta)
        current = next(
            (
                index
                for index, held in enumerate(self.entries)
                if held.key == probe.key and held.is_valid_on(day)
            ),
            None,
        )
        drafts: list[EventDraft] = []
        entries = self.entries
        if current is not None and self.entries[current].valid_from < day:
            held = self.entries[current]
            ended = attrs.evolve(held, valid_until=day)
            entries = (*entries[:current], ended, *entries[current + 1 :])
            drafts.append(PriceEntryEnded.draft(entry=held, valid_until=day))
            until = held.valid_until
        else:  # the new price runs until the next dated price of its key, if there is one
            until = min(
                (
                    held.valid_from
                    for held in self.entries
                    if held.key == probe.key and held.valid_from > day
                ),
                default=None,
            )
        new = probe if until is None else attrs.evolve(probe, valid_until=until)
        if len(entries) >= MAX_PRICE_ENTRIES:
            raise ValidationError(
                f"must hold at most {MAX_PRICE_ENTRIES} entries", path="$.entries", code="too_many"
            )
        drafts.append(PriceEntriesAdded.draft(entries=(new,)))
        return self._record(command, *drafts, entries=(*entries, new))

    def remove_entry(
        self, entry: PriceEntry, *, at: datetime, **meta: Unpack[EventMeta]
    ) -> PriceBook:
        """Remove ``entry`` from the book; records :class:`PriceEntryRemoved`.

        For an entry made by mistake: to stop a price applying, end it
        (:meth:`end_entry`) so that the prices of past sales stay explained.

        Raises:
            InvalidType: ``entry`` is not a PriceEntry.
            ValidationError: ``entry`` is not in the book (``$.entry``, code
                ``unknown_entry``); ``at`` is refused.
        """
        index = self._index_of(entry)
        command = self._begin(at, meta)
        entries = (*self.entries[:index], *self.entries[index + 1 :])
        return self._record(
            command, PriceEntryRemoved.draft(entry=self.entries[index]), entries=entries
        )

    def rename(self, name: str, *, at: datetime, **meta: Unpack[EventMeta]) -> PriceBook:
        """Change the book's name; records :class:`PriceBookRenamed` (the same name is a no-op).

        Raises:
            ValidationError: the name breaks a rule (``$.name``) or ``at`` is refused.
        """
        checked = _book_name(name)
        command = self._begin(at, meta)
        if checked == self.name:
            return self
        return self._record(
            command, PriceBookRenamed.draft(name=checked, previous=self.name), name=checked
        )

    def deactivate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> PriceBook:
        """Stop price resolution using the book; records :class:`PriceBookDeactivated`.

        An inactive book is a no-op.

        Raises:
            ValidationError: ``at`` is refused.
        """
        command = self._begin(at, meta)
        if not self.active:
            return self
        return self._record(command, PriceBookDeactivated.draft(), active=False)

    def activate(self, *, at: datetime, **meta: Unpack[EventMeta]) -> PriceBook:
        """Let price resolution use the book again; records :class:`PriceBookActivated`.

        An active book is a no-op.

        Raises:
            ValidationError: ``at`` is refused.
        """
        command = self._begin(at, meta)
        if self.active:
            return self
        return self._record(command, PriceBookActivated.draft(), active=True)

    def __repr__(self) -> str:
        return (
            f"PriceBook(id={self.id!r}, currency={self.currency!r}, active={self.active}, "
            f"entries={len(self.entries)}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )


def _listed(values: object) -> object:
    """A list of at most one more than :data:`MAX_PRICE_ENTRIES` items of an iterable.

    Anything that is not an iterable is passed on as it is (the field's check
    names its type); a longer iterable is cut, so the check refuses it as too
    long without reading it to the end.
    """
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        return values
    out = []
    for item in values:
        out.append(item)
        if len(out) > MAX_PRICE_ENTRIES:
            break
    return out

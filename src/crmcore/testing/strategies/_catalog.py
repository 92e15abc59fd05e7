"""Strategies for the catalog: products, price entries and price books (non-overlapping)."""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._checks import tuple_of
from crmcore._kernel._ids import PriceBookId, ProductId
from crmcore.catalog import (
    MAX_PRICE_QUANTITY,
    PriceBook,
    PriceEntry,
    Product,
    check_customer_group,
)
from crmcore.errors import ValidationError
from crmcore.testing.strategies._base import (
    _as_drawn,
    _bool_arg,
    _categories,
    _check_order,
    _command_times,
    _concat,
    _currency_choices,
    _currency_code,
    _date_arg,
    _id_pool,
    _int_arg,
    _non_empty,
    _prices,
    _window,
)

_PRODUCT_NAMES: Final = (
    "Wi-Fi 6 router AX3000",
    "Paket Internet 50 Mbps",
    "CRM seat (annual)",
    "Kopi Arabika Gayo 250 g",
    "Onboarding workshop",
    "Extended warranty, 2 years",
)
_UNITS: Final = ("each", "hour", "day", "month", "kg", "litre", "seat", "box_of_12")
_TAX_CATEGORIES: Final = ("standard", "reduced", "exempt", "zero_rated", "luxury")
_GROUPS: Final = ("reseller", "partner", "gold", "government", "wholesale")
_TIERS: Final = (1, 1, 1, 5, 10, 50, 100)
_BOOK_TIERS: Final = (1, 2, 5, 10, 50, 100)
_SKU_CHARS: Final = string.ascii_uppercase + string.digits
_DEFAULT_MIN_DATE: Final = date(2020, 1, 1)
_DEFAULT_MAX_DATE: Final = date(2030, 12, 31)
_PRODUCT_COMMANDS: Final = ("rename", "family", "unit", "cost", "tax", "status")


@functools.cache
def _skus() -> st.SearchStrategy[str]:
    return st.builds(
        _concat,
        st.sampled_from(_SKU_CHARS),
        st.text(_SKU_CHARS + "-._/", max_size=20),
    )


@functools.cache
def _product_names() -> st.SearchStrategy[str]:
    word = st.text(string.ascii_letters + string.digits + "-,()/", min_size=1, max_size=12)
    generated = st.lists(word, min_size=1, max_size=4).map(" ".join)
    return st.sampled_from(_PRODUCT_NAMES) | generated


@functools.cache
def _codes(fixed: tuple[str, ...]) -> st.SearchStrategy[str]:
    generated = st.builds(
        _concat,
        st.sampled_from(string.ascii_lowercase),
        st.text(string.ascii_lowercase + string.digits + "_", max_size=10),
    )
    return st.sampled_from(fixed) | generated


def _group_choices(value: object) -> tuple[str | None, ...]:
    if value is None:
        return (None, *_GROUPS)

    def check(item: object, path: str) -> str | None:
        return check_customer_group(item, path)

    return _non_empty(tuple_of(value, "$.customer_groups", check), "$.customer_groups")


def _day_window(low: object, high: object) -> tuple[date, date]:
    earliest = _DEFAULT_MIN_DATE if low is None else _date_arg(low, "$.min_valid_from")
    latest = _DEFAULT_MAX_DATE if high is None else _date_arg(high, "$.max_valid_from")
    _check_order(earliest, latest, "$.max_valid_from", "min_valid_from")
    if latest >= date.max - timedelta(days=400):
        raise ValidationError(
            "must leave a year before the last date", path="$.max_valid_from", code="range"
        )
    return earliest, latest


# -- products -------------------------------------------------------------------------------


def products(
    *,
    product_ids: Iterable[ProductId] | None = None,
    currencies: Iterable[str] | None = None,
    max_steps: int = 4,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Product]:
    """Valid :class:`~crmcore.catalog.Product` aggregates built by their commands.

    Each is created (with or without a family and a standard cost), then goes
    through up to ``max_steps`` commands (rename, family, unit, cost, tax
    category, retire or reactivate) at non-decreasing times.

    Args:
        product_ids: the ids drawn from; any id by default.
        currencies: the currencies of standard costs; every ISO 4217 code by default.
        max_steps: the most commands after creation (0 to 20).
        min_created_at: the earliest creation (aware); 2000 by default.
        max_created_at: the latest creation (aware); 2099 by default.
        pending_events: ``False`` to draw products as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    built = _products(
        _id_pool(product_ids, "$.product_ids", ProductId),
        _currency_choices(currencies),
        _int_arg(max_steps, "$.max_steps", maximum=20),
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@st.composite
def _products(
    draw: st.DrawFn,
    ids: st.SearchStrategy[ProductId],
    codes: tuple[str, ...],
    max_steps: int,
    start: st.SearchStrategy[datetime],
) -> Product:
    code = draw(st.sampled_from(codes))
    costs = st.none() | _prices(code)
    at = draw(start)
    product = Product.create(
        draw(ids),
        sku=draw(_skus()),
        name=draw(_product_names()),
        family=draw(st.none() | _categories()),
        unit=draw(_codes(_UNITS)),
        standard_cost=draw(costs),
        tax_category=draw(_codes(_TAX_CATEGORIES)),
        at=at,
    )
    for when in _command_times(draw, at, max_steps):
        command = draw(st.sampled_from(_PRODUCT_COMMANDS))
        if command == "rename":
            product = product.rename(draw(_product_names()), at=when)
        elif command == "family":
            product = product.change_family(draw(st.none() | _categories()), at=when)
        elif command == "unit":
            product = product.change_unit(draw(_codes(_UNITS)), at=when)
        elif command == "cost":
            product = product.change_cost(draw(costs), at=when)
        elif command == "tax":
            product = product.change_tax_category(draw(_codes(_TAX_CATEGORIES)), at=when)
        elif product.is_active:
            product = product.retire(at=when)
        else:
            product = product.reactivate(at=when)
    return product


# -- price entries --------------------------------------------------------------------------


def price_entries(
    *,
    product_ids: Iterable[ProductId] | None = None,
    currency: str | None = None,
    customer_groups: Iterable[str | None] | None = None,
    min_valid_from: date | None = None,
    max_valid_from: date | None = None,
) -> st.SearchStrategy[PriceEntry]:
    """Valid :class:`~crmcore.catalog.PriceEntry` values.

    Args:
        product_ids: the products priced; any id by default.
        currency: the currency of every price; any ISO 4217 code by default.
        customer_groups: the groups drawn from (``None`` in it: a general
            price); general prices and a few group codes by default.
        min_valid_from: the earliest first day (2020-01-01 by default).
        max_valid_from: the latest first day (2030-12-31 by default).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an unknown currency, crossed bounds, an empty choice.
    """
    codes = _currency_choices(None if currency is None else [currency])
    low, high = _day_window(min_valid_from, max_valid_from)
    return _entries(
        ids=_id_pool(product_ids, "$.product_ids", ProductId),
        codes=codes,
        groups=_group_choices(customer_groups),
        low=low,
        high=high,
    )


@st.composite
def _entries(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[ProductId],
    codes: tuple[str, ...],
    groups: tuple[str | None, ...],
    low: date,
    high: date,
) -> PriceEntry:
    start = draw(st.dates(min_value=low, max_value=high))
    length = draw(st.none() | st.integers(min_value=1, max_value=400))
    return PriceEntry(
        draw(ids),
        draw(_prices(draw(st.sampled_from(codes)))),
        valid_from=start,
        valid_until=None if length is None else start + timedelta(days=length),
        min_quantity=draw(st.sampled_from(_TIERS) | st.integers(1, MAX_PRICE_QUANTITY)),
        customer_group=draw(st.sampled_from(groups)),
    )


# -- price books ----------------------------------------------------------------------------


def price_books(
    *,
    book_ids: Iterable[PriceBookId] | None = None,
    currency: str | None = None,
    product_ids: Iterable[ProductId] | None = None,
    customer_groups: Iterable[str | None] | None = None,
    max_entries: int = 12,
    active: bool | None = None,
    min_valid_from: date | None = None,
    max_valid_from: date | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[PriceBook]:
    """Valid :class:`~crmcore.catalog.PriceBook` aggregates, their entries non-overlapping.

    Entries are drawn key by key (product, tier, group): each key gets one or
    more consecutive, disjoint validity ranges (the last maybe open-ended),
    and the book holds them in a shuffled order. Tiers are small (1 to 100)
    so that they compete; a few books are renamed or deactivated after
    creation.

    Args:
        book_ids: the ids drawn from; any id by default.
        currency: the book's currency; any ISO 4217 code by default.
        product_ids: the products priced; any id by default (pass a few to
            make books that compete for the same products).
        customer_groups: the groups drawn from (``None`` in it: general prices).
        max_entries: the most entries (0 to 200).
        active: ``True`` or ``False`` for books of that state; either by default.
        min_valid_from: the earliest first day of an entry (2020-01-01 by default).
        max_valid_from: the latest first day of an entry's first range (2030-12-31 by default).
        min_created_at: the earliest creation (aware); 2000 by default.
        max_created_at: the latest creation (aware); 2099 by default.
        pending_events: ``False`` to draw books as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    if active is not None:
        _bool_arg(active, "$.active")
    codes = _currency_choices(
        None if currency is None else [_currency_code(currency, "$.currency")]
    )
    low, high = _day_window(min_valid_from, max_valid_from)
    built = _books(
        ids=_id_pool(book_ids, "$.book_ids", PriceBookId),
        codes=codes,
        products=_id_pool(product_ids, "$.product_ids", ProductId),
        groups=_group_choices(customer_groups),
        max_entries=_int_arg(max_entries, "$.max_entries", maximum=200),
        active=active,
        days=(low, high),
        start=_window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


@st.composite
def _books(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[PriceBookId],
    codes: tuple[str, ...],
    products: st.SearchStrategy[ProductId],
    groups: tuple[str | None, ...],
    max_entries: int,
    active: bool | None,
    days: tuple[date, date],
    start: st.SearchStrategy[datetime],
) -> PriceBook:
    code = draw(st.sampled_from(codes))
    keys = draw(
        st.lists(
            st.tuples(products, st.sampled_from(_BOOK_TIERS), st.sampled_from(groups)),
            max_size=max_entries,
            unique=True,
        )
    )
    entries: list[PriceEntry] = []
    for product_id, tier, group in keys:
        if len(entries) >= max_entries:
            break
        day = draw(st.dates(min_value=days[0], max_value=days[1]))
        ranges = draw(
            st.integers(min_value=1, max_value=max(1, min(3, max_entries - len(entries))))
        )
        for number in range(ranges):
            length = draw(st.integers(min_value=1, max_value=200))
            last = number == ranges - 1
            until = None if last and draw(st.booleans()) else day + timedelta(days=length)
            entries.append(
                PriceEntry(
                    product_id,
                    draw(_prices(code)),
                    valid_from=day,
                    valid_until=until,
                    min_quantity=tier,
                    customer_group=group,
                )
            )
            if until is None:
                break
            day = until + timedelta(days=draw(st.integers(min_value=0, max_value=30)))
    ordered = draw(st.permutations(entries))
    at = draw(start)
    book = PriceBook.create(
        draw(ids),
        name=draw(_product_names()),
        currency=code,
        entries=ordered,
        active=draw(st.booleans()) if active is None else active,
        at=at,
    )
    if draw(st.booleans()):
        book = book.rename(draw(_product_names()), at=at)
    return book


#: Strategies for the values catalog events carry (read by the event strategies).
EVENT_VALUES: Final[dict[type, Callable[[], st.SearchStrategy[Any]]]] = {
    PriceEntry: price_entries,
}

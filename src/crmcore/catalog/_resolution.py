"""Price resolution: which entry of which price book prices a sale, and why.

:func:`resolve_price` follows one rule.

**Candidates** are the entries for the product in the books given. An entry
*applies* when its book is active, its customer group is ``None`` or the
customer's group, it is valid on the day (``valid_from <= on <
valid_until``) and its ``min_quantity`` is at most the quantity sold.

**The winner** is the most specific entry that applies:

1. a customer-group price beats a general one;
2. then the highest ``min_quantity`` (the largest volume tier reached);
3. then the entry of the book given first.

Within one book at most one entry of each key (product, ``min_quantity``,
customer group) applies on any day (:class:`~crmcore.catalog.PriceBook`
refuses overlaps), so the rule always names one entry and the order of the
entries inside a book never changes it. The order of the books is the
caller's precedence (a customer's contract book before the public one).

Every candidate is reported with a :class:`CandidateReason`: why it did not
apply (the first of ``inactive_book``, ``other_group``, ``not_yet_valid``,
``expired``, ``tier_not_reached`` that holds, in that order) or why it lost
(``less_specific``: a general price where a group price applies;
``lower_tier``: a smaller volume tier; ``later_book``: the same specificity
in a book given later); the winner's reason is ``winner``.

Every book must be in the currency asked for, inactive ones included
(:class:`~crmcore.CurrencyMismatch` at ``$.books[i].currency``); when no
entry applies the answer is a ValidationError with code ``no_price``.
Whether the product is still sold (not retired) is the caller's question.

>>> from datetime import date, datetime, timezone
>>> from crmcore import Money
>>> from crmcore.catalog import PriceBook, PriceBookId, PriceEntry, ProductId
>>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
>>> seat = ProductId("p-seat")
>>> book = PriceBook.create(
...     PriceBookId("pb-usd"),
...     name="Public USD",
...     currency="USD",
...     entries=[
...         PriceEntry(seat, Money("30.00", "USD"), valid_from=date(2026, 1, 1)),
...         PriceEntry(seat, Money("25.00", "USD"), valid_from=date(2026, 1, 1), min_quantity=50),
...     ],
...     at=at,
... )
>>> found = resolve_price([book], product_id=seat, quantity=60, currency="USD", on=date(2026, 2, 1))
>>> found.unit_price, found.extended_price, found.reason
(Money('25.00', 'USD'), Money('1500.00', 'USD'), 'volume_tier')
>>> [(c.entry.min_quantity, c.reason.value) for c in found.candidates]
[(1, 'lower_tier'), (50, 'winner')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum
from typing import Final

import attrs

from crmcore._kernel._checks import positive_int, require_date, type_name
from crmcore._kernel._fields import Checked, check_fields
from crmcore._kernel._ids import PriceBookId, ProductId
from crmcore._kernel._money import Money
from crmcore._kernel._money import currency as currency_of
from crmcore.catalog._price_books import (
    MAX_PRICE_QUANTITY,
    PriceBook,
    PriceEntry,
    check_customer_group,
)
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

#: Most price books one resolution may consult.
MAX_RESOLUTION_BOOKS: Final = 1_000


class CandidateReason(StrEnum):
    """Why a candidate entry won, lost or did not apply (see :func:`resolve_price`)."""

    WINNER = "winner"
    INACTIVE_BOOK = "inactive_book"
    OTHER_GROUP = "other_group"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    TIER_NOT_REACHED = "tier_not_reached"
    LESS_SPECIFIC = "less_specific"
    LOWER_TIER = "lower_tier"
    LATER_BOOK = "later_book"


#: The reasons of candidates that applied (the winner's included).
APPLICABLE_REASONS: Final = frozenset(
    {
        CandidateReason.WINNER,
        CandidateReason.LESS_SPECIFIC,
        CandidateReason.LOWER_TIER,
        CandidateReason.LATER_BOOK,
    }
)


@attrs.frozen(slots=True, kw_only=True)
class PriceCandidate(Checked):
    """One entry considered by :func:`resolve_price` and what became of it.

    Attributes:
        book_id: the book holding the entry.
        book_index: the book's position in the books given.
        entry_index: the entry's position in its book.
        entry: the entry.
        reason: why it won, lost or did not apply.

    .. versionadded:: 0.1
    """

    book_id: PriceBookId
    book_index: int
    entry_index: int
    entry: PriceEntry
    reason: CandidateReason

    @property
    def applied(self) -> bool:
        """True if the entry applied to the sale (it won or lost on specificity)."""
        return self.reason in APPLICABLE_REASONS


@attrs.frozen(slots=True, kw_only=True)
class PriceResolution(Checked):
    """The price :func:`resolve_price` found, and every entry it considered.

    Attributes:
        product_id: the product priced.
        quantity: the quantity sold.
        on: the day priced.
        customer_group: the customer's group, or ``None``.
        unit_price: the winning entry's unit price.
        extended_price: ``unit_price`` times ``quantity`` (exact, not rounded
            to the currency's minor unit).
        book_id: the book of the winning entry.
        entry: the winning entry.
        reason: what decided the winner over the runner-up: ``only_price``
            (nothing else applied), ``customer_group``, ``volume_tier`` or
            ``earlier_book``.
        candidates: every entry for the product in the books given, book by
            book and in each book's order, each with its reason.

    .. versionadded:: 0.1
    """

    product_id: ProductId
    quantity: int
    on: date
    customer_group: str | None
    unit_price: Money
    extended_price: Money
    book_id: PriceBookId
    entry: PriceEntry
    reason: str
    candidates: tuple[PriceCandidate, ...]

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        winners = [c for c in self.candidates if c.reason is CandidateReason.WINNER]
        if (
            len(winners) != 1
            or winners[0].entry != self.entry
            or winners[0].book_id != self.book_id
        ):
            raise ValidationError(
                "must hold exactly one winner: the resolution's entry in its book",
                path="$.candidates",
                code="winner",
            )
        if (
            self.unit_price != self.entry.unit_price
            or self.extended_price != self.unit_price * self.quantity
        ):
            raise ValidationError(
                "must be the entry's unit price, and that times the quantity",
                path="$.extended_price"
                if self.unit_price == self.entry.unit_price
                else "$.unit_price",
                code="price",
            )

    @property
    def winner(self) -> PriceCandidate:
        """The winning candidate."""
        return next(c for c in self.candidates if c.reason is CandidateReason.WINNER)


def _books_arg(books: object, wanted: str) -> tuple[PriceBook, ...]:
    if isinstance(books, (str, bytes, dict)) or not isinstance(books, Iterable):
        raise InvalidType(
            f"must be a sequence of PriceBook, not {type_name(books)}", path="$.books"
        )
    checked: list[PriceBook] = []
    seen: set[PriceBookId] = set()
    for index, book in enumerate(books):
        if index >= MAX_RESOLUTION_BOOKS:
            raise ValidationError(
                f"must hold at most {MAX_RESOLUTION_BOOKS} price books",
                path="$.books",
                code="too_many",
            )
        if not isinstance(book, PriceBook):
            raise InvalidType(
                f"must be a PriceBook, not {type_name(book)}", path=f"$.books[{index}]"
            )
        if book.currency != wanted:
            raise CurrencyMismatch(f"must be in {wanted}", path=f"$.books[{index}].currency")
        if book.id in seen:
            raise ValidationError(
                "must not repeat a price book", path=f"$.books[{index}]", code="duplicate"
            )
        seen.add(book.id)
        checked.append(book)
    return tuple(checked)


def _not_applying(
    book: PriceBook, entry: PriceEntry, quantity: int, on: date, group: str | None
) -> CandidateReason | None:
    """Why ``entry`` does not apply, the first reason in the documented order, or ``None``."""
    if not book.active:
        return CandidateReason.INACTIVE_BOOK
    if entry.customer_group is not None and entry.customer_group != group:
        return CandidateReason.OTHER_GROUP
    if on < entry.valid_from:
        return CandidateReason.NOT_YET_VALID
    if entry.valid_until is not None and on >= entry.valid_until:
        return CandidateReason.EXPIRED
    if entry.min_quantity > quantity:
        return CandidateReason.TIER_NOT_REACHED
    return None


def _rank(book_index: int, entry: PriceEntry) -> tuple[bool, int, int]:
    """Higher is more specific: a group price, then a higher tier, then an earlier book."""
    return (entry.customer_group is not None, entry.min_quantity, -book_index)


def _loss(winner: tuple[bool, int, int], rank: tuple[bool, int, int]) -> CandidateReason:
    if rank[0] != winner[0]:
        return CandidateReason.LESS_SPECIFIC
    if rank[1] != winner[1]:
        return CandidateReason.LOWER_TIER
    return CandidateReason.LATER_BOOK


def _decided_by(winner: tuple[bool, int, int], runner_up: tuple[bool, int, int] | None) -> str:
    if runner_up is None:
        return "only_price"
    if winner[0] != runner_up[0]:
        return "customer_group"
    if winner[1] != runner_up[1]:
        return "volume_tier"
    return "earlier_book"


def resolve_price(
    books: Sequence[PriceBook] | Iterable[PriceBook],
    *,
    product_id: ProductId,
    quantity: int,
    currency: str,
    on: date,
    customer_group: str | None = None,
) -> PriceResolution:
    """The unit price of ``quantity`` units of ``product_id`` on ``on``, by the rule above.

    ``books`` are in precedence order (at most :data:`MAX_RESOLUTION_BOOKS`,
    each once); ``customer_group`` is the customer's group code, if any.
    Deterministic: the same books in the same order give the same answer,
    whatever the order of the entries inside each book.

    Raises:
        InvalidType: an argument has the wrong type (``$.books[i]``,
            ``$.product_id``, ``$.quantity``, ``$.on``, ``$.customer_group``).
        CurrencyMismatch: a book is in another currency than ``currency``
            (``$.books[i].currency``).
        ValidationError: ``currency`` is not an ISO 4217 code (``$.currency``);
            ``quantity`` is not from 1 to :data:`MAX_PRICE_QUANTITY`
            (``$.quantity``, code ``range``), or so large that the winning price
            times it does not fit Money (``$.quantity``, code ``too_large``); a
            book is given twice
            (``$.books[i]``, code ``duplicate``); no entry applies
            (``$.product_id``, code ``no_price``).
    """
    if type(product_id) is not ProductId:
        raise InvalidType(f"must be a ProductId, not {type_name(product_id)}", path="$.product_id")
    positive_int(quantity, "$.quantity", maximum=MAX_PRICE_QUANTITY)
    day = require_date(on, "$.on")
    group = check_customer_group(customer_group, "$.customer_group")
    try:
        wanted = currency_of(currency).code
    except ValidationError as exc:
        raise exc.under("$.currency") from None
    chosen = _books_arg(books, wanted)

    found: list[tuple[int, int, PriceEntry, CandidateReason | None]] = []
    for book_index, book in enumerate(chosen):
        for entry_index, entry in enumerate(book.entries):
            if entry.product_id == product_id:
                reason = _not_applying(book, entry, quantity, day, group)
                found.append((book_index, entry_index, entry, reason))
    ranks = sorted(
        (_rank(book_index, entry), position)
        for position, (book_index, _, entry, reason) in enumerate(found)
        if reason is None
    )
    if not ranks:
        raise ValidationError(
            "has no price that applies in the books given on that day, for that quantity "
            "and customer group",
            path="$.product_id",
            code="no_price",
        )
    best, best_position = ranks[-1]
    runner_up = ranks[-2][0] if len(ranks) > 1 else None
    candidates = tuple(
        PriceCandidate(
            book_id=chosen[book_index].id,
            book_index=book_index,
            entry_index=entry_index,
            entry=entry,
            reason=(
                CandidateReason.WINNER
                if position == best_position
                else reason
                if reason is not None
                else _loss(best, _rank(book_index, entry))
            ),
        )
        for position, (book_index, entry_index, entry, reason) in enumerate(found)
    )
    book_index, _, entry, _ = found[best_position]
    try:
        extended = entry.unit_price * quantity
    except ValidationError:
        raise ValidationError(
            "times the winning unit price must be smaller than 10**21",
            path="$.quantity",
            code="too_large",
        ) from None
    return PriceResolution(
        product_id=product_id,
        quantity=quantity,
        on=day,
        customer_group=group,
        unit_price=entry.unit_price,
        extended_price=extended,
        book_id=chosen[book_index].id,
        entry=entry,
        reason=_decided_by(best, runner_up),
        candidates=candidates,
    )

"""Quotes: a priced offer to a customer, with revisions and a status machine.

A :class:`Quote` moves through ``QUOTE_STATUSES``::

    draft ──► sent ──► accepted            (final: it became an order)
                │ ├──► rejected ──┐
                │ └──► expired  ──┤
                └─────────────────┴──► draft (revise: the next revision)

Only a draft is edited. :meth:`Quote.revise` starts the next revision (in
draft) from a sent, rejected or expired one; the earlier revision's facts stay
in its events (:class:`QuoteSent` carries what it was sent with). A quote is
accepted only while it is valid (before :attr:`Quote.valid_until`) and expires
only after. :func:`~crmcore.quotes.accept_quote` accepts a quote and makes it
an order in one call.

The quote keeps the tax table it was priced with (a snapshot: later changes to
a tax table do not reprice a quote sent) and the day its taxes are taken at
(:attr:`Quote.priced_on`). Override reasons are free text: they stay in the
quote, never go into an event, and :meth:`~Quote.anonymise` erases them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._aggregate import Command, RepointsCustomer, optional_typed_id, typed_id
from crmcore._kernel._checks import (
    enum_converter,
    instance_of,
    is_bool,
    items_of,
    limit,
    require_aware,
    require_date,
    type_name,
)
from crmcore._kernel._derived import derived
from crmcore._kernel._events import EventDraft, EventMeta
from crmcore._kernel._ids import CustomerId, OpportunityId, OrderId, PriceBookId, QuoteId
from crmcore._kernel._money import Money
from crmcore._kernel._personal import HoldsPersonalData
from crmcore._kernel._status import StatusMachine
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError
from crmcore.quotes._events import (
    QuoteAccepted,
    QuoteAnonymised,
    QuoteCreated,
    QuoteCustomerRepointed,
    QuoteDiscountChanged,
    QuoteExpired,
    QuoteLinesChanged,
    QuoteRejected,
    QuoteRevised,
    QuoteSent,
    QuoteTermsChanged,
)
from crmcore.quotes._lines import MAX_QUOTE_LINES, QuoteLine, check_percent, in_minor_units
from crmcore.quotes._tax import TaxTable
from crmcore.quotes._totals import QuoteTotals, quote_totals

#: Most revisions one quote may reach.
MAX_REVISIONS: Final = 100
#: Most status changes a quote may hold (a revision takes at most three).
MAX_QUOTE_HISTORY: Final = 3 * MAX_REVISIONS


class QuoteStatus(StrEnum):
    """Where a quote stands."""

    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


_S = QuoteStatus
#: The status machine of quotes (``sent``, ``rejected`` and ``expired`` go back to
#: ``draft`` only through :meth:`Quote.revise`, which starts the next revision).
QUOTE_STATUSES: Final = StatusMachine(
    "quote",
    {
        _S.DRAFT: {_S.SENT},
        _S.SENT: {_S.ACCEPTED, _S.REJECTED, _S.EXPIRED, _S.DRAFT},
        _S.REJECTED: {_S.DRAFT},
        _S.EXPIRED: {_S.DRAFT},
    },
)


def _change_status(value: object) -> QuoteStatus:
    return enum_converter(QuoteStatus, "$.status")(value)


def _change_at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _valid_until(value: object) -> datetime:
    return require_aware(value, "$.valid_until")


@attrs.frozen(slots=True)
class QuoteStatusChange:
    """One entry of a quote's status history: the status entered and when.

    .. versionadded:: 0.1
    """

    status: QuoteStatus = attrs.field(converter=_change_status)
    at: datetime = attrs.field(converter=_change_at)


# -- fields ------------------------------------------------------------------------------


def _currency(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(
            f"must be an ISO 4217 code as str, not {type_name(value)}", path="$.currency"
        )
    try:
        return Money.zero(value).currency
    except ValidationError as exc:
        raise ValidationError(exc.rule, path="$.currency", code=exc.code) from None


def _lines(value: object) -> tuple[QuoteLine, ...]:
    return items_of(
        value, QuoteLine, "$.lines", "a QuoteLine", max_items=MAX_QUOTE_LINES, noun="lines"
    )


def _tax_table(value: object) -> TaxTable:
    return instance_of(TaxTable, "a TaxTable")(value, "$.tax_table")


def _priced_on(value: object) -> date:
    return require_date(value, "$.priced_on")


def _discount_percent(value: object) -> Decimal | None:
    return check_percent(value, "$.discount_percent")


def _discount(value: object) -> Money | None:
    if value is None:
        return None
    if not isinstance(value, Money):
        raise InvalidType(f"must be Money, not {type_name(value)}", path="$.discount")
    if value.amount < 0:
        raise ValidationError("must not be negative", path="$.discount", code="negative")
    return in_minor_units(value, "$.discount")


def _revision(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.revision")
    if not 1 <= value <= MAX_REVISIONS:
        raise ValidationError(f"must be from 1 to {MAX_REVISIONS}", path="$.revision", code="range")


def _history(value: object) -> tuple[QuoteStatusChange, ...]:
    return items_of(
        value,
        QuoteStatusChange,
        "$.history",
        "a QuoteStatusChange",
        max_items=MAX_QUOTE_HISTORY,
        noun="changes",
    )


def _first_history(quote: Quote) -> tuple[QuoteStatusChange, ...]:
    return (QuoteStatusChange(QuoteStatus.DRAFT, quote.created_at),)


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Quote(RepointsCustomer[QuoteId], HoldsPersonalData[QuoteId], kind="quote"):
    """A quote: priced lines for a customer, a quote discount, taxes, validity and a status.

    Create one with :meth:`create`; edit the draft (:meth:`replace_lines`,
    :meth:`add_line`, :meth:`remove_line`, :meth:`set_discount`,
    :meth:`change_terms`), :meth:`send` it, then the customer accepts it
    (:func:`~crmcore.quotes.accept_quote`) or :meth:`reject` s it, or it
    :meth:`expire` s; :meth:`revise` starts the next revision. Like every
    crmcore aggregate it is immutable, a command dated before the last change
    is refused, and a failed command changes nothing.

    >>> from datetime import date, datetime, timedelta, timezone
    >>> from crmcore.quotes import ProductId, ppn_indonesia
    >>> t0 = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
    >>> quote = Quote.create(
    ...     QuoteId("q-1"),
    ...     customer_id=CustomerId("c-1"),
    ...     currency="IDR",
    ...     lines=[QuoteLine(ProductId("sku-1"), 10, Money("150000", "IDR"))],
    ...     tax_table=ppn_indonesia(),
    ...     valid_until=t0 + timedelta(days=30),
    ...     at=t0,
    ... )
    >>> quote.totals.net, quote.totals.tax, quote.total
    (Money('1500000.00', 'IDR'), Money('165000.00', 'IDR'), Money('1665000.00', 'IDR'))
    >>> quote = quote.send(at=t0 + timedelta(hours=1))
    >>> quote.add_line(
    ...     QuoteLine(ProductId("sku-2"), 1, Money("5000", "IDR")), at=t0 + timedelta(hours=2)
    ... )
    Traceback (most recent call last):
    ...
    crmcore.errors.TransitionNotAllowed: $.status: only a draft quote is edited; this one is sent (revise it first)
    >>> quote.status, quote.revision
    (<QuoteStatus.SENT: 'sent'>, 1)

    Attributes:
        customer_id: who the quote is for.
        currency: the currency of every amount.
        lines: what is quoted.
        valid_until: the quote is valid before this time.
        tax_table: the tax rules the quote is priced with (a snapshot).
        priced_on: the day taxes (and book prices) are taken at.
        tax_inclusive: True if unit prices include tax.
        discount_percent, discount: the quote (header) discount, at most one.
        opportunity_id: the opportunity it belongs to, if any.
        price_book_id: the price book its lines come from, if one.
        revision: the revision number, from 1.
        history: every status entered, oldest first.
        order_id: the order it became, once accepted.

    .. versionadded:: 0.1
    """

    _repointed_by = QuoteCustomerRepointed
    _customer_fields = ("customer_id",)
    _anonymised_by = QuoteAnonymised
    personal_fields = ("override_reasons",)

    derived_inputs = MappingProxyType(
        {
            "totals": (
                "lines",
                "currency",
                "tax_table",
                "priced_on",
                "tax_inclusive",
                "discount_percent",
                "discount",
            )
        }
    )
    event_field_inputs = frozenset({"id", "customer_id"})

    customer_id: CustomerId = attrs.field(validator=typed_id(CustomerId, "$.customer_id"))
    currency: str = attrs.field(converter=_currency)
    lines: tuple[QuoteLine, ...] = attrs.field(converter=_lines, metadata=limit(MAX_QUOTE_LINES))
    valid_until: datetime = attrs.field(converter=_valid_until)
    tax_table: TaxTable = attrs.field(converter=_tax_table)
    priced_on: date = attrs.field(converter=_priced_on)
    tax_inclusive: bool = attrs.field(default=False, validator=is_bool)
    discount_percent: Decimal | None = attrs.field(default=None, converter=_discount_percent)
    discount: Money | None = attrs.field(default=None, converter=_discount)
    opportunity_id: OpportunityId | None = attrs.field(
        default=None, validator=optional_typed_id(OpportunityId, "$.opportunity_id")
    )
    price_book_id: PriceBookId | None = attrs.field(
        default=None, validator=optional_typed_id(PriceBookId, "$.price_book_id")
    )
    revision: int = attrs.field(default=1, validator=_revision)
    history: tuple[QuoteStatusChange, ...] = attrs.field(
        default=attrs.Factory(_first_history, takes_self=True),
        converter=_history,
        metadata=limit(MAX_QUOTE_HISTORY),
    )
    order_id: OrderId | None = attrs.field(
        default=None, validator=optional_typed_id(OrderId, "$.order_id")
    )

    # -- invariants -----------------------------------------------------------------------

    def _check(self) -> None:
        QUOTE_STATUSES.check_history(
            self.history, start=QuoteStatus.DRAFT, at=self.created_at, what="the quote was created"
        )
        drafts = sum(1 for change in self.history if change.status is QuoteStatus.DRAFT)
        if drafts != self.revision:
            raise ValidationError(
                "must be the number of times the quote entered draft",
                path="$.revision",
                code="revision_mismatch",
            )
        if self.valid_until <= self.created_at:
            raise ValidationError(
                "must be after the quote was created", path="$.valid_until", code="before_created"
            )
        status = self.status
        if (status is QuoteStatus.ACCEPTED) != (self.order_id is not None):
            raise ValidationError(
                f"does not match the status {status.value}",
                path="$.order_id",
                code="status_mismatch",
            )
        if status is not QuoteStatus.DRAFT:
            self._check_offered(status)
        for index, line in enumerate(self.lines):
            if (
                self.price_book_id is not None
                and line.price_book_id is not None
                and line.price_book_id != self.price_book_id
            ):
                raise ValidationError(
                    "must be the quote's price book",
                    path=f"$.lines[{index}].price_book_id",
                    code="price_book",
                )
        _ = self.totals  # every line in the currency, a tax rule for each, a valid discount

    def _check_offered(self, status: QuoteStatus) -> None:
        # The current revision was sent, then maybe answered: its times against its validity.
        if not self.lines:
            raise ValidationError(
                "must hold at least one line once sent", path="$.lines", code="empty"
            )
        last = len(self.history) - 1
        sent = last if status is QuoteStatus.SENT else last - 1
        if self.history[sent].at >= self.valid_until:
            raise ValidationError(
                "must be sent before the quote's validity ends",
                path=f"$.history[{sent}].at",
                code="expired",
            )
        if status is QuoteStatus.ACCEPTED and self.history[last].at >= self.valid_until:
            raise ValidationError(
                "must be accepted before the quote's validity ends",
                path=f"$.history[{last}].at",
                code="expired",
            )
        if status is QuoteStatus.EXPIRED and self.history[last].at < self.valid_until:
            raise ValidationError(
                "must not expire before the quote's validity ends",
                path=f"$.history[{last}].at",
                code="not_expired",
            )

    def _recorded_times(self) -> Iterable[datetime]:
        return (self.history[-1].at,)

    def _event_fields(self) -> Mapping[str, object]:
        return {"quote_id": self.id, "customer_id": self.customer_id}

    def _tombstones(self, fields: frozenset[str]) -> dict[str, object]:
        if "override_reasons" not in fields:
            return {}
        return {"lines": tuple(line.without_reason() for line in self.lines)}

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        quote_id: QuoteId,
        *,
        customer_id: CustomerId,
        currency: str,
        tax_table: TaxTable,
        valid_until: datetime,
        at: datetime,
        lines: Iterable[QuoteLine] = (),
        priced_on: date | None = None,
        tax_inclusive: bool = False,
        discount_percent: Decimal | int | str | None = None,
        discount: Money | None = None,
        opportunity_id: OpportunityId | None = None,
        price_book_id: PriceBookId | None = None,
        **meta: Unpack[EventMeta],
    ) -> Quote:
        """Draft a quote (revision 1) at ``at``; records :class:`QuoteCreated`.

        ``priced_on`` defaults to the calendar day of ``at`` (in ``at``'s own offset).

        Raises:
            InvalidType: an id is not of its kind; a value of the wrong type.
            CurrencyMismatch: a line or the discount in another currency.
            ValidationError: ``valid_until`` not after ``at``
                (``before_created``); a line's tax category without a rule on
                ``priced_on`` (``$.lines[i].tax_category``, ``no_tax_rule``);
                a discount over 100% or over the lines' amounts.
        """
        command = cls._begin_new(at, meta)
        day = command.at.date() if priced_on is None else priced_on
        return cls._create(
            command,
            lambda quote: QuoteCreated.draft(
                currency=quote.currency,
                line_count=len(quote.lines),
                total=quote.total,
                valid_until=quote.valid_until,
                opportunity_id=quote.opportunity_id,
            ),
            id=quote_id,
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            valid_until=valid_until,
            tax_table=tax_table,
            priced_on=day,
            tax_inclusive=tax_inclusive,
            discount_percent=discount_percent,
            discount=discount,
            opportunity_id=opportunity_id,
            price_book_id=price_book_id,
        )

    # -- queries --------------------------------------------------------------------------

    @property
    def status(self) -> QuoteStatus:
        """The current status."""
        return self.history[-1].status

    @derived
    def totals(self) -> QuoteTotals:
        """Every amount of the quote (see :func:`~crmcore.quotes.quote_totals`)."""
        return quote_totals(
            self.lines,
            currency=self.currency,
            tax_table=self.tax_table,
            on=self.priced_on,
            tax_inclusive=self.tax_inclusive,
            discount_percent=self.discount_percent,
            discount=self.discount,
        )

    @property
    def total(self) -> Money:
        """What the customer pays: the lines' nets plus their taxes."""
        return self.totals.total

    @property
    def tax(self) -> Money:
        """The sum of the lines' taxes."""
        return self.totals.tax

    @property
    def sent_at(self) -> datetime | None:
        """When the current revision was sent, if it was."""
        for change in reversed(self.history):
            if change.status is QuoteStatus.SENT:
                return change.at
            if change.status is QuoteStatus.DRAFT:
                return None
        return None  # pragma: no cover - every history starts with a draft

    @property
    def override_reasons(self) -> tuple[str | None, ...]:
        """The free-text override reason of each line, in line order."""
        return tuple(line.override_reason for line in self.lines)

    def is_valid_at(self, at: datetime) -> bool:
        """True if ``at`` is before :attr:`valid_until`."""
        return require_aware(at, "$.at") < self.valid_until

    # -- editing (draft only) ---------------------------------------------------------------

    def _edit(self, at: object, meta: Mapping[str, Any]) -> Command:
        command = self._begin(at, meta)
        if self.status is not QuoteStatus.DRAFT:
            raise TransitionNotAllowed(
                f"only a draft quote is edited; this one is {self.status.value} (revise it first)",
                path="$.status",
                code="not_draft",
                machine=QUOTE_STATUSES.name,
                current=self.status.value,
            )
        return command

    def _lines_changed(self, command: Command, lines: tuple[QuoteLine, ...]) -> Quote:
        return self._record(
            command,
            _drafted(
                lambda quote: QuoteLinesChanged.draft(
                    revision=quote.revision, line_count=len(quote.lines), total=quote.total
                ),
                self,
                lines=lines,
            ),
            lines=lines,
        )

    def replace_lines(
        self, lines: Iterable[QuoteLine], *, at: datetime, **meta: Unpack[EventMeta]
    ) -> Quote:
        """The draft with ``lines`` instead of its lines; records :class:`QuoteLinesChanged`.

        Raises:
            TransitionNotAllowed: the quote is not a draft (code ``not_draft``).
            ValidationError: a line breaks a rule of the quote (see :meth:`create`).
        """
        checked = _lines(lines)
        command = self._edit(at, meta)
        return self._lines_changed(command, checked)

    def add_line(self, line: QuoteLine, *, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """The draft with ``line`` added last; records :class:`QuoteLinesChanged`."""
        checked = instance_of(QuoteLine, "a QuoteLine")(line, "$.line")
        command = self._edit(at, meta)
        if len(self.lines) >= MAX_QUOTE_LINES:
            raise ValidationError(
                f"must hold at most {MAX_QUOTE_LINES} lines", path="$.lines", code="too_many"
            )
        return self._lines_changed(command, (*self.lines, checked))

    def remove_line(self, index: int, *, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """The draft without the line at ``index``; records :class:`QuoteLinesChanged`.

        Raises:
            ValidationError: no line at ``index`` (``$.index``, code ``no_such_line``).
        """
        if isinstance(index, bool) or not isinstance(index, int):
            raise InvalidType(f"must be an int, not {type_name(index)}", path="$.index")
        command = self._edit(at, meta)
        if not 0 <= index < len(self.lines):
            raise ValidationError(
                "must be the index of a line of the quote", path="$.index", code="no_such_line"
            )
        return self._lines_changed(command, self.lines[:index] + self.lines[index + 1 :])

    def set_discount(
        self,
        *,
        at: datetime,
        percent: Decimal | int | str | None = None,
        amount: Money | None = None,
        **meta: Unpack[EventMeta],
    ) -> Quote:
        """The draft with a quote discount of ``percent`` (0 to 100) or ``amount`` (neither: none).

        Records :class:`QuoteDiscountChanged`.

        Raises:
            ValidationError: over 100% (``$.discount_percent``, ``over_100``), an
                amount over the lines' amounts (``$.discount``,
                ``discount_exceeds_total``), both given (``one_discount``).
        """
        command = self._edit(at, meta)
        changes = {"discount_percent": percent, "discount": amount}
        return self._record(
            command,
            _drafted(
                lambda quote: QuoteDiscountChanged.draft(
                    revision=quote.revision,
                    discount_percent=quote.discount_percent,
                    discount=quote.discount,
                    total=quote.total,
                ),
                self,
                **changes,
            ),
            **changes,
        )

    def change_terms(
        self,
        *,
        at: datetime,
        valid_until: datetime | None = None,
        tax_table: TaxTable | None = None,
        priced_on: date | None = None,
        tax_inclusive: bool | None = None,
        **meta: Unpack[EventMeta],
    ) -> Quote:
        """The draft with new validity, tax table, pricing day or tax treatment (``None``: kept).

        Records :class:`QuoteTermsChanged`.
        """
        command = self._edit(at, meta)
        given = {
            "valid_until": valid_until,
            "tax_table": tax_table,
            "priced_on": priced_on,
            "tax_inclusive": tax_inclusive,
        }
        changes = {name: value for name, value in given.items() if value is not None}
        return self._record(
            command,
            _drafted(
                lambda quote: QuoteTermsChanged.draft(
                    revision=quote.revision,
                    valid_until=quote.valid_until,
                    priced_on=quote.priced_on,
                    tax_inclusive=quote.tax_inclusive,
                    total=quote.total,
                ),
                self,
                **changes,
            ),
            **changes,
        )

    # -- status -----------------------------------------------------------------------------

    def _move(self, wanted: QuoteStatus, at: object, meta: Mapping[str, Any]) -> Command:
        command = self._begin(at, meta)
        QUOTE_STATUSES.check(self.status, wanted)
        return command

    def _history_with(self, status: QuoteStatus, command: Command) -> tuple[QuoteStatusChange, ...]:
        return (*self.history, QuoteStatusChange(status, command.at))

    def send(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """Send the draft to the customer; records :class:`QuoteSent`.

        Raises:
            TransitionNotAllowed: the quote is not a draft.
            ValidationError: it has no lines (``$.lines``, ``empty``); ``at`` is
                not before :attr:`valid_until` (``$.valid_until``, ``expired``).
        """
        command = self._move(QuoteStatus.SENT, at, meta)
        if not self.lines:
            raise ValidationError(
                "must hold at least one line to send", path="$.lines", code="empty"
            )
        if command.at >= self.valid_until:
            raise ValidationError(
                "has passed: change the validity before sending",
                path="$.valid_until",
                code="expired",
            )
        return self._record(
            command,
            QuoteSent.draft(
                revision=self.revision,
                total=self.total,
                tax=self.tax,
                valid_until=self.valid_until,
            ),
            history=self._history_with(QuoteStatus.SENT, command),
        )

    def accept(self, *, order_id: OrderId, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """Record the customer's acceptance; records :class:`QuoteAccepted`.

        Use :func:`~crmcore.quotes.accept_quote`, which also places the order
        ``order_id`` names and updates the opportunity, in one call.

        Raises:
            TransitionNotAllowed: the quote is expired (code ``expired``, at
                ``$.status``), its validity has passed (code ``expired``, at
                ``$.valid_until``), or it is not sent.
        """
        if type(order_id) is not OrderId:
            raise InvalidType(f"must be an OrderId, not {type_name(order_id)}", path="$.order_id")
        command = self._begin(at, meta)
        self.check_acceptable(command.at)
        return self._record(
            command,
            QuoteAccepted.draft(revision=self.revision, order_id=order_id, total=self.total),
            history=self._history_with(QuoteStatus.ACCEPTED, command),
            order_id=order_id,
        )

    def check_acceptable(self, at: datetime) -> None:
        """Raise the error :meth:`accept` would raise at ``at``, if any (see there)."""
        when = require_aware(at, "$.at")
        status = self.status
        if status is QuoteStatus.EXPIRED or (
            status is QuoteStatus.SENT and when >= self.valid_until
        ):
            raise TransitionNotAllowed(
                "an expired quote cannot be accepted (revise it and send it again)",
                path="$.status" if status is QuoteStatus.EXPIRED else "$.valid_until",
                code="expired",
                machine=QUOTE_STATUSES.name,
                current=status.value,
                wanted=QuoteStatus.ACCEPTED.value,
            )
        QUOTE_STATUSES.check(status, QuoteStatus.ACCEPTED)

    def reject(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """Record that the customer rejected the quote; records :class:`QuoteRejected`.

        Raises:
            TransitionNotAllowed: the quote is not sent.
        """
        command = self._move(QuoteStatus.REJECTED, at, meta)
        return self._record(
            command,
            QuoteRejected.draft(revision=self.revision),
            history=self._history_with(QuoteStatus.REJECTED, command),
        )

    def expire(self, *, at: datetime, **meta: Unpack[EventMeta]) -> Quote:
        """Record that the quote's validity ran out; records :class:`QuoteExpired`.

        Raises:
            TransitionNotAllowed: the quote is not sent.
            ValidationError: ``at`` is before :attr:`valid_until` (``$.at``, ``not_expired``).
        """
        command = self._move(QuoteStatus.EXPIRED, at, meta)
        if command.at < self.valid_until:
            raise ValidationError(
                "must not be before the quote's validity ends", path="$.at", code="not_expired"
            )
        return self._record(
            command,
            QuoteExpired.draft(revision=self.revision),
            history=self._history_with(QuoteStatus.EXPIRED, command),
        )

    def revise(
        self,
        *,
        at: datetime,
        valid_until: datetime | None = None,
        **meta: Unpack[EventMeta],
    ) -> Quote:
        """Start the next revision, in draft, from a sent, rejected or expired quote.

        Records :class:`QuoteRevised`. The lines, discount and terms carry
        over; ``valid_until`` sets a new validity (an expired quote needs one
        before it can be sent again).

        Raises:
            TransitionNotAllowed: the quote is a draft or accepted.
            ValidationError: the quote reached :data:`MAX_REVISIONS`
                (``$.revision``, ``range``).
        """
        command = self._move(QuoteStatus.DRAFT, at, meta)
        if self.revision >= MAX_REVISIONS:
            raise ValidationError(
                f"must not pass {MAX_REVISIONS} revisions", path="$.revision", code="range"
            )
        changes: dict[str, object] = {
            "revision": self.revision + 1,
            "history": self._history_with(QuoteStatus.DRAFT, command),
        }
        if valid_until is not None:
            changes["valid_until"] = valid_until
        return self._record(command, QuoteRevised.draft(revision=self.revision + 1), **changes)

    def __repr__(self) -> str:
        return (
            f"Quote(id={self.id!r}, status={self.status.value!r}, revision={self.revision}, "
            f"total={self.total!r}, version={self.version}, "
            f"pending_events={len(self.pending_events)})"
        )


def _drafted(make: Callable[[Quote], EventDraft], quote: Quote, **changes: object) -> EventDraft:
    """The draft ``make`` gives for ``quote`` with ``changes`` (a preview, to read its new totals)."""
    return make(quote._changed(dict(changes)))  # noqa: SLF001 - same module

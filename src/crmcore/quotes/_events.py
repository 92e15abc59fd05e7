"""The events a quote records: ids, codes, amounts and dates, never free text.

Each revision's facts stay in the events: the total, tax and validity a
revision was sent with (:class:`QuoteSent`), and how it ended.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from crmcore._kernel._events import DomainEvent
from crmcore._kernel._ids import CustomerId, OpportunityId, OrderId, QuoteId
from crmcore._kernel._money import Money
from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore._kernel._repoint import CustomerRepointedEvent


@attrs.frozen(slots=True, kw_only=True)
class QuoteEvent(DomainEvent, aggregate="quote"):
    """Base of the events recorded by a :class:`~crmcore.quotes.Quote`.

    .. versionadded:: 0.1
    """

    quote_id: QuoteId
    customer_id: CustomerId


@attrs.frozen(slots=True, kw_only=True)
class QuoteCreated(QuoteEvent):
    """A quote was drafted (revision 1): its currency, line count, total and validity.

    .. versionadded:: 0.1
    """

    currency: str
    line_count: int
    total: Money
    valid_until: datetime
    opportunity_id: OpportunityId | None = None


@attrs.frozen(slots=True, kw_only=True)
class QuoteLinesChanged(QuoteEvent):
    """The draft's lines changed: how many there are now and the new total.

    .. versionadded:: 0.1
    """

    revision: int
    line_count: int
    total: Money


@attrs.frozen(slots=True, kw_only=True)
class QuoteDiscountChanged(QuoteEvent):
    """The draft's quote discount changed (a percentage or an amount) and the new total.

    .. versionadded:: 0.1
    """

    revision: int
    discount_percent: Decimal | None = None
    discount: Money | None = None
    total: Money


@attrs.frozen(slots=True, kw_only=True)
class QuoteTermsChanged(QuoteEvent):
    """The draft's validity, tax treatment or pricing day changed, and the new total.

    .. versionadded:: 0.1
    """

    revision: int
    valid_until: datetime
    priced_on: date
    tax_inclusive: bool
    total: Money


@attrs.frozen(slots=True, kw_only=True)
class QuoteSent(QuoteEvent):
    """A revision was sent to the customer with this total, tax and validity.

    .. versionadded:: 0.1
    """

    revision: int
    total: Money
    tax: Money
    valid_until: datetime


@attrs.frozen(slots=True, kw_only=True)
class QuoteAccepted(QuoteEvent):
    """The customer accepted the revision; ``order_id`` names the order it became.

    .. versionadded:: 0.1
    """

    revision: int
    order_id: OrderId
    total: Money


@attrs.frozen(slots=True, kw_only=True)
class QuoteRejected(QuoteEvent):
    """The customer rejected the revision.

    .. versionadded:: 0.1
    """

    revision: int


@attrs.frozen(slots=True, kw_only=True)
class QuoteExpired(QuoteEvent):
    """The revision's validity ran out without an answer.

    .. versionadded:: 0.1
    """

    revision: int


@attrs.frozen(slots=True, kw_only=True)
class QuoteRevised(QuoteEvent):
    """A new revision was started in draft (``revision``), from the one before.

    .. versionadded:: 0.1
    """

    revision: int


@attrs.frozen(slots=True, kw_only=True)
class QuoteCustomerRepointed(CustomerRepointedEvent, QuoteEvent):
    """The quote names ``customer_id``, the customer ``previous`` was merged into.

    .. versionadded:: 0.1
    """

    previous: CustomerId
    fields: tuple[str, ...]


@attrs.frozen(slots=True, kw_only=True)
class QuoteAnonymised(PersonalDataErasedEvent, QuoteEvent):
    """The quote's free-text override reasons (``fields``) were erased; prices and amounts stay.

    .. versionadded:: 0.1
    """

    fields: tuple[str, ...]

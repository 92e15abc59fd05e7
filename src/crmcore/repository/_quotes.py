"""The quote repository and the registration of its aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from crmcore._kernel._checks import require_aware
from crmcore._kernel._ids import CustomerId, OpportunityId, ProductId, QuoteId
from crmcore.quotes import Quote, QuoteStatus
from crmcore.repository._lookups import (
    by_customer,
    by_status,
    choice_argument,
    id_argument,
    optional_id,
)
from crmcore.repository._quotes_ports import QuoteRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


def by_opportunity(quote: Quote) -> tuple[str, ...]:
    """The ``opportunity`` index of a quote: its opportunity's id, if it has one."""
    return optional_id(quote.opportunity_id)


def by_product(quote: Quote) -> tuple[str, ...]:
    """The ``product`` index of a quote: the ids of the products its lines name, once each.

    The catalog reads it to keep a product from being deleted while a quote names it.
    """
    return tuple(sorted({line.product_id.value for line in quote.lines}))


class StoreQuoteRepository(StoreRepository[Quote], QuoteRepository):
    """The quote repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    ``expiring_before`` reads the sent quotes (the ``status`` index), so its
    cost grows with the quotes awaiting an answer, not with the history.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Quote]:
        """The quotes of one customer (see :class:`QuoteRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Quote]:
        """The quotes of one opportunity (see :class:`QuoteRepository`)."""
        self._unit.view()
        return self.find_by_index(
            "opportunity", id_argument(opportunity_id, OpportunityId, "$.opportunity_id")
        )

    def for_product(self, product_id: ProductId) -> list[Quote]:
        """The quotes with a line of this product (see :class:`QuoteRepository`)."""
        self._unit.view()
        return self.find_by_index("product", id_argument(product_id, ProductId, "$.product_id"))

    def with_status(self, status: QuoteStatus | str) -> list[Quote]:
        """The quotes with this status (see :class:`QuoteRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, QuoteStatus, "$.status"))

    def expiring_before(self, at: datetime) -> list[Quote]:
        """The sent quotes whose validity ends before ``at`` (see :class:`QuoteRepository`)."""
        self._unit.view()
        when = require_aware(at, "$.at")
        found = [
            quote
            for quote in self.find_by_index("status", QuoteStatus.SENT.value)
            if quote.valid_until < when
        ]
        return sorted(found, key=lambda quote: (quote.valid_until, quote.id))


#: The registration of the :class:`~crmcore.quotes.Quote` aggregate.
QUOTES: Final[AggregateSpec[Quote]] = AggregateSpec(
    name="quotes",
    kind="quote",
    aggregate_type=Quote,
    id_type=QuoteId,
    indexes={
        "customer": by_customer,
        "opportunity": by_opportunity,
        "product": by_product,
        "status": by_status,
    },
    repository_type=StoreQuoteRepository,
    references={
        "customer_id": "customers",
        "opportunity_id": "opportunities",
        "price_book_id": "price_books",
    },
)

"""The port of the quote repository."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime

from crmcore._kernel._ids import CustomerId, OpportunityId, ProductId
from crmcore.quotes import Quote, QuoteStatus
from crmcore.repository._ports import Repository


class QuoteRepository(Repository[Quote]):
    """The quotes, with lookups by customer, opportunity, product, status and validity.

    ``expiring_before(at)`` is a sales-ops queue: the sent quotes whose
    validity ends before ``at`` (to chase, or to expire). The other lookups
    return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[Quote]:
        """The quotes of one customer.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """

    @abstractmethod
    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Quote]:
        """The quotes of one opportunity.

        Raises:
            InvalidType: ``opportunity_id`` is not an OpportunityId.
        """

    @abstractmethod
    def for_product(self, product_id: ProductId) -> list[Quote]:
        """The quotes with a line of this product (whatever their status).

        Raises:
            InvalidType: ``product_id`` is not a ProductId.
        """

    @abstractmethod
    def with_status(self, status: QuoteStatus | str) -> list[Quote]:
        """The quotes with this status (``"draft"``, ``"sent"``, ...).

        Raises:
            ValidationError: ``status`` is not a quote status.
        """

    @abstractmethod
    def expiring_before(self, at: datetime) -> list[Quote]:
        """The sent quotes whose validity ends before ``at``, earliest first, then by id.

        Raises:
            ValidationError: ``at`` is naive (``$.at``).
        """

"""The data-subject request repository and the registration of its aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from crmcore._kernel._checks import require_aware
from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore.privacy import OPEN_REQUEST_STATUSES, DataSubjectRequest, RequestStatus
from crmcore.repository._lookups import by_customer, by_status, choice_argument, id_argument
from crmcore.repository._ports import PrivacyRequestRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


class StorePrivacyRequestRepository(StoreRepository[DataSubjectRequest], PrivacyRequestRepository):
    """The data-subject request repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    ``open_due_before`` reads the open requests (the ``status`` index), so its
    cost grows with the requests not yet answered, not with the history.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[DataSubjectRequest]:
        """The requests of one subject (see :class:`PrivacyRequestRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def with_status(self, status: RequestStatus | str) -> list[DataSubjectRequest]:
        """The requests with this status (see :class:`PrivacyRequestRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, RequestStatus, "$.status"))

    def open_due_before(self, at: datetime) -> list[DataSubjectRequest]:
        """The open requests due before ``at``, earliest deadline first (see the port)."""
        self._unit.view()
        when = require_aware(at, "$.at")
        found = [
            request
            for status in sorted(OPEN_REQUEST_STATUSES)
            for request in self.find_by_index("status", status.value)
            if request.due_at < when
        ]
        return sorted(found, key=lambda request: (request.due_at, request.id))


#: The registration of the :class:`~crmcore.privacy.DataSubjectRequest` aggregate.
PRIVACY_REQUESTS: Final[AggregateSpec[DataSubjectRequest]] = AggregateSpec(
    name="privacy_requests",
    kind="privacy_request",
    aggregate_type=DataSubjectRequest,
    id_type=PrivacyRequestId,
    indexes={"customer": by_customer, "status": by_status},
    repository_type=StorePrivacyRequestRepository,
    references={"customer_id": "customers"},
)

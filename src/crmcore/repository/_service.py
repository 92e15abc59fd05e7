"""The interaction and service case repositories and the registrations of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._ids import StaffId
from crmcore.commerce import OrderId
from crmcore.customers import CustomerId
from crmcore.interactions import Interaction, InteractionId
from crmcore.repository._lookups import (
    by_customer,
    by_status,
    choice_argument,
    id_argument,
    optional_id,
)
from crmcore.repository._ports import CaseRepository, InteractionRepository
from crmcore.repository._store import AggregateSpec, StoreRepository
from crmcore.sales import OpportunityId
from crmcore.service import Case, CaseId, CaseStatus


def _interaction_case(interaction: Interaction) -> tuple[str, ...]:
    return optional_id(interaction.case_id)


def _interaction_opportunity(interaction: Interaction) -> tuple[str, ...]:
    return optional_id(interaction.opportunity_id)


class StoreInteractionRepository(StoreRepository[Interaction], InteractionRepository):
    """The interaction repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Interaction]:
        """The interactions with one customer (see :class:`InteractionRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_case(self, case_id: CaseId) -> list[Interaction]:
        """The interactions linked to one case (see :class:`InteractionRepository`)."""
        self._unit.view()
        return self.find_by_index("case", id_argument(case_id, CaseId, "$.case_id"))

    def for_opportunity(self, opportunity_id: OpportunityId) -> list[Interaction]:
        """The interactions linked to one opportunity (see :class:`InteractionRepository`)."""
        self._unit.view()
        value = id_argument(opportunity_id, OpportunityId, "$.opportunity_id")
        return self.find_by_index("opportunity", value)


def _case_order(case: Case) -> tuple[str, ...]:
    return optional_id(case.order_id)


def _case_assignee(case: Case) -> tuple[str, ...]:
    return optional_id(case.assignee)


class StoreCaseRepository(StoreRepository[Case], CaseRepository):
    """The service case repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Case]:
        """The cases of one customer (see :class:`CaseRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_order(self, order_id: OrderId) -> list[Case]:
        """The cases about one order (see :class:`CaseRepository`)."""
        self._unit.view()
        return self.find_by_index("order", id_argument(order_id, OrderId, "$.order_id"))

    def assigned_to(self, staff_id: StaffId) -> list[Case]:
        """The cases assigned to one member of staff (see :class:`CaseRepository`)."""
        self._unit.view()
        return self.find_by_index("assignee", id_argument(staff_id, StaffId, "$.staff_id"))

    def with_status(self, status: CaseStatus | str) -> list[Case]:
        """The cases with this status (see :class:`CaseRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, CaseStatus, "$.status"))


#: The registration of the :class:`~crmcore.interactions.Interaction` aggregate.
INTERACTIONS: Final[AggregateSpec[Interaction]] = AggregateSpec(
    name="interactions",
    kind="interaction",
    aggregate_type=Interaction,
    id_type=InteractionId,
    indexes={
        "customer": by_customer,
        "case": _interaction_case,
        "opportunity": _interaction_opportunity,
    },
    repository_type=StoreInteractionRepository,
    references={"customer_id": "customers"},
)

#: The registration of the :class:`~crmcore.service.Case` aggregate.
CASES: Final[AggregateSpec[Case]] = AggregateSpec(
    name="cases",
    kind="case",
    aggregate_type=Case,
    id_type=CaseId,
    indexes={
        "customer": by_customer,
        "order": _case_order,
        "assignee": _case_assignee,
        "status": by_status,
    },
    repository_type=StoreCaseRepository,
    references={"customer_id": "customers"},
)

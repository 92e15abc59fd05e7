"""The lead and opportunity repositories and the registrations of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._checks import check_name
from crmcore._kernel._ids import StaffId
from crmcore.customers import CustomerId
from crmcore.repository._lookups import (
    by_customer,
    by_status,
    choice_argument,
    id_argument,
    optional_id,
)
from crmcore.repository._ports import LeadRepository, OpportunityRepository
from crmcore.repository._store import AggregateSpec, StoreRepository
from crmcore.sales import Lead, LeadId, LeadSource, LeadStatus, Opportunity, OpportunityId


def _lead_source(lead: Lead) -> tuple[str, ...]:
    return (lead.source.value,)


def _owner(aggregate: Lead | Opportunity) -> tuple[str, ...]:
    return optional_id(aggregate.owner)


class StoreLeadRepository(StoreRepository[Lead], LeadRepository):
    """The lead repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Lead]:
        """The leads converted into one customer (see :class:`LeadRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def with_status(self, status: LeadStatus | str) -> list[Lead]:
        """The leads with this status (see :class:`LeadRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, LeadStatus, "$.status"))

    def from_source(self, source: LeadSource | str) -> list[Lead]:
        """The leads from one source (see :class:`LeadRepository`)."""
        self._unit.view()
        return self.find_by_index("source", choice_argument(source, LeadSource, "$.source"))

    def assigned_to(self, staff_id: StaffId) -> list[Lead]:
        """The leads assigned to one member of staff (see :class:`LeadRepository`)."""
        self._unit.view()
        return self.find_by_index("owner", id_argument(staff_id, StaffId, "$.staff_id"))


def _opportunity_stage(opportunity: Opportunity) -> tuple[str, ...]:
    return (opportunity.stage,)


class StoreOpportunityRepository(StoreRepository[Opportunity], OpportunityRepository):
    """The opportunity repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_customer(self, customer_id: CustomerId) -> list[Opportunity]:
        """The opportunities of one customer (see :class:`OpportunityRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def in_stage(self, stage: str) -> list[Opportunity]:
        """The opportunities in one stage (see :class:`OpportunityRepository`)."""
        self._unit.view()
        return self.find_by_index("stage", check_name(stage, "$.stage"))

    def owned_by(self, staff_id: StaffId) -> list[Opportunity]:
        """The opportunities one member of staff owns (see :class:`OpportunityRepository`)."""
        self._unit.view()
        return self.find_by_index("owner", id_argument(staff_id, StaffId, "$.staff_id"))


#: The registration of the :class:`~crmcore.sales.Lead` aggregate.
LEADS: Final[AggregateSpec[Lead]] = AggregateSpec(
    name="leads",
    kind="lead",
    aggregate_type=Lead,
    id_type=LeadId,
    indexes={
        "customer": by_customer,
        "status": by_status,
        "source": _lead_source,
        "owner": _owner,
    },
    repository_type=StoreLeadRepository,
)

#: The registration of the :class:`~crmcore.sales.Opportunity` aggregate.
OPPORTUNITIES: Final[AggregateSpec[Opportunity]] = AggregateSpec(
    name="opportunities",
    kind="opportunity",
    aggregate_type=Opportunity,
    id_type=OpportunityId,
    indexes={"customer": by_customer, "stage": _opportunity_stage, "owner": _owner},
    repository_type=StoreOpportunityRepository,
    references={"customer_id": "customers"},
)

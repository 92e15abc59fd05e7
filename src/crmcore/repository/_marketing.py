"""The campaign and campaign member repositories and the registration of their aggregates."""

from __future__ import annotations

from typing import Final

from crmcore._kernel._ids import CampaignId, CampaignMemberId, CustomerId, LeadId
from crmcore.marketing import Campaign, CampaignMember, CampaignStatus, MemberStatus
from crmcore.repository._lookups import (
    by_customer,
    by_status,
    choice_argument,
    id_argument,
    optional_id,
)
from crmcore.repository._marketing_ports import CampaignMemberRepository, CampaignRepository
from crmcore.repository._store import AggregateSpec, StoreRepository


def _by_parent(campaign: Campaign) -> tuple[str, ...]:
    return optional_id(campaign.parent_id)


def _by_campaign(member: CampaignMember) -> tuple[str, ...]:
    return (member.campaign_id.value,)


def _by_lead(member: CampaignMember) -> tuple[str, ...]:
    return optional_id(member.lead_id)


def _by_subject(member: CampaignMember) -> tuple[str, ...]:
    # One key per (campaign, subject); "c:" and "l:" keep a customer and a lead of one text apart.
    kind = "c" if member.customer_id is not None else "l"
    return (f"{member.campaign_id.value} {kind}:{member.subject_id.value}",)


class StoreCampaignRepository(StoreRepository[Campaign], CampaignRepository):
    """The campaign repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def with_status(self, status: CampaignStatus | str) -> list[Campaign]:
        """The campaigns with this status (see :class:`CampaignRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, CampaignStatus, "$.status"))

    def children_of(self, parent_id: CampaignId) -> list[Campaign]:
        """The direct children of a campaign (see :class:`CampaignRepository`)."""
        self._unit.view()
        return self.find_by_index("parent", id_argument(parent_id, CampaignId, "$.parent_id"))


class StoreCampaignMemberRepository(StoreRepository[CampaignMember], CampaignMemberRepository):
    """The campaign member repository of :class:`~crmcore.repository.StoreUnitOfWork`.

    .. versionadded:: 0.1
    """

    def for_campaign(self, campaign_id: CampaignId) -> list[CampaignMember]:
        """The members of a campaign (see :class:`CampaignMemberRepository`)."""
        self._unit.view()
        return self.find_by_index("campaign", id_argument(campaign_id, CampaignId, "$.campaign_id"))

    def for_customer(self, customer_id: CustomerId) -> list[CampaignMember]:
        """The memberships of a customer (see :class:`CampaignMemberRepository`)."""
        self._unit.view()
        return self.find_by_index("customer", id_argument(customer_id, CustomerId, "$.customer_id"))

    def for_lead(self, lead_id: LeadId) -> list[CampaignMember]:
        """The memberships of a lead (see :class:`CampaignMemberRepository`)."""
        self._unit.view()
        return self.find_by_index("lead", id_argument(lead_id, LeadId, "$.lead_id"))

    def with_status(self, status: MemberStatus | str) -> list[CampaignMember]:
        """The members with this status (see :class:`CampaignMemberRepository`)."""
        self._unit.view()
        return self.find_by_index("status", choice_argument(status, MemberStatus, "$.status"))


#: The registration of the :class:`~crmcore.marketing.Campaign` aggregate.
CAMPAIGNS: Final[AggregateSpec[Campaign]] = AggregateSpec(
    name="campaigns",
    kind="campaign",
    aggregate_type=Campaign,
    id_type=CampaignId,
    indexes={"status": by_status, "parent": _by_parent},
    repository_type=StoreCampaignRepository,
    references={"parent_id": "campaigns"},
)

#: The registration of the :class:`~crmcore.marketing.CampaignMember` aggregate.
CAMPAIGN_MEMBERS: Final[AggregateSpec[CampaignMember]] = AggregateSpec(
    name="campaign_members",
    kind="campaign_member",
    aggregate_type=CampaignMember,
    id_type=CampaignMemberId,
    natural_keys={"subject": _by_subject},
    indexes={
        "campaign": _by_campaign,
        "customer": by_customer,
        "lead": _by_lead,
        "status": by_status,
    },
    repository_type=StoreCampaignMemberRepository,
    references={"campaign_id": "campaigns", "customer_id": "customers", "lead_id": "leads"},
)

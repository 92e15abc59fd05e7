"""The marketing ports: campaigns and their members.

.. versionadded:: 0.1
"""

from __future__ import annotations

from abc import abstractmethod

from crmcore._kernel._ids import CampaignId, CustomerId, LeadId
from crmcore.marketing import Campaign, CampaignMember, CampaignStatus, MemberStatus
from crmcore.repository._ports import Repository


class CampaignRepository(Repository[Campaign]):
    """The campaigns, with lookups by status and by parent campaign.

    The lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def with_status(self, status: CampaignStatus | str) -> list[Campaign]:
        """The campaigns with this status (``planned``, ``active``, ``completed``, ``aborted``).

        Raises:
            ValidationError: ``status`` is not a campaign status (``$.status``).
        """

    @abstractmethod
    def children_of(self, parent_id: CampaignId) -> list[Campaign]:
        """The campaigns whose parent is ``parent_id`` (its direct children only).

        Raises:
            InvalidType: ``parent_id`` is not a :class:`~crmcore.CampaignId`.
        """


class CampaignMemberRepository(Repository[CampaignMember]):
    """The campaign members, with lookups by campaign, customer, lead and status.

    A campaign names each customer or lead at most once: the pair is a
    natural key (:class:`~crmcore.errors.DuplicateKey` on ``add`` or
    ``save``). A merge of customers that would leave one customer twice in a
    campaign is refused by that key: remove the merged-away customer's
    member first. The lookups return matches in ascending id order.

    .. versionadded:: 0.1
    """

    @abstractmethod
    def for_campaign(self, campaign_id: CampaignId) -> list[CampaignMember]:
        """The members of a campaign.

        Raises:
            InvalidType: ``campaign_id`` is not a :class:`~crmcore.CampaignId`.
        """

    @abstractmethod
    def for_customer(self, customer_id: CustomerId) -> list[CampaignMember]:
        """The memberships of a customer, in every campaign.

        Raises:
            InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        """

    @abstractmethod
    def for_lead(self, lead_id: LeadId) -> list[CampaignMember]:
        """The memberships of a lead, in every campaign.

        Raises:
            InvalidType: ``lead_id`` is not a :class:`~crmcore.LeadId`.
        """

    @abstractmethod
    def with_status(self, status: MemberStatus | str) -> list[CampaignMember]:
        """The members with this status, in every campaign.

        Raises:
            ValidationError: ``status`` is not a member status (``$.status``).
        """

"""The contract of the campaign member repository: members name a campaign and one subject."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta

from crmcore._kernel._ids import CampaignId, CampaignMemberId, LeadId
from crmcore.customers import PersonName
from crmcore.marketing import Campaign, CampaignMember
from crmcore.repository import DuplicateKey, UnitOfWork, UnknownReference
from crmcore.sales import Lead
from crmcore.testing.contract._support import (
    T0,
    _customer_id,
    _drain,
    _equal,
    _make_customer,
    _raises,
)

_HOUR = timedelta(hours=1)


def _campaign(number: int) -> Campaign:
    return Campaign.create(
        CampaignId(f"cmp-c{number}"), name=f"Campaign {number}", campaign_type="email", at=T0
    )


def _member(
    number: int, campaign: int, *, customer: int | None = None, lead: str | None = None
) -> CampaignMember:
    return CampaignMember.add(
        CampaignMemberId(f"cm-c{number}"),
        campaign_id=CampaignId(f"cmp-c{campaign}"),
        customer_id=None if customer is None else _customer_id(customer),
        lead_id=None if lead is None else LeadId(lead),
        at=T0,
    )


def _ids(found: list[CampaignMember]) -> list[str]:
    return [member.id.value for member in found]


class MarketingContract(ABC):
    """Campaign members found by campaign, customer, lead and status; one subject per campaign.

    A base of :class:`~crmcore.testing.contract.UnitOfWorkContract`: adapters
    subclass that one. (Campaigns themselves run through the per-repository
    tests with every other aggregate.)
    """

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    def _with_members(self) -> UnitOfWork:
        uow = self.make_unit_of_work()
        with uow:
            for number in (1, 2):
                uow.customers.add(_make_customer(number))
                uow.campaigns.add(_campaign(number))
            uow.leads.add(
                Lead.capture(LeadId("lead-c1"), name=PersonName("Lead"), source="web", at=T0)
            )
            uow.campaign_members.add(_member(1, 1, customer=1))
            uow.campaign_members.add(_member(2, 1, customer=2).respond(at=T0 + _HOUR))
            uow.campaign_members.add(_member(3, 2, customer=1))
            uow.campaign_members.add(_member(4, 2, lead="lead-c1"))
            uow.commit()
        _drain(uow)
        return uow

    def test_campaign_members_are_found_by_campaign_subject_and_status(self) -> None:
        """for_campaign, for_customer, for_lead and with_status see what was stored, in id order."""
        uow = self._with_members()
        with uow:
            members = uow.campaign_members
            _equal(
                ["cm-c1", "cm-c2"], _ids(members.for_campaign(CampaignId("cmp-c1"))), "campaign 1"
            )
            _equal(["cm-c1", "cm-c3"], _ids(members.for_customer(_customer_id(1))), "customer 1")
            _equal(["cm-c4"], _ids(members.for_lead(LeadId("lead-c1"))), "the lead")
            _equal(["cm-c2"], _ids(members.with_status("responded")), "responded")
            _equal(["cm-c1", "cm-c3", "cm-c4"], _ids(members.with_status("targeted")), "targeted")

    def test_a_subject_is_a_member_of_a_campaign_once(self) -> None:
        """A second member of one campaign for the same customer is a DuplicateKey."""
        uow = self._with_members()
        with uow:
            with _raises(DuplicateKey):
                uow.campaign_members.add(_member(9, 1, customer=1))
            _equal(4, uow.campaign_members.count(), "members after the refusal")

    def test_a_member_of_an_unknown_campaign_is_refused_at_commit(self) -> None:
        """Members name a stored campaign: an unknown one is refused and nothing is stored."""
        uow = self._with_members()
        with uow:
            uow.campaign_members.add(_member(9, 7, customer=2))
            with _raises(UnknownReference):
                uow.commit()
        with uow:
            _equal(4, uow.campaign_members.count(), "members after the refused commit")

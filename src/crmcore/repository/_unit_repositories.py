"""The repository properties of a unit of work that keeps one repository per aggregate type."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, cast

from crmcore.activities import Activity
from crmcore.catalog import PriceBook, Product
from crmcore.commerce import Order, Subscription
from crmcore.customers import Customer
from crmcore.feedback import Review, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.loyalty import LoyaltyAccount
from crmcore.marketing import Campaign, CampaignMember
from crmcore.notes import Note
from crmcore.parties import Relationship
from crmcore.privacy import DataSubjectRequest
from crmcore.quotes import Quote
from crmcore.repository._catalog_ports import PriceBookRepository, ProductRepository
from crmcore.repository._marketing_ports import CampaignMemberRepository, CampaignRepository
from crmcore.repository._ports import (
    ActivityRepository,
    CaseRepository,
    CustomerRepository,
    InteractionRepository,
    LeadRepository,
    LoyaltyAccountRepository,
    NoteRepository,
    OpportunityRepository,
    OrderRepository,
    PrivacyRequestRepository,
    RelationshipRepository,
    ReviewRepository,
    StaffRepository,
    SubscriptionRepository,
    SurveyRepository,
    TeamRepository,
    UnitOfWork,
)
from crmcore.repository._quotes_ports import QuoteRepository
from crmcore.sales import Lead, Opportunity
from crmcore.service import Case
from crmcore.teams import StaffMember, Team


class UnitOfWorkRepositories(UnitOfWork):
    """A unit of work whose repository properties each give the repository of one aggregate type.

    The base of :class:`~crmcore.repository.StoreUnitOfWork`: it implements
    :meth:`_typed` (the repository of a type, checked against its port).
    """

    @abstractmethod
    def _typed(self, aggregate_type: type[Any], port: type) -> Any:
        """The repository keeping ``aggregate_type``, an instance of ``port``."""

    @property
    def customers(self) -> CustomerRepository:
        """The customer repository of this unit."""
        return cast("CustomerRepository", self._typed(Customer, CustomerRepository))

    @property
    def orders(self) -> OrderRepository:
        """The order repository of this unit."""
        return cast("OrderRepository", self._typed(Order, OrderRepository))

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """The subscription repository of this unit."""
        return cast("SubscriptionRepository", self._typed(Subscription, SubscriptionRepository))

    @property
    def interactions(self) -> InteractionRepository:
        """The interaction repository of this unit."""
        return cast("InteractionRepository", self._typed(Interaction, InteractionRepository))

    @property
    def cases(self) -> CaseRepository:
        """The service case repository of this unit."""
        return cast("CaseRepository", self._typed(Case, CaseRepository))

    @property
    def reviews(self) -> ReviewRepository:
        """The review repository of this unit."""
        return cast("ReviewRepository", self._typed(Review, ReviewRepository))

    @property
    def surveys(self) -> SurveyRepository:
        """The survey response repository of this unit (CSAT, NPS and CES)."""
        return cast("SurveyRepository", self._typed(SurveyResponse, SurveyRepository))

    @property
    def loyalty_accounts(self) -> LoyaltyAccountRepository:
        """The loyalty account repository of this unit."""
        return cast(
            "LoyaltyAccountRepository", self._typed(LoyaltyAccount, LoyaltyAccountRepository)
        )

    @property
    def leads(self) -> LeadRepository:
        """The sales lead repository of this unit."""
        return cast("LeadRepository", self._typed(Lead, LeadRepository))

    @property
    def opportunities(self) -> OpportunityRepository:
        """The sales opportunity repository of this unit."""
        return cast("OpportunityRepository", self._typed(Opportunity, OpportunityRepository))

    @property
    def relationships(self) -> RelationshipRepository:
        """The relationship repository of this unit."""
        return cast("RelationshipRepository", self._typed(Relationship, RelationshipRepository))

    @property
    def staff(self) -> StaffRepository:
        """The staff member repository of this unit."""
        return cast("StaffRepository", self._typed(StaffMember, StaffRepository))

    @property
    def teams(self) -> TeamRepository:
        """The team repository of this unit."""
        return cast("TeamRepository", self._typed(Team, TeamRepository))

    @property
    def activities(self) -> ActivityRepository:
        """The activity repository of this unit."""
        return cast("ActivityRepository", self._typed(Activity, ActivityRepository))

    @property
    def notes(self) -> NoteRepository:
        """The note repository of this unit."""
        return cast("NoteRepository", self._typed(Note, NoteRepository))

    @property
    def privacy_requests(self) -> PrivacyRequestRepository:
        """The data-subject request repository of this unit."""
        return cast(
            "PrivacyRequestRepository",
            self._typed(DataSubjectRequest, PrivacyRequestRepository),
        )

    @property
    def products(self) -> ProductRepository:
        """The product repository of this unit."""
        return cast("ProductRepository", self._typed(Product, ProductRepository))

    @property
    def price_books(self) -> PriceBookRepository:
        """The price book repository of this unit."""
        return cast("PriceBookRepository", self._typed(PriceBook, PriceBookRepository))

    @property
    def quotes(self) -> QuoteRepository:
        """The quote repository of this unit."""
        return cast("QuoteRepository", self._typed(Quote, QuoteRepository))

    @property
    def campaigns(self) -> CampaignRepository:
        """The campaign repository of this unit."""
        return cast("CampaignRepository", self._typed(Campaign, CampaignRepository))

    @property
    def campaign_members(self) -> CampaignMemberRepository:
        """The campaign member repository of this unit."""
        return cast(
            "CampaignMemberRepository", self._typed(CampaignMember, CampaignMemberRepository)
        )

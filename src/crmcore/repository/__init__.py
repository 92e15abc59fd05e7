"""Persistence ports, the unit of work, and the in-memory adapters.

crmcore performs no I/O: application code talks to a :class:`UnitOfWork` and
its repositories, and a host application plugs in storage. The default,
:class:`InMemoryUnitOfWork`, keeps everything in memory; a database adapter
implements the small :class:`Store` and :class:`Snapshot` interfaces (or the
ports themselves) and proves itself with :mod:`crmcore.testing.contract`.

>>> from datetime import datetime, timezone
>>> from crmcore import ContactPoint, Customer, CustomerId, PersonName
>>> from crmcore.repository import InMemoryUnitOfWork, NotFound
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> uow = InMemoryUnitOfWork()
>>> with uow:
...     ana = Customer.register(
...         CustomerId("c-1"),
...         name=PersonName("Ana"),
...         at=at,
...         contact_points=[ContactPoint("email", "ana@example.com")],
...     )
...     _ = uow.customers.add(ana)
...     uow.commit()
>>> with uow:
...     uow.customers.get_by_email(" ANA@example.com ").id
CustomerId('c-1')
>>> with uow:
...     uow.customers.get_by_email("budi@example.com")
Traceback (most recent call last):
...
crmcore.errors.NotFound: no customer has this email address
"""

from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    DuplicateKey,
    NotFound,
    RepositoryError,
    StorageError,
    UnitOfWorkError,
    UnknownReference,
)
from crmcore.repository._activities import (
    ACTIVITIES,
    NOTES,
    StoreActivityRepository,
    StoreNoteRepository,
)
from crmcore.repository._catalog import (
    PRICE_BOOKS,
    PRODUCTS,
    StorePriceBookRepository,
    StoreProductRepository,
)
from crmcore.repository._catalog_ports import PriceBookRepository, ProductRepository
from crmcore.repository._commerce import (
    ORDERS,
    SUBSCRIPTIONS,
    StoreOrderRepository,
    StoreSubscriptionRepository,
)
from crmcore.repository._customers import (
    CUSTOMERS,
    StoreCustomerRepository,
    Uniqueness,
    UniquenessPolicy,
    customer_emails,
    customer_phones,
    customer_spec,
    uniqueness_of,
    with_uniqueness,
)
from crmcore.repository._errors import AmbiguousKey
from crmcore.repository._feedback import (
    REVIEWS,
    SURVEYS,
    StoreReviewRepository,
    StoreSurveyRepository,
)
from crmcore.repository._loyalty import (
    LOYALTY_ACCOUNTS,
    StoreLoyaltyAccountRepository,
    account_memberships,
    membership_key,
)
from crmcore.repository._marketing import (
    CAMPAIGN_MEMBERS,
    CAMPAIGNS,
    StoreCampaignMemberRepository,
    StoreCampaignRepository,
)
from crmcore.repository._marketing_ports import CampaignMemberRepository, CampaignRepository
from crmcore.repository._memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.repository._parties import (
    RELATIONSHIPS,
    StoreRelationshipRepository,
    relationship_parties,
)
from crmcore.repository._pipeline import (
    LEADS,
    OPPORTUNITIES,
    StoreLeadRepository,
    StoreOpportunityRepository,
)
from crmcore.repository._ports import (
    ActivityRepository,
    Aggregate,
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
    Repository,
    ReviewRepository,
    StaffRepository,
    SubscriptionRepository,
    SurveyRepository,
    TeamRepository,
    UnitOfWork,
)
from crmcore.repository._privacy import PRIVACY_REQUESTS, StorePrivacyRequestRepository
from crmcore.repository._quotes import QUOTES, StoreQuoteRepository
from crmcore.repository._quotes_ports import QuoteRepository
from crmcore.repository._rows import (
    MAX_VERSION,
    RowWrite,
    check_expected_versions,
    check_row_version,
    check_stored_versions,
    decode_document,
    decode_event_row,
    encode_document,
    encode_event,
    index_column,
    load_document,
    reference_column,
    referenced_elsewhere,
    row_columns,
    spec_signature,
    writes_by_spec,
)
from crmcore.repository._service import (
    CASES,
    INTERACTIONS,
    StoreCaseRepository,
    StoreInteractionRepository,
)
from crmcore.repository._specs import DEFAULT_SPECS
from crmcore.repository._storage import (
    Change,
    ChangeSet,
    ReferenceLookup,
    Snapshot,
    Store,
    verify_references,
)
from crmcore.repository._store import (
    AggregateSpec,
    EventHandler,
    StoreRepository,
    StoreUnitOfWork,
)
from crmcore.repository._teams import STAFF, TEAMS, StoreStaffRepository, StoreTeamRepository

__all__ = [
    "ACTIVITIES",
    "CAMPAIGNS",
    "CAMPAIGN_MEMBERS",
    "CASES",
    "CUSTOMERS",
    "DEFAULT_SPECS",
    "INTERACTIONS",
    "LEADS",
    "LOYALTY_ACCOUNTS",
    "MAX_VERSION",
    "NOTES",
    "OPPORTUNITIES",
    "ORDERS",
    "PRICE_BOOKS",
    "PRIVACY_REQUESTS",
    "PRODUCTS",
    "QUOTES",
    "RELATIONSHIPS",
    "REVIEWS",
    "STAFF",
    "SUBSCRIPTIONS",
    "SURVEYS",
    "TEAMS",
    "ActivityRepository",
    "Aggregate",
    "AggregateSpec",
    "AmbiguousKey",
    "CampaignMemberRepository",
    "CampaignRepository",
    "CaseRepository",
    "Change",
    "ChangeSet",
    "ConcurrencyConflict",
    "CustomerRepository",
    "DuplicateId",
    "DuplicateKey",
    "EventHandler",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InteractionRepository",
    "LeadRepository",
    "LoyaltyAccountRepository",
    "NotFound",
    "NoteRepository",
    "OpportunityRepository",
    "OrderRepository",
    "PriceBookRepository",
    "PrivacyRequestRepository",
    "ProductRepository",
    "QuoteRepository",
    "ReferenceLookup",
    "RelationshipRepository",
    "Repository",
    "RepositoryError",
    "ReviewRepository",
    "RowWrite",
    "Snapshot",
    "StaffRepository",
    "StorageError",
    "Store",
    "StoreActivityRepository",
    "StoreCampaignMemberRepository",
    "StoreCampaignRepository",
    "StoreCaseRepository",
    "StoreCustomerRepository",
    "StoreInteractionRepository",
    "StoreLeadRepository",
    "StoreLoyaltyAccountRepository",
    "StoreNoteRepository",
    "StoreOpportunityRepository",
    "StoreOrderRepository",
    "StorePriceBookRepository",
    "StorePrivacyRequestRepository",
    "StoreProductRepository",
    "StoreQuoteRepository",
    "StoreRelationshipRepository",
    "StoreRepository",
    "StoreReviewRepository",
    "StoreStaffRepository",
    "StoreSubscriptionRepository",
    "StoreSurveyRepository",
    "StoreTeamRepository",
    "StoreUnitOfWork",
    "SubscriptionRepository",
    "SurveyRepository",
    "TeamRepository",
    "Uniqueness",
    "UniquenessPolicy",
    "UnitOfWork",
    "UnitOfWorkError",
    "UnknownReference",
    "account_memberships",
    "check_expected_versions",
    "check_row_version",
    "check_stored_versions",
    "customer_emails",
    "customer_phones",
    "customer_spec",
    "decode_document",
    "decode_event_row",
    "encode_document",
    "encode_event",
    "index_column",
    "load_document",
    "membership_key",
    "reference_column",
    "referenced_elsewhere",
    "relationship_parties",
    "row_columns",
    "spec_signature",
    "uniqueness_of",
    "verify_references",
    "with_uniqueness",
    "writes_by_spec",
]

"""crmcore: an embeddable, pure-Python CRM domain library.

Model customers and the relationship with them: identity, contact points and
consent, every touchpoint, lifecycle, lifetime value and segments. crmcore
performs no I/O and never reads a clock: time and ids are passed in, and
persistence plugs in through repository interfaces.

The most used names are importable from here; each capability's full surface
lives in its subpackage (:mod:`crmcore.customers`, :mod:`crmcore.serialization`,
:mod:`crmcore.testing`, ...).
"""

from crmcore._kernel._events import DomainEvent, event_types
from crmcore._kernel._ids import Identifier, IdSource, SeededIdSource, SequentialIdSource, StaffId
from crmcore._kernel._money import Currency, Money, currency
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    Period,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
)
from crmcore.customers import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Customer,
    CustomerId,
    LegalBasis,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    Profile,
    Purpose,
)
from crmcore.errors import (
    ConcurrencyConflict,
    CrmcoreError,
    CurrencyMismatch,
    InvalidType,
    ValidationError,
)
from crmcore.feedback import NpsResponse, Review
from crmcore.interactions import Interaction, InteractionId, timeline
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    InvalidDefinition,
    LifecycleDefinition,
    TransitionNotAllowed,
)
from crmcore.loyalty import LoyaltyAccount, LoyaltyProgram
from crmcore.repository import InMemoryUnitOfWork, UnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Lead, Opportunity
from crmcore.service import BusinessCalendar, Case, CaseId, SlaPolicy, sla_status

__version__ = "0.1.0.dev0"

__all__ = [
    "CRM_STAGES",
    "RELATIONSHIP_LADDER",
    "STANDARD_PIPELINE",
    "BusinessCalendar",
    "Case",
    "CaseId",
    "Channel",
    "ConcurrencyConflict",
    "ConsentRecord",
    "ConsentStatus",
    "ContactPoint",
    "CrmcoreError",
    "Currency",
    "CurrencyMismatch",
    "Customer",
    "CustomerId",
    "DomainEvent",
    "IdSource",
    "Identifier",
    "InMemoryUnitOfWork",
    "Interaction",
    "InteractionId",
    "InvalidDefinition",
    "InvalidType",
    "Lead",
    "LegalBasis",
    "LifecycleDefinition",
    "LoyaltyAccount",
    "LoyaltyProgram",
    "Money",
    "NpsResponse",
    "Opportunity",
    "Order",
    "OrderId",
    "OrderLine",
    "OrganizationName",
    "PartyKind",
    "Period",
    "PersonName",
    "Plan",
    "PlanId",
    "PostalAddress",
    "ProductId",
    "Profile",
    "Purpose",
    "Review",
    "SeededIdSource",
    "SequentialIdSource",
    "SlaPolicy",
    "StaffId",
    "Subscription",
    "SubscriptionId",
    "TransitionNotAllowed",
    "UnitOfWork",
    "ValidationError",
    "__version__",
    "currency",
    "event_types",
    "sla_status",
    "timeline",
]

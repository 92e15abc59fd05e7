"""Customers: the party (a person or an organization), contact points, consent and the Customer aggregate."""

from crmcore._kernel._checks import normalize_tag
from crmcore._kernel._frozen import FrozenMap
from crmcore._kernel._ids import CustomerId
from crmcore.customers._consent import (
    ConsentDecision,
    ConsentRecord,
    ConsentStatus,
    LegalBasis,
    Purpose,
    decide_consent,
)
from crmcore.customers._contact import Channel, ContactPoint, normalize_email, normalize_phone
from crmcore.customers._customer import Customer, PartyKind
from crmcore.customers._events import (
    CustomerAddressAdded,
    CustomerAddressRemoved,
    CustomerAttributeRemoved,
    CustomerAttributeSet,
    CustomerBirthDateChanged,
    CustomerConsentGiven,
    CustomerConsentWithdrawn,
    CustomerContactPointAdded,
    CustomerContactPointRemoved,
    CustomerContactPointVerified,
    CustomerEvent,
    CustomerLanguageChanged,
    CustomerPrimaryContactPointChanged,
    CustomerRegistered,
    CustomerRenamed,
    CustomerTagAdded,
    CustomerTagRemoved,
)
from crmcore.customers._lifecycle import (
    START_TRIGGER,
    CustomerStageChanged,
    LifecycleState,
    StageChange,
)
from crmcore.customers._party import (
    COUNTRY_CODES,
    AttributeValue,
    OrganizationName,
    PersonName,
    PostalAddress,
    Profile,
)

__all__ = [
    "COUNTRY_CODES",
    "START_TRIGGER",
    "AttributeValue",
    "Channel",
    "ConsentDecision",
    "ConsentRecord",
    "ConsentStatus",
    "ContactPoint",
    "Customer",
    "CustomerAddressAdded",
    "CustomerAddressRemoved",
    "CustomerAttributeRemoved",
    "CustomerAttributeSet",
    "CustomerBirthDateChanged",
    "CustomerConsentGiven",
    "CustomerConsentWithdrawn",
    "CustomerContactPointAdded",
    "CustomerContactPointRemoved",
    "CustomerContactPointVerified",
    "CustomerEvent",
    "CustomerId",
    "CustomerLanguageChanged",
    "CustomerPrimaryContactPointChanged",
    "CustomerRegistered",
    "CustomerRenamed",
    "CustomerStageChanged",
    "CustomerTagAdded",
    "CustomerTagRemoved",
    "FrozenMap",
    "LegalBasis",
    "LifecycleState",
    "OrganizationName",
    "PartyKind",
    "PersonName",
    "PostalAddress",
    "Profile",
    "Purpose",
    "StageChange",
    "decide_consent",
    "normalize_email",
    "normalize_phone",
    "normalize_tag",
]

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
    AddressAdded,
    AddressRemoved,
    AttributeRemoved,
    AttributeSet,
    BirthDateChanged,
    ConsentGiven,
    ConsentWithdrawn,
    ContactPointAdded,
    ContactPointRemoved,
    ContactPointVerified,
    CustomerEvent,
    CustomerRegistered,
    NameChanged,
    PreferredLanguageChanged,
    PrimaryContactPointChanged,
    TagAdded,
    TagRemoved,
)
from crmcore.customers._lifecycle import LifecycleStageChanged, LifecycleState, StageChange
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
    "AddressAdded",
    "AddressRemoved",
    "AttributeRemoved",
    "AttributeSet",
    "AttributeValue",
    "BirthDateChanged",
    "Channel",
    "ConsentDecision",
    "ConsentGiven",
    "ConsentRecord",
    "ConsentStatus",
    "ConsentWithdrawn",
    "ContactPoint",
    "ContactPointAdded",
    "ContactPointRemoved",
    "ContactPointVerified",
    "Customer",
    "CustomerEvent",
    "CustomerId",
    "CustomerRegistered",
    "FrozenMap",
    "LegalBasis",
    "LifecycleStageChanged",
    "LifecycleState",
    "NameChanged",
    "OrganizationName",
    "PartyKind",
    "PersonName",
    "PostalAddress",
    "PreferredLanguageChanged",
    "PrimaryContactPointChanged",
    "Profile",
    "Purpose",
    "StageChange",
    "TagAdded",
    "TagRemoved",
    "decide_consent",
    "normalize_email",
    "normalize_phone",
    "normalize_tag",
]

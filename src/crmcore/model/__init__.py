"""Value objects and aggregates: money, identifiers, contact points, consent, customers, events.

Everything here is immutable and validated on construction. Errors name the
field path and the rule, and never repeat personal data.
"""

from crmcore.model._consent import (
    ConsentDecision,
    ConsentRecord,
    ConsentStatus,
    LegalBasis,
    Purpose,
    decide_consent,
)
from crmcore.model._contact import Channel, ContactPoint, normalize_email, normalize_phone
from crmcore.model._customer import Customer, PartyKind, normalize_tag
from crmcore.model._events import (
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
    DomainEvent,
    NameChanged,
    PreferredLanguageChanged,
    PrimaryContactPointChanged,
    TagAdded,
    TagRemoved,
    event_types,
)
from crmcore.model._frozen import FrozenMap
from crmcore.model._ids import (
    CustomerId,
    Identifier,
    IdSource,
    SeededIdSource,
    SequentialIdSource,
)
from crmcore.model._lifecycle import LifecycleStageChanged, LifecycleState, StageChange
from crmcore.model._money import Currency, Money, currency
from crmcore.model._party import (
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
    "Currency",
    "Customer",
    "CustomerEvent",
    "CustomerId",
    "CustomerRegistered",
    "DomainEvent",
    "FrozenMap",
    "IdSource",
    "Identifier",
    "LegalBasis",
    "LifecycleStageChanged",
    "LifecycleState",
    "Money",
    "NameChanged",
    "OrganizationName",
    "PartyKind",
    "PersonName",
    "PostalAddress",
    "PreferredLanguageChanged",
    "PrimaryContactPointChanged",
    "Profile",
    "Purpose",
    "SeededIdSource",
    "SequentialIdSource",
    "StageChange",
    "TagAdded",
    "TagRemoved",
    "currency",
    "decide_consent",
    "event_types",
    "normalize_email",
    "normalize_phone",
    "normalize_tag",
]

"""crmcore: an embeddable, pure-Python CRM domain library.

Model customers and the relationship with them: identity, contact points and
consent, every touchpoint, lifecycle, lifetime value and segments. crmcore
performs no I/O and never reads a clock: time and ids are passed in, and
persistence plugs in through repository interfaces.

The most used names are importable from here; each capability's full surface
lives in its subpackage (:mod:`crmcore.model`, :mod:`crmcore.serialization`,
:mod:`crmcore.testing`, ...).
"""

from crmcore.errors import (
    ConcurrencyConflict,
    CrmcoreError,
    CurrencyMismatch,
    InvalidType,
    ValidationError,
)
from crmcore.model import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    Currency,
    Customer,
    CustomerId,
    DomainEvent,
    LegalBasis,
    Money,
    OrganizationName,
    PartyKind,
    PersonName,
    PostalAddress,
    Profile,
    Purpose,
    SeededIdSource,
    SequentialIdSource,
    currency,
)

__version__ = "0.1.0.dev0"

__all__ = [
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
    "InvalidType",
    "LegalBasis",
    "Money",
    "OrganizationName",
    "PartyKind",
    "PersonName",
    "PostalAddress",
    "Profile",
    "Purpose",
    "SeededIdSource",
    "SequentialIdSource",
    "ValidationError",
    "__version__",
    "currency",
]

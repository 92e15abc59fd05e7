"""crmcore: an embeddable, pure-Python CRM domain library.

Model customers and the relationship with them: identity, contact points and
consent, every touchpoint, orders and subscriptions, service cases, feedback,
loyalty, the sales pipeline, lifecycles, lifetime value and segments. crmcore
performs no I/O and never reads a clock: time and ids are passed in, and
persistence plugs in through repository interfaces.

The names most programs need are importable from here; each capability's full
surface lives in its subpackage:

=====================================  =============================================
operational CRM                        analytical CRM
=====================================  =============================================
:mod:`crmcore.customers`               :mod:`crmcore.lifecycle`
:mod:`crmcore.interactions`            :mod:`crmcore.clv`
:mod:`crmcore.commerce`                :mod:`crmcore.segmentation`
:mod:`crmcore.service`                 :mod:`crmcore.analytics`
:mod:`crmcore.feedback`
:mod:`crmcore.loyalty`
:mod:`crmcore.sales`
=====================================  =============================================

plus :mod:`crmcore.events` (the event envelope), :mod:`crmcore.repository`,
:mod:`crmcore.serialization`, :mod:`crmcore.errors` and :mod:`crmcore.testing`.
Subpackages load on first use, so ``import crmcore`` costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

__version__ = "0.1.0.dev0"

#: Where each name exported here is defined; loaded on first access (PEP 562).
_LAZY: Final[dict[str, str]] = {
    # errors
    "ConcurrencyConflict": "crmcore.errors",
    "CrmcoreError": "crmcore.errors",
    "CurrencyMismatch": "crmcore.errors",
    "InvalidType": "crmcore.errors",
    "NotFound": "crmcore.errors",
    "TransitionNotAllowed": "crmcore.errors",
    "ValidationError": "crmcore.errors",
    # the values every capability shares
    "Currency": "crmcore._kernel._money",
    "Money": "crmcore._kernel._money",
    "currency": "crmcore._kernel._money",
    "Identifier": "crmcore._kernel._ids",
    "IdSource": "crmcore._kernel._ids",
    "SeededIdSource": "crmcore._kernel._ids",
    "SequentialIdSource": "crmcore._kernel._ids",
    "CustomerId": "crmcore._kernel._ids",
    "StaffId": "crmcore._kernel._ids",
    "DomainEvent": "crmcore._kernel._events",
    "TimeUnit": "crmcore._kernel._time",
    # the aggregates
    "ContactPoint": "crmcore.customers",
    "Customer": "crmcore.customers",
    "OrganizationName": "crmcore.customers",
    "PersonName": "crmcore.customers",
    "Interaction": "crmcore.interactions",
    "timeline": "crmcore.interactions",
    "Order": "crmcore.commerce",
    "Subscription": "crmcore.commerce",
    "Case": "crmcore.service",
    "Review": "crmcore.feedback",
    "LoyaltyAccount": "crmcore.loyalty",
    "Lead": "crmcore.sales",
    "Opportunity": "crmcore.sales",
    # lifecycles and persistence
    "LifecycleDefinition": "crmcore.lifecycle",
    "RELATIONSHIP_LADDER": "crmcore.lifecycle",
    "InMemoryUnitOfWork": "crmcore.repository",
    "UnitOfWork": "crmcore.repository",
}

__all__ = [
    "RELATIONSHIP_LADDER",
    "Case",
    "ConcurrencyConflict",
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
    "InvalidType",
    "Lead",
    "LifecycleDefinition",
    "LoyaltyAccount",
    "Money",
    "NotFound",
    "Opportunity",
    "Order",
    "OrganizationName",
    "PersonName",
    "Review",
    "SeededIdSource",
    "SequentialIdSource",
    "StaffId",
    "Subscription",
    "TimeUnit",
    "TransitionNotAllowed",
    "UnitOfWork",
    "ValidationError",
    "__version__",
    "currency",
    "timeline",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'crmcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # pragma: no cover - what type checkers and IDEs see.
    from crmcore._kernel._events import DomainEvent
    from crmcore._kernel._ids import (
        CustomerId,
        Identifier,
        IdSource,
        SeededIdSource,
        SequentialIdSource,
        StaffId,
    )
    from crmcore._kernel._money import Currency, Money, currency
    from crmcore._kernel._time import TimeUnit
    from crmcore.commerce import Order, Subscription
    from crmcore.customers import ContactPoint, Customer, OrganizationName, PersonName
    from crmcore.errors import (
        ConcurrencyConflict,
        CrmcoreError,
        CurrencyMismatch,
        InvalidType,
        NotFound,
        TransitionNotAllowed,
        ValidationError,
    )
    from crmcore.feedback import Review
    from crmcore.interactions import Interaction, timeline
    from crmcore.lifecycle import RELATIONSHIP_LADDER, LifecycleDefinition
    from crmcore.loyalty import LoyaltyAccount
    from crmcore.repository import InMemoryUnitOfWork, UnitOfWork
    from crmcore.sales import Lead, Opportunity
    from crmcore.service import Case

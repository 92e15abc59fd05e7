"""Record-level access control: principals, access policies, decisions and a guarded unit of work.

A :class:`Principal` is the member of staff acting (roles, teams,
territories, business unit). An :class:`AccessPolicy` says which roles may
take which :class:`AccessAction` on which kinds of record at which :class:`Scope`,
which personal fields each role sees masked, and how roles, teams, business
units and territories relate. :func:`decide` answers one question purely;
:func:`require` raises :class:`AccessDenied` for services (exports, merges,
erasures) to call; :class:`GuardedUnitOfWork` enforces the policy on every
read and write of a wrapped unit of work and reports to an :class:`AuditSink`.

.. versionadded:: 0.1
"""

from crmcore.access._decisions import (
    PARENTAL_KINDS,
    AccessDecision,
    customer_id_of,
    decide,
    require,
    territory_of,
)
from crmcore.access._errors import AccessDenied, UnknownRole
from crmcore.access._guard import AuditSink
from crmcore.access._guarded import GuardedUnitOfWork
from crmcore.access._policy import (
    ANY_KIND,
    MAX_BUSINESS_UNITS,
    MAX_GRANTS,
    MAX_MASKS,
    MAX_ROLES,
    MAX_SHARING_RULES,
    MAX_TEAM_UNITS,
    RECORD_CLASSES,
    AccessAction,
    AccessPolicy,
    FieldMask,
    Grant,
    Scope,
    SharingRule,
)
from crmcore.access._principal import MAX_PRINCIPAL_ITEMS, Principal

__all__ = [
    "ANY_KIND",
    "MAX_BUSINESS_UNITS",
    "MAX_GRANTS",
    "MAX_MASKS",
    "MAX_PRINCIPAL_ITEMS",
    "MAX_ROLES",
    "MAX_SHARING_RULES",
    "MAX_TEAM_UNITS",
    "PARENTAL_KINDS",
    "RECORD_CLASSES",
    "AccessAction",
    "AccessDecision",
    "AccessDenied",
    "AccessPolicy",
    "AuditSink",
    "FieldMask",
    "Grant",
    "GuardedUnitOfWork",
    "Principal",
    "Scope",
    "SharingRule",
    "UnknownRole",
    "customer_id_of",
    "decide",
    "require",
    "territory_of",
]

"""Parties: duplicate detection over party records, and relationships between parties.

Match rules (:class:`MatchRule`, grouped in a :class:`MatchRuleSet`) say which
fields to compare (email and phone exactly, names and postal addresses
fuzzily), how much each counts and when a pair is a candidate; they are plain
data that :mod:`crmcore.serialization` stores. :func:`find_duplicates` searches
many parties with blocking keys that keep the work linear, :func:`find_matches`
looks for one party (a lead) among many, and :func:`match_pair` compares two.
Every :class:`Candidate` carries a score and an explanation that names rules,
fields and similarities, never the values compared.

Names are compared with Jaro-Winkler (Winkler 1990) on tokens aligned
regardless of order, after folding case and accents, removing Indonesian and
international honorifics and degrees, and rewriting old Indonesian spellings
(see :func:`normalize_name` and ``docs/duplicates.md``).

Relationships between parties (see ``docs/accounts.md``): a
:class:`Relationship` says that a person is a contact of an account (with
roles, a job title and a department), a member of a household, a partner or
reseller, referred by another customer, or that an organization is the
parent of another; each holds from ``valid_from`` (inclusive) until
``valid_until`` (exclusive). :class:`RelationshipGraph` answers questions at a
point in time (contacts, accounts, households, ancestors, descendants, the
hierarchy tree); :func:`check_relationships` and
:meth:`RelationshipGraph.admit` refuse overlapping validity, second primaries,
second parents and hierarchy cycles. :class:`InvolvedContact` names a contact
and their role in an opportunity or a case.

>>> from crmcore.customers import ContactPoint, CustomerId, PersonName
>>> a = PartyRecord.from_parts(
...     CustomerId("c-1"),
...     name=PersonName("Siti", family="Rahayu"),
...     contact_points=[ContactPoint("whatsapp", "+62 812 1111 2222")],
... )
>>> b = PartyRecord.from_parts(
...     CustomerId("c-2"),
...     name=PersonName("Ibu Rahayu", family="Siti"),
...     contact_points=[ContactPoint("phone", "+6281211112222")],
... )
>>> report = find_duplicates([a, b])
>>> [(c.left, c.right, c.rule) for c in report.candidates]
[(CustomerId('c-1'), CustomerId('c-2'), 'phone_and_name')]
>>> print(report.candidates[0].explain())
phone_and_name 1.00: phone: exact; name: 1.00 (jaro-winkler, reordered, titles)
"""

from crmcore._kernel._involved import (
    MAX_INVOLVED_CONTACTS,
    InvolvedContact,
    check_involved_contacts,
)
from crmcore.parties._conflicts import RelationshipConflict, check_relationships
from crmcore.parties._graph import HierarchyNode, PartyLink, RelationshipGraph, RelationshipView
from crmcore.parties._matching import (
    ProgressCallback,
    find_duplicates,
    find_matches,
    match_pair,
)
from crmcore.parties._names import (
    LEGAL_FORMS,
    OLD_SPELLINGS,
    PREFIX_TITLES,
    SUFFIX_TITLES,
    name_similarity,
    normalize_name,
)
from crmcore.parties._records import PartyKey, PartyRecord
from crmcore.parties._relationships import (
    ContactRole,
    HouseholdRole,
    Relationship,
    RelationshipAnonymised,
    RelationshipCustomerRepointed,
    RelationshipDetailsChanged,
    RelationshipEnded,
    RelationshipEstablished,
    RelationshipEvent,
    RelationshipId,
    RelationshipKind,
    RelationshipPrimaryChanged,
    RelationshipRolesChanged,
    normalize_roles,
)
from crmcore.parties._results import Candidate, DuplicateReport, FieldSimilarity, RuleMatch
from crmcore.parties._rules import (
    DEFAULT_RULES,
    FieldWeight,
    MatchField,
    MatchRule,
    MatchRuleSet,
)
from crmcore.parties._similarity import jaro_winkler

__all__ = [
    "DEFAULT_RULES",
    "LEGAL_FORMS",
    "MAX_INVOLVED_CONTACTS",
    "OLD_SPELLINGS",
    "PREFIX_TITLES",
    "SUFFIX_TITLES",
    "Candidate",
    "ContactRole",
    "DuplicateReport",
    "FieldSimilarity",
    "FieldWeight",
    "HierarchyNode",
    "HouseholdRole",
    "InvolvedContact",
    "MatchField",
    "MatchRule",
    "MatchRuleSet",
    "PartyKey",
    "PartyLink",
    "PartyRecord",
    "ProgressCallback",
    "Relationship",
    "RelationshipAnonymised",
    "RelationshipConflict",
    "RelationshipCustomerRepointed",
    "RelationshipDetailsChanged",
    "RelationshipEnded",
    "RelationshipEstablished",
    "RelationshipEvent",
    "RelationshipGraph",
    "RelationshipId",
    "RelationshipKind",
    "RelationshipPrimaryChanged",
    "RelationshipRolesChanged",
    "RelationshipView",
    "RuleMatch",
    "check_involved_contacts",
    "check_relationships",
    "find_duplicates",
    "find_matches",
    "jaro_winkler",
    "match_pair",
    "name_similarity",
    "normalize_name",
    "normalize_roles",
]

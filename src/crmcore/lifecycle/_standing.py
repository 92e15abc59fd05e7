"""The relationship facts of the ladder, read from relationships and loyalty accounts.

:func:`ladder_facts` fills the three relationship facts of
:class:`~crmcore.lifecycle.Facts` as they stand at one instant:

* ``partner_agreement``: the customer is the party of a ``partner`` or
  ``reseller`` relationship in force (of the business, or of an account it
  serves); the *partner* rung is left when the last one ends;
* ``loyalty_member``: the customer has a loyalty account whose membership
  is in force at that instant (enrolled at or before it and not closed at or
  before it, :meth:`~crmcore.loyalty.LoyaltyAccount.is_active_at`); the
  *member* rung is left when the last membership is closed;
* ``referrals``: the distinct customers with a ``referred_by`` relationship
  in force naming this customer as the referrer, made (``valid_from``) within
  the policy's ``referral_window``; the *advocate* rung is left when fewer
  than ``advocate_referrals`` count.

>>> from datetime import datetime, timezone
>>> from crmcore.customers import CustomerId
>>> from crmcore.parties import Relationship, RelationshipGraph, RelationshipId
>>> t0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
>>> ana, budi = CustomerId("ana"), CustomerId("budi")
>>> deal = Relationship.establish(RelationshipId("r-1"), kind="partner", party_id=ana, at=t0)
>>> tip = Relationship.establish(
...     RelationshipId("r-2"), kind="referred_by", party_id=budi, related_id=ana, at=t0
... )
>>> graph = RelationshipGraph([deal.end(at=t0.replace(month=6)), tip])
>>> facts = ladder_facts(ana, at=t0.replace(month=3), relationships=graph)
>>> facts.partner_agreement, facts.referrals, facts.loyalty_member
(True, 1, False)
>>> ladder_facts(ana, at=t0.replace(month=7), relationships=graph).partner_agreement
False
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs

from crmcore._kernel._checks import instance_of, require_aware, tuple_of, type_name
from crmcore._kernel._ids import CustomerId
from crmcore.errors import InvalidType
from crmcore.lifecycle._progression import (
    DEFAULT_POLICY,
    Facts,
    ProgressionPolicy,
    window_end,
)
from crmcore.loyalty import LoyaltyAccount
from crmcore.parties import Relationship, RelationshipGraph, RelationshipKind

_PARTNER_KINDS: Final = frozenset({RelationshipKind.PARTNER, RelationshipKind.RESELLER})


def ladder_facts(
    customer_id: CustomerId,
    *,
    at: datetime,
    purchases: Facts | None = None,
    relationships: RelationshipGraph | Iterable[Relationship] = (),
    loyalty_accounts: Iterable[LoyaltyAccount] = (),
    policy: ProgressionPolicy = DEFAULT_POLICY,
) -> Facts:
    """The facts progression reads for a customer at ``at``, relationships included.

    Takes the purchase facts (``purchase_count``, the purchase times,
    ``total_spend``, ``qualified``) from ``purchases`` and replaces the three
    relationship facts by what ``relationships`` and ``loyalty_accounts`` say
    at ``at`` (see the module documentation). Evaluate progression at the
    same ``at``. For many customers, pass one :class:`~crmcore.parties.RelationshipGraph`
    (it indexes relationships by party, so each call reads only this
    customer's) and each customer's own accounts (accounts of other
    customers are ignored).

    Raises:
        InvalidType: an argument of the wrong type (``$.customer_id``,
            ``$.purchases``, ``$.relationships[i]``, ``$.loyalty_accounts[i]``,
            ``$.policy``).
        ValidationError: ``at`` is naive, or a referral window would end
            past the calendar (code ``range``).
    """
    if type(customer_id) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
        )
    when = require_aware(at, "$.at")
    base = Facts() if purchases is None else instance_of(Facts, "Facts")(purchases, "$.purchases")
    rules = instance_of(ProgressionPolicy, "a ProgressionPolicy")(policy, "$.policy")
    graph = (
        relationships
        if isinstance(relationships, RelationshipGraph)
        else RelationshipGraph(relationships)
    )
    accounts = tuple_of(
        loyalty_accounts,
        "$.loyalty_accounts",
        instance_of(LoyaltyAccount, "a LoyaltyAccount"),
    )
    partner = False
    referred: set[CustomerId] = set()
    window = rules.referral_window
    for rel in graph.of_party(customer_id):
        if not rel.in_force_at(when):
            continue
        if rel.kind in _PARTNER_KINDS and rel.party_id == customer_id:
            partner = True
        elif rel.kind is RelationshipKind.REFERRED_BY and rel.related_id == customer_id:
            path = "$.relationships.valid_from"
            if window is None or when < window_end(rel.valid_from, window, path):
                referred.add(rel.party_id)
    member = any(a.customer_id == customer_id and a.is_active_at(when) for a in accounts)
    return attrs.evolve(
        base, partner_agreement=partner, loyalty_member=member, referrals=len(referred)
    )

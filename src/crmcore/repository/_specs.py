"""The aggregate types every store keeps unless told otherwise."""

from __future__ import annotations

from typing import Any, Final

from crmcore.repository._activities import ACTIVITIES, NOTES
from crmcore.repository._catalog import PRICE_BOOKS, PRODUCTS
from crmcore.repository._commerce import ORDERS, SUBSCRIPTIONS
from crmcore.repository._customers import CUSTOMERS
from crmcore.repository._feedback import REVIEWS, SURVEYS
from crmcore.repository._loyalty import LOYALTY_ACCOUNTS
from crmcore.repository._marketing import CAMPAIGN_MEMBERS, CAMPAIGNS
from crmcore.repository._parties import RELATIONSHIPS
from crmcore.repository._pipeline import LEADS, OPPORTUNITIES
from crmcore.repository._privacy import PRIVACY_REQUESTS
from crmcore.repository._quotes import QUOTES
from crmcore.repository._service import CASES, INTERACTIONS
from crmcore.repository._store import AggregateSpec
from crmcore.repository._teams import STAFF, TEAMS

#: Every aggregate type a store keeps unless told otherwise, one spec each.
#: A capability that adds an aggregate appends its spec here and a property
#: of the same name to :class:`~crmcore.repository.UnitOfWork`.
DEFAULT_SPECS: Final[tuple[AggregateSpec[Any], ...]] = (
    CUSTOMERS,
    ORDERS,
    SUBSCRIPTIONS,
    INTERACTIONS,
    CASES,
    REVIEWS,
    SURVEYS,
    LOYALTY_ACCOUNTS,
    LEADS,
    OPPORTUNITIES,
    RELATIONSHIPS,
    STAFF,
    TEAMS,
    ACTIVITIES,
    NOTES,
    PRIVACY_REQUESTS,
    PRODUCTS,
    PRICE_BOOKS,
    QUOTES,
    CAMPAIGNS,
    CAMPAIGN_MEMBERS,
)

"""The facts of a lead that fit rules and predictive models read."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from crmcore._kernel._checks import require_aware, type_name
from crmcore.errors import InvalidType
from crmcore.sales import Lead

#: The keys :func:`lead_facts` gives, and what each holds.
LEAD_FACTS: Final = {
    "source": "text: the lead's source (web, referral, event, ...)",
    "status": "text: new, contacted, qualified, disqualified or converted",
    "campaign": "text or None: the campaign code the lead came from",
    "referred": "bool: a customer referred the lead",
    "has_owner": "bool: a staff member owns the lead",
    "bant_score": "number or None: the BANT criteria met (0 to 4)",
    "bant_budget": "bool or None",
    "bant_authority": "bool or None",
    "bant_need": "bool or None",
    "bant_timeline": "bool or None",
    "channels": "set: the channels of the lead's contact points (email, phone, ...)",
    "created_at": "datetime: when the lead was captured",
    "age_days": "number: whole days from capture to the scoring time",
}


def lead_facts(lead: Lead, *, at: datetime) -> dict[str, object]:
    """A lead's facts at ``at`` (no personal data: no name, address or interest).

    Merge your own facts (industry, company size, title) into the mapping:
    ``{**lead_facts(lead, at=at), "employees": 120}``. The keys are listed in
    :data:`LEAD_FACTS`.

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore.customers import ContactPoint, PersonName
    >>> from crmcore.sales import Lead, LeadId
    >>> t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    >>> lead = Lead.capture(
    ...     LeadId("l-1"),
    ...     name=PersonName("Ana"),
    ...     source="referral",
    ...     at=t0,
    ...     contact_points=[ContactPoint("email", "ana@example.com")],
    ... )
    >>> facts = lead_facts(lead, at=t0 + timedelta(days=3))
    >>> facts["source"], facts["status"], facts["age_days"], sorted(facts["channels"])
    ('referral', 'new', 3, ['email'])

    Raises:
        ValidationError: ``lead`` is not a :class:`~crmcore.sales.Lead` or ``at`` is naive.
    """
    if not isinstance(lead, Lead):
        raise InvalidType(f"must be a Lead, not {type_name(lead)}", path="$.lead")
    when = require_aware(at, "$.at")
    bant = lead.score
    return {
        "source": lead.source.value,
        "status": lead.status.value,
        "campaign": lead.campaign,
        "referred": lead.referred_by is not None,
        "has_owner": lead.owner is not None,
        "bant_score": None if bant is None else bant.score,
        "bant_budget": None if bant is None else bant.budget,
        "bant_authority": None if bant is None else bant.authority,
        "bant_need": None if bant is None else bant.need,
        "bant_timeline": None if bant is None else bant.timeline,
        "channels": frozenset(point.channel.value for point in lead.contact_points),
        "created_at": lead.created_at,
        "age_days": (when - lead.created_at).days,
    }

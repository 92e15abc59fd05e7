"""How the contract builds and changes the aggregates of sales."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from crmcore._kernel._money import Money
from crmcore.customers import (
    Channel,
    PersonName,
)
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, LeadStatus, Opportunity, OpportunityId
from crmcore.testing.contract._service import _AGENTS
from crmcore.testing.contract._support import _customer_id

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


def _make_lead(number: int, customer: int) -> Lead:
    lead = Lead.capture(
        LeadId(f"lead-{number:04d}"),
        name=PersonName(f"Lead {number}"),
        source=("web", "referral", "event")[number % 3],
        at=T0,
        owner=_AGENTS[number % 2] if number % 3 else None,
    )
    if number % 2:
        return lead.qualify(at=T0).convert(_customer_id(customer), at=T0).lead
    return lead


def _change_lead(lead: Lead) -> Lead:
    """Hand the lead to the other agent and move it one status on (a converted lead: only hand it)."""
    lead = lead.assign(_AGENTS[1] if lead.owner == _AGENTS[0] else _AGENTS[0], at=T0)
    moves = {
        LeadStatus.NEW: lambda: lead.contact(at=T0),
        LeadStatus.CONTACTED: lambda: lead.qualify(at=T0),
        LeadStatus.QUALIFIED: lambda: lead.disqualify(at=T0, reason="no budget"),
        LeadStatus.DISQUALIFIED: lambda: lead.recycle(at=T0),
    }
    move = moves.get(lead.status)
    return lead if move is None else move()


def _make_opportunity(number: int, customer: int) -> Opportunity:
    return Opportunity.open(
        OpportunityId(f"opp-{number:04d}"),
        customer_id=_customer_id(customer),
        name="Fleet renewal",
        amount=Money("1000.00", "USD"),
        expected_close=T0.date(),
        owner=_AGENTS[number % 2],
        pipeline=STANDARD_PIPELINE,
        at=T0,
        stage=STANDARD_PIPELINE.open_stages[number % 2].code,
    )


def _change_opportunity(deal: Opportunity) -> Opportunity:
    """Hand the deal to the other agent and move it on: next open stage, lost, reopened."""
    deal = deal.assign(_AGENTS[1] if deal.owner == _AGENTS[0] else _AGENTS[0], at=T0)
    if deal.is_lost:
        return deal.reopen(STANDARD_PIPELINE, at=T0)
    codes = [stage.code for stage in STANDARD_PIPELINE.open_stages]
    position = codes.index(deal.stage)
    if position + 1 < len(codes):
        return deal.move_to(codes[position + 1], STANDARD_PIPELINE, at=T0)
    return deal.lose(STANDARD_PIPELINE, at=T0, reason="went with a competitor")

"""Property tests for the sales pipeline: random stage moves and lead status changes.

Each command is either accepted, and then follows the rules, or refused with
a `ValidationError` and leaves the aggregate exactly as it was. A refused
status change or stage move is always `TransitionNotAllowed` (code ``transition``).
"""

import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crmcore import Money, StaffId, TransitionNotAllowed, ValidationError
from crmcore.customers import CustomerId, PersonName
from crmcore.sales import (
    LEAD_STATUSES,
    STANDARD_PIPELINE,
    Lead,
    LeadId,
    LeadStatus,
    Opportunity,
    OpportunityId,
    StageKind,
)
from crmcore.serialization import from_dict, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
P = STANDARD_PIPELINE
KINDS = {stage.code: stage.kind for stage in P.stages}

opportunity_steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=72),
        st.sampled_from([*KINDS, "contract_sent", "amount", "reopen"]),
        st.booleans(),
        st.integers(min_value=0, max_value=10**7),
    ),
    max_size=25,
)


def expected_move(deal, target, reason):
    """Whether the rules allow moving ``deal`` to ``target`` (None: a no-op).

    A refusal is the code expected: ``unknown_stage``, ``transition`` or ``reason_required``.
    """
    if target not in KINDS:
        return "unknown_stage"
    if target == deal.stage:
        return None
    if deal.is_won:
        return "transition"
    if deal.is_lost and KINDS[target] is not StageKind.OPEN:
        return "transition"
    if KINDS[target] is StageKind.LOST and not reason:
        return "reason_required"
    return True


def snapshot(aggregate):
    return (aggregate, aggregate.pending_events)


@given(opportunity_steps)
def test_stage_moves_follow_the_rules_and_refusals_change_nothing(script):
    """Unknown stages, moves out of won, lost without a reason are refused; the rest is recorded."""
    deal = Opportunity.open(
        OpportunityId("opp-1"),
        customer_id=CustomerId("c-1"),
        name="Deal",
        amount=Money(1_000, "IDR"),
        expected_close=date(2026, 6, 1),
        owner=StaffId("rep-1"),
        pipeline=P,
        at=T0,
    )
    at = T0
    for hours, action, with_reason, amount in script:
        at += timedelta(hours=hours)
        before = snapshot(deal)
        reason = "a reason" if with_reason else None
        refused = None
        try:
            if action == "amount":
                changed = deal.change_amount(Money(amount, "IDR"), at=at)
                allowed = not deal.is_won
            elif action == "reopen":
                changed = deal.reopen(P, at=at, reason=reason)
                allowed = deal.is_lost
            else:
                changed = deal.move_to(action, P, at=at, reason=reason)
                allowed = expected_move(deal, action, reason)
        except ValidationError as exc:
            refused = exc
        if refused is not None:
            assert before == snapshot(deal)
            assert action != "amount" or deal.is_won
            if action == "reopen":
                assert not deal.is_lost
                assert isinstance(refused, TransitionNotAllowed)
            if action not in {"amount", "reopen"}:
                assert expected_move(deal, action, reason) == refused.code
                assert isinstance(refused, TransitionNotAllowed) == (refused.code == "transition")
            continue
        assert allowed in (True, None)
        if allowed is None:
            assert changed is deal
        assert changed.history[: len(deal.history)] == deal.history
        if deal.is_won:
            assert deal.amount == changed.amount
        deal = changed
        assert (deal.lost_reason is not None) == deal.is_lost
        assert deal.kind is KINDS[deal.stage]
        spent = deal.time_in_stages(at)
        assert at - deal.created_at == sum(spent.values(), timedelta(0))
    assert deal == from_dict(Opportunity, json.loads(json.dumps(to_dict(deal))))


lead_steps = st.lists(
    st.tuples(st.sampled_from(list(LeadStatus)), st.booleans()),
    max_size=20,
)


@given(lead_steps)
def test_lead_status_changes_follow_the_machine(script):
    """A change is accepted exactly when the machine allows it (and a disqualification has a reason)."""
    lead = Lead.capture(LeadId("lead-1"), name=PersonName("Ayu"), source="web", at=T0)
    for number, (status, with_reason) in enumerate(script):
        at = T0 + timedelta(hours=number)
        reason = "a reason" if with_reason else None
        before = snapshot(lead)
        in_machine = status in LEAD_STATUSES.allowed(lead.status)
        allowed = in_machine and not (status is LeadStatus.DISQUALIFIED and reason is None)
        refused = None
        try:
            if status is LeadStatus.CONVERTED:
                changed = lead.convert(CustomerId(f"c-{number}"), at=at).lead
            else:
                changed = lead.change_status(status, at=at, reason=reason)
        except ValidationError as exc:
            refused = exc
        if refused is not None:
            assert before == snapshot(lead)
            assert not allowed
            if in_machine:
                assert "reason_required" == refused.code
            else:
                assert isinstance(refused, TransitionNotAllowed)
                assert ("transition", lead.status.value) == (refused.code, refused.current)
            continue
        assert allowed or status is lead.status
        lead = changed
        assert status is lead.status
        assert (lead.customer_id is not None) == (lead.status is LeadStatus.CONVERTED)
        assert (lead.disqualification_reason is not None) == (
            lead.status is LeadStatus.DISQUALIFIED
        )
    assert lead == from_dict(Lead, json.loads(json.dumps(to_dict(lead))))

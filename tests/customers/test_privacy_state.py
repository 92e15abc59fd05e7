"""The customer's privacy state: restriction, objections, legal holds and the processing decision."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidType, ValidationError
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.customers import (
    MAX_LEGAL_HOLDS,
    Customer,
    CustomerId,
    LegalHold,
    Objection,
    ObjectionKind,
    PersonName,
    PrivacyState,
    ProcessingDecision,
    ProcessingPurpose,
    Restriction,
    decide_processing,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm
from crmcore.testing.strategies._customers import (
    legal_holds,
    objections,
    privacy_reason_codes,
    privacy_states,
    processing_decisions,
    restrictions,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)


def ana() -> Customer:
    return Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0)


def expected(state: PrivacyState, purpose: ProcessingPurpose, at: datetime) -> str:
    """The reason code the rules in the issue give, written out independently."""
    if state.erased_at is not None and state.erased_at <= at:
        return "erased"
    if state.restriction is not None and state.restriction.since <= at:
        return "processing_restricted"
    live = {o.kind for o in state.objections if o.since <= at}
    if ObjectionKind.PROFILING in live and purpose is ProcessingPurpose.PROFILING:
        return "objected_to_profiling"
    if ObjectionKind.DIRECT_MARKETING in live and purpose is ProcessingPurpose.MARKETING:
        return "objected_to_direct_marketing"
    return "allowed"


# -- the decision -----------------------------------------------------------------------------


@given(privacy_states(), st.sampled_from(ProcessingPurpose), crm.aware_datetimes())
def test_the_decision_follows_the_rules_and_their_precedence(state, purpose, at):
    decision = decide_processing(state, purpose, at=at)
    reason = expected(state, purpose, at)
    assert decision.reason == reason
    assert bool(decision) is decision.allowed is (reason == "allowed")
    assert decision.purpose is purpose


@given(privacy_states())
def test_privacy_states_round_trip(state):
    assert from_dict(PrivacyState, to_dict(state)) == state


def test_an_empty_state_allows_every_purpose():
    customer = ana()
    for purpose in ProcessingPurpose:
        decision = customer.processing_decision(purpose, at=T0)
        assert decision == ProcessingDecision(allowed=True, purpose=purpose, reason="allowed")
        assert decision


def test_each_objection_denies_its_purposes_only():
    profiling = ana().object_to("profiling", at=T0)
    assert [profiling.processing_decision(p, at=T0).reason for p in ProcessingPurpose] == [
        "allowed",
        "objected_to_profiling",
        "allowed",
    ]
    marketing = ana().object_to(ObjectionKind.DIRECT_MARKETING, at=T0)
    assert [marketing.processing_decision(p, at=T0).reason for p in ProcessingPurpose] == [
        "objected_to_direct_marketing",
        "allowed",
        "allowed",
    ]


def test_restriction_denies_everything_and_beats_objections():
    customer = ana().object_to("profiling", at=T0).restrict_processing(at=T1, reason="legal_claims")
    for purpose in ProcessingPurpose:
        assert customer.processing_decision(purpose, at=T1).reason == "processing_restricted"
    # Before the restriction began, only the objection counted.
    assert customer.processing_decision("profiling", at=T0).reason == "objected_to_profiling"
    assert customer.processing_decision("marketing", at=T0).reason == "allowed"


def test_erasure_beats_restriction():
    customer = ana().restrict_processing(at=T0, reason="legal_claims").anonymise(at=T1)
    assert customer.processing_decision("automation", at=T1).reason == "erased"
    assert customer.processing_decision("automation", at=T0).reason == "processing_restricted"


def test_the_decision_refuses_bad_input():
    with pytest.raises(ValidationError) as info:
        ana().processing_decision("spam", at=T0)
    assert info.value.path == "$.purpose"
    with pytest.raises(ValidationError) as info:
        ana().processing_decision("marketing", at=T0.replace(tzinfo=None))
    assert info.value.path == "$.at"
    with pytest.raises(InvalidType) as info:
        decide_processing("not a state", "marketing", at=T0)  # type: ignore[arg-type]
    assert info.value.path == "$.state"


def test_a_decision_is_consistent():
    with pytest.raises(ValidationError) as info:
        ProcessingDecision(allowed=True, purpose="marketing", reason="erased")
    assert info.value.code == "reason_mismatch"
    with pytest.raises(ValidationError) as info:
        ProcessingDecision(allowed=False, purpose="marketing", reason="because")
    assert info.value.code == "choice"


# -- the commands -----------------------------------------------------------------------------


def test_restriction_is_recorded_with_codes_only():
    request = PrivacyRequestId("dsr-1")
    customer = ana().restrict_processing(
        at=T1, reason="accuracy_contested", request_id=request, actor="dpo-1"
    )
    assert customer.privacy.restriction == Restriction(
        since=T1, reason="accuracy_contested", request_id=request
    )
    assert customer.privacy.is_restricted
    event = customer.pending_events[-1]
    assert (event.type, event.reason, event.request_id, event.actor) == (
        "CustomerProcessingRestricted",
        "accuracy_contested",
        request,
        "dpo-1",
    )
    # The same restriction again changes nothing; another reason replaces it.
    assert (
        customer.restrict_processing(at=T2, reason="accuracy_contested", request_id=request)
        is customer
    )
    replaced = customer.restrict_processing(at=T2, reason="legal_claims")
    assert replaced.privacy.restriction == Restriction(since=T2, reason="legal_claims")
    lifted = replaced.lift_restriction(at=T2)
    assert lifted.privacy.restriction is None
    assert lifted.pending_events[-1].type == "CustomerRestrictionLifted"
    assert lifted.lift_restriction(at=T2) is lifted


@pytest.mark.parametrize("reason", ["Accuracy contested", "", "a" * 65, "1st"])
def test_a_reason_is_a_snake_case_code(reason):
    with pytest.raises(ValidationError) as info:
        ana().restrict_processing(at=T0, reason=reason)
    assert (info.value.path, info.value.code) == ("$.reason", "name")
    with pytest.raises(ValidationError) as info:
        ana().place_legal_hold("hold", at=T0, reason=reason)
    assert info.value.path == "$.reason"


def test_a_request_id_must_be_typed():
    with pytest.raises(InvalidType) as info:
        ana().restrict_processing(at=T0, reason="legal_claims", request_id="dsr-1")  # type: ignore[arg-type]
    assert info.value.path == "$.request_id"


def test_objections_are_made_and_withdrawn():
    customer = ana().object_to("profiling", at=T1)
    assert customer.privacy.objections == (Objection(kind="profiling", since=T1),)
    assert customer.pending_events[-1].objection is ObjectionKind.PROFILING
    assert customer.object_to("profiling", at=T2) is customer
    withdrawn = customer.withdraw_objection("profiling", at=T2)
    assert withdrawn.privacy.objections == ()
    assert withdrawn.pending_events[-1].type == "CustomerObjectionWithdrawn"
    assert withdrawn.withdraw_objection("direct_marketing", at=T2) is withdrawn
    with pytest.raises(ValidationError) as info:
        ana().object_to("email", at=T0)
    assert info.value.path == "$.kind"


def test_legal_holds_are_placed_and_released():
    customer = ana().place_legal_hold("case_2026_17", at=T1, reason="litigation")
    assert customer.privacy.legal_hold("case_2026_17") == LegalHold(
        code="case_2026_17", reason="litigation", placed_at=T1
    )
    event = customer.pending_events[-1]
    assert (event.type, event.code, event.reason) == (
        "CustomerLegalHoldPlaced",
        "case_2026_17",
        "litigation",
    )
    assert customer.place_legal_hold("case_2026_17", at=T2, reason="litigation") is customer
    with pytest.raises(ValidationError) as info:
        customer.place_legal_hold("case_2026_17", at=T2, reason="tax_audit")
    assert (info.value.path, info.value.code) == ("$.code", "duplicate")
    released = customer.release_legal_hold("case_2026_17", at=T2)
    assert released.privacy.legal_holds == ()
    assert released.pending_events[-1].type == "CustomerLegalHoldReleased"
    with pytest.raises(ValidationError) as info:
        released.release_legal_hold("case_2026_17", at=T2)
    assert (info.value.path, info.value.code) == ("$.code", "not_found")


def test_legal_holds_are_bounded():
    customer = ana()
    for number in range(MAX_LEGAL_HOLDS):
        customer = customer.place_legal_hold(f"hold_{number}", at=T0, reason="litigation")
    with pytest.raises(ValidationError) as info:
        customer.place_legal_hold("one_more", at=T0, reason="litigation")
    assert info.value.code == "too_many"


def test_commands_keep_the_time_rule():
    customer = ana().object_to("profiling", at=T1)
    with pytest.raises(ValidationError) as info:
        customer.restrict_processing(at=T0, reason="legal_claims")
    assert info.value.code == "time_backwards"


# -- the state's own rules --------------------------------------------------------------------


def test_a_state_refuses_repeats_and_wrong_types():
    with pytest.raises(ValidationError) as info:
        PrivacyState(objections=[Objection(kind="profiling", since=T0)] * 2)
    assert (info.value.path, info.value.code) == ("$.objections[1].kind", "duplicate")
    hold = LegalHold(code="a", reason="litigation", placed_at=T0)
    with pytest.raises(ValidationError) as info:
        PrivacyState(legal_holds=[hold, hold])
    assert (info.value.path, info.value.code) == ("$.legal_holds[1].code", "duplicate")
    with pytest.raises(InvalidType) as info:
        PrivacyState(restriction="restricted")  # type: ignore[arg-type]
    assert info.value.path == "$.restriction"
    with pytest.raises(InvalidType) as info:
        Restriction(since=T0, reason="x", request_id="dsr-1")  # type: ignore[arg-type]
    assert info.value.path == "$.request_id"
    with pytest.raises(InvalidType) as info:
        Customer(
            id=CustomerId("c-1"), kind="person", profile=ana().profile, created_at=T0, privacy=None
        )  # type: ignore[arg-type]
    assert info.value.path == "$.privacy"


def test_a_state_time_after_the_last_change_is_refused():
    document = to_dict(ana().without_pending_events())
    document["privacy"]["objections"] = [{"kind": "profiling", "since": T2.isoformat()}]
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, document)
    assert "$.updated_at" in {p.path for p in info.value.problems} | {info.value.path}


# -- generated customers ----------------------------------------------------------------------


@given(crm.customers(with_legal_holds=True, pending_events=False))
def test_generated_customers_round_trip_with_their_privacy_state(customer):
    assert from_dict(Customer, to_dict(customer)) == customer
    for purpose in ProcessingPurpose:
        decision = customer.processing_decision(purpose, at=customer.updated_at)
        assert decision.reason == expected(customer.privacy, purpose, customer.updated_at)


@given(crm.customers(with_privacy=False))
def test_customers_without_privacy_commands_have_an_empty_state(customer):
    assert customer.privacy == PrivacyState()


def test_documents_without_a_privacy_state_still_load():
    customer = ana().object_to("profiling", at=T1).without_pending_events()
    document = to_dict(customer)
    del document["privacy"]
    loaded = from_dict(Customer, document)
    assert loaded.privacy == PrivacyState()


@given(privacy_reason_codes())
def test_generated_reason_codes_are_codes(code):
    assert ana().restrict_processing(at=T0, reason=code).privacy.restriction.reason == code


def test_privacy_states_refuses_a_wrong_argument():
    with pytest.raises(InvalidType):
        privacy_states(erased="yes")  # type: ignore[arg-type]


@given(privacy_states(erased=True), privacy_states(erased=False))
def test_privacy_states_draws_erased_states_on_demand(erased, kept):
    assert erased.is_erased
    assert not kept.is_erased


@given(
    st.one_of(restrictions(), objections(), legal_holds(), processing_decisions(), privacy_states())
)
def test_the_parts_of_a_state_round_trip(value):
    assert from_dict(type(value), to_dict(value)) == value


@given(processing_decisions())
def test_generated_decisions_are_consistent(decision):
    assert bool(decision) is (decision.reason == "allowed")

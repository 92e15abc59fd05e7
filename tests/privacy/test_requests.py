"""Tests for `crmcore.privacy._requests`: the data-subject request aggregate."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore.errors import InvalidType, TransitionNotAllowed, ValidationError
from crmcore.privacy import (
    GDPR,
    PRIVACY_REQUEST_STATUSES,
    UU_PDP,
    DataSubjectRequest,
    ExtensionRule,
    Jurisdiction,
    PrivacyRequestCustomerRepointed,
    PrivacyRequestFulfilled,
    RequestKind,
    RequestStatus,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._privacy import data_subject_requests, jurisdictions

_T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_EVENT_VALUE_TYPES = (str, bool, int, datetime, tuple, type(None))


def _received(law: Jurisdiction | str = "gdpr", kind: str = "access") -> DataSubjectRequest:
    return DataSubjectRequest.receive(
        PrivacyRequestId("dsr-1"),
        customer_id=CustomerId("c-1"),
        kind=kind,
        jurisdiction=law,
        channel="email",
        at=_T0,
    )


@given(data_subject_requests())
def test_status_history_follows_the_machine(request: DataSubjectRequest) -> None:
    """Every step of the history is one the status machine allows."""
    statuses = [change.status for change in request.history]
    assert statuses[0] is RequestStatus.RECEIVED
    for before, after in itertools.pairwise(statuses):
        assert after in PRIVACY_REQUEST_STATUSES.allowed(before)


@given(data_subject_requests())
def test_extensions_never_exceed_the_rule(request: DataSubjectRequest) -> None:
    """No request holds more extensions than its jurisdiction allows, nor a deadline beyond them."""
    assert len(request.extensions) <= request.jurisdiction.max_extensions
    last = request.jurisdiction.due_at(
        request.kind, request.received_at, extensions=request.jurisdiction.max_extensions
    )
    assert request.due_at <= last


@given(data_subject_requests())
def test_events_carry_ids_and_codes_only(request: DataSubjectRequest) -> None:
    """Every event field is an id, a code, a flag or a time; text fields are snake_case codes or ids."""
    for event in request.pending_events:
        for field in attrs.fields(type(event)):
            value = getattr(event, field.name)
            if field.name in {"event_id", "aggregate_kind", "aggregate_id"}:
                continue
            assert isinstance(value, _EVENT_VALUE_TYPES) or hasattr(value, "value"), field.name
            if type(value) is str and field.name not in {"actor", "correlation_id", "causation_id"}:
                assert value.replace("_", "").isalnum(), field.name
                assert value.islower(), field.name


@given(data_subject_requests(pending_events=False))
def test_round_trip_through_serialization(request: DataSubjectRequest) -> None:
    """A request survives to_dict/from_dict unchanged, and so do its events."""
    assert from_dict(DataSubjectRequest, to_dict(request)) == request


@given(data_subject_requests())
def test_events_round_trip(request: DataSubjectRequest) -> None:
    """Each recorded event survives to_dict/from_dict."""
    for event in request.pending_events:
        assert from_dict(type(event), to_dict(event)) == event


@given(data_subject_requests(), st.integers(min_value=-(10**6), max_value=10**8))
def test_overdue_matches_the_deadline(request: DataSubjectRequest, seconds: int) -> None:
    """is_overdue and time_left agree with due_at for open requests."""
    at = request.updated_at + timedelta(seconds=seconds)
    assert request.time_left(at) == request.due_at - at
    if request.is_open:
        assert request.is_overdue(at) == (at > request.due_at)
    elif request.closed_at is not None and request.closed_at <= at:
        assert request.is_overdue(at) == (request.closed_at > request.due_at)


@given(data_subject_requests())
def test_commands_dated_before_the_last_change_are_refused(request: DataSubjectRequest) -> None:
    """The kernel's time rule holds for every command."""
    before = request.updated_at - timedelta(seconds=1)
    with pytest.raises(ValidationError) as caught:
        request.refuse(at=before, reason="excessive")
    assert caught.value.code in {"time_backwards", "transition"} or isinstance(
        caught.value, TransitionNotAllowed
    )


def test_gdpr_access_request_lifecycle() -> None:
    """Received, verified, extended within the first month, fulfilled; events in order."""
    request = _received().verify_identity(at=_T0 + timedelta(days=1))
    request = request.extend(at=_T0 + timedelta(days=20), reason="complexity")
    assert request.due_at == GDPR.due_at("access", _T0, extensions=1)
    request = request.fulfil(at=_T0 + timedelta(days=50))
    assert request.status is RequestStatus.FULFILLED
    assert not request.is_overdue(_T0 + timedelta(days=60))
    assert [e.type for e in request.pending_events] == [
        "PrivacyRequestReceived",
        "PrivacyRequestIdentityVerified",
        "PrivacyRequestExtended",
        "PrivacyRequestFulfilled",
    ]
    with pytest.raises(TransitionNotAllowed) as caught:
        request.extend(at=_T0 + timedelta(days=51), reason="complexity")
    assert caught.value.code == "final"


def test_extension_rules_are_enforced() -> None:
    """Late, repeated and unavailable extensions are refused; nothing changes."""
    request = _received()
    with pytest.raises(ValidationError) as caught:
        request.extend(at=_T0 + timedelta(days=40), reason="complexity")
    assert caught.value.code == "extension_too_late"
    extended = request.extend(at=_T0, reason="number_of_requests")
    with pytest.raises(ValidationError) as caught:
        extended.extend(at=_T0, reason="complexity")
    assert caught.value.code == "too_many_extensions"
    with pytest.raises(ValidationError) as caught:
        _received("uu_pdp").extend(at=_T0, reason="complexity")
    assert caught.value.code == "no_extension"
    with pytest.raises(ValidationError):
        request.extend(at=_T0, reason="busy")


def test_late_extension_allowed_when_the_rule_says_so() -> None:
    """A rule that need not be decided before the deadline lets a late extension through."""
    law = Jurisdiction(
        "local_rule",
        unit="calendar_days",
        deadlines=dict.fromkeys(RequestKind, 10),
        extension=ExtensionRule(5, max_times=2, before_deadline=False),
    )
    request = _received(law).extend(at=_T0 + timedelta(days=12), reason="complexity")
    assert request.due_at == _T0 + timedelta(days=15)


def test_uu_pdp_request_overdue_and_fulfilled_late() -> None:
    """A request past 3 x 24 hours is overdue, can still be fulfilled, and stays overdue."""
    request = _received("uu_pdp", "rectification").verify_identity(at=_T0 + timedelta(hours=1))
    late = _T0 + timedelta(hours=80)
    assert request.is_overdue(late)
    assert request.time_left(late) == timedelta(hours=-8)
    done = request.fulfil(at=late)
    event = done.pending_events[-1]
    assert isinstance(event, PrivacyRequestFulfilled)
    assert event.overdue
    assert done.is_overdue(late + timedelta(days=1))
    assert done.is_overdue(_T0) is False  # before the answer, not yet past the deadline


def test_refusals_and_transitions() -> None:
    """Refusal needs a known reason; a closed request is final; verify twice is refused."""
    request = _received()
    with pytest.raises(InvalidType):
        request.refuse(at=_T0, reason=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        request.refuse(at=_T0, reason="because")
    with pytest.raises(TransitionNotAllowed):
        request.fulfil(at=_T0)
    refused = request.refuse(at=_T0, reason="identity_not_verified")
    assert refused.refusal_reason is not None
    assert refused.closed_at == _T0
    with pytest.raises(TransitionNotAllowed):
        refused.fulfil(at=_T0)
    verified = request.verify_identity(at=_T0)
    with pytest.raises(TransitionNotAllowed):
        verified.verify_identity(at=_T0)


def test_repoint_customer() -> None:
    """A merge moves the request to the survivor and records the event."""
    moved = _received().repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=_T0)
    assert moved.customer_id == CustomerId("c-2")
    assert isinstance(moved.pending_events[-1], PrivacyRequestCustomerRepointed)


def test_loaded_documents_are_checked() -> None:
    """Stored documents breaking the rules are refused with a path."""
    stored = to_dict(_received().extend(at=_T0, reason="complexity").without_pending_events())
    too_late = {
        **stored,
        "extensions": [{"at": "2026-05-01T00:00:00+00:00", "reason": "complexity"}],
    }
    too_late["updated_at"] = "2026-05-01T00:00:00+00:00"
    with pytest.raises(ValidationError):
        from_dict(DataSubjectRequest, too_late)
    no_rule = {**stored, "jurisdiction": to_dict(UU_PDP)}
    no_rule["jurisdiction"].pop("schema_version")
    with pytest.raises(ValidationError):
        from_dict(DataSubjectRequest, no_rule)
    backwards = {
        **stored,
        "extensions": [{"at": "2026-03-01T00:00:00+00:00", "reason": "complexity"}],
    }
    with pytest.raises(ValidationError):
        from_dict(DataSubjectRequest, backwards)
    closed = to_dict(_received().verify_identity(at=_T0).fulfil(at=_T0).without_pending_events())
    closed["extensions"] = [{"at": "2026-03-03T00:00:00+00:00", "reason": "complexity"}]
    closed["updated_at"] = "2026-03-03T00:00:00+00:00"
    with pytest.raises(ValidationError):
        from_dict(DataSubjectRequest, closed)
    bad_reason = to_dict(_received().without_pending_events())
    bad_reason["history"][0]["reason"] = "excessive"
    with pytest.raises(ValidationError):
        from_dict(DataSubjectRequest, bad_reason)


def test_receive_checks_its_arguments() -> None:
    """Unknown jurisdictions and kinds are refused."""
    with pytest.raises(ValidationError):
        _received("ccpa")
    with pytest.raises(ValidationError):
        _received(kind="portability")
    with pytest.raises(InvalidType):
        DataSubjectRequest.receive(
            PrivacyRequestId("d"),
            customer_id=CustomerId("c"),
            kind="access",
            jurisdiction=3,  # type: ignore[arg-type]
            channel="email",
            at=_T0,
        )


@given(jurisdictions(defaults=False, extensions=False))
def test_strategy_options(law: Jurisdiction) -> None:
    """jurisdictions(extensions=False) draws laws that never extend."""
    assert law.extension is None
    assert law.code not in {"gdpr", "uu_pdp"}


@given(data_subject_requests(laws=[UU_PDP], customer_ids=[CustomerId("c-9")], max_steps=0))
def test_strategy_draws_from_the_laws_and_subjects_given(request: DataSubjectRequest) -> None:
    """data_subject_requests(laws=..., customer_ids=...) draws only from them."""
    assert request.jurisdiction is UU_PDP
    assert request.customer_id == CustomerId("c-9")
    assert request.status is RequestStatus.RECEIVED


def test_strategy_arguments_are_checked() -> None:
    """Bad strategy arguments are refused eagerly with a path."""
    from crmcore.testing.strategies._privacy import retention_policies  # noqa: PLC0415

    with pytest.raises(ValidationError) as caught:
        jurisdictions(units=("weeks",))
    assert caught.value.path == "$.units"
    with pytest.raises(ValidationError):
        jurisdictions(units=())
    with pytest.raises(ValidationError):
        retention_policies(kinds=("widget",))
    with pytest.raises(ValidationError):
        data_subject_requests(laws=[])
    with pytest.raises(ValidationError):
        data_subject_requests(max_steps=21)

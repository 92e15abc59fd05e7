"""Tests for `crmcore.privacy._retention`: retention policies and the due-for-retention query."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from crmcore._kernel._aggregate import Aggregate
from crmcore._kernel._ids import CustomerId, PrivacyRequestId
from crmcore.errors import InvalidType, ValidationError
from crmcore.privacy import (
    MAX_RETENTION_MONTHS,
    MAX_RETENTION_RECORDS,
    RETENTION_KINDS,
    DataSubjectRequest,
    RetentionAction,
    RetentionPolicy,
    RetentionRule,
    due_for_retention,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies import customers, interactions, orders
from crmcore.testing.strategies._privacy import (
    data_subject_requests,
    retention_policies,
    retention_rules,
)

_CUSTOMERS = [CustomerId("c-1"), CustomerId("c-2"), CustomerId("c-3")]
_T0 = datetime(2026, 1, 1, tzinfo=UTC)
_RECORDS = st.lists(
    st.one_of(
        interactions(customer_ids=_CUSTOMERS, pending_events=False),
        customers(pending_events=False),
        orders(customer_ids=_CUSTOMERS, max_steps=2, pending_events=False),
        data_subject_requests(customer_ids=_CUSTOMERS, pending_events=False),
    ),
    max_size=8,
)
_AT = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - Hypothesis bounds are naive
    max_value=datetime(2150, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_KINDS = ("customer", "interaction", "order", "privacy_request", "note")


def _customer(record: Aggregate[Any]) -> CustomerId | None:
    if isinstance(record.id, CustomerId):
        return record.id
    if getattr(record, "customer_id", None) is not None:
        return record.customer_id  # type: ignore[attr-defined, no-any-return]
    link = getattr(record, "link", None)
    return None if link is None else link.customer_id


def _anonymised_already(record: Aggregate[Any]) -> bool:
    """Nothing personal left: the anonymised copy is the record itself."""
    fields = getattr(type(record), "personal_fields", ())
    return not fields or record.anonymise(at=record.updated_at) is record


@given(retention_policies(kinds=_KINDS, max_rules=4), _RECORDS, _AT, st.data())
def test_due_records_are_exactly_those_past_their_period(
    policy: RetentionPolicy, records: list[Aggregate[Any]], at: datetime, data: st.DataObject
) -> None:
    """Every record listed is past its rule's period and every record left out is not."""
    last_order = {c: data.draw(_AT) for c in data.draw(st.sets(st.sampled_from(_CUSTOMERS)))}
    held = data.draw(st.sets(st.sampled_from(_CUSTOMERS)))
    due = due_for_retention(policy, records, at=at, last_order_at=last_order, held=held)
    listed = {(item.kind, item.record_id) for item in due}
    for record in records:
        rule = policy.rule_for(record.aggregate_kind)
        key = (record.aggregate_kind, record.id)
        if rule is None or (rule.action == "anonymise" and _anonymised_already(record)):
            assert key not in listed
            continue
        customer = _customer(record)
        if rule.after_months is not None:
            since = record.updated_at + relativedelta(months=rule.after_months)
        else:
            base = last_order.get(customer, record.updated_at) if customer else record.updated_at
            since = base + relativedelta(years=rule.after_years or 0)
        assert (key in listed) == (since <= at)
    for item in due:
        assert item.due_since <= at
        assert item.action is item.rule.action
        assert (item.withheld == "legal_hold") == (item.customer_id in held)
    assert due == sorted(due, key=lambda i: (i.due_since, i.kind, i.record_id.value))


@given(retention_policies(kinds=_KINDS), _RECORDS, _AT, st.randoms())
def test_order_of_input_does_not_matter(
    policy: RetentionPolicy, records: list[Aggregate[Any]], at: datetime, rnd: Any
) -> None:
    """The query is deterministic: shuffling the records gives the same answer."""
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert due_for_retention(policy, records, at=at) == due_for_retention(policy, shuffled, at=at)


@given(retention_policies())
def test_policies_round_trip(policy: RetentionPolicy) -> None:
    """A policy survives to_dict/from_dict and keeps one rule per kind."""
    assert from_dict(RetentionPolicy, to_dict(policy)) == policy
    kinds = [rule.kind for rule in policy.rules]
    assert kinds == sorted(set(kinds))


@pytest.mark.parametrize(
    ("document", "path", "code"),
    [
        (
            {"rules": [{"kind": "widget", "action": "delete", "after_months": 3}]},
            "$.rules[0].kind",
            "choice",
        ),
        (
            {"rules": [{"kind": "note", "action": "shred", "after_months": 3}]},
            "$.rules[0].action",
            "choice",
        ),
        (
            {"rules": [{"kind": "note", "action": "delete", "after_months": 0}]},
            "$.rules[0].after_months",
            "range",
        ),
        (
            {
                "rules": [
                    {"kind": "note", "action": "delete", "after_months": MAX_RETENTION_MONTHS + 1}
                ]
            },
            "$.rules[0].after_months",
            "range",
        ),
        (
            {"rules": [{"kind": "order", "action": "delete", "after_years": 1000}]},
            "$.rules[0].after_years",
            "range",
        ),
        ({"rules": [{"kind": "note", "action": "delete"}]}, "$.rules[0].after_months", "missing"),
        (
            {"rules": [{"kind": "note", "action": "delete", "after_months": 1, "after_years": 1}]},
            "$.rules[0].after_years",
            "contradictory",
        ),
        (
            {
                "rules": [
                    {"kind": "note", "action": "delete", "after_months": 1},
                    {"kind": "note", "action": "anonymise", "after_months": 6},
                ]
            },
            "$.rules[1].kind",
            "contradictory",
        ),
    ],
)
def test_malformed_policies_are_refused_with_a_path(
    document: dict[str, Any], path: str, code: str
) -> None:
    """Unknown kinds, bad periods and contradictory rules are refused, naming where."""
    with pytest.raises(ValidationError) as caught:
        from_dict(RetentionPolicy, {**document, "schema_version": 2})
    found = [(p.path, p.code) for p in caught.value.problems] or [
        (caught.value.path, caught.value.code)
    ]
    assert (path, code) in found


def test_rule_type_checks() -> None:
    """Wrong types are InvalidType."""
    with pytest.raises(InvalidType):
        RetentionRule(3, action="delete", after_months=1)
    with pytest.raises(InvalidType):
        RetentionRule("note", action="delete", after_months=1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        RetentionPolicy(["note"])
    with pytest.raises(InvalidType):
        due_for_retention("policy", [], at=_T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        due_for_retention(RetentionPolicy(), ["record"], at=_T0)  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        due_for_retention(RetentionPolicy(), [], at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_accounting_records_wait_for_the_last_order() -> None:
    """An order rule counts from the customer's last order, not the order's own last change."""
    request = DataSubjectRequest.receive(
        PrivacyRequestId("dsr-1"),
        customer_id=CustomerId("c-1"),
        kind="access",
        jurisdiction="gdpr",
        channel="email",
        at=_T0,
    )
    policy = RetentionPolicy(
        [RetentionRule("privacy_request", action=RetentionAction.DELETE, after_years=5)]
    )
    at = _T0 + relativedelta(years=5, days=1)
    assert [d.record_id for d in due_for_retention(policy, [request], at=at)] == [request.id]
    later = {CustomerId("c-1"): _T0 + timedelta(days=400)}
    assert due_for_retention(policy, [request], at=at, last_order_at=later) == []
    assert policy.rule_for("order") is None
    assert "customer" in RETENTION_KINDS


def test_work_is_bounded() -> None:
    """More than MAX_RETENTION_RECORDS records are refused rather than worked through."""
    request = DataSubjectRequest.receive(
        PrivacyRequestId("dsr-3"),
        customer_id=CustomerId("c-1"),
        kind="access",
        jurisdiction="gdpr",
        channel="email",
        at=_T0,
    )
    with pytest.raises(ValidationError) as caught:
        due_for_retention(
            RetentionPolicy(), itertools.repeat(request, MAX_RETENTION_RECORDS + 1), at=_T0
        )
    assert caught.value.code == "too_many"


def test_far_future_periods_are_never_due() -> None:
    """A period ending beyond the representable dates never comes due."""
    late = datetime(9990, 1, 1, tzinfo=UTC)
    request = DataSubjectRequest.receive(
        PrivacyRequestId("dsr-2"),
        customer_id=CustomerId("c-1"),
        kind="access",
        jurisdiction="uu_pdp",
        channel="email",
        at=late,
    )
    policy = RetentionPolicy([RetentionRule("privacy_request", action="delete", after_years=50)])
    assert due_for_retention(policy, [request], at=datetime(9999, 1, 1, tzinfo=UTC)) == []


@given(retention_rules())
def test_rules_round_trip(rule: RetentionRule) -> None:
    """A rule survives to_dict/from_dict and gives exactly one period."""
    assert from_dict(RetentionRule, to_dict(rule)) == rule
    assert (rule.after_months is None) != (rule.after_years is None)


def test_a_note_on_a_held_customer_is_withheld_and_an_anonymised_record_is_not_due() -> None:
    """A note follows the customer it is linked to; a record anonymised before is not due again."""
    from crmcore.activities import RecordRef  # noqa: PLC0415 - local to this example
    from crmcore.notes import Note, NoteId  # noqa: PLC0415

    written = datetime(2020, 1, 1, tzinfo=UTC)
    note = Note.write(
        NoteId("n-1"), link=RecordRef.to(CustomerId("c-1")), body="Call after five.", at=written
    ).without_pending_events()
    erased = note.anonymise(at=written).without_pending_events()
    policy = RetentionPolicy([RetentionRule("note", action="anonymise", after_months=12)])
    due = due_for_retention(
        policy, [note, erased], at=datetime(2026, 1, 1, tzinfo=UTC), held={CustomerId("c-1")}
    )
    assert [(item.record_id, item.customer_id, item.withheld) for item in due] == [
        (NoteId("n-1"), CustomerId("c-1"), "legal_hold")
    ]

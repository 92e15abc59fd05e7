"""Tests for `crmcore.testing.strategies._audit`: the audit strategies draw valid values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from crmcore._kernel._personal import PersonalDataErasedEvent
from crmcore.audit import AuditEntry, AuditOperation, FieldChange, RecordChange
from crmcore.errors import InvalidType, ValidationError
from crmcore.testing.strategies._audit import audit_entries, field_changes, record_histories


@given(field_changes())
def test_field_changes_round_trip(change: FieldChange) -> None:
    """A drawn change survives to_dict, JSON and from_dict."""
    assert FieldChange.from_dict(json.loads(json.dumps(change.to_dict()))) == change


@given(audit_entries())
def test_audit_entries_round_trip(entry: AuditEntry) -> None:
    """A drawn entry survives to_dict, JSON and from_dict."""
    assert AuditEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


@given(record_histories(kinds=["case"], max_commits=2, anonymised=False))
def test_record_histories_follow_one_record(history: tuple[RecordChange, ...]) -> None:
    """A history adds one record, then saves it as stored, in time order, without anonymising."""
    first, *rest = history
    assert first.before is None
    assert first.aggregate_kind == "case"
    assert len(rest) <= 2
    for previous, change in zip(history, rest, strict=False):
        assert change.before == previous.after.without_pending_events()
        assert change.after.updated_at >= previous.after.updated_at
    assert not any(
        type(e).__name__.endswith("Anonymised") for c in history for e in c.after.pending_events
    )


@given(record_histories(kinds=["customer"], anonymised=True))
def test_record_histories_may_end_anonymised(history: tuple[RecordChange, ...]) -> None:
    """anonymised=True ends each history with an anonymisation commit."""
    assert any(isinstance(e, PersonalDataErasedEvent) for e in history[-1].after.pending_events)


def test_record_change_repr_hides_the_records() -> None:
    """A RecordChange's repr names the record and operation only."""
    change = RecordChange(aggregate_kind="customer", aggregate_id="c-1", before="Ana", after=None)
    assert repr(change) == "RecordChange(customer:c-1 removed, actor=None)"
    assert AuditOperation("observed") is AuditOperation.OBSERVED


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"kinds": "customer"}, InvalidType),
        ({"kinds": []}, ValidationError),
        ({"kinds": ["order"]}, ValidationError),
        ({"max_commits": 51}, ValidationError),
        ({"max_commands": 0}, ValidationError),
        ({"anonymised": "yes"}, InvalidType),
    ],
)
def test_record_histories_refuses_bad_options(options: dict[str, object], error: type) -> None:
    """Options are checked when the strategy is made."""
    with pytest.raises(error):
        record_histories(**options)  # type: ignore[arg-type]

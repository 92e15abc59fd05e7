"""Regression tests: junk arguments to the audit package raise a specific crmcore error.

Each case was found by the fuzz suite (``tests/robustness``); before the fix it raised a
plain TypeError, or was accepted.
"""

from datetime import UTC, datetime

import pytest

from crmcore.audit import (
    AuditPolicy,
    DeniedAttempt,
    RecordChange,
    apply_changes,
    is_personal_path,
)
from crmcore.audit._documents import format_path
from crmcore.errors import CrmcoreError, InvalidType, ValidationError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
NAIVE = datetime(2026, 1, 5, 9)  # noqa: DTZ001 - naive on purpose
POLICY = AuditPolicy({"dpo": ["dispute"]})
ATTEMPT = {"actor": "s-1", "action": "read", "aggregate_kind": "customer", "rule": "scope"}


@pytest.mark.parametrize(
    ("call", "path", "error"),
    [
        (lambda: apply_changes({}, None), "$.changes", InvalidType),
        (lambda: apply_changes({}, "ab"), "$.changes", InvalidType),
        (lambda: format_path(None), "$.segments", InvalidType),
        (lambda: format_path("ab"), "$.segments", InvalidType),
        (lambda: format_path([None]), "$.segments[0]", InvalidType),
        (lambda: format_path(["a", True]), "$.segments[1]", InvalidType),
        (lambda: format_path(["a", -1]), "$.segments[1]", ValidationError),
        (lambda: is_personal_path("a.b", None), "$.personal", InvalidType),
        (lambda: is_personal_path("a.b", [None]), "$.personal[0]", InvalidType),
        (lambda: is_personal_path(None, ["a"]), "$.path", InvalidType),
        (lambda: POLICY.allows(None, "dispute"), "$.roles", InvalidType),
        (lambda: POLICY.allows("dpo", "dispute"), "$.roles", InvalidType),
        (lambda: POLICY.allows([[]], "dispute"), "$.roles[0]", InvalidType),
        (lambda: POLICY.allows(["dpo"], []), "$.purpose", InvalidType),
        (lambda: POLICY.allows(["dpo"], None), "$.purpose", InvalidType),
    ],
)
def test_functions_refuse_junk_arguments(call, path, error):
    """Each function names the argument of the wrong type or value."""
    with pytest.raises(error) as info:
        call()
    assert info.value.path == path


def test_functions_still_answer_good_arguments():
    """Well-typed arguments keep their answers."""
    assert apply_changes({"a": 1}, []) == {"a": 1}
    assert format_path(("contact_points", 1, "value")) == "contact_points[1].value"
    assert is_personal_path("profile.name.given", ("profile.name",))
    assert not is_personal_path("status", [])
    assert POLICY.allows(iter(["sales_rep", "dpo"]), "dispute")
    assert not POLICY.allows([], "dispute")


@pytest.mark.parametrize(
    ("fields", "path", "error"),
    [
        ({**ATTEMPT, "actor": None}, "$.actor", InvalidType),
        ({**ATTEMPT, "action": 1}, "$.action", InvalidType),
        ({**ATTEMPT, "aggregate_kind": []}, "$.aggregate_kind", InvalidType),
        ({**ATTEMPT, "rule": None}, "$.rule", InvalidType),
        ({**ATTEMPT, "aggregate_id": 5}, "$.aggregate_id", InvalidType),
        ({**ATTEMPT, "at": "2026-01-05"}, "$.at", InvalidType),
        ({**ATTEMPT, "at": NAIVE}, "$.at", ValidationError),
        ({**ATTEMPT, "rule": "x" * 10_000}, "$.rule", ValidationError),
    ],
)
def test_denied_attempt_checks_its_fields(fields, path, error):
    """A DeniedAttempt with junk fields is refused when built."""
    with pytest.raises(error) as info:
        DeniedAttempt(**fields)
    assert info.value.path == path


@pytest.mark.parametrize(
    ("fields", "path", "error"),
    [
        ({"aggregate_kind": None, "aggregate_id": "c-1"}, "$.aggregate_kind", InvalidType),
        ({"aggregate_kind": "customer", "aggregate_id": 1}, "$.aggregate_id", InvalidType),
        (
            {"aggregate_kind": "customer", "aggregate_id": "c" * 10_000},
            "$.aggregate_id",
            ValidationError,
        ),
        ({"aggregate_kind": "customer", "aggregate_id": "c-1", "actor": 1}, "$.actor", InvalidType),
        ({"aggregate_kind": "customer", "aggregate_id": "c-1", "at": 0}, "$.at", InvalidType),
        (
            {"aggregate_kind": "customer", "aggregate_id": "c-1", "at": NAIVE},
            "$.at",
            ValidationError,
        ),
    ],
)
def test_record_change_checks_its_fields(fields, path, error):
    """A RecordChange with junk fields is refused when built."""
    with pytest.raises(error) as info:
        RecordChange(**fields)
    assert info.value.path == path


def test_records_keep_good_fields_and_defaults():
    """Good fields and the defaults are kept."""
    attempt = DeniedAttempt(**ATTEMPT, at=T0)
    assert (attempt.aggregate_id, attempt.at) == (None, T0)
    change = RecordChange(aggregate_kind="customer", aggregate_id="c-1")
    assert (change.before, change.after, change.actor, change.at) == (None, None, None, None)


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"purposes": {"Secret_Role": [None]}}, "$.purposes[0][0]"),
        ({"purposes": {"dpo": ["dispute"], "Secret Role": ["dispute"]}}, "$.purposes[1]"),
        ({"purposes": {"Secret_Role": "dispute"}}, "$.purposes[0]"),
    ],
)
def test_policy_documents_never_name_their_keys(doc, path):
    """Roles are reported by position, never by their text."""
    with pytest.raises(CrmcoreError) as info:
        AuditPolicy.from_dict(doc)
    error = info.value
    assert isinstance(error, ValidationError)
    assert error.path == path
    assert "Secret" not in str(error)

"""Tests for `crmcore.audit._log`: recording, queries, masking, reveals, erasure and storage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crmcore import Customer, CustomerId, PersonName
from crmcore._kernel._personal import ERASED
from crmcore.audit import (
    LEFT_OUT,
    MASKED,
    AuditEntry,
    AuditLog,
    AuditOperation,
    AuditPolicy,
    DeniedAttempt,
    Disclosure,
    FieldChange,
    RecordChange,
    Reveal,
    RevealNotAllowed,
    is_personal_path,
    record_document,
)
from crmcore.audit._masking import DERIVED_PERSONAL_PATHS, personal_paths
from crmcore.customers import Channel
from crmcore.errors import CrmcoreError, InvalidType, ValidationError
from crmcore.interactions import Direction, Interaction, InteractionId, InteractionKind

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
POLICY = AuditPolicy({"dpo": ["dispute", "subject_access"]})


def _call(
    subject: str | None = "Refund for order 7", notes: str | None = "Wants a call back"
) -> Interaction:
    return Interaction.log(
        InteractionId("i-1"),
        customer_id=CustomerId("c-1"),
        kind=InteractionKind.CALL,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        at=T0,
        subject=subject,
        notes=notes,
    )


def _added(record: Any, actor: str | None = "s-1", at: datetime | None = None) -> RecordChange:
    return RecordChange(
        aggregate_kind=record.aggregate_kind,
        aggregate_id=record.id.value,
        after=record,
        actor=actor,
        at=at,
    )


def _saved(
    before: Any, after: Any, actor: str | None = "s-2", at: datetime | None = None
) -> RecordChange:
    return RecordChange(
        aggregate_kind=after.aggregate_kind,
        aggregate_id=after.id.value,
        before=before,
        after=after,
        actor=actor,
        at=at,
    )


def _logged() -> tuple[AuditLog, Customer, Customer]:
    log = AuditLog(policy=POLICY)
    first = Customer.register(CustomerId("c-1"), name=PersonName("Ana", "Putri"), at=T0)
    log.record_commit([_added(first)])
    stored = first.without_pending_events()
    second = stored.rename(PersonName("Ani", "Putri"), at=T0 + DAY).add_tag("vip", at=T0 + DAY)
    log.record_commit([_saved(stored, second)])
    return log, first, second


def test_record_commit_keeps_who_when_events_and_old_new_values() -> None:
    """Each committed record gets an entry with its actor, time, events and changed fields."""
    log, first, second = _logged()
    added, saved = log.entries
    assert (added.operation, added.actor, added.at, added.number) == (
        AuditOperation.ADDED,
        "s-1",
        T0,
        1,
    )
    assert added.event_types == tuple(type(e).__name__ for e in first.pending_events)
    assert saved.event_ids == tuple(e.event_id for e in second.pending_events)
    assert saved.at == second.updated_at  # the newest event's time when the unit gives none
    assert (added.version, saved.version) == (first.version, second.version + 1)
    by_path = {c.path: c for c in saved.changes}
    assert (by_path["profile.name.given"].old, by_path["profile.name.given"].new) == ("Ana", "Ani")
    assert by_path["tags[0]"].kind == "added"
    assert not any(c.path.split(".")[0] in LEFT_OUT for c in saved.changes)
    assert "Ana" not in repr(saved)
    assert "Ana" not in repr(log)


def test_history_masks_personal_values_and_replays() -> None:
    """history() masks names; state_at replays to the record's document at each time."""
    log, first, second = _logged()
    masked = log.history("customer", CustomerId("c-1"))
    renamed = next(c for c in masked[1].changes if c.path == "profile.name.given")
    assert (renamed.old, renamed.new) == (MASKED, MASKED)
    assert masked[0].changes != log.entries[0].changes
    reveal = Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0 + 2 * DAY)
    assert log.state_at("customer", "c-1", T0, reveal=reveal) == record_document(first)
    assert log.state_at("customer", "c-1", T0 + DAY, reveal=reveal) == record_document(second)
    assert log.state_at("customer", "c-1", T0 - DAY) is None
    shown = log.state_at("customer", "c-1", T0 + DAY)
    assert shown is not None
    assert shown["profile"]["name"] == MASKED
    assert shown["tags"] == ["vip"]
    assert [d.aggregate_id for d in log.disclosures(viewer="s-9")] == ["c-1", "c-1"]


def test_reveal_for_an_allowed_purpose_is_recorded() -> None:
    """A reveal the policy allows shows the values and records who, what, why and when."""
    log, _, _ = _logged()
    reveal = Reveal(viewer="s-9", roles=["sales", "dpo"], purpose="subject_access", at=T0 + 3 * DAY)
    shown = log.history("customer", "c-1", reveal=reveal)
    assert shown == log.entries
    assert log.disclosures() == (
        Disclosure(
            viewer="s-9",
            purpose="subject_access",
            aggregate_kind="customer",
            aggregate_id="c-1",
            at=T0 + 3 * DAY,
        ),
    )
    assert log.disclosures(aggregate_kind="case") == ()
    assert log.disclosures(aggregate_id="c-2") == ()


def test_reveal_refused_raises_and_is_recorded_as_denied() -> None:
    """A purpose the roles may not state raises RevealNotAllowed; the refusal is kept."""
    log, _, _ = _logged()
    reveal = Reveal(viewer="s-5", roles=["sales"], purpose="dispute", at=T0 + 3 * DAY)
    with pytest.raises(RevealNotAllowed) as caught:
        log.history("customer", "c-1", reveal=reveal)
    assert isinstance(caught.value, CrmcoreError)
    assert "Ana" not in str(caught.value)
    assert log.denied(actor="s-5") == (
        DeniedAttempt(
            actor="s-5",
            action="reveal",
            aggregate_kind="customer",
            aggregate_id="c-1",
            rule="purpose",
            at=T0 + 3 * DAY,
        ),
    )
    with pytest.raises(RevealNotAllowed):
        log.by_actor("nobody", reveal=reveal)
    assert log.denied(aggregate_kind="audit")[0].aggregate_id is None
    assert log.disclosures() == ()
    with pytest.raises(InvalidType):
        log.history("customer", "c-1", reveal="dpo")  # type: ignore[arg-type]


def test_by_actor_filters_by_actor_and_window() -> None:
    """by_actor gives one actor's entries in [start, end)."""
    log, _, _ = _logged()
    assert [e.number for e in log.by_actor("s-1")] == [1]
    assert [e.number for e in log.by_actor("s-2", start=T0 + DAY)] == [2]
    assert log.by_actor("s-2", end=T0 + DAY) == ()
    assert log.by_actor("s-1", start=T0, end=T0 + DAY)[0].actor == "s-1"


def test_actor_comes_from_the_events_when_the_unit_gives_none() -> None:
    """Without an actor in the RecordChange, the events' one actor is used."""
    log = AuditLog()
    call = Interaction.log(
        InteractionId("i-2"),
        customer_id=CustomerId("c-1"),
        kind=InteractionKind.CALL,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        at=T0,
        actor="s-7",
    )
    log.record_commit([_added(call, actor=None)])
    (entry,) = log.entries
    assert entry.actor == "s-7"


def test_interaction_personal_fields_are_masked() -> None:
    """The subject and notes of an interaction are masked inside an added record's values."""
    log = AuditLog()
    log.record_commit([_added(_call())])
    text = json.dumps([e.to_dict() for e in log.history("interaction", "i-1")])
    assert "Refund" not in text
    assert "call back" not in text
    assert MASKED in text


def test_removal_and_state_after_it() -> None:
    """A removed record has no state after its removal."""
    log = AuditLog()
    call = _call()
    log.record_commit([_added(call)])
    stored = call.without_pending_events()
    log.record_commit(
        [
            RecordChange(
                aggregate_kind="interaction",
                aggregate_id="i-1",
                before=stored,
                actor="s-3",
                at=T0 + DAY,
            )
        ]
    )
    removed = log.entries[-1]
    assert removed.operation is AuditOperation.REMOVED
    assert removed.version is None
    assert log.state_at("interaction", "i-1", T0 + 2 * DAY) is None
    assert log.state_at("interaction", "i-1", T0) is not None


def test_untimed_removal_counts_only_once_a_later_entry_dates_it() -> None:
    """An entry with no time counts in state_at once a later dated entry follows it."""
    log = AuditLog(policy=POLICY)
    call = _call()
    log.record_commit([_added(call)])
    stored = call.without_pending_events()
    log.record_commit(
        [RecordChange(aggregate_kind="interaction", aggregate_id="i-1", before=stored)]
    )
    reveal = Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0 + 3 * DAY)
    assert log.state_at("interaction", "i-1", T0 + DAY) is not None  # the removal's time is unknown
    assert log.by_actor("s-1", start=T0) != ()
    again = _call()
    log.record_commit([_added(again, at=T0 + 2 * DAY)])
    assert log.state_at("interaction", "i-1", T0 + 2 * DAY, reveal=reveal) == record_document(again)


def test_observed_entry_when_the_log_missed_the_record() -> None:
    """A save of a record the log never saw first records its state as observed."""
    log = AuditLog()
    stored = _call().without_pending_events()
    linked = stored  # a save that changed nothing
    log.record_commit([_saved(stored, linked, at=T0 + DAY)])
    observed, saved = log.entries
    assert observed.operation is AuditOperation.OBSERVED
    assert observed.at == stored.updated_at
    assert saved.changes == ()
    reveal = Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0 + DAY)
    log2 = AuditLog(policy=POLICY)
    log2.record_commit([_saved(stored, linked, at=T0 + DAY)])
    assert log2.state_at("interaction", "i-1", T0 + DAY, reveal=reveal) == record_document(stored)


def test_record_commit_refuses_bad_changes_and_applies_nothing() -> None:
    """Bad input raises and leaves the log as it was."""
    log, _, second = _logged()
    before = log.entries
    good = _added(_call())
    for bad, error in [
        ("x", InvalidType),
        ([good, "x"], InvalidType),
        ([good, RecordChange(aggregate_kind="case", aggregate_id="k-1")], ValidationError),
        ([good, _saved(second.without_pending_events(), second, at=T0)], ValidationError),
        (
            [good, RecordChange(aggregate_kind="case", aggregate_id="c-1", after=second)],
            ValidationError,
        ),
        (
            [good, RecordChange(aggregate_kind="customer", aggregate_id="c-9", after=second)],
            ValidationError,
        ),
        ([RecordChange(aggregate_kind="", aggregate_id="c-1", after=second)], ValidationError),
    ]:
        with pytest.raises(error):
            log.record_commit(bad)  # type: ignore[arg-type]
        assert log.entries == before
    with pytest.raises(ValidationError) as naive:
        RecordChange(
            aggregate_kind="customer",
            aggregate_id="c-1",
            after=second,
            at=datetime(2026, 1, 1),  # noqa: DTZ001 - naive on purpose
        )
    assert (naive.value.path, naive.value.code) == ("$.at", "naive_datetime")
    with pytest.raises(ValidationError) as caught:
        log.record_commit([good, _saved(second.without_pending_events(), second, at=T0)])
    assert caught.value.code == "time_backwards"
    assert caught.value.path == "$.changes[1].at"


def test_record_denied_keeps_checked_attempts() -> None:
    """Denied attempts are kept, filtered and checked."""
    log = AuditLog()
    attempt = DeniedAttempt(
        actor="s-1",
        action="update",
        aggregate_kind="customer",
        aggregate_id="c-1",
        rule="scope",
        at=T0,
    )
    log.record_denied(attempt)
    log.record_denied(
        DeniedAttempt(actor="s-2", action="export", aggregate_kind="order", rule="no_grant")
    )
    assert log.denied(actor="s-1") == (attempt,)
    assert log.denied(aggregate_id="c-1", start=T0, end=T0 + DAY) == (attempt,)
    assert len(log.denied()) == 2
    assert log.denied(aggregate_kind="order")[0].actor == "s-2"
    with pytest.raises(InvalidType):
        log.record_denied("s-1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        log.record_denied(
            DeniedAttempt(actor="a b", action="read", aggregate_kind="customer", rule="scope")
        )
    assert len(log.denied()) == 2


def test_erase_values_leaves_no_personal_value_and_replays_to_the_anonymised_state() -> None:
    """After anonymise and erase_values, no name survives and replay ends at the anonymised record."""
    log, _, second = _logged()
    stored = second.without_pending_events()
    anonymised = stored.anonymise(at=T0 + 2 * DAY)
    log.record_commit([_saved(stored, anonymised)])
    assert log.erase_values([("customer", "c-1")]) > 0
    text = json.dumps(log.to_dict())
    for value in ("Ana", "Ani", "Putri"):
        assert json.dumps(value) not in text
    assert ERASED in text
    reveal = Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0 + 3 * DAY)
    assert log.state_at("customer", "c-1", T0 + 2 * DAY, reveal=reveal) == record_document(
        anonymised
    )
    assert log.erase_values([("customer", "c-1")]) == 0  # twice: nothing left
    assert log.erase_values([("customer", "c-9")]) == 0


def test_erase_values_refuses_bad_records() -> None:
    """erase_values takes (kind, id) pairs."""
    log = AuditLog()
    for bad in ("customer", 3, [("customer",)], [["customer", "c-1"]], [("customer", "a b")]):
        with pytest.raises(ValidationError):
            log.erase_values(bad)  # type: ignore[arg-type]


def test_erase_values_skips_records_without_personal_fields() -> None:
    """Entries of a record with no personal paths are left as they are."""
    log = AuditLog()
    entry = AuditEntry(
        number=1,
        aggregate_kind="thing",
        aggregate_id="t-1",
        operation="added",
        changes=[FieldChange("a", new="x")],
    )
    log = AuditLog.from_dict({"entries": [entry.to_dict()], "denied": [], "disclosures": []})
    assert log.erase_values([("thing", "t-1")]) == 0
    assert log.entries == (entry,)


def test_log_round_trips_through_plain_dicts() -> None:
    """to_dict and from_dict keep every entry, refusal and disclosure."""
    log, _, _ = _logged()
    log.record_denied(
        DeniedAttempt(actor="s-1", action="read", aggregate_kind="customer", rule="scope", at=T0)
    )
    log.history(
        "customer", "c-1", reveal=Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0)
    )
    document = json.loads(json.dumps(log.to_dict()))
    loaded = AuditLog.from_dict(document, policy=POLICY)
    assert loaded.to_dict() == log.to_dict()
    assert loaded.entries == log.entries
    assert loaded.denied() == log.denied()
    assert loaded.disclosures() == log.disclosures()
    reveal = Reveal(viewer="s-9", roles=["dpo"], purpose="dispute", at=T0)
    assert loaded.state_at("customer", "c-1", T0 + DAY, reveal=reveal) == log.state_at(
        "customer", "c-1", T0 + DAY, reveal=reveal
    )


def _stored_log() -> dict[str, Any]:
    log, _, _ = _logged()
    return json.loads(json.dumps(log.to_dict()))


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d.pop("denied"), "$"),
        (lambda d: d.update(entries={}), "$.entries"),
        (lambda d: d["entries"][1].update(number=5), "$.entries[1].number"),
        (lambda d: d["entries"][1].update(at="2020-01-01T00:00:00+00:00"), "$.entries[1].at"),
        (lambda d: d["entries"][1].update(at="yesterday"), "$.entries[1].at"),
        (lambda d: d["entries"][1].update(at="2026-01-06T00:00:00"), "$.entries[1].at"),
        (lambda d: d["entries"][1].update(at=5), "$.entries[1].at"),
        (lambda d: d["entries"][1].update(changes={}), "$.entries[1].changes"),
        (
            lambda d: d["entries"][1]["changes"].append({"path": "nope.x", "new": 1}),
            "$.entries[1].changes[4]",
        ),
        (lambda d: d["entries"][1].update(operation="moved"), "$.entries[1].operation"),
        (lambda d: d["entries"][1].update(event_ids=[]), "$.entries[1].event_ids"),
        (lambda d: d["entries"][1].update(event_ids=["a\nb", "x"]), "$.entries[1].event_ids[0]"),
        (lambda d: d["entries"][1].update(event_types="x"), "$.entries[1].event_types"),
        (lambda d: d["entries"][1].update(version=-1), "$.entries[1].version"),
        (lambda d: d["entries"][1].update(version="1"), "$.entries[1].version"),
        (lambda d: d["entries"][1].update(personal=["a..b"]), "$.entries[1].personal[0]"),
        (lambda d: d["entries"].append([]), "$.entries[2]"),
        (lambda d: d["denied"].append({"actor": "s"}), "$.denied[0]"),
        (lambda d: d["disclosures"].append({"viewer": "s"}), "$.disclosures[0]"),
        (
            lambda d: d["disclosures"].append(
                {
                    "viewer": "s",
                    "purpose": "x",
                    "aggregate_kind": "c",
                    "aggregate_id": "c-1",
                    "at": "2026-01-05",
                }
            ),
            "$.disclosures[0].at",
        ),
        (
            lambda d: d["denied"].append(
                {
                    "actor": "s",
                    "action": "read",
                    "aggregate_kind": "c",
                    "aggregate_id": None,
                    "rule": "",
                    "at": None,
                }
            ),
            "$.denied[0].rule",
        ),
    ],
)
def test_from_dict_refuses_bad_documents(edit: Any, path: str) -> None:
    """A stored log that does not hold is refused with the path of the fault."""
    document = _stored_log()
    edit(document)
    with pytest.raises(ValidationError) as caught:
        AuditLog.from_dict(document)
    assert caught.value.path == path


def test_from_dict_refuses_non_documents() -> None:
    """Only a dict with the three lists is a stored log."""
    with pytest.raises(InvalidType):
        AuditLog.from_dict([])
    with pytest.raises(InvalidType):
        AuditEntry.from_dict("x")


def test_policy_and_constructor_arguments_are_checked() -> None:
    """Policies, reveals and extra personal fields are validated eagerly."""
    assert AuditPolicy.from_dict(POLICY.to_dict()) == POLICY
    assert not AuditPolicy().allows(["dpo"], "dispute")
    with pytest.raises(InvalidType):
        AuditPolicy(["dpo"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AuditPolicy({"dpo": ["two words"]})
    with pytest.raises(InvalidType):
        AuditPolicy({"dpo": "dispute"})
    with pytest.raises(InvalidType):
        AuditPolicy({3: ["x"]})  # type: ignore[dict-item]
    with pytest.raises(InvalidType):
        AuditLog(policy={"dpo": ["x"]})  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        AuditLog(personal_fields=["x"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Reveal(viewer="s-1", purpose="x", at=datetime(2026, 1, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidType):
        Reveal(viewer="s-1", purpose="x", at=T0, roles="dpo")


def test_extra_personal_fields_mask_more() -> None:
    """personal_fields given to the log are masked too."""
    log = AuditLog(personal_fields={"customer": ["tags"]})
    log.record_commit(
        [_added(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0, tags=["vip"]))]
    )
    (entry,) = log.history("customer", "c-1")
    assert next(c for c in entry.changes if c.path == "tags").new == MASKED
    assert "vip" not in json.dumps(entry.to_dict())


def test_personal_paths_map_attributes_to_document_paths() -> None:
    """Field attributes are their own paths; derived ones map to where their values lie."""
    paths = personal_paths(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0))
    for attribute in Customer.personal_fields:
        expected = DERIVED_PERSONAL_PATHS.get(attribute, (attribute,))
        assert set(expected) <= set(paths)
    assert personal_paths(object()) == ()
    assert is_personal_path("contact_points[2].value", ["contact_points"])
    assert is_personal_path("consents[0].address", ["consents.address"])
    assert not is_personal_path("consents[0].channel", ["consents.address"])
    with pytest.raises(InvalidType):
        AuditEntry(
            number=1, aggregate_kind="x", aggregate_id="x-1", operation="added", personal="profile"
        )
    with pytest.raises(ValidationError):
        AuditEntry(
            number=1,
            aggregate_kind="x",
            aggregate_id="x-1",
            operation="added",
            personal=["a"] * 0 + [f"p{i}" for i in range(201)],
        )


def test_entry_fields_are_checked() -> None:
    """AuditEntry validates its fields."""
    good = {"number": 1, "aggregate_kind": "x", "aggregate_id": "x-1", "operation": "added"}
    assert AuditEntry(**good).record == ("x", "x-1")
    for change, error in [
        ({"number": 0}, ValidationError),
        ({"number": True}, InvalidType),
        ({"changes": FieldChange("a", new=1)}, InvalidType),
        ({"changes": ["a"]}, InvalidType),
        ({"event_types": ["a" * 65], "event_ids": ["x"]}, ValidationError),
        ({"event_types": [3], "event_ids": ["x"]}, InvalidType),
    ]:
        with pytest.raises(error):
            AuditEntry(**{**good, **change})

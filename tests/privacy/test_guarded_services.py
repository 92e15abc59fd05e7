"""Export and erasure through an access-guarded unit: authorized once, then done on whole records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.access import AccessDenied, AccessPolicy, GuardedUnitOfWork, Principal
from crmcore.activities import Activity, ActivityId, RecordRef
from crmcore.audit import AuditLog
from crmcore.customers import ErasureBlocked
from crmcore.interactions import Interaction, InteractionId
from crmcore.merge import merge_customers_in
from crmcore.notes import Note, NoteId
from crmcore.privacy import erase_subject, export_subject
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
from crmcore.serialization import to_dict
from crmcore.service import Case, CaseId
from crmcore.teams import StaffId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AT = T0 + timedelta(days=30)
SUBJECT = CustomerId("c-1")
SECRET = "Sari at Jalan Kenanga 5"  # noqa: S105 - personal text, not a password


def policy(*actions: str, masks: bool = True) -> AccessPolicy:
    """One role with ``actions`` on every kind; the interaction's subject and birth dates masked."""
    document: dict[str, object] = {
        "roles": ["agent"],
        "grants": [{"role": "agent", "kind": "*", "actions": list(actions), "scope": "all"}],
    }
    if masks:
        document["masks"] = [
            {"role": "agent", "kind": "interaction", "fields": ["subject"]},
            {"role": "agent", "kind": "customer", "fields": ["profile.birth_date"]},
        ]
    return AccessPolicy.from_dict(document)


AGENT = Principal(staff_id=StaffId("s-1"), roles=["agent"])


def store() -> InMemoryStore:
    """The subject with an interaction, a case, and a note and an activity on the case."""
    kept = InMemoryStore()
    with InMemoryUnitOfWork(kept) as unit:
        unit.customers.add(
            Customer.register(
                SUBJECT,
                name=PersonName("Sari", family="Wulandari"),
                at=T0,
                birth_date=date(1990, 2, 14),
                contact_points=[ContactPoint("email", "sari@example.com")],
            ).give_consent("email", "marketing", at=T0, source="form signed by Sari Wulandari")
        )
        unit.interactions.add(
            Interaction.log(
                InteractionId("i-1"),
                customer_id=SUBJECT,
                kind="call",
                channel="phone",
                direction="inbound",
                at=T0,
                subject=SECRET,
            )
        )
        unit.cases.add(
            Case.open(
                CaseId("k-1"),
                customer_id=SUBJECT,
                kind="question",
                subject="Parcel",
                at=T0,
                channel="email",
            )
        )
        link = RecordRef.to(CaseId("k-1"))
        unit.notes.add(Note.write(NoteId("n-1"), link=link, body=SECRET, at=T0))
        unit.activities.add(
            Activity.plan(
                ActivityId("a-1"),
                kind="call",
                subject=SECRET,
                due_at=T0 + timedelta(days=1),
                at=T0,
                link=link,
            )
        )
        unit.commit()
    return kept


def texts(kept: InMemoryStore) -> str:
    with InMemoryUnitOfWork(kept) as unit:
        return json.dumps(
            [
                to_dict(record)
                for name in ("customers", "interactions", "cases", "notes", "activities")
                for record in getattr(unit, name)
            ]
        )


def test_an_erasure_needs_the_erase_action_and_a_refusal_is_recorded() -> None:
    kept, log = store(), AuditLog()
    guarded = GuardedUnitOfWork(
        InMemoryUnitOfWork(kept), AGENT, policy("read", "update"), audit=log
    )
    with guarded:
        with pytest.raises(AccessDenied) as refused:
            erase_subject(guarded, SUBJECT, at=AT)
        guarded.commit()
    assert ("erase", "customer", "c-1") == (
        refused.value.action,
        refused.value.aggregate_kind,
        refused.value.aggregate_id,
    )
    assert [("erase", "c-1")] == [(a.action, a.aggregate_id) for a in log.denied()]
    assert SECRET in texts(kept)  # nothing erased


def test_an_export_needs_the_export_action() -> None:
    guarded = GuardedUnitOfWork(InMemoryUnitOfWork(store()), AGENT, policy("read"))
    with guarded, pytest.raises(AccessDenied):
        export_subject(guarded, SUBJECT, at=AT)


def test_a_masked_principal_allowed_to_erase_erases_everything_masked_fields_included() -> None:
    kept, log = store(), AuditLog()
    guarded = GuardedUnitOfWork(InMemoryUnitOfWork(kept), AGENT, policy("read", "erase"), audit=log)
    with guarded:
        report = erase_subject(guarded, SUBJECT, at=AT, actor="s-1")
        guarded.commit()
    log.erase_values(report.audit_keys)
    left = texts(kept)
    for value in (SECRET, "Wulandari", "sari@example.com", "1990-02-14", "form signed"):
        assert value not in left
        assert value not in json.dumps(log.to_dict())
    assert {"interaction:i-1", "note:n-1", "activity:a-1", "customer:c-1"} <= {
        f"{kind}:{record_id}" for kind, record_id in report.audit_keys
    }


def test_an_export_through_the_guarded_unit_is_the_subjects_whole_data() -> None:
    guarded = GuardedUnitOfWork(InMemoryUnitOfWork(store()), AGENT, policy("read", "export"))
    with guarded:
        export = export_subject(guarded, SUBJECT, at=AT)
    document = json.dumps(export.document)
    assert SECRET in document  # the masked subject is the person's own data
    assert {"notes": 1, "activities": 1} == {
        kind: n for kind, n in export.manifest.counts.items() if kind in ("notes", "activities")
    }


def test_a_hold_carried_over_by_a_merge_is_released_with_the_survivors() -> None:
    kept = store()
    with InMemoryUnitOfWork(kept) as unit:
        other = Customer.register(CustomerId("c-3"), name=PersonName("Sari"), at=T0)
        unit.customers.add(other.place_legal_hold("tax_2026", at=T0, reason="tax_audit"))
        merge_customers_in(unit, SUBJECT, CustomerId("c-3"), at=T0 + timedelta(days=1))
        unit.commit()
    with InMemoryUnitOfWork(kept) as unit:
        with pytest.raises(ErasureBlocked):
            erase_subject(unit, SUBJECT, at=AT)
        survivor = unit.customers.get(SUBJECT)
        unit.customers.save(survivor.release_legal_hold("tax_2026", at=AT))
        report = erase_subject(unit, SUBJECT, at=AT)
        unit.commit()
    assert ("customers", "c-3") in {(r.kind, r.record_id) for r in report.changed}
    with InMemoryUnitOfWork(kept) as unit:
        assert unit.customers.get(CustomerId("c-3")).is_erased

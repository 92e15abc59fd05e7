"""Tests for `crmcore.privacy._erasure`: one subject erased in one unit of work, or not at all."""

import json
from datetime import timedelta

import pytest

from crmcore import CustomerId, NotFound
from crmcore._kernel._personal import HoldsPersonalData
from crmcore.commerce import (
    OrderId,
)
from crmcore.customers import AlreadyErased, CustomerMerged, ErasureBlocked
from crmcore.errors import InvalidType, ValidationError
from crmcore.privacy import (
    SUBJECT_REPOSITORIES,
    ErasedRecord,
    ErasureReport,
    erase_subject,
    export_subject,
)
from crmcore.privacy._erasure import _anonymised
from crmcore.repository import InMemoryUnitOfWork
from crmcore.serialization import to_dict
from crmcore.service import CaseId
from crmcore.teams import StaffId, Team, TeamId

from ._world import (
    ABSORBED,
    EMAIL,
    OTHER,
    SUBJECT,
    T0,
    with_absorbed,
    world,
)

LATER = T0 + timedelta(days=60)
META = {"actor": "staff:dpo-1", "correlation_id": "request-17"}


def stored(unit: InMemoryUnitOfWork) -> dict[str, str]:
    """Every stored aggregate of every repository, as JSON text by ``repository:id``."""
    with unit:
        return {
            f"{repository}:{record.id.value}": json.dumps(to_dict(record), sort_keys=True)
            for repository in SUBJECT_REPOSITORIES
            for record in getattr(unit, repository)
        }


def erase(unit: InMemoryUnitOfWork, customer_id: CustomerId = SUBJECT) -> ErasureReport:
    """Erase ``customer_id`` in one committed unit."""
    with unit:
        report = erase_subject(unit, customer_id, at=LATER, **META)
        unit.commit()
    return report


def test_every_record_about_the_subject_is_left_without_personal_data() -> None:
    """After the erasure no record the export covered holds anything anonymise would replace."""
    unit = world()
    with unit:
        covered = export_subject(unit, SUBJECT, at=LATER).manifest.sections
    erase(unit)
    with unit:
        for section in covered:
            for record in getattr(unit, section.kind):
                if record.id.value not in section.ids:
                    continue
                if section.kind == "privacy_requests":  # ids and codes only: nothing to erase
                    assert not isinstance(record, HoldsPersonalData)
                    continue
                assert isinstance(record, HoldsPersonalData)
                if section.kind != "customers":
                    assert record is record.anonymise(at=LATER + timedelta(days=1))
        customer = unit.customers.get(SUBJECT)
    assert customer.is_erased
    assert not customer.contact_points
    assert EMAIL not in stored(unit)["customers:c-1"]


def test_report_lists_each_record_and_the_fields_its_event_names() -> None:
    """The report has one entry per record covered, the customer last; fields match the events."""
    unit = world()
    with unit:
        export = export_subject(unit, SUBJECT, at=LATER)
    before = len(unit.collect_events())
    report = erase(unit)
    events = unit.collect_events()[before:]
    named = {(event.aggregate_id, tuple(event.fields)) for event in events}
    assert {(record.record_id, record.fields) for record in report.changed} == named
    covered = [
        (section.kind, record_id)
        for section in export.manifest.sections
        for record_id in section.ids
    ]
    assert sorted(covered) == sorted((record.kind, record.record_id) for record in report.records)
    assert ErasedRecord("customers", "c-1", report.records[-1].fields) == report.records[-1]
    assert report.records[-1].changed
    assert (SUBJECT, LATER) == (report.customer_id, report.at)
    assert sum(report.counts().values()) == len(report.changed)
    assert all(not record.changed for record in report.unchanged)
    assert report.unchanged  # the orders hold no reason text here: nothing to replace
    with unit:
        for record in report.unchanged:
            held = next(r for r in getattr(unit, record.kind) if r.id.value == record.record_id)
            assert not isinstance(held, HoldsPersonalData) or not any(
                value not in (None, (), {}, "") for value in held.personal_data().values()
            )


def test_report_and_events_carry_no_personal_value() -> None:
    """Field names and ids only: neither the report nor the events repeat an erased value."""
    unit = world()
    before = len(unit.collect_events())
    report = erase(unit)
    texts = [
        repr(report),
        *(json.dumps(to_dict(event)) for event in unit.collect_events()[before:]),
    ]
    for value in (EMAIL, "Putri", "Melati", "Pak Budi", "Javanese"):
        assert not any(value in text for text in texts)


def test_events_carry_the_envelope_given() -> None:
    """Every event of the erasure names the actor and the request as correlation id."""
    unit = world()
    before = len(unit.collect_events())
    erase(unit)
    events = unit.collect_events()[before:]
    assert events
    assert {(META["actor"], META["correlation_id"])} == {
        (event.actor, event.correlation_id) for event in events
    }


def test_accounting_and_consent_proof_are_kept() -> None:
    """An order keeps its amounts and payments; the consent history keeps its dates and purposes."""
    unit = world()
    with unit:
        customer = unit.customers.get(SUBJECT)
        customer = customer.give_consent(
            "email", "marketing", at=T0, source="signup", address=EMAIL
        )
        unit.customers.save(customer)
        unit.commit()
    with unit:
        order = unit.orders.get(OrderId("o-1"))
        consents = unit.customers.get(SUBJECT).consents
    erase(unit)
    with unit:
        after = unit.orders.get(OrderId("o-1"))
        kept = unit.customers.get(SUBJECT).consents
    assert (order.total, order.amount_paid, order.lines, order.payments) == (
        after.total,
        after.amount_paid,
        after.lines,
        after.payments,
    )
    proof = [(c.channel, c.purpose, c.status, c.captured_at) for c in consents]
    assert proof == [(c.channel, c.purpose, c.status, c.captured_at) for c in kept]
    assert all(record.address is None for record in kept)


def test_other_customers_records_are_untouched() -> None:
    """Records of another customer keep their documents and versions."""
    unit = world()
    before = stored(unit)
    erase(unit)
    after = stored(unit)
    with unit:
        export = export_subject(unit, OTHER, at=LATER)
    theirs = [
        f"{section.kind}:{record_id}"
        for section in export.manifest.sections
        for record_id in section.ids
    ]
    assert theirs
    assert [before[key] for key in theirs] == [after[key] for key in theirs]


def test_erasing_twice_raises_and_changes_nothing() -> None:
    """A second erasure is refused with AlreadyErased."""
    unit = world()
    erase(unit)
    before = stored(unit)
    with unit, pytest.raises(AlreadyErased) as caught:
        erase_subject(unit, SUBJECT, at=LATER + timedelta(days=1))
    assert SUBJECT == caught.value.customer_id
    assert before == stored(unit)


def test_an_erasure_rolled_back_leaves_everything_as_it_was() -> None:
    """Leaving the block without committing applies nothing: documents and outbox are unchanged."""
    unit = world()
    before, events = stored(unit), unit.collect_events()
    with unit:
        report = erase_subject(unit, SUBJECT, at=LATER, **META)
        assert report.changed
        assert unit.customers.get(SUBJECT).is_erased  # the unit sees its own changes
    assert before == stored(unit)
    assert events == unit.collect_events()
    with unit:
        assert not unit.customers.get(SUBJECT).is_erased


def test_an_absorbed_customer_is_refused_with_its_survivor() -> None:
    """Erasing a customer merged into another names the survivor to erase instead."""
    unit = world()
    with_absorbed(unit, ABSORBED)
    before = stored(unit)
    with unit, pytest.raises(CustomerMerged) as caught:
        erase_subject(unit, ABSORBED, at=LATER)
    assert SUBJECT == caught.value.survivor_id
    assert before == stored(unit)


def test_tombstones_merged_into_the_subject_are_erased_too() -> None:
    """The absorbed customers are anonymised before the customer; one erased already is skipped."""
    unit = world()
    with_absorbed(unit, ABSORBED, CustomerId("c-4"))
    with unit:
        tombstone = unit.customers.get(CustomerId("c-4"))
        unit.customers.save(tombstone.anonymise(at=T0 + timedelta(days=2)))
        unit.commit()
    report = erase(unit)
    order = [
        (record.record_id, record.changed)
        for record in report.records
        if record.kind == "customers"
    ]
    assert [("c-3", True), ("c-4", False), ("c-1", True)] == order
    with unit:
        assert all(unit.customers.get(CustomerId(key)).is_erased for key in ("c-1", "c-3", "c-4"))


def test_a_legal_hold_blocks_the_erasure_before_anything_changes() -> None:
    """Under a legal hold nothing is saved, even inside the unit; the error names the hold codes."""
    unit = world()
    with unit:
        customer = unit.customers.get(SUBJECT)
        customer = customer.place_legal_hold("tax_2026", at=T0, reason="tax_audit")
        customer = customer.place_legal_hold("claim_7", at=T0, reason="litigation")
        unit.customers.save(customer)
        unit.commit()
    before = stored(unit)
    with unit:
        with pytest.raises(ErasureBlocked) as caught:
            erase_subject(unit, SUBJECT, at=LATER)
        seen = {
            f"{repository}:{record.id.value}": json.dumps(to_dict(record), sort_keys=True)
            for repository in SUBJECT_REPOSITORIES
            for record in getattr(unit, repository)
        }
    assert ("claim_7", "tax_2026") == caught.value.hold_codes
    assert "legal_hold" == caught.value.code
    assert before == seen


def test_a_time_before_a_records_last_change_saves_nothing() -> None:
    """Every record is checked before the first save: one refusal leaves the unit unchanged."""
    unit = world()
    with unit:
        case = unit.cases.get(CaseId("k-1"))
        unit.cases.save(case.assign(StaffId("s-2"), at=LATER + timedelta(days=5)))
        unit.commit()
    before = stored(unit)
    with unit:
        with pytest.raises(ValidationError):
            erase_subject(unit, SUBJECT, at=LATER)
        changed = [record.id.value for record in unit.orders if record.version]
        unit.commit()  # nothing to commit
    assert not changed
    assert before == stored(unit)


def test_bad_arguments_are_refused() -> None:
    """Unknown ids, naive times, ids of the wrong type and malformed envelopes raise."""
    unit = world()
    with unit:
        with pytest.raises(NotFound):
            erase_subject(unit, CustomerId("c-9"), at=LATER)
        with pytest.raises(ValidationError) as naive:
            erase_subject(unit, SUBJECT, at=LATER.replace(tzinfo=None))
        with pytest.raises(InvalidType):
            erase_subject(unit, "c-1", at=LATER)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            erase_subject(unit, SUBJECT, at=LATER, actor=" ")
        with pytest.raises(InvalidType):
            erase_subject(unit, SUBJECT, at=LATER, actor=7)  # type: ignore[typeddict-item]
    assert "$.at" == naive.value.path


def test_a_record_without_personal_fields_is_kept_as_it_is() -> None:
    """A record of a kind holding no personal data is gone through and left unchanged."""
    team = Team.form(TeamId("t-1"), name="Support", at=T0)
    assert (team, ()) == _anonymised(team, at=LATER, meta={})

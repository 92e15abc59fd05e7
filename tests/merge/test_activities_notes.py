"""Tests for `crmcore.merge._service` with activities and notes: they follow the survivor."""

from datetime import timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.activities import Activity, ActivityCustomerRepointed, ActivityId, RecordRef
from crmcore.merge import (
    MergePreviewOutdated,
    apply_merge,
    merge_customers_in,
    preview_customer_merge,
)
from crmcore.notes import Note, NoteCustomerRepointed, NoteId
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import LeadId
from crmcore.testing import strategies as crm

from ._world import GONE, KEPT, LATER, OTHER, T0, customer
from .test_service import snapshot


def call(number, *, link=None, contacts=(), at=T0):
    return Activity.plan(
        ActivityId(f"a-{number}"),
        kind="call",
        subject=f"Call {number}",
        due_at=LATER + timedelta(days=1),
        at=at,
        link=link,
        contacts=contacts,
    )


def note(number, link, at=T0):
    return Note.write(NoteId(f"n-{number}"), link=link, body=f"Note {number}", at=at)


def store(*records):
    """KEPT, GONE and OTHER, with ``records`` (activities and notes)."""
    unit = InMemoryUnitOfWork()
    with unit:
        for who in (KEPT, GONE, OTHER):
            unit.customers.add(customer(who))
        for record in records:
            (unit.activities if isinstance(record, Activity) else unit.notes).add(record)
        unit.commit()
    unit.acknowledge(unit.collect_events())  # the setup's events: the tests look at the merge's
    return unit


#: Activities and notes, and what a merge of GONE into KEPT makes of their link and contacts.
CASES = [
    (call(1, link=RecordRef.to(GONE)), (RecordRef.to(KEPT), ())),
    (call(2, link=RecordRef.account(GONE)), (RecordRef.account(KEPT), ())),
    (call(3, contacts=[OTHER, GONE]), (None, (OTHER, KEPT))),
    # The survivor takes part already: it is kept once, at the first of the two places.
    (call(4, contacts=[GONE, OTHER, KEPT]), (None, (KEPT, OTHER))),
    (call(5, link=RecordRef.to(GONE), contacts=[KEPT, GONE]), (RecordRef.to(KEPT), (KEPT,))),
    (note(1, RecordRef.to(GONE)), (RecordRef.to(KEPT), None)),
    (note(2, RecordRef.account(GONE)), (RecordRef.account(KEPT), None)),
]
#: Records a merge of GONE into KEPT leaves alone.
UNTOUCHED = [
    call(6, link=RecordRef.to(LeadId(GONE.value)), contacts=[OTHER]),
    call(7, link=RecordRef.to(KEPT), contacts=[KEPT]),
    note(3, RecordRef.to(LeadId(GONE.value))),
    note(4, RecordRef.to(OTHER)),
]


def repository(record):
    return "activities" if isinstance(record, Activity) else "notes"


def test_the_preview_lists_the_activities_and_notes_naming_the_absorbed():
    """By link (customer or account) or as a contact; a lead with the same id text is not it."""
    unit = store(*(record for record, _ in CASES), *UNTOUCHED)
    with unit:
        preview = preview_customer_merge(unit, KEPT, GONE, at=LATER)
    expected = {
        name: tuple(sorted(r.id for r, _ in CASES if repository(r) == name))
        for name in ("activities", "notes")
    }
    assert {name: preview.ids(name) for name in expected} == expected
    assert {"activities", "notes"} == set(preview.by_repository)


@pytest.mark.parametrize(("record", "after"), CASES, ids=lambda x: getattr(x, "id", "-"))
def test_apply_repoints_the_link_and_the_contacts(record, after):
    """The link keeps its kind; the survivor takes the absorbed's place among the contacts once."""
    unit = store(record, *UNTOUCHED)
    before = snapshot(unit)
    with unit:
        preview = preview_customer_merge(unit, KEPT, GONE, at=LATER)
        result = apply_merge(unit, preview, actor="staff-1")
        unit.commit()
    link, contacts = after
    with unit:
        moved = getattr(unit, repository(record)).get(record.id)
        assert moved.link == link
        if contacts is not None:
            assert moved.contacts == contacts
        for untouched in UNTOUCHED:
            assert getattr(unit, repository(untouched)).get(untouched.id) == untouched
        assert getattr(unit, repository(record)).for_customer(GONE) == []
        same = [r for r in (record, *UNTOUCHED) if repository(r) == repository(record)]
        expected = sorted(r.id for r in same if r is record or names(r, KEPT))
        assert [r.id for r in getattr(unit, repository(record)).for_customer(KEPT)] == expected
    assert [r.id for r in result.records] == [record.id]
    assert snapshot(unit)[repository(record)] != before[repository(record)]
    event = unit.collect_events()[-1]
    assert isinstance(event, ActivityCustomerRepointed | NoteCustomerRepointed)
    changed = tuple(
        name
        for name, old, new in (
            ("link", record.link, link),
            ("contacts", getattr(record, "contacts", None), contacts),
        )
        if old != new
    )
    assert (event.previous, event.customer_id, event.fields, event.actor) == (
        GONE,
        KEPT,
        changed,
        "staff-1",
    )


def test_a_refused_merge_applies_nothing_to_activities_and_notes():
    """An activity changed after the merge time refuses (time_backwards): nothing is saved."""
    records = [record for record, _ in CASES]
    changed = call(9, link=RecordRef.to(GONE), at=T0).link_to(
        RecordRef.account(GONE), at=LATER + timedelta(hours=1)
    )
    unit = store(*records, changed)
    before = snapshot(unit)
    with unit, pytest.raises(ValidationError) as info:
        merge_customers_in(unit, KEPT, GONE, at=LATER)
    assert (info.value.path, info.value.code) == ("$.at", "time_backwards")
    assert snapshot(unit) == before
    with unit:
        for record in records:
            assert getattr(unit, repository(record)).get(record.id) == record
        assert unit.customers.get(GONE).merged_into is None
    assert unit.collect_events() == []


def test_a_preview_is_refused_once_an_activity_or_note_names_the_absorbed():
    """A note written on the absorbed customer after the preview: MergePreviewOutdated."""
    unit = store(call(1, link=RecordRef.to(GONE)))
    with unit:
        preview = preview_customer_merge(unit, KEPT, GONE, at=LATER)
    with unit:
        unit.notes.add(note(1, RecordRef.to(GONE)))
        unit.commit()
    before = snapshot(unit)
    with unit, pytest.raises(MergePreviewOutdated) as info:
        apply_merge(unit, preview)
    assert (info.value.kind, info.value.aggregate_id) == ("note", NoteId("n-1"))
    assert snapshot(unit) == before


@st.composite
def stores(draw):
    """Activities and notes drawn by the shipped strategies, naming KEPT, GONE or others."""
    activities = draw(
        st.lists(
            crm.activities(customer_ids=[KEPT, GONE, OTHER], pending_events=False),
            max_size=4,
            unique_by=lambda a: a.id,
        ),
        label="activities",
    )
    links = [RecordRef.to(KEPT), RecordRef.to(GONE), RecordRef.account(GONE), RecordRef.to(OTHER)]
    notes = draw(
        st.lists(
            crm.notes(links=links, pending_events=False), max_size=4, unique_by=lambda n: n.id
        ),
        label="notes",
    )
    last = max([T0, *(r.updated_at for r in (*activities, *notes))])
    at = draw(crm.aware_datetimes(min_value=last, max_value=last + timedelta(days=30)), label="at")
    return store(*activities, *notes), activities, notes, at


def names(record, customer_id):
    """Whether ``record`` names ``customer_id`` (computed from its fields, not the index)."""
    linked = record.link is not None and record.link.customer_id == customer_id
    return linked or customer_id in getattr(record, "contacts", ())


@given(stores())
def test_after_a_merge_no_activity_or_note_names_the_absorbed(drawn):
    """Every activity and note naming either customer names the survivor; the others are unchanged."""
    unit, activities, notes, at = drawn
    assume(any(names(r, GONE) for r in (*activities, *notes)))
    with unit:
        merge_customers_in(unit, KEPT, GONE, at=at)
        unit.commit()
    with unit:
        for name, drawn_records in (("activities", activities), ("notes", notes)):
            stored = getattr(unit, name)
            assert stored.for_customer(GONE) == []
            expected = sorted(r.id for r in drawn_records if names(r, GONE) or names(r, KEPT))
            assert [r.id for r in stored.for_customer(KEPT)] == expected
            for record in drawn_records:
                after = stored.get(record.id)
                assert not names(after, GONE)
                if not names(record, GONE):
                    assert after == record
                else:
                    assert (after.version, after.updated_at) == (record.version + 1, at)

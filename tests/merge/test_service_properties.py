"""Property tests for `crmcore.merge._service`, drawing customers and records from `crmcore.testing.strategies`.

After a merge in an in-memory unit of work: no order, payment, case or
consent record is lost (the survivor holds what both held), nothing names
the absorbed id any more, the absorbed id resolves to the survivor, and no
refusal became a permission.
"""

from collections import Counter
from datetime import timedelta

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.customers import Channel, ConsentStatus, Purpose
from crmcore.errors import DuplicateKey
from crmcore.merge import (
    REPOSITORIES,
    apply_merge,
    merge_customers_in,
    preview_customer_merge,
    resolve_customer,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.testing import strategies as crm

from ._world import GONE, KEPT

PAIRS = [(channel, purpose) for channel in Channel for purpose in Purpose]
#: The record kinds drawn for both customers (their strategies take ``customer_ids``).
DRAWN = {
    "orders": lambda **kw: crm.orders(max_lines=2, max_steps=3, **kw),
    "subscriptions": lambda **kw: crm.subscriptions(max_steps=3, **kw),
    "cases": lambda **kw: crm.cases(max_steps=2, **kw),
    "interactions": crm.interactions,
    "surveys": crm.survey_responses,
    "reviews": crm.reviews,
}


def person(customer, customer_id):
    return attrs.evolve(customer, id=customer_id)


@st.composite
def stores(draw):
    """A unit of work holding two people and records of both; the merge time."""
    people = crm.customers(
        kinds=["person"], max_consents=8, max_reassignments=0, pending_events=False
    )
    kept = person(draw(people, label="kept"), KEPT)
    gone = person(draw(people, label="gone"), GONE)
    records = {
        name: draw(
            st.lists(
                make(customer_ids=[KEPT, GONE], pending_events=False),
                max_size=2,
                unique_by=lambda record: record.id,
            ),
            label=name,
        )
        for name, make in DRAWN.items()
    }
    unit = InMemoryUnitOfWork()
    with unit:
        try:
            unit.customers.add(kept)
            unit.customers.add(gone)
        except DuplicateKey:  # both drew one email address: not a pair this test is about
            assume(False)
        for name, items in records.items():
            for record in items:
                getattr(unit, name).add(record)
        unit.commit()
    last = max(
        [kept.updated_at, gone.updated_at, *(r.updated_at for rs in records.values() for r in rs)]
    )
    at = draw(crm.aware_datetimes(min_value=last, max_value=last + timedelta(days=30)), label="at")
    with unit:
        try:
            preview_customer_merge(unit, KEPT, GONE, at=at)
        except ValidationError as error:
            refusal = (error.path, error.code)
        else:
            refusal = None
    # A birth date after the other record's registration is refused (see tests/customers).
    assert refusal in (None, ("$.profile.birth_date", "future_birth_date"))
    assume(refusal is None)
    return unit, kept, gone, records, at


def latest_is_withdrawal(records, channel, purpose, when) -> bool:
    """The latest record applying to the pair (either scope) withdraws; a withdrawal wins a tie."""
    applying = [
        r
        for r in records
        if r.purpose is purpose
        and r.channel in (None, channel)
        and r.captured_at <= when
        and not r.for_address  # a record for one address is not about the whole channel
    ]
    if not applying:
        return False
    newest = max(r.captured_at for r in applying)
    return any(r.status is ConsentStatus.WITHDRAWN for r in applying if r.captured_at == newest)


@given(stores())
def test_a_merge_loses_nothing_and_leaves_nothing_naming_the_absorbed(store):
    """Orders, payments, cases and consent records: the survivor holds exactly what both held."""
    unit, kept, gone, records, at = store
    with unit:
        merge_customers_in(unit, KEPT, GONE, at=at)
        unit.commit()
    with unit:
        merged = unit.customers.get(KEPT)
        for name, items in records.items():
            held = getattr(unit, name).for_customer(KEPT)
            assert sorted(r.id for r in held) == sorted(r.id for r in items if r.customer_id)
            assert getattr(unit, name).for_customer(GONE) == []
        for name in REPOSITORIES:
            if name != "relationships":
                assert getattr(unit, name).for_customer(GONE) == []
        assert unit.relationships.for_party(GONE) == []
        payments = Counter(
            p.id for name in ("orders", "subscriptions") for r in records[name] for p in r.payments
        )
        stored = Counter(
            p.id
            for name in ("orders", "subscriptions")
            for r in getattr(unit, name).for_customer(KEPT)
            for p in r.payments
        )
        assert stored == payments
        for order in records["orders"]:
            assert unit.orders.get(order.id).payments == order.payments
        assert resolve_customer(unit, GONE) == merged
        assert unit.customers.get(GONE).merged_into == KEPT
    # A record both customers hold (same channel, purpose, decision, time and source) is the
    # same record: the merge keeps it once, so each record must appear as often as either held it.
    union = Counter(kept.consents) | Counter(gone.consents)
    assert not union - Counter(merged.consents)
    for channel, purpose in PAIRS:
        allowed = merged.may_contact(channel, purpose, at=at)
        if not kept.may_contact(channel, purpose, at=at) and not gone.may_contact(
            channel, purpose, at=at
        ):
            assert not allowed
        if latest_is_withdrawal([*kept.consents, *gone.consents], channel, purpose, at):
            assert not allowed


@given(stores())
def test_the_preview_applied_in_a_later_unit_does_what_a_direct_merge_does(store):
    """Preview in one unit, apply in the next: the same records move as with merge_customers_in."""
    unit, _, _, records, at = store
    with unit:
        preview = preview_customer_merge(unit, KEPT, GONE, at=at)
    expected = {
        name: tuple(sorted(r.id for r in items if r.customer_id == GONE))
        for name, items in records.items()
    }
    assert {name: preview.ids(name) for name in records} == expected
    with unit:
        result = apply_merge(unit, preview)
        assert [r.id for r in result.records] == [ref.record_id for ref in preview.repointed]
        assert all(r.customer_id == KEPT for r in result.records)


def one_primary(contacts):
    """``contacts`` with the primary flag kept on the first entry that has it only."""
    first = next((i for i, c in enumerate(contacts) if c.primary), None)
    return [attrs.evolve(c, primary=i == first) for i, c in enumerate(contacts)]


@st.composite
def stores_with_contacts(draw):
    """A store as drawn by :func:`stores`, its cases naming KEPT, GONE or others as contacts."""
    unit, _, _, records, at = draw(stores())
    entries = st.builds(
        lambda drawn, who: attrs.evolve(drawn, contact_id=who),
        crm.involved_contacts(),
        st.sampled_from([KEPT, GONE]) | crm.customer_ids(),
    )
    before = {}
    with unit:
        for case in records["cases"]:
            contacts = draw(
                st.lists(entries, max_size=4, unique_by=lambda c: (c.contact_id, c.role)),
                label=f"contacts of {case.id}",
            )
            saved = unit.cases.save(case.change_contacts(one_primary(contacts), at=case.updated_at))
            before[saved.id] = saved
        unit.commit()
    return unit, before, at


@given(stores_with_contacts())
def test_the_survivor_takes_the_absorbed_place_among_every_case_contacts(store):
    """No case names the absorbed as a contact; the same (contact, role) pairs and primary, moved."""
    unit, before, at = store
    moved = {GONE: KEPT}
    with unit:
        preview = preview_customer_merge(unit, KEPT, GONE, at=at)
        merge_customers_in(unit, KEPT, GONE, at=at)
        unit.commit()
    involving = {i for i, case in before.items() if GONE in {c.contact_id for c in case.contacts}}
    assert {ref.record_id for ref in preview.involved} == involving
    with unit:
        for case_id, case in before.items():
            after = unit.cases.get(case_id)
            assert GONE not in {c.contact_id for c in after.contacts}
            pairs = {(moved.get(c.contact_id, c.contact_id), c.role) for c in case.contacts}
            assert {(c.contact_id, c.role) for c in after.contacts} == pairs
            primary = case.primary_contact
            assert (after.primary_contact is None) == (primary is None)
            if primary is not None:
                assert (after.primary_contact.contact_id, after.primary_contact.role) == (
                    moved.get(primary.contact_id, primary.contact_id),
                    primary.role,
                )
            if case_id not in involving:
                assert after.contacts == case.contacts

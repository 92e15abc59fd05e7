"""Tests for `crmcore.merge._service`: the survivor takes the absorbed's place among involved contacts."""

import pytest

from crmcore import CustomerId, ValidationError
from crmcore.merge import (
    MergePreviewOutdated,
    apply_merge,
    merge_customers_in,
    preview_customer_merge,
)
from crmcore.parties import InvolvedContact
from crmcore.sales import Opportunity, OpportunityId
from crmcore.service import Case, CaseId

from ._world import GONE, KEPT, LATER, OTHER, T0, customer, records_of

#: The account the opportunity and case of these tests belong to (neither of the duplicates).
ACCOUNT = CustomerId("c-account")
OPP = OpportunityId("op-other")
CASE = CaseId("k-other")


def add_records_of_other(unit, opportunity_contacts, case_contacts):
    """An opportunity and a case of ACCOUNT, with the given involved contacts."""
    records = records_of(ACCOUNT, "-other")
    with unit:
        unit.customers.add(customer(ACCOUNT))
        opportunity = records["opportunities"].change_contacts(opportunity_contacts, at=T0)
        case = records["cases"].change_contacts(case_contacts, at=T0)
        unit.opportunities.add(opportunity)
        unit.cases.add(case)
        unit.commit()
    unit.acknowledge(unit.collect_events())  # the setup's events: the tests look at the merge's
    return opportunity, case


def contact(who, role, *, primary=False):
    return InvolvedContact(who, role, primary=primary)


def test_the_survivor_takes_the_absorbed_place_in_the_same_role(uow):
    """Each record's own change_contacts, at the merge time, by the merge's actor; roles kept."""
    add_records_of_other(
        uow,
        [contact(GONE, "decision_maker", primary=True), contact(OTHER, "technical")],
        [contact(OTHER, "reporter", primary=True), contact(GONE, "approver")],
    )
    with uow:
        result = merge_customers_in(uow, KEPT, GONE, at=LATER, actor="staff-1")
        uow.commit()
    with uow:
        opportunity = uow.opportunities.get(OPP)
        case = uow.cases.get(CASE)
    assert opportunity.contacts == (
        contact(KEPT, "decision_maker", primary=True),
        contact(OTHER, "technical"),
    )
    assert case.contacts == (contact(OTHER, "reporter", primary=True), contact(KEPT, "approver"))
    assert (opportunity.customer_id, case.customer_id) == (ACCOUNT, ACCOUNT)
    assert {OPP, CASE} <= {record.id for record in result.records}
    changed = [e for e in uow.collect_events() if e.type.endswith("ContactsChanged")]
    assert [(e.type, e.occurred_at, e.actor) for e in changed] == [
        ("CaseContactsChanged", LATER, "staff-1"),
        ("OpportunityContactsChanged", LATER, "staff-1"),
    ]
    assert changed[0].previous == (
        contact(OTHER, "reporter", primary=True),
        contact(GONE, "approver"),
    )
    assert changed[0].contacts == case.contacts


def test_a_record_of_the_absorbed_naming_it_as_contact_changes_both(uow):
    """The absorbed's own opportunity: its customer is re-pointed, then its contacts; one save."""
    with uow:
        opportunity = uow.opportunities.for_customer(GONE)[0]
        opportunity = opportunity.change_contacts([contact(GONE, "champion")], at=T0)
        uow.opportunities.save(opportunity)
        uow.commit()
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        assert preview.ids("opportunities") == (opportunity.id,)
        assert [ref.record_id for ref in preview.involved] == [opportunity.id]
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    with uow:
        moved = uow.opportunities.get(opportunity.id)
    assert (moved.customer_id, moved.contacts) == (KEPT, (contact(KEPT, "champion"),))
    assert moved.version == opportunity.version + 2
    events = uow.collect_events()
    assert [e.type for e in events if getattr(e, "opportunity_id", None) == opportunity.id][
        -2:
    ] == [
        "OpportunityCustomerRepointed",
        "OpportunityContactsChanged",
    ]


def test_a_survivor_already_in_the_role_keeps_one_entry(uow):
    """Each contact in each role once: the first place stays, primary if either entry was."""
    add_records_of_other(
        uow,
        [contact(KEPT, "champion"), contact(OTHER, "technical"), contact(GONE, "champion")],
        [contact(KEPT, "reporter"), contact(GONE, "reporter", primary=True)],
    )
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        opportunity = uow.opportunities.get(OPP)
        case = uow.cases.get(CASE)
    assert opportunity.contacts == (contact(KEPT, "champion"), contact(OTHER, "technical"))
    assert case.contacts == (contact(KEPT, "reporter", primary=True),)


def test_a_survivor_in_another_role_keeps_both_roles(uow):
    """A contact may play several roles: both entries stay, the absorbed's primary flag moves."""
    add_records_of_other(
        uow,
        [contact(GONE, "economic_buyer", primary=True), contact(KEPT, "technical")],
        [contact(KEPT, "reporter", primary=True), contact(GONE, "approver")],
    )
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        opportunity = uow.opportunities.get(OPP)
        case = uow.cases.get(CASE)
    assert opportunity.contacts == (
        contact(KEPT, "economic_buyer", primary=True),
        contact(KEPT, "technical"),
    )
    assert case.contacts == (contact(KEPT, "reporter", primary=True), contact(KEPT, "approver"))


def test_records_not_involving_the_absorbed_are_not_touched(uow):
    """Contacts naming others only: no command, no event, no save, not in the preview."""
    opportunity, case = add_records_of_other(
        uow, [contact(KEPT, "champion", primary=True)], [contact(OTHER, "reporter")]
    )
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    assert OPP not in preview.ids("opportunities")
    assert CASE not in preview.ids("cases")
    assert preview.involved == ()
    with uow:
        assert uow.opportunities.get(OPP).version == opportunity.version
        assert uow.cases.get(CASE).version == case.version
        assert uow.opportunities.get(OPP).contacts == opportunity.contacts
    assert not [e for e in uow.collect_events() if e.type.endswith("ContactsChanged")]


def test_the_preview_lists_the_records_whose_contacts_move(uow):
    """Among repointed (by repository, then id) and in involved; apply re-points what it lists."""
    add_records_of_other(uow, [contact(GONE, "champion")], [contact(GONE, "reporter")])
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    assert preview.ids("opportunities") == (OpportunityId("op"), OPP)
    assert preview.ids("cases") == (CaseId("k"), CASE)
    assert [(ref.repository, ref.record_id, ref.version) for ref in preview.involved] == [
        ("cases", CASE, 0),
        ("opportunities", OPP, 0),
    ]
    assert "cases=2" in repr(preview)
    assert "opportunities=2" in repr(preview)
    with uow:
        result = apply_merge(uow, preview)
    assert [r.id for r in result.records] == [ref.record_id for ref in preview.repointed]
    moved = {r.id: r for r in result.records if isinstance(r, Opportunity | Case)}
    assert moved[OPP].contacts == (contact(KEPT, "champion"),)
    assert moved[CASE].contacts == (contact(KEPT, "reporter"),)


def test_a_preview_that_did_not_see_a_new_involvement_is_refused(uow):
    """A case naming the absorbed as a contact since the preview: MergePreviewOutdated."""
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    add_records_of_other(uow, [], [contact(GONE, "reporter")])
    with uow, pytest.raises(MergePreviewOutdated) as info:
        apply_merge(uow, preview)
    assert (info.value.kind, info.value.aggregate_id) == ("case", CASE)
    assert (info.value.expected_version, info.value.actual_version) == (None, 0)


def test_a_record_changed_after_the_merge_time_is_refused(uow):
    """change_contacts refuses an ``at`` before the record's last change; nothing is saved."""
    records = records_of(ACCOUNT, "-other")
    with uow:
        uow.customers.add(customer(ACCOUNT))
        uow.cases.add(records["cases"].change_contacts([contact(GONE, "reporter")], at=LATER))
        uow.commit()
    between = T0 + (LATER - T0) / 2
    with uow, pytest.raises(ValidationError) as info:
        merge_customers_in(uow, KEPT, GONE, at=between)
    assert (info.value.path, info.value.code) == ("$.at", "time_backwards")
    with uow:
        assert uow.cases.get(CASE).contacts == (contact(GONE, "reporter"),)
        assert uow.customers.get(GONE).merged_into is None

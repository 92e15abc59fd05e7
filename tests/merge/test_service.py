"""Tests for `crmcore.merge._service`: merging duplicates in a unit of work, all or nothing."""

import pickle

import attrs
import pytest

from crmcore import CustomerId, InvalidType, OrganizationName, ValidationError
from crmcore.customers import Customer, CustomerMerged, SurvivorshipRules
from crmcore.errors import ConcurrencyConflict, NotFound
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId
from crmcore.merge import (
    MAX_MERGE_CHAIN,
    REPOSITORIES,
    MergeConflict,
    MergePreview,
    MergePreviewOutdated,
    RecordVersion,
    apply_merge,
    merge_customers_in,
    preview_customer_merge,
    resolve_customer,
)
from crmcore.parties import Relationship, RelationshipConflict, RelationshipId
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import Lead, LeadId

from ._world import GONE, KEPT, LATER, OTHER, PROGRAM, T0, customer, records_of


def naming(unit, customer_id):
    """Every record of the unit naming ``customer_id``, by repository (ids)."""
    found = {}
    for name in REPOSITORIES:
        repo = getattr(unit, name)
        if name == "relationships":
            records = repo.for_party(customer_id)
        elif name == "leads":
            records = [lead for lead in repo if customer_id in (lead.customer_id, lead.referred_by)]
        else:
            records = repo.for_customer(customer_id)
        if records:
            found[name] = tuple(record.id for record in records)
    return found


def snapshot(unit):
    """Everything stored, by repository: (id, version) pairs."""
    with unit:
        return {
            name: sorted((str(r.id), r.version) for r in getattr(unit, name))
            for name in ("customers", *REPOSITORIES)
        }


# -- merging ----------------------------------------------------------------------------------


def test_every_record_kind_is_repointed_to_the_survivor(uow):
    """Every repository of REPOSITORIES (orders to relationships, activities and notes)."""
    with uow:
        before = naming(uow, GONE)
        result = merge_customers_in(uow, KEPT, GONE, at=LATER, actor="staff-1")
        uow.commit()
    assert set(before) == set(REPOSITORIES)
    with uow:
        assert naming(uow, GONE) == {}
        assert naming(uow, KEPT) == before
        assert uow.orders.get(before["orders"][0]).payments[0].amount.amount == 10
        absorbed = uow.customers.get(GONE)
    assert absorbed.merged_into == KEPT
    assert len(result.records) == len(REPOSITORIES)
    events = uow.collect_events()
    repointed = [e for e in events if e.type.endswith("CustomerRepointed")]
    assert len(repointed) == len(REPOSITORIES)
    assert {(e.previous, e.customer_id) for e in repointed} == {(GONE, KEPT)}
    assert {e.actor for e in repointed} == {"staff-1"}
    merged = len(events) - len(REPOSITORIES)
    assert [e.type for e in events[merged - 2 : merged]] == ["CustomerAbsorbed", "CustomersMerged"]


def test_a_converted_lead_names_the_survivor(uow):
    """A lead converted into the absorbed customer names the survivor (and one it referred too)."""
    with uow:
        gone = uow.customers.get(GONE)
        lead = Lead.capture(LeadId("l-conv"), name=gone.profile.name, source="web", at=T0)
        conversion = lead.qualify(at=T0).convert_into(gone, at=T0)
        uow.leads.add(conversion.lead)
        uow.commit()
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        moved = uow.leads.get(LeadId("l-conv"))
        referred = uow.leads.get(LeadId("l"))
    assert (moved.customer_id, moved.referred_by) == (KEPT, None)
    assert (referred.customer_id, referred.referred_by) == (None, KEPT)
    assert moved.pending_events == ()


def test_a_relationship_between_the_two_is_removed(uow):
    """A party is not related to itself: the relationship between the duplicates goes."""
    with uow:
        between = Relationship.establish(
            RelationshipId("h-between"),
            kind="household_member",
            party_id=KEPT,
            related_id=GONE,
            at=T0,
        )
        uow.relationships.add(between)
        uow.commit()
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        assert [ref.record_id for ref in preview.dropped] == [RelationshipId("h-between")]
        assert RelationshipId("h-between") not in preview.ids("relationships")
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    with uow:
        assert RelationshipId("h-between") not in uow.relationships
        assert [r.id for r in uow.relationships.for_party(KEPT)] == [RelationshipId("h")]


def test_the_survivor_takes_the_absorbed_contact_points(uow):
    """The tombstone gives up its email first, so the unique key moves without a clash."""
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    with uow:
        assert uow.customers.get_by_email("ana.putri@example.com").id == KEPT


# -- the preview ------------------------------------------------------------------------------


def test_the_preview_changes_nothing_and_names_what_apply_changes(uow):
    """Preview, then apply in another unit: the records re-pointed are those the preview named."""
    before = snapshot(uow)
    events = len(uow.collect_events())
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        uow.commit()
    assert snapshot(uow) == before
    assert len(uow.collect_events()) == events
    assert set(preview.by_repository) == set(REPOSITORIES)
    assert preview.customer.survivor_id == KEPT
    assert (preview.survivor_version, preview.absorbed_version) == (0, 0)
    assert "ana" not in repr(preview).lower()
    with uow:
        result = apply_merge(uow, preview)
        uow.commit()
    assert result.preview == preview
    assert (
        tuple(
            RecordVersion(ref.repository, record.id, record.version - 1)
            for ref, record in zip(preview.repointed, result.records, strict=True)
        )
        == preview.repointed
    )
    after = snapshot(uow)
    changed = {
        name: [i for i, v in after[name] if (i, v) not in before[name]]
        for name in REPOSITORIES
        if after[name] != before[name]
    }
    assert changed == {name: [str(i) for i in ids] for name, ids in preview.by_repository.items()}


def test_the_preview_of_the_customer_is_what_merge_customers_predicts(uow):
    """The customer part of the preview is the customers package's own preview."""
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        result = apply_merge(uow, preview)
    assert result.survivor.contact_points == preview.customer.contact_points
    assert result.survivor.consents == preview.customer.consents


# -- across unit-of-work states ---------------------------------------------------------------


def test_a_preview_is_refused_once_a_record_moved(uow):
    """A record saved since the preview: MergePreviewOutdated, a ConcurrencyConflict; nothing applied."""
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    with uow:
        order = uow.orders.for_customer(GONE)[0]
        uow.orders.save(order.fulfil(at=T0))
        uow.commit()
    before = snapshot(uow)
    with uow, pytest.raises(ConcurrencyConflict) as info:
        apply_merge(uow, preview)
    assert isinstance(info.value, MergePreviewOutdated)
    assert (info.value.kind, info.value.expected_version, info.value.actual_version) == (
        "order",
        0,
        1,
    )
    assert snapshot(uow) == before


def test_a_preview_is_refused_once_a_customer_moved(uow):
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    with uow:
        uow.customers.save(uow.customers.get(KEPT).add_tag("vip", at=T0))
        uow.commit()
    with uow, pytest.raises(MergePreviewOutdated) as info:
        apply_merge(uow, preview)
    assert (info.value.kind, info.value.aggregate_id) == ("customer", KEPT)


def test_a_preview_is_refused_once_a_new_record_names_the_absorbed(uow):
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    with uow:
        uow.orders.add(records_of(GONE, "-new")["orders"])
        uow.commit()
    with uow, pytest.raises(MergePreviewOutdated) as info:
        apply_merge(uow, preview)
    assert (info.value.expected_version, info.value.actual_version) == (None, 0)
    assert "did not see order o-new," in str(info.value)


def test_a_preview_is_refused_once_a_record_was_removed(uow):
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    with uow:
        uow.reviews.remove(preview.ids("reviews")[0])
        uow.commit()
    with uow, pytest.raises(MergePreviewOutdated) as info:
        apply_merge(uow, preview)
    assert (info.value.kind, info.value.actual_version) == ("review", None)


def test_a_preview_applies_once(uow):
    """Applying a preview twice: the absorbed is merged already."""
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
        apply_merge(uow, preview)
        uow.commit()
    with uow, pytest.raises(CustomerMerged) as info:
        apply_merge(uow, preview)
    assert info.value.survivor_id == KEPT


def test_outdated_errors_pickle():
    error = MergePreviewOutdated("order", "o-1", expected_version=None, actual_version=3)
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (type(again), str(again), again.actual_version) == (
        MergePreviewOutdated,
        str(error),
        3,
    )


# -- refusals: nothing applied -----------------------------------------------------------------


def refused(unit, run, error):
    """``run`` raises ``error`` in a unit that made a change of its own; that change stays alone."""
    before = snapshot(unit)
    with unit:
        unit.customers.save(unit.customers.get(OTHER).add_tag("kept", at=T0))
        with pytest.raises(error) as info:
            run(unit)
        unit.commit()
    after = snapshot(unit)
    expected = [(i, v + 1) if i == str(OTHER) else (i, v) for i, v in before["customers"]]
    assert {k: v for k, v in after.items() if v != before[k]} == {"customers": expected}
    return info.value


def test_a_customer_into_itself_is_refused(uow):
    error = refused(uow, lambda u: merge_customers_in(u, KEPT, KEPT, at=LATER), ValidationError)
    assert (error.path, error.code) == ("$.absorbed_id", "same_customer")


def test_a_merge_into_an_absorbed_customer_is_refused(uow):
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    error = refused(uow, lambda u: merge_customers_in(u, GONE, OTHER, at=LATER), CustomerMerged)
    assert (error.path, error.code, error.survivor_id) == ("$.survivor_id", "merged", KEPT)
    error = refused(uow, lambda u: merge_customers_in(u, OTHER, GONE, at=LATER), CustomerMerged)
    assert error.path == "$.absorbed_id"
    error = refused(uow, lambda u: preview_customer_merge(u, OTHER, GONE, at=LATER), CustomerMerged)
    assert error.survivor_id == KEPT


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (("c-kept", GONE), "$.survivor_id"),
        ((KEPT, None), "$.absorbed_id"),
    ],
)
def test_ids_of_the_wrong_type_are_refused(uow, args, path):
    error = refused(uow, lambda u: merge_customers_in(u, *args, at=LATER), InvalidType)
    assert error.path == path


def test_wrong_arguments_are_refused(uow):
    error = refused(
        uow, lambda u: merge_customers_in(u, KEPT, GONE, at=LATER, rules={}), InvalidType
    )
    assert error.path == "$.rules"
    error = refused(uow, lambda u: apply_merge(u, "preview"), InvalidType)
    assert error.path == "$.preview"
    with pytest.raises(InvalidType):
        merge_customers_in(object(), KEPT, GONE, at=LATER)
    error = refused(
        uow, lambda u: merge_customers_in(u, KEPT, CustomerId("c-404"), at=LATER), NotFound
    )


def test_a_merge_dated_before_a_record_changed_is_refused(uow):
    """A record changed after ``at``: its command refuses (time_backwards) and nothing is saved."""
    with uow:
        order = uow.orders.for_customer(GONE)[0]
        uow.orders.save(order.fulfil(at=LATER))
        uow.commit()
    between = T0 + (LATER - T0) / 2
    error = refused(uow, lambda u: merge_customers_in(u, KEPT, GONE, at=between), ValidationError)
    assert (error.path, error.code) == ("$.at", "time_backwards")


def test_two_accounts_in_one_program_are_a_conflict(uow):
    with uow:
        uow.loyalty_accounts.add(
            LoyaltyAccount.enroll(
                LoyaltyAccountId("la-kept"), customer_id=KEPT, program=PROGRAM, at=T0
            )
        )
        uow.commit()
    error = refused(uow, lambda u: merge_customers_in(u, KEPT, GONE, at=LATER), MergeConflict)
    assert (error.code, error.path, error.record_id) == (
        "loyalty_membership",
        "$.loyalty_accounts",
        LoyaltyAccountId("la"),
    )
    refused(uow, lambda u: preview_customer_merge(u, KEPT, GONE, at=LATER), MergeConflict)


def test_a_relationship_that_would_repeat_is_a_conflict(uow):
    """Both duplicates are household members with OTHER: once merged, the same relationship twice."""
    with uow:
        uow.relationships.add(
            Relationship.establish(
                RelationshipId("h-kept"),
                kind="household_member",
                party_id=KEPT,
                related_id=OTHER,
                at=T0,
            )
        )
        uow.commit()
    refused(uow, lambda u: merge_customers_in(u, KEPT, GONE, at=LATER), RelationshipConflict)


def test_a_merge_that_closes_a_hierarchy_cycle_is_a_conflict():
    """GONE parents A, A parents KEPT: once merged KEPT would be its own ancestor."""
    unit = InMemoryUnitOfWork()
    org = {
        name: Customer.register(CustomerId(name), name=OrganizationName(name), at=T0)
        for name in ("kept", "gone", "a")
    }

    def parent(n, p, c):
        return Relationship.establish(
            RelationshipId(f"p-{n}"),
            kind="parent_of",
            party_id=CustomerId(p),
            related_id=CustomerId(c),
            at=T0,
        )

    with unit:
        for record in org.values():
            unit.customers.add(record)
        unit.relationships.add(parent(1, "gone", "a"))
        unit.relationships.add(parent(2, "a", "kept"))
        unit.commit()
    with unit, pytest.raises(RelationshipConflict):
        merge_customers_in(unit, CustomerId("kept"), CustomerId("gone"), at=LATER)


# -- resolving an absorbed id -------------------------------------------------------------------


def test_resolve_follows_merges_to_the_survivor(uow):
    with uow:
        merge_customers_in(uow, KEPT, GONE, at=LATER)
        uow.commit()
    with uow:
        merge_customers_in(uow, OTHER, KEPT, at=LATER)
        uow.commit()
    with uow:
        assert resolve_customer(uow, GONE).id == OTHER
        assert resolve_customer(uow, KEPT).id == OTHER
        assert resolve_customer(uow, OTHER).id == OTHER
        assert uow.customers.get(GONE).merged_into == KEPT


def test_resolve_refuses_a_cycle_or_a_long_chain():
    """Merges never make a cycle; a store that holds one (an import) gets a specific error."""
    unit = InMemoryUnitOfWork()
    ids = [CustomerId(f"c-{n}") for n in range(MAX_MERGE_CHAIN + 2)]
    with unit:
        for this, nxt in zip(ids, [*ids[1:], None], strict=True):
            unit.customers.add(attrs.evolve(customer(this), merged_into=nxt, pending_events=()))
        unit.customers.add(attrs.evolve(customer(CustomerId("x-1")), merged_into=CustomerId("x-2")))
        unit.customers.add(attrs.evolve(customer(CustomerId("x-2")), merged_into=CustomerId("x-1")))
        unit.commit()
    with unit:
        for start in (ids[0], CustomerId("x-1")):
            with pytest.raises(ValidationError) as info:
                resolve_customer(unit, start)
            assert (info.value.path, info.value.code) == ("$.customer_id", "merge_chain")
        assert resolve_customer(unit, ids[2]).id == ids[-1]
        with pytest.raises(InvalidType):
            resolve_customer(unit, "c-1")


def test_rules_are_used(uow):
    rules = SurvivorshipRules()
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER, rules=rules)
    assert preview.rules == rules
    assert isinstance(preview, MergePreview)


def test_result_types_check_their_fields(uow):
    """RecordVersion and MergePreview refuse junk with specific errors."""
    with pytest.raises(InvalidType):
        RecordVersion("orders", "o-1", 0)
    with pytest.raises(ValidationError):
        RecordVersion("order", CustomerId("c-1"), 0)
    with pytest.raises(InvalidType) as info:
        RecordVersion(7, CustomerId("c-1"), 0)
    assert info.value.path == "$.repository"
    # Every repository the merge visits (activities and notes too) is one a RecordVersion names.
    assert [RecordVersion(name, CustomerId("c-1"), 0).repository for name in REPOSITORIES] == list(
        REPOSITORIES
    )
    with pytest.raises(ValidationError):
        RecordVersion("orders", CustomerId("c-1"), -1)
    with uow:
        preview = preview_customer_merge(uow, KEPT, GONE, at=LATER)
    with pytest.raises(ValidationError) as info:
        attrs.evolve(preview, absorbed_id=KEPT)
    assert info.value.code == "same_customer"
    with pytest.raises(InvalidType):
        attrs.evolve(preview, survivor_version="0")

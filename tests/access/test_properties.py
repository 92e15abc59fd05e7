"""Property tests: a guarded unit never shows, changes or lets out what the policy denies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import StaffId
from crmcore._kernel._personal import personal_value
from crmcore.access import AccessDenied, GuardedUnitOfWork, customer_id_of, decide, require
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
from crmcore.teams import TeamId, TerritoryId
from crmcore.testing.strategies import cases, customers, interactions, orders, staff_members
from crmcore.testing.strategies._access import access_policies, principals

STAFF = (StaffId("s-1"), StaffId("s-2"), StaffId("s-3"))
TEAMS = (TeamId("t-1"), TeamId("t-2"))
TERRITORIES = (TerritoryId("java"), TerritoryId("bali"))
REPOSITORIES = ("customers", "orders", "interactions", "cases", "staff")


@st.composite
def scenarios(draw):
    """A policy, a principal valid for it, and a store of related records."""
    policy = draw(access_policies(team_ids=TEAMS, territory_ids=TERRITORIES))
    principal = draw(
        principals(policy=policy, staff_ids=STAFF, team_ids=TEAMS, territory_ids=TERRITORIES)
    )
    people = draw(
        st.lists(
            customers(
                staff_ids=STAFF, team_ids=TEAMS, max_contact_points=0, max_consents=0, max_tags=0
            ),
            max_size=3,
            unique_by=lambda c: c.id,
        )
    )
    ids = [c.id for c in people] or None
    records = {
        "customers": people,
        "orders": draw(
            st.lists(
                orders(customer_ids=ids, max_lines=1, max_steps=1),
                max_size=2,
                unique_by=lambda o: o.id,
            )
        ),
        "interactions": draw(
            st.lists(interactions(customer_ids=ids), max_size=2, unique_by=lambda i: i.id)
        ),
        "cases": draw(
            st.lists(
                cases(customer_ids=ids, staff_ids=STAFF, team_ids=TEAMS, max_steps=1),
                max_size=2,
                unique_by=lambda c: c.id,
            )
        ),
        "staff": draw(
            st.lists(
                staff_members(staff_ids=STAFF, roles=policy.roles or None),
                max_size=3,
                unique_by=lambda s: s.id,
            )
        ),
    }
    store = InMemoryStore()
    with InMemoryUnitOfWork(store, check_references=False) as uow:
        for name, found in records.items():
            for record in found:
                getattr(uow, name).add(record)
        uow.commit()
    return policy, principal, store


def expected(policy, principal, plain, action, record):
    """The decision computed on the unguarded unit, independently of the guard."""
    found = customer_id_of(record)
    customer = (
        plain.customers.get(found) if found is not None and found in plain.customers else None
    )
    staff = plain.staff
    owner = _owner(record, customer)
    roles = staff.get(owner).roles if owner is not None and owner in staff else ()
    return decide(policy, principal, action, record, customer=customer, owner_roles=roles)


def _owner(record, customer):
    # The owner as the documentation's table says, written out again here.
    kind = record.aggregate_kind
    if kind == "order":
        return None if customer is None else customer.owner
    if kind == "staff_member":
        return record.id
    field = {"customer": "owner", "case": "assignee", "interaction": "staff_id"}[kind]
    return getattr(record, field)


@given(scenarios())
def test_reads_show_only_what_the_policy_allows_masked(scenario):
    """Iteration, count, membership and get agree with decide; masked fields hold tombstones."""
    policy, principal, store = scenario
    with (
        InMemoryUnitOfWork(store) as plain,
        GuardedUnitOfWork(InMemoryUnitOfWork(store), principal, policy) as guarded,
    ):
        for name in REPOSITORIES:
            inner, outer = getattr(plain, name), getattr(guarded, name)
            allowed = {}
            for record in inner:
                decision = expected(policy, principal, plain, "read", record)
                if decision.allowed:
                    allowed[record.id] = (record, decision)
                    shown = outer.get(record.id)
                    for field in decision.masked_fields:
                        tombstone = personal_value(record.masked([field]), field)
                        assert personal_value(shown, field) == tombstone
                    assert shown == (
                        record.masked(decision.masked_fields) if decision.masked_fields else record
                    )
                else:
                    assert record.id not in outer
                    with pytest.raises(AccessDenied):
                        outer.get(record.id)
            assert list(allowed) == [r.id for r in outer]
            assert len(allowed) == outer.count()


@given(scenarios())
def test_writes_outside_the_policy_change_nothing(scenario):
    """Saving an unchanged record and removing one succeed exactly when decide allows them.

    Saves are committed (they change no owner); a removal is committed only
    when refused, and must then have removed nothing.
    """
    policy, principal, store = scenario
    with InMemoryUnitOfWork(store) as plain:
        stored = {name: list(getattr(plain, name)) for name in REPOSITORIES}
        verdicts = {
            (name, r.id): (
                expected(policy, principal, plain, "update", r).allowed,
                expected(policy, principal, plain, "delete", r).allowed,
            )
            for name, found in stored.items()
            for r in found
        }
    guarded = GuardedUnitOfWork(
        InMemoryUnitOfWork(store, check_references=False), principal, policy
    )
    for (name, record_id), (may_update, may_delete) in verdicts.items():
        with guarded:
            repository = getattr(guarded, name)
            record = next(r for r in stored[name] if r.id == record_id)
            if may_update:
                repository.save(record)
            else:
                with pytest.raises(AccessDenied):
                    repository.save(record)
            guarded.commit()
        with guarded:
            if may_delete:
                repository.remove(record_id)  # left uncommitted: later checks see the same store
            else:
                with pytest.raises(AccessDenied):
                    repository.remove(record_id)
                guarded.commit()
        with InMemoryUnitOfWork(store) as plain:
            kept = getattr(plain, name).get(record_id)
            assert kept.version == record.version + (1 if may_update else 0)


@given(scenarios())
def test_exports_are_refused_unless_allowed(scenario):
    """The require function, for ``export``, raises exactly when the policy does not allow the export."""
    policy, principal, store = scenario
    with InMemoryUnitOfWork(store) as plain:
        for name in REPOSITORIES:
            for record in getattr(plain, name):
                decision = expected(policy, principal, plain, "export", record)
                found = customer_id_of(record)
                known = found is not None and found in plain.customers
                customer = plain.customers.get(found) if known else None
                roles = _roles(plain, _owner(record, customer))
                if decision.allowed:
                    assert decision == require(
                        policy, principal, "export", record, customer=customer, owner_roles=roles
                    )
                else:
                    with pytest.raises(AccessDenied):
                        require(
                            policy,
                            principal,
                            "export",
                            record,
                            customer=customer,
                            owner_roles=roles,
                        )


def _roles(plain, owner):
    return plain.staff.get(owner).roles if owner is not None and owner in plain.staff else ()

"""Tests for `crmcore.access._guarded`: the guarded unit of work."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crmcore import Money, StaffId
from crmcore._kernel._refs import RecordRef
from crmcore.access import (
    AccessAction,
    AccessDenied,
    AccessPolicy,
    FieldMask,
    Grant,
    GuardedUnitOfWork,
    Principal,
    SharingRule,
    UnknownRole,
    customer_id_of,
    decide,
)
from crmcore.activities import Activity, ActivityId
from crmcore.audit import DeniedAttempt, RecordChange
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.customers import ContactPoint, Customer, CustomerId, PersonName
from crmcore.errors import InvalidType, NotFound, UnitOfWorkError, UnknownReference
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import ProgramId
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
from crmcore.service import Case, CaseId
from crmcore.teams import StaffMember, TeamId

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
REP, OTHER, BOSS = StaffId("s-rep"), StaffId("s-other"), StaffId("s-boss")
NORTH, SOUTH = TeamId("t-north"), TeamId("t-south")

POLICY = AccessPolicy(
    roles=["sales_rep", "sales_manager", "admin"],
    reports_to={"sales_rep": "sales_manager"},
    grants=[
        Grant(role="sales_rep", kind="*", actions=["read", "create", "update"], scope="own"),
        Grant(role="sales_manager", kind="*", actions=["read"], scope="own"),
        Grant(role="admin", kind="*", actions=list(AccessAction), scope="all"),
    ],
    masks=[FieldMask(role="sales_rep", kind="interaction", fields=("notes",))],
    sharing=[SharingRule(kind="customer", team=SOUTH, role="sales_rep")],
)


class Audit:
    """An audit sink that keeps what it is given."""

    def __init__(self):
        self.denied = []
        self.commits = []

    def record_denied(self, attempt):
        self.denied.append(attempt)

    def record_commit(self, changes):
        self.commits.append(changes)


def customer(number, owner=None, team=None):
    """A customer registered at T0."""
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Sari"), at=T0, owner=owner, team=team
    )


def interaction(number, customer_id, staff_id, notes="called about the invoice"):
    """A call with notes."""
    return Interaction.log(
        InteractionId(f"i-{number}"),
        customer_id=customer_id,
        kind="call",
        channel="phone",
        direction="outbound",
        at=T0,
        subject="Invoice",
        notes=notes,
        staff_id=staff_id,
    )


def order(number, customer_id):
    """An order of one line."""
    line = OrderLine(ProductId("p-1"), 1, Money(Decimal("10.00"), "IDR"), category="books")
    return Order.place(OrderId(f"o-{number}"), customer_id=customer_id, lines=[line], at=T0)


@pytest.fixture
def store():
    """A store with customers of the rep, of another rep, of the south team, and their records."""
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        uow.staff.add(StaffMember.register(REP, display_name="Rep", at=T0, roles=["sales_rep"]))
        uow.staff.add(StaffMember.register(OTHER, display_name="Other", at=T0, roles=["admin"]))
        uow.customers.add(customer(1, owner=REP))
        uow.customers.add(customer(2, owner=OTHER))
        uow.customers.add(customer(3, owner=OTHER, team=SOUTH))
        uow.interactions.add(interaction(1, CustomerId("c-1"), REP))
        uow.interactions.add(interaction(2, CustomerId("c-2"), OTHER))
        uow.orders.add(order(1, CustomerId("c-1")))
        uow.orders.add(order(2, CustomerId("c-2")))
        uow.commit()
    return store


def guarded(store, staff_id=REP, roles=("sales_rep",), audit=None, policy=POLICY):
    """A guarded unit over ``store`` for one principal."""
    principal = Principal(staff_id=staff_id, roles=roles)
    return GuardedUnitOfWork(InMemoryUnitOfWork(store), principal, policy, audit=audit)


def ids(records):
    """The id texts of ``records``."""
    return [r.id.value for r in records]


def test_reads_show_only_own_and_shared_records(store):
    """A rep iterates, counts and finds only their own customers and those shared with the role."""
    with guarded(store) as uow:
        assert ["c-1", "c-3"] == ids(uow.customers)
        assert 2 == uow.customers.count()
        assert CustomerId("c-1") in uow.customers
        assert CustomerId("c-2") not in uow.customers
        assert CustomerId("c-9") not in uow.customers
        assert ["o-1"] == ids(uow.orders)
        assert ["o-1"] == ids(uow.orders.with_status("open"))
        assert [] == uow.orders.for_customer(CustomerId("c-2"))


def test_get_of_a_record_not_allowed_raises_and_is_audited(store):
    """``get`` of another rep's customer raises AccessDenied naming action and kind; the attempt is recorded."""
    audit = Audit()
    with guarded(store, audit=audit) as uow, pytest.raises(AccessDenied) as info:
        uow.customers.get(CustomerId("c-2"))
    assert "read of customer c-2 denied (scope)" == str(info.value)
    assert "s-other" not in str(info.value)
    assert [
        DeniedAttempt(
            actor="s-rep",
            action="read",
            aggregate_kind="customer",
            aggregate_id="c-2",
            rule="scope",
        )
    ] == audit.denied


def test_get_of_a_missing_record_raises_not_found(store):
    """A missing id is NotFound, as without a guard."""
    with guarded(store) as uow, pytest.raises(NotFound):
        uow.customers.get(CustomerId("c-9"))


def test_reads_are_masked(store):
    """The rep reads their interaction with the notes tombstoned; an admin reads them."""
    with guarded(store) as uow:
        shown = uow.interactions.get(InteractionId("i-1"))
        assert shown.notes is None
        assert shown.subject == "Invoice"
        assert [None] == [i.notes for i in uow.interactions.for_customer(CustomerId("c-1"))]
    with guarded(store, staff_id=OTHER, roles=("admin",)) as uow:
        assert uow.interactions.get(InteractionId("i-1")).notes == "called about the invoice"


def test_saving_a_masked_copy_keeps_the_stored_value(store):
    """A masked field left as its tombstone keeps the stored value; other changes are stored."""
    with guarded(store) as uow:
        shown = uow.interactions.get(InteractionId("i-1"))
        changed = shown.link(case_id=CaseId("k-1"), at=T0 + timedelta(hours=1))
        uow.interactions.save(changed)
        uow.commit()
    with InMemoryUnitOfWork(store) as uow:
        stored = uow.interactions.get(InteractionId("i-1"))
    assert stored.notes == "called about the invoice"
    assert stored.case_id == CaseId("k-1")


def test_changing_a_masked_field_is_denied(store):
    """Writing a new value into a masked field raises AccessDenied and stores nothing."""
    audit = Audit()
    with guarded(store, audit=audit) as uow:
        shown = uow.interactions.get(InteractionId("i-1"))
        forged = shown._changed({"notes": "rewritten"})
        with pytest.raises(AccessDenied) as info:
            uow.interactions.save(forged)
        uow.commit()
    assert "masked_field" == info.value.rule
    assert ["masked_field"] == [a.rule for a in audit.denied]
    assert [] == audit.commits
    with InMemoryUnitOfWork(store) as uow:
        assert uow.interactions.get(InteractionId("i-1")).notes == "called about the invoice"


def test_writes_outside_the_policy_are_denied_and_change_nothing(store):
    """Create outside the scope, update of another's record, giving a record away, delete: all refused."""
    with guarded(store) as uow:
        with pytest.raises(AccessDenied):
            uow.customers.add(customer(4, owner=OTHER))
        theirs = InMemoryUnitOfWork(store)
        with theirs:
            other = theirs.customers.get(CustomerId("c-2"))
        with pytest.raises(AccessDenied):
            uow.customers.save(other.add_tag("vip", at=T0 + timedelta(hours=1)))
        mine = uow.customers.get(CustomerId("c-1"))
        with pytest.raises(AccessDenied) as info:
            uow.customers.save(mine.assign(OTHER, at=T0 + timedelta(hours=1)))
        assert "update of customer c-1 denied (scope)" == str(info.value)
        with pytest.raises(AccessDenied) as info:
            uow.customers.remove(CustomerId("c-1"))
        assert "no_grant" == info.value.rule
        uow.commit()
    with InMemoryUnitOfWork(store) as uow:
        assert ["c-1", "c-2", "c-3"] == ids(uow.customers)
        assert uow.customers.get(CustomerId("c-1")).owner == REP
        assert not uow.customers.get(CustomerId("c-2")).tags


def test_allowed_writes_are_stored_and_audited_on_commit(store):
    """Adds, saves and removes reach the store; the audit sink gets one change per record after commit."""
    audit = Audit()
    later = T0 + timedelta(hours=2)
    with guarded(store, staff_id=OTHER, roles=("admin",), audit=audit) as uow:
        uow.customers.add(customer(4, owner=OTHER))
        before = uow.customers.get(CustomerId("c-2"))
        tagged = before.add_tag("vip", at=later)
        uow.customers.save(tagged)
        uow.orders.remove(OrderId("o-2"))
        uow.customers.add(customer(5))
        uow.customers.remove(CustomerId("c-5"))  # added and removed: nothing to report
        assert [] == audit.commits
        uow.commit()
    [changes] = audit.commits
    assert [("customer", "c-4"), ("customer", "c-2"), ("order", "o-2")] == [
        (c.aggregate_kind, c.aggregate_id) for c in changes
    ]
    added, saved, removed = changes
    assert (added.before, added.after.id, added.actor, added.at) == (
        None,
        CustomerId("c-4"),
        "s-other",
        T0,
    )
    assert (saved.before, saved.after, saved.at) == (before, tagged, later)
    assert saved.after.pending_events
    assert (removed.before.id, removed.after, removed.at) == (OrderId("o-2"), None, None)
    assert isinstance(added, RecordChange)


def test_rollback_and_exit_forget_the_changes(store):
    """Nothing is reported for a unit rolled back or left without commit."""
    audit = Audit()
    uow = guarded(store, staff_id=OTHER, roles=("admin",), audit=audit)
    with uow:
        uow.customers.add(customer(4))
        uow.rollback()
        uow.commit()
    with uow:
        uow.customers.add(customer(4))
    with uow:
        uow.commit()
    assert [] == audit.commits


def test_a_failed_commit_reports_nothing(store):
    """A commit refused by the wrapped unit (an unknown reference) reports no change."""
    audit = Audit()
    with guarded(store, staff_id=OTHER, roles=("admin",), audit=audit) as uow:
        uow.orders.add(order(9, CustomerId("c-9")))
        with pytest.raises(UnknownReference):
            uow.commit()
    assert [] == audit.commits


def test_orders_follow_their_customer(store):
    """An order is readable exactly when its customer's owner is the principal (parental access)."""
    with guarded(store) as uow:
        assert uow.orders.get(OrderId("o-1")).id == OrderId("o-1")
        with pytest.raises(AccessDenied):
            uow.orders.get(OrderId("o-2"))
        uow.orders.add(order(3, CustomerId("c-1")))
        with pytest.raises(AccessDenied):
            uow.orders.add(order(4, CustomerId("c-2")))
        with pytest.raises(AccessDenied):
            uow.orders.add(order(5, CustomerId("c-9")))  # no customer: no owner


def test_a_manager_sees_what_the_roles_below_own(store):
    """The manager reads the rep's records through the hierarchy (the owner's roles come from staff)."""
    with guarded(store, staff_id=BOSS, roles=("sales_manager",)) as uow:
        assert ["c-1"] == ids(uow.customers)
        assert ["o-1"] == ids(uow.orders)
        with pytest.raises(AccessDenied):
            uow.customers.save(uow.customers.get(CustomerId("c-1")).add_tag("x", at=T0))


def test_wrong_types_are_refused_by_the_wrapped_repository(store):
    """A customer handed to the order repository is an InvalidType, not a policy question."""
    with guarded(store) as uow:
        with pytest.raises(InvalidType):
            uow.orders.add(customer(7, owner=REP))
        with pytest.raises(InvalidType):
            uow.orders.save(customer(7, owner=REP))


def test_use_outside_the_block_raises(store):
    """Reads and writes outside ``with`` fail as the wrapped unit does."""
    uow = guarded(store)
    with pytest.raises(UnitOfWorkError):
        uow.customers.get(CustomerId("c-1"))
    with pytest.raises(UnitOfWorkError):
        uow.orders.add(order(8, CustomerId("c-1")))


def test_the_wrapped_unit_is_not_exposed(store):
    """No public attribute of the guarded unit or its repositories leads back to the wrapped unit."""
    inner = InMemoryUnitOfWork(store)
    uow = GuardedUnitOfWork(inner, Principal(staff_id=REP, roles=["sales_rep"]), POLICY)
    for owner in (uow, uow.customers, uow.orders):
        for name in dir(owner):
            if not name.startswith("_"):
                try:
                    value = getattr(owner, name)
                except UnitOfWorkError:
                    continue
                assert value is not inner
    assert "s-rep" in repr(uow)
    assert uow.principal.staff_id == REP
    assert uow.policy is POLICY


def test_construction_checks_its_arguments(store):
    """Wrong types and a principal with an unknown role are refused."""
    unit = InMemoryUnitOfWork(store)
    rep = Principal(staff_id=REP, roles=["sales_rep"])
    with pytest.raises(InvalidType, match=r"\$\.unit"):
        GuardedUnitOfWork(object(), rep, POLICY)
    with pytest.raises(InvalidType, match=r"\$\.policy"):
        GuardedUnitOfWork(unit, rep, object())
    with pytest.raises(InvalidType, match=r"\$\.audit"):
        GuardedUnitOfWork(unit, rep, POLICY, audit=object())
    with pytest.raises(UnknownRole):
        GuardedUnitOfWork(unit, Principal(staff_id=REP, roles=["intern"]), POLICY)


def test_every_lookup_filters(store):
    """Each lookup of each repository returns what decide allows, compared with the unguarded unit."""
    with InMemoryUnitOfWork(store) as uow:
        case = Case.open(
            CaseId("k-1"),
            customer_id=CustomerId("c-1"),
            kind="complaint",
            subject="Late",
            channel="email",
            at=T0,
            assignee=REP,
            team=NORTH,
        )
        uow.cases.add(case)
        uow.cases.add(
            Case.open(
                CaseId("k-2"),
                customer_id=CustomerId("c-2"),
                kind="complaint",
                subject="Broken",
                channel="email",
                at=T0,
                assignee=OTHER,
            )
        )
        uow.activities.add(
            Activity.plan(
                ActivityId("a-1"),
                kind="task",
                subject="Call back",
                due_at=T0 + timedelta(days=1),
                at=T0,
                owner_id=REP,
                link=RecordRef.to(CustomerId("c-1")),
            )
        )
        uow.commit()
    rep = Principal(staff_id=REP, roles=["sales_rep"])
    with guarded(store) as g, InMemoryUnitOfWork(store) as plain:

        def allowed(records):
            return ids(
                r
                for r in records
                if decide(
                    POLICY,
                    rep,
                    "read",
                    r,
                    customer=_customer_of(plain, r),
                    owner_roles=("sales_rep",) if _owner(r) == REP else (),
                ).allowed
            )

        pairs = [
            (g.cases.for_customer(CustomerId("c-1")), plain.cases.for_customer(CustomerId("c-1"))),
            (g.cases.with_status("new"), plain.cases.with_status("new")),
            (g.cases.assigned_to(OTHER), plain.cases.assigned_to(OTHER)),
            (g.cases.for_order(OrderId("o-1")), plain.cases.for_order(OrderId("o-1"))),
            (g.activities.owned_by(REP), plain.activities.owned_by(REP)),
            (
                g.activities.for_customer(CustomerId("c-1")),
                plain.activities.for_customer(CustomerId("c-1")),
            ),
            (
                g.activities.due_between(T0, T0 + timedelta(days=2)),
                plain.activities.due_between(T0, T0 + timedelta(days=2)),
            ),
            (
                g.customers.find_by_email("x@example.com"),
                plain.customers.find_by_email("x@example.com"),
            ),
        ]
        for guarded_found, plain_found in pairs:
            assert allowed(plain_found) == ids(guarded_found)
        assert ["k-1"] == ids(g.cases)


def _owner(record):
    return (
        getattr(record, "owner", None)
        or getattr(record, "assignee", None)
        or getattr(record, "owner_id", None)
    )


def _customer_of(unit, record):
    found = customer_id_of(record)
    return unit.customers.get(found) if found is not None and found in unit.customers else None


def test_nested_and_derived_masked_fields_are_given_back():
    """Masked nested fields (birth date, name) and derived ones (consent addresses) keep their stored values."""
    fields = ("profile.name", "profile.birth_date", "consent_addresses")
    rules = AccessPolicy(
        roles=["rep"],
        grants=[Grant(role="rep", kind="customer", actions=["read", "update"], scope="own")],
        masks=[FieldMask(role="rep", kind="customer", fields=fields)],
    )
    store = InMemoryStore()
    original = customer(1, owner=REP).change_birth_date(date(1990, 1, 2), at=T0)
    with InMemoryUnitOfWork(store) as uow:
        uow.customers.add(original)
        uow.commit()
    with guarded(store, roles=("rep",), policy=rules) as uow:
        shown = uow.customers.get(CustomerId("c-1"))
        assert shown.profile.birth_date is None
        uow.customers.save(shown.add_tag("vip", at=T0 + timedelta(hours=1)))
        uow.commit()
    with InMemoryUnitOfWork(store) as uow:
        stored = uow.customers.get(CustomerId("c-1"))
    assert stored.profile == original.profile
    assert stored.tags == {"vip"}
    with guarded(store, roles=("rep",), policy=rules) as uow:
        shown = uow.customers.get(CustomerId("c-1"))
        with pytest.raises(AccessDenied) as info:
            uow.customers.save(
                shown.change_birth_date(date(1991, 1, 1), at=T0 + timedelta(hours=2))
            )
        assert "masked_field" == info.value.rule


LOOKUPS = [
    ("customers", "find_by_phone", ("+6281234567890",)),
    ("customers", "absorbed_into", (CustomerId("c-1"),)),
    ("orders", "for_customer", (CustomerId("c-1"),)),
    ("subscriptions", "for_customer", (CustomerId("c-1"),)),
    ("subscriptions", "with_status", ("active",)),
    ("interactions", "for_customer", (CustomerId("c-1"),)),
    ("interactions", "for_case", (CaseId("k-1"),)),
    ("reviews", "for_customer", (CustomerId("c-1"),)),
    ("reviews", "on_platform", ("google",)),
    ("surveys", "for_customer", (CustomerId("c-1"),)),
    ("surveys", "for_case", (CaseId("k-1"),)),
    ("surveys", "for_order", (OrderId("o-1"),)),
    ("surveys", "of_survey", ("nps",)),
    ("loyalty_accounts", "for_customer", (CustomerId("c-1"),)),
    ("loyalty_accounts", "in_tier", ("gold",)),
    ("leads", "for_customer", (CustomerId("c-1"),)),
    ("leads", "with_status", ("new",)),
    ("leads", "from_source", ("referral",)),
    ("leads", "assigned_to", (REP,)),
    ("opportunities", "for_customer", (CustomerId("c-1"),)),
    ("opportunities", "in_stage", ("proposal",)),
    ("opportunities", "owned_by", (REP,)),
    ("relationships", "for_party", (CustomerId("c-1"),)),
    ("relationships", "for_customer", (CustomerId("c-1"),)),
    ("relationships", "of_kind", ("contact_of",)),
    ("staff", "with_role", ("sales_rep",)),
    ("staff", "active", ()),
    ("teams", "with_member", (REP,)),
    ("teams", "managed_by", (REP,)),
    ("activities", "overdue_at", (T0 + timedelta(days=9),)),
    ("activities", "linked_to", (RecordRef.to(CustomerId("c-1")),)),
    ("activities", "with_participant", (REP,)),
    ("activities", "with_status", ("planned",)),
    ("notes", "linked_to", (RecordRef.to(CustomerId("c-1")),)),
    ("notes", "pinned_on", (RecordRef.to(CustomerId("c-1")),)),
    ("notes", "by_author", (REP,)),
    ("notes", "for_customer", (CustomerId("c-1"),)),
    ("privacy_requests", "for_customer", (CustomerId("c-1"),)),
    ("privacy_requests", "with_status", ("received",)),
    ("privacy_requests", "open_due_before", (T0,)),
]


@pytest.mark.parametrize(("repository", "lookup", "args"), LOOKUPS)
def test_each_lookup_returns_what_the_admin_sees_unguarded(store, repository, lookup, args):
    """With every grant, each lookup returns what the wrapped unit returns."""
    with guarded(store, staff_id=OTHER, roles=("admin",)) as g, InMemoryUnitOfWork(store) as plain:
        assert getattr(getattr(plain, repository), lookup)(*args) == getattr(
            getattr(g, repository), lookup
        )(*args)


def test_single_record_lookups_are_guarded(store):
    """get_by_email and get_by_phone find no customer the principal may not read (NotFound).

    A refusal would confirm who holds the address; the same NotFound as for an
    address nobody holds says nothing.
    """
    with InMemoryUnitOfWork(store) as uow:
        theirs = uow.customers.get(CustomerId("c-2"))
        theirs = theirs.add_contact_point(ContactPoint("email", "b@example.com"), at=T0)
        theirs = theirs.add_contact_point(ContactPoint("phone", "+6281234567890"), at=T0)
        uow.customers.save(theirs)
        uow.commit()
    with guarded(store) as uow:
        with pytest.raises(NotFound) as hidden:
            uow.customers.get_by_email("b@example.com")
        with pytest.raises(NotFound) as nobody:
            uow.customers.get_by_email("nobody@example.com")
        assert str(hidden.value) == str(nobody.value)
        with pytest.raises(NotFound):
            uow.customers.get_by_phone("+6281234567890")
        assert [] == uow.customers.find_by_email("b@example.com")
    with guarded(store, staff_id=OTHER, roles=("admin",)) as uow:
        assert uow.customers.get_by_email("b@example.com").id == CustomerId("c-2")
        assert uow.customers.get_by_phone("+6281234567890").id == CustomerId("c-2")
        with pytest.raises(NotFound):
            uow.loyalty_accounts.get_by_membership(CustomerId("c-1"), ProgramId("p-1"))
        assert [] == uow.activities.reminders_between(T0, T0 + timedelta(days=1))


def test_a_star_grant_does_not_let_a_rep_grant_themselves_a_role():
    """``*`` covers reading staff records; changing them needs a grant naming the kind."""
    policy = AccessPolicy.from_dict(
        {
            "roles": ["sales_rep", "sales_manager"],
            "grants": [
                {"role": "sales_rep", "kind": "*", "actions": ["read", "update"], "scope": "own"},
            ],
        }
    )
    store = InMemoryStore()
    me = StaffMember.register(StaffId("s-rina"), display_name="Rina", at=T0, roles=["sales_rep"])
    with InMemoryUnitOfWork(store) as uow:
        uow.staff.add(me)
        uow.commit()
    rina = Principal(staff_id=StaffId("s-rina"), roles=["sales_rep"])
    with GuardedUnitOfWork(InMemoryUnitOfWork(store), rina, policy) as uow:
        mine = uow.staff.get(StaffId("s-rina"))  # reading is allowed
        with pytest.raises(AccessDenied) as refused:
            uow.staff.save(mine.grant_role("sales_manager", at=T0))
    assert ("update", "staff_member") == (refused.value.action, refused.value.aggregate_kind)
    assert policy.scope_of("sales_rep", "staff_member", "read") == "own"
    assert policy.scope_of("sales_rep", "staff_member", "update") is None


def test_a_record_saved_out_of_sight_comes_back_masked():
    """Handing a customer to another owner returns it with nothing personal shown."""
    policy = AccessPolicy.from_dict(
        {
            "roles": ["rep"],
            "grants": [
                {"role": "rep", "kind": "customer", "actions": ["read"], "scope": "own"},
                {"role": "rep", "kind": "customer", "actions": ["update"], "scope": "all"},
            ],
        }
    )
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        ana = Customer.register(
            CustomerId("c-9"),
            name=PersonName("Ana"),
            at=T0,
            contact_points=[ContactPoint("email", "ana@example.com")],
        )
        uow.customers.add(ana.assign(StaffId("s-rep"), at=T0))
        uow.commit()
    rep = Principal(staff_id=StaffId("s-rep"), roles=["rep"])
    with GuardedUnitOfWork(InMemoryUnitOfWork(store), rep, policy) as uow:
        mine = uow.customers.get(CustomerId("c-9"))
        handed = uow.customers.save(mine.assign(StaffId("s-joko"), at=T0))
    assert () == handed.contact_points
    assert "ana@example.com" not in repr(handed.personal_data())


def test_a_merge_through_the_guarded_unit_needs_the_merge_action():
    """merge_customers_in asks the guarded unit for ``merge`` on both customers."""
    from crmcore.merge import merge_customers_in  # noqa: PLC0415 - local to this test

    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        for number in (1, 2):
            uow.customers.add(
                Customer.register(CustomerId(f"c-{number}"), name=PersonName("Ana"), at=T0)
            )
        uow.commit()
    agent = Principal(staff_id=StaffId("s-1"), roles=["agent"])

    def policy(*actions):
        return AccessPolicy.from_dict(
            {
                "roles": ["agent"],
                "grants": [
                    {"role": "agent", "kind": "*", "actions": list(actions), "scope": "all"}
                ],
            }
        )

    refused_unit = GuardedUnitOfWork(InMemoryUnitOfWork(store), agent, policy("read", "update"))
    with refused_unit as uow, pytest.raises(AccessDenied) as refused:
        merge_customers_in(uow, CustomerId("c-1"), CustomerId("c-2"), at=T0)
    assert "merge" == refused.value.action
    allowed = policy("read", "update", "merge")
    with GuardedUnitOfWork(InMemoryUnitOfWork(store), agent, allowed) as uow:
        merge_customers_in(uow, CustomerId("c-1"), CustomerId("c-2"), at=T0)
        uow.commit()
    with InMemoryUnitOfWork(store) as uow:
        assert CustomerId("c-1") == uow.customers.get(CustomerId("c-2")).merged_into


def test_events_of_records_out_of_sight_are_neither_handed_out_nor_acknowledged():
    """A principal sees (and acknowledges) only the events of records it may read."""
    policy = AccessPolicy.from_dict(
        {
            "roles": ["rep"],
            "grants": [{"role": "rep", "kind": "*", "actions": ["read"], "scope": "own"}],
        }
    )
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        mine = Customer.register(CustomerId("c-mine"), name=PersonName("Ana"), at=T0)
        uow.customers.add(mine.assign(StaffId("s-rep"), at=T0))
        uow.customers.add(Customer.register(CustomerId("c-secret"), name=PersonName("B"), at=T0))
        uow.commit()
    rep = Principal(staff_id=StaffId("s-rep"), roles=["rep"])
    guarded_unit = GuardedUnitOfWork(InMemoryUnitOfWork(store), rep, policy)
    seen = guarded_unit.collect_events()  # outside the block too
    assert {"c-mine"} == {event.aggregate_id for event in seen}
    assert 1 == len(guarded_unit.collect_events(limit=1))
    everything = InMemoryUnitOfWork(store).collect_events()
    assert len(seen) == guarded_unit.acknowledge(everything)  # only its own went
    left = InMemoryUnitOfWork(store).collect_events()
    assert {"c-secret"} == {event.aggregate_id for event in left}
    with pytest.raises(InvalidType):
        guarded_unit.acknowledge(42)

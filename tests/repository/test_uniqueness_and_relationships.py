"""The uniqueness policy of customers, and the admission of relationships by the repository."""

import pickle
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ContactPoint, Customer, CustomerId, PersonName
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    InvalidType,
    RepositoryError,
    ValidationError,
)
from crmcore.parties import (
    Relationship,
    RelationshipConflict,
    RelationshipGraph,
    RelationshipId,
    check_relationships,
)
from crmcore.repository import (
    CUSTOMERS,
    DEFAULT_SPECS,
    ORDERS,
    AmbiguousKey,
    CustomerRepository,
    InMemoryStore,
    InMemoryUnitOfWork,
    UniquenessPolicy,
    customer_spec,
    uniqueness_of,
    with_uniqueness,
)
from crmcore.testing.strategies import relationships

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def person(name, *points):
    return Customer.register(
        CustomerId(name), name=PersonName(name), at=T0, contact_points=list(points)
    )


def rel(number, kind, party, related, **options):
    return Relationship.establish(
        RelationshipId(f"r-{number}"),
        kind=kind,
        party_id=CustomerId(party),
        related_id=None if related is None else CustomerId(related),
        at=T0,
        **options,
    )


# -- the policy --------------------------------------------------------------------------------


def test_the_default_policy_keeps_the_default_registration():
    """No policy, or the default one, changes nothing: the very same spec objects."""
    assert customer_spec() is CUSTOMERS
    assert customer_spec(UniquenessPolicy()) is CUSTOMERS
    assert with_uniqueness(DEFAULT_SPECS, None) == DEFAULT_SPECS
    assert with_uniqueness(DEFAULT_SPECS, UniquenessPolicy()) == DEFAULT_SPECS
    assert InMemoryStore().specs == DEFAULT_SPECS
    assert UniquenessPolicy() == InMemoryStore().uniqueness


@pytest.mark.parametrize(
    ("policy", "keys", "indexes"),
    [
        (UniquenessPolicy(email="shared"), ("phone",), ("email",)),
        (UniquenessPolicy(phone="shared"), ("email",), ("phone",)),
        (UniquenessPolicy(email="shared", phone="shared"), (), ("email", "phone")),
    ],
)
def test_a_shared_value_is_an_index_instead_of_a_key(policy, keys, indexes):
    spec = customer_spec(policy)
    assert (keys, indexes) == (spec.key_names, spec.index_names)
    assert policy == UniquenessPolicy.of(spec) == uniqueness_of(with_uniqueness([spec], None))
    store = InMemoryStore(uniqueness=policy)
    assert policy == store.uniqueness
    assert [s.name for s in store.specs] == [s.name for s in DEFAULT_SPECS]


@pytest.mark.parametrize(
    ("arguments", "error", "path"),
    [
        ({"email": "many"}, ValidationError, "$.email"),
        ({"phone": 1}, InvalidType, "$.phone"),
    ],
)
def test_a_policy_refuses_unknown_choices(arguments, error, path):
    with pytest.raises(error) as raised:
        UniquenessPolicy(**arguments)
    assert path == raised.value.path


def test_a_policy_needs_a_store_of_customers_and_a_policy_object():
    with pytest.raises(ValidationError) as raised:
        InMemoryStore(specs=[ORDERS], uniqueness=UniquenessPolicy(email="shared"))
    assert ("$.specs", "policy") == (raised.value.path, raised.value.code)
    with pytest.raises(InvalidType):
        InMemoryStore(uniqueness="shared")
    assert uniqueness_of([ORDERS]) is None


def test_ambiguous_key_is_a_repository_error_that_pickles():
    error = AmbiguousKey("customer", "phone number", count=3)
    assert isinstance(error, RepositoryError)
    assert isinstance(error, LookupError)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (str(error), copy.count, copy.key) == (str(copy), 3, "phone number")
    assert "find_by_phone" in str(error)


def test_shared_lookups_see_the_unit_changes():
    """find_by_email overlays the unit's adds, saves and removes on the stored holders."""
    uow = InMemoryUnitOfWork(InMemoryStore(uniqueness=UniquenessPolicy(email="shared")))
    family = ContactPoint("email", "family@example.com")
    with uow:
        uow.customers.add(person("a", family))
        uow.commit()
    with uow:
        uow.customers.add(person("b", family))
        assert ["a", "b"] == [c.id.value for c in uow.customers.find_by_email(family.value)]
        uow.customers.remove(CustomerId("a"))
        assert "b" == uow.customers.get_by_email(family.value).id.value


def test_the_port_finds_holders_by_reading_every_customer():
    """The port's default find_by_email and find_by_phone agree with the store's index lookups."""
    uow = InMemoryUnitOfWork(InMemoryStore(uniqueness=UniquenessPolicy(phone="shared")))
    shared = ContactPoint("whatsapp", "+6281200000001")
    with uow:
        uow.customers.add(person("a", shared, ContactPoint("email", "a@example.com")))
        uow.customers.add(person("b", ContactPoint("phone", "+6281200000001")))
        uow.commit()
    with uow:
        repository = uow.customers
        for method, value in (("find_by_phone", "+62 812 0000 0001"), ("find_by_email", "A@x.co")):
            generic = getattr(CustomerRepository, method)(repository, value)
            assert generic == getattr(repository, method)(value)
        assert 2 == len(repository.find_by_phone("+6281200000001"))


# -- relationships -----------------------------------------------------------------------------


def committed_parties(*names, store=None):
    uow = InMemoryUnitOfWork(store)
    with uow:
        for name in names:
            uow.customers.add(person(name))
        uow.commit()
    return uow


def test_the_primary_moves_when_the_old_one_is_cleared_first():
    uow = committed_parties("acme", "ana", "budi")
    with uow:
        ana = uow.relationships.add(rel(1, "contact_of", "ana", "acme", primary=True))
        budi = uow.relationships.add(rel(2, "contact_of", "budi", "acme"))
        uow.commit()
    with uow:
        with pytest.raises(RelationshipConflict) as raised:
            uow.relationships.save(budi.set_primary(at=T0))
        assert (RelationshipId("r-2"), RelationshipId("r-1")) == (
            raised.value.relationship_id,
            raised.value.other_id,
        )
        uow.relationships.save(ana.set_primary(at=T0, primary=False))
        uow.relationships.save(budi.set_primary(at=T0))
        uow.commit()
    with uow:
        assert [False, True] == [r.primary for r in uow.relationships]


def test_partners_of_the_business_share_one_primary():
    """Partners with no related party are checked against each other (the business's primary)."""
    uow = committed_parties("p1", "p2")
    with uow:
        uow.relationships.add(rel(1, "partner", "p1", None, primary=True))
        with pytest.raises(RelationshipConflict) as raised:
            uow.relationships.add(rel(2, "partner", "p2", None, primary=True))
        assert "multiple_primary" == raised.value.code
        uow.relationships.add(rel(2, "partner", "p2", None, primary=True, valid_until=T0))
        uow.relationships.add(rel(3, "reseller", "p2", None, primary=True))  # another kind


def test_a_refused_save_leaves_the_stored_relationship():
    uow = committed_parties("acme", "ana")
    with uow:
        first = uow.relationships.add(rel(1, "contact_of", "ana", "acme", valid_until=T0 + DAY))
        uow.relationships.add(rel(2, "contact_of", "ana", "acme", valid_from=T0 + 2 * DAY))
        uow.commit()
    with uow:
        with pytest.raises(RelationshipConflict):
            uow.relationships.save(first.end(at=T0, valid_until=T0 + 3 * DAY))
        assert T0 + DAY == uow.relationships.get(RelationshipId("r-1")).valid_until
        assert 0 == uow.relationships.get(RelationshipId("r-1")).version


def test_a_deep_hierarchy_cycle_is_refused():
    names = [f"org-{n:02d}" for n in range(12)]
    uow = committed_parties(*names)
    with uow:
        for n in range(11):
            uow.relationships.add(rel(n, "parent_of", names[n], names[n + 1]))
        uow.commit()
    with uow:
        with pytest.raises(RelationshipConflict) as raised:
            uow.relationships.add(rel(99, "parent_of", names[11], names[0]))
        assert "hierarchy_cycle" == raised.value.code
        # The same link once the chain is broken in this unit is fine.
        uow.relationships.remove(RelationshipId("r-5"))
        uow.relationships.add(rel(99, "parent_of", names[11], names[0]))


def test_checks_run_before_duplicate_and_version_errors_are_kept():
    """A duplicate id or a stale save raises its usual error, not a conflict."""
    uow = committed_parties("acme", "ana")
    with uow:
        stored = uow.relationships.add(rel(1, "contact_of", "ana", "acme"))
        with pytest.raises(DuplicateId):
            uow.relationships.add(rel(1, "contact_of", "ana", "acme"))
        saved = uow.relationships.save(stored.change_roles(["billing"], at=T0))
        with pytest.raises(ConcurrencyConflict):
            uow.relationships.save(stored.change_roles(["technical"], at=T0))
        assert 1 == saved.version
        with pytest.raises(InvalidType):
            uow.relationships.add(person("x"))


PARTIES = tuple(CustomerId(f"p-{n}") for n in range(5))


@given(st.lists(relationships(party_ids=PARTIES), max_size=8, unique_by=lambda r: r.id))
def test_the_repository_admits_what_the_graph_admits(drawn):
    """Adding one by one: refused exactly when admitting into the graph so far is refused."""
    uow = InMemoryUnitOfWork(check_references=False)
    graph = RelationshipGraph()
    with uow:
        for relationship in drawn:
            try:
                expected = graph.admit(relationship)
            except RelationshipConflict:
                with pytest.raises(RelationshipConflict):
                    uow.relationships.add(relationship)
                continue
            uow.relationships.add(relationship)
            graph = expected
        kept = list(uow.relationships)
        uow.commit()
    check_relationships(kept)
    assert [r.id for r in graph] == [r.id for r in kept]

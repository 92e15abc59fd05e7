"""Tests for `crmcore.repository`: its public surface, specs, and the in-memory store."""

import pickle
from datetime import UTC, datetime

import attrs
import pytest

import crmcore.errors
import crmcore.repository as package
from crmcore import ContactPoint, Customer, CustomerId, Identifier, PersonName
from crmcore.errors import CrmcoreError, InvalidType, NotFound, RepositoryError, ValidationError
from crmcore.repository import (
    CUSTOMERS,
    DEFAULT_SPECS,
    AggregateSpec,
    Change,
    ChangeSet,
    ConcurrencyConflict,
    DuplicateKey,
    InMemoryStore,
    InMemoryUnitOfWork,
    StoreCustomerRepository,
    StoreRepository,
    StoreUnitOfWork,
    customer_emails,
    customer_phones,
)
from crmcore.repository import __all__ as exported

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def customer(number, *points):
    return Customer.register(
        CustomerId(f"c-{number:04d}"), name=PersonName("Ana"), at=T0, contact_points=points
    )


class NoteId(Identifier):
    __slots__ = ()


@attrs.frozen
class Note:
    """A second aggregate type, registered the way later capabilities register theirs."""

    id: NoteId
    slug: str
    version: int = 0
    pending_events: tuple = attrs.field(default=(), eq=False)


NOTES = AggregateSpec(
    name="host_notes",
    kind="note",
    aggregate_type=Note,
    id_type=NoteId,
    natural_keys={"slug": lambda note: [note.slug]},
)


# -- the public surface --------------------------------------------------------------------


def test_all_is_sorted_and_complete():
    """__all__ is sorted (constants, classes, functions) and names every public attribute of the package."""
    public = {name for name in vars(package) if not name.startswith("_")}

    def isort_style(name):
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert sorted(exported, key=isort_style) == list(exported)
    assert public == set(exported)


@pytest.mark.parametrize(
    "name", ["ConcurrencyConflict", "DuplicateId", "NotFound", "RepositoryError", "UnitOfWorkError"]
)
def test_errors_are_those_of_crmcore_errors(name):
    """The re-exported errors are the very classes of crmcore.errors."""
    assert getattr(crmcore.errors, name) is getattr(package, name)


def test_duplicate_key_is_a_repository_error_that_hides_the_value():
    """DuplicateKey derives from RepositoryError and names ids and key, not the value."""
    error = DuplicateKey("customer", "email", aggregate_id="c-2", owner_id="c-1")
    assert isinstance(error, RepositoryError)
    assert isinstance(error, CrmcoreError)
    assert "customer c-2 cannot take this email: customer c-1 already has it" == str(error)


def test_duplicate_key_survives_pickling():
    """DuplicateKey keeps its fields when sent to another process."""
    error = DuplicateKey("customer", "phone", aggregate_id="c-2", owner_id="c-1")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes.
    assert (str(error), "phone", "c-2", "c-1") == (
        str(copy),
        copy.key,
        copy.aggregate_id,
        copy.owner_id,
    )


def test_customer_natural_keys():
    """Emails come from the email channel; phones from phone, SMS and WhatsApp."""
    ana = customer(
        1,
        ContactPoint("email", "Ana@Example.com"),
        ContactPoint("sms", "+6281200000001"),
        ContactPoint("whatsapp", "+6281200000002"),
        ContactPoint("web", "https://example.com/ana"),
    )
    assert frozenset({"ana@example.com"}) == customer_emails(ana)
    assert frozenset({"+6281200000001", "+6281200000002"}) == customer_phones(ana)
    assert {
        ("email", "ana@example.com"),
        ("phone", "+6281200000001"),
        ("phone", "+6281200000002"),
    } == set(CUSTOMERS.keys_of(ana))


def test_default_specs_hold_the_customers():
    """The default registration keeps customers in a repository named `customers`, first."""
    assert CUSTOMERS is DEFAULT_SPECS[0]
    assert StoreCustomerRepository is CUSTOMERS.repository_type


# -- specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "path"),
    [
        ({"name": "Notes"}, ValidationError, "$.name"),
        ({"name": "notes; DROP TABLE x"}, ValidationError, "$.name"),
        ({"aggregate_type": dict}, InvalidType, "$.aggregate_type"),
        ({"aggregate_type": NoteId}, ValidationError, "$.aggregate_type"),
        ({"id_type": str}, InvalidType, "$.id_type"),
        ({"repository_type": object}, InvalidType, "$.repository_type"),
        ({"natural_keys": {"Slug": len}}, ValidationError, "$.natural_keys"),
        ({"natural_keys": 3}, InvalidType, "$.natural_keys"),
        ({"natural_keys": ["slug"]}, ValidationError, "$.natural_keys"),
        ({"indexes": {"By Slug": len}}, ValidationError, "$.indexes"),
        ({"indexes": {"slug": "not callable"}}, ValidationError, "$.indexes"),
        ({"indexes": "slug"}, InvalidType, "$.indexes"),
        ({"natural_keys": {"slug": len}, "indexes": {"slug": len}}, ValidationError, "$.indexes"),
        ({"variants": [dict]}, InvalidType, "$.variants[0]"),
        ({"variants": 3}, InvalidType, "$.variants"),
    ],
)
def test_a_bad_spec_is_refused(changes, error, path):
    """AggregateSpec checks its name (usable as a table name), types and keys."""
    arguments = {"name": "notes", "kind": "note", "aggregate_type": Note, "id_type": NoteId}
    with pytest.raises(error) as raised:
        AggregateSpec(**{**arguments, **changes})
    assert path == raised.value.path


def test_stores_refuse_bad_spec_lists():
    """A store needs specs, each name and aggregate type once."""
    with pytest.raises(InvalidType):
        InMemoryStore(specs=[CUSTOMERS, "notes"])
    with pytest.raises(ValidationError):
        InMemoryStore(specs=[CUSTOMERS, CUSTOMERS])


def test_units_refuse_something_else_than_a_store():
    """StoreUnitOfWork and InMemoryUnitOfWork check what they are given."""
    with pytest.raises(InvalidType):
        StoreUnitOfWork(object())
    with pytest.raises(InvalidType):
        InMemoryUnitOfWork({})


# -- a second aggregate type, registered generically ----------------------------------------


def test_a_registered_aggregate_type_gets_a_repository():
    """A store built with another spec gives every unit a repository for that type."""
    store = InMemoryStore(specs=[*DEFAULT_SPECS, NOTES])
    uow = InMemoryUnitOfWork(store)
    with uow:
        notes = uow.repository(Note)
        assert isinstance(notes, StoreRepository)
        notes.add(Note(NoteId("n-1"), slug="welcome"))
        uow.commit()
    with uow:
        notes = uow.repository(Note)
        saved = notes.save(attrs.evolve(notes.get(NoteId("n-1")), slug="hello"))
        assert saved == notes.find_by_key("slug", "hello")
        assert None is notes.find_by_key("slug", "welcome")
        with pytest.raises(DuplicateKey):
            notes.add(Note(NoteId("n-2"), slug="hello"))
        with pytest.raises(InvalidType):
            notes.get(CustomerId("n-1"))
        assert 0 == uow.customers.count()


def test_an_unregistered_aggregate_type_has_no_repository():
    """repository() of a type the store does not keep raises InvalidType."""
    uow = InMemoryUnitOfWork()
    with pytest.raises(InvalidType):
        uow.repository(Note)


def test_find_by_key_refuses_an_unknown_key():
    """find_by_key() of a key the spec does not declare raises ValidationError."""
    uow = InMemoryUnitOfWork()
    with uow, pytest.raises(ValidationError):
        uow.repository(Customer).find_by_key("fax", "+6281200000001")


def test_customers_needs_a_customer_repository():
    """A store whose customer spec names a plain repository cannot serve `customers`."""
    plain = AggregateSpec(
        name="customers", kind="customer", aggregate_type=Customer, id_type=CustomerId
    )
    uow = InMemoryUnitOfWork(InMemoryStore(specs=[plain]))
    with pytest.raises(InvalidType):
        _ = uow.customers


# -- what a store receives -----------------------------------------------------------------


class RecordingStore(InMemoryStore):
    def __init__(self):
        super().__init__()
        self.received = []

    def commit(self, changes):
        self.received.append(changes)
        super().commit(changes)


def test_a_commit_sends_one_change_set_in_first_touch_order():
    """Changes carry the version expected in the store; add+remove leaves only events."""
    store = RecordingStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.customers.add(customer(1))
        uow.customers.add(customer(2))
        uow.commit()
    store.received.clear()
    with uow:
        uow.customers.add(customer(3))
        two = uow.customers.get(CustomerId("c-0002"))
        uow.customers.save(two.add_tag("vip", at=T0))
        uow.customers.remove(CustomerId("c-0001"))
        uow.customers.add(customer(4))
        uow.customers.remove(CustomerId("c-0004"))
        uow.commit()
    (sent,) = store.received
    assert [("c-0003", None, 0), ("c-0002", 0, 1), ("c-0001", 0, None)] == [
        (
            str(change.aggregate_id),
            change.expected_version,
            None if change.aggregate is None else change.aggregate.version,
        )
        for change in sent.changes
    ]
    assert ["c-0003", "c-0002", "c-0004"] == [str(event.customer_id) for event in sent.events]


def test_an_empty_unit_sends_nothing():
    """A unit that changed nothing does not call the store's commit."""
    store = RecordingStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.customers.count()
        uow.commit()
    assert [] == store.received


def test_a_change_set_for_an_unknown_type_is_refused():
    """A store refuses changes to an aggregate type it does not keep, applying nothing."""
    store = InMemoryStore()
    note = Note(NoteId("n-1"), slug="x")
    with pytest.raises(InvalidType):
        store.commit(ChangeSet(changes=(attrs_change(note),)))
    uow = InMemoryUnitOfWork(store)
    with uow:
        assert 0 == uow.customers.count()


def attrs_change(note):
    return Change(NOTES, note.id, None, note)


# -- the in-memory store's immutable states ------------------------------------------------


def test_a_commit_publishes_a_new_state_and_never_changes_the_old_one():
    """A commit builds the next state beside the current one and swaps the reference."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    before = store._state
    with uow:
        uow.customers.add(customer(1, ContactPoint("email", "ana@example.com")))
        uow.commit()
    assert before is not store._state
    assert 0 == len(before.tables["customers"].rows)
    assert 0 == len(before.tables["customers"].keys)
    assert 0 == len(before.outbox)
    assert 1 == len(store._state.tables["customers"].rows)


def test_a_commit_never_changes_a_state_a_snapshot_reads():
    """With a snapshot open, a commit builds a new state and the pinned one stays as it was."""
    store = InMemoryStore()
    writer, reader = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with reader:
        pinned = store._state
        with writer:
            writer.customers.add(customer(1))
            writer.commit()
        assert pinned is not store._state
        assert 0 == len(pinned.tables["customers"].rows)
        assert 0 == reader.customers.count()


def test_a_commit_shares_the_tables_it_does_not_change():
    """Untouched tables are the same objects in the next state; touched ones are new."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    before = store._state
    with uow:
        uow.customers.add(customer(1))
        uow.commit()
    after = store._state
    assert before.tables["orders"] is after.tables["orders"]
    assert before.tables["customers"] is not after.tables["customers"]


def test_a_snapshot_keeps_tables_a_later_commit_did_not_copy():
    """A table left unchanged by one commit and changed by a later one still reads as it was."""
    store = InMemoryStore(specs=[*DEFAULT_SPECS, NOTES])
    reader, writer = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with reader:
        assert (0, 0) == (reader.customers.count(), reader.repository(Note).count())
        with writer:
            writer.repository(Note).add(Note(NoteId("n-1"), slug="first"))
            writer.commit()
        with writer:
            writer.customers.add(customer(1, ContactPoint("email", "ana@example.com")))
            writer.commit()
        assert (0, 0) == (reader.customers.count(), reader.repository(Note).count())
        assert CustomerId("c-0001") not in reader.customers
        with pytest.raises(NotFound):
            reader.customers.get_by_email("ana@example.com")
    with reader:
        assert (1, 1) == (reader.customers.count(), reader.repository(Note).count())


def test_iteration_goes_on_across_commits():
    """Saving and committing each customer while iterating visits every one once."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        for number in range(1, 301):
            uow.customers.add(customer(number))
        uow.commit()
    with uow:
        for found in uow.customers:
            uow.customers.save(found.add_tag("seen", at=T0))
            uow.commit()
    with uow:
        assert [1] * 300 == [c.version for c in uow.customers]


def test_lookup_with_bad_input_raises_validation_error_naming_the_argument():
    """A malformed phone number in a lookup raises ValidationError at $.number."""
    uow = InMemoryUnitOfWork()
    with uow, pytest.raises(ValidationError) as raised:
        uow.customers.get_by_phone("12345")
    assert "$.number" == raised.value.path
    assert not isinstance(raised.value, NotFound)


def test_conflict_reports_a_removed_aggregate_as_version_none():
    """Saving what another unit removed fails at commit with actual_version None."""
    store = InMemoryStore()
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with first:
        first.customers.add(customer(1))
        first.commit()
    with first:
        loaded = first.customers.get(CustomerId("c-0001"))
        with second:
            second.customers.remove(CustomerId("c-0001"))
            second.commit()
        first.customers.save(loaded.add_tag("x", at=T0))
        with pytest.raises(ConcurrencyConflict) as raised:
            first.commit()
    assert (0, None) == (raised.value.expected_version, raised.value.actual_version)
    assert "customer c-0001 was loaded at version 0 but is now removed" in str(raised.value)


def test_a_store_refuses_a_change_set_giving_one_key_to_two_aggregates():
    """Store.commit() itself refuses two changes that claim one email, applying neither."""
    store = InMemoryStore()
    first = customer(1, ContactPoint("email", "ana@example.com"))
    second = customer(2, ContactPoint("email", "ana@example.com"))
    changes = tuple(
        Change(CUSTOMERS, c.id, None, c.without_pending_events()) for c in (first, second)
    )
    with pytest.raises(DuplicateKey) as raised:
        store.commit(ChangeSet(changes=changes))
    assert (CustomerId("c-0002"), CustomerId("c-0001")) == (
        raised.value.aggregate_id,
        raised.value.owner_id,
    )
    uow = InMemoryUnitOfWork(store)
    with uow:
        assert (0, CUSTOMERS) == (uow.customers.count(), uow.customers.spec)
    assert [] == uow.collect_events()

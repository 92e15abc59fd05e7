"""Tests for the unit of work (`crmcore.repository._store.StoreUnitOfWork`) on the in-memory store."""

import threading
from datetime import UTC, datetime

import pytest

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, OrderPlaced, ProductId
from crmcore.customers import CustomerRegistered
from crmcore.errors import ConcurrencyConflict, InvalidType, UnitOfWorkError
from crmcore.repository import DuplicateKey, InMemoryStore, InMemoryUnitOfWork, UnitOfWork
from crmcore.service import Case, CaseId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EMAIL = "shared@example.com"


def customer(number, *points):
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Ana"), at=T0, contact_points=points
    )


def counter(found):
    return found.profile.attributes.get("counter", 0)


def run_threads(count, target):
    failures = []
    start = threading.Barrier(count)

    def run(index):
        try:
            start.wait()
            target(index)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread.
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def test_in_memory_unit_of_work_is_a_unit_of_work():
    """InMemoryUnitOfWork implements the UnitOfWork port."""
    assert isinstance(InMemoryUnitOfWork(), UnitOfWork)


def test_active_follows_the_block_and_the_unit_is_reusable():
    """`active` is True only inside the block; the same unit serves block after block."""
    uow = InMemoryUnitOfWork()
    assert (False, "InMemoryUnitOfWork(idle, changes=0)") == (uow.active, repr(uow))
    for number in (1, 2, 3):
        with uow:
            assert uow.active
            uow.customers.add(customer(number))
            assert "InMemoryUnitOfWork(active, changes=1)" == repr(uow)
            uow.commit()
    assert not uow.active
    with uow:
        assert 3 == uow.customers.count()


def test_units_without_a_store_do_not_share_data():
    """InMemoryUnitOfWork() keeps a private store; units share data only through one store."""
    first, second = InMemoryUnitOfWork(), InMemoryUnitOfWork()
    with first:
        first.customers.add(customer(1))
        first.commit()
    with second:
        assert 0 == second.customers.count()
    assert first.store is not second.store


def test_an_error_inside_a_repository_call_changes_nothing():
    """A refused add (duplicate key) leaves the unit's earlier changes as they were."""
    uow = InMemoryUnitOfWork()
    with uow:
        uow.customers.add(customer(1, ContactPoint("email", EMAIL)))
        with pytest.raises(DuplicateKey):
            uow.customers.add(customer(2, ContactPoint("email", EMAIL)))
        uow.commit()
    with uow:
        assert [CustomerId("c-1")] == [c.id for c in uow.customers]
        assert CustomerId("c-1") == uow.customers.get_by_email(EMAIL).id


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=T0
    )


def test_one_commit_spans_every_repository_all_or_nothing():
    """A unit changing customers, orders and cases commits them together or not at all."""
    store = InMemoryStore()
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with first:
        first.customers.add(customer(1))
        first.orders.add(order(1, 1))
        first.commit()
    first.acknowledge(first.collect_events())
    with first, second:
        first.customers.add(customer(2))
        first.orders.add(order(2, 2))
        first.cases.add(
            Case.open(
                CaseId("case-1"),
                customer_id=CustomerId("c-1"),
                kind="question",
                subject="Where is my parcel?",
                channel="web",
                at=T0,
            )
        )
        first.orders.save(first.orders.get(OrderId("o-1")).cancel(at=T0))
        second.orders.save(second.orders.get(OrderId("o-1")))
        second.commit()
        with pytest.raises(ConcurrencyConflict):
            first.commit()
    with first:
        assert (1, 1, 0) == (first.customers.count(), first.orders.count(), first.cases.count())
    assert [] == first.collect_events()
    with first:
        first.customers.add(customer(2))
        first.orders.add(order(2, 2))
        first.commit()
    kinds = [type(e) for e in first.collect_events()]
    assert [CustomerRegistered, OrderPlaced] == kinds


def test_collect_events_needs_no_block_and_refuses_nothing():
    """collect_events() works outside the block and returns [] when nothing is pending."""
    uow = InMemoryUnitOfWork()
    assert [] == uow.collect_events()
    with uow:
        assert [] == uow.collect_events()


def test_repositories_of_an_ended_unit_stay_refused_after_reentry_of_another():
    """A repository belongs to its unit: another unit's block does not make it usable."""
    store = InMemoryStore()
    first, second = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    repository = first.customers
    with second, pytest.raises(UnitOfWorkError):
        repository.count()


def test_commits_are_atomic_for_concurrent_readers():
    """Readers never see half a commit: two counters saved together always read equal."""
    store = InMemoryStore()
    setup = InMemoryUnitOfWork(store)
    with setup:
        setup.customers.add(customer(1))
        setup.customers.add(customer(2))
        setup.commit()

    def writer():
        uow = InMemoryUnitOfWork(store)
        for value in range(1, 201):
            with uow:
                for number in (1, 2):
                    found = uow.customers.get(CustomerId(f"c-{number}"))
                    uow.customers.save(found.set_attribute("counter", value, at=T0))
                uow.commit()

    def reader():
        uow = InMemoryUnitOfWork(store)
        for _ in range(400):
            with uow:
                one, two = (uow.customers.get(CustomerId(f"c-{n}")) for n in (1, 2))
                assert counter(one) == counter(two)
                assert one.version == two.version

    run_threads(3, lambda index: writer() if index == 0 else reader())
    with setup:
        assert 200 == counter(setup.customers.get(CustomerId("c-1")))


def test_a_natural_key_never_belongs_to_two_customers_under_contention():
    """Threads moving one email between customers never leave it with two or none."""
    store = InMemoryStore()
    setup = InMemoryUnitOfWork(store)
    with setup:
        setup.customers.add(customer(1, ContactPoint("email", EMAIL)))
        for number in (2, 3, 4):
            setup.customers.add(customer(number))
        setup.commit()
    moves = []

    def mover(index):
        uow = InMemoryUnitOfWork(store)
        target = CustomerId(f"c-{index + 1}")
        for _ in range(50):
            try:
                with uow:
                    holder = uow.customers.get_by_email(EMAIL)
                    if holder.id == target:
                        continue
                    uow.customers.save(holder.remove_contact_point("email", EMAIL, at=T0))
                    taker = uow.customers.get(target)
                    uow.customers.save(taker.add_contact_point(ContactPoint("email", EMAIL), at=T0))
                    uow.commit()
                    moves.append(target)
            except (ConcurrencyConflict, DuplicateKey):
                continue

    run_threads(4, mover)
    with setup:
        holders = [c.id for c in setup.customers if c.contact_point("email", EMAIL) is not None]
        assert [setup.customers.get_by_email(EMAIL).id] == holders
        assert moves[-1] == holders[0]
        # Each move saved two customers, and nothing else saved any.
        assert 2 * len(moves) == sum(c.version for c in setup.customers)


def test_an_acknowledged_id_removes_every_pending_event_with_it():
    """A customer removed and registered again repeats its event ids; one acknowledgement takes both."""
    uow = InMemoryUnitOfWork()
    for _ in range(2):
        with uow:
            if CustomerId("c-1") in uow.customers:
                uow.customers.remove(CustomerId("c-1"))
                uow.commit()
            uow.customers.add(customer(1))
            uow.commit()
    events = uow.collect_events()
    assert ["customer:c-1#1", "customer:c-1#1"] == [e.event_id for e in events]
    assert 2 == uow.acknowledge(["customer:c-1#1"])
    assert [] == uow.collect_events()


def test_collect_events_never_removes_and_works_across_stores_units():
    """Collecting from several units of one store hands each the same pending events."""
    store = InMemoryStore()
    units = [InMemoryUnitOfWork(store) for _ in range(3)]
    with units[0]:
        units[0].customers.add(customer(1))
        units[0].commit()
    collected = [u.collect_events() for u in units]
    assert collected[0] == collected[1] == collected[2]
    assert 1 == len(collected[0])


# -- events handed to a handler (on_events) -------------------------------------------------------


@pytest.mark.parametrize("junk", [42, "print", object()])
def test_a_handler_that_is_not_callable_is_refused(junk):
    """on_events must be callable or None: InvalidType names the argument."""
    with pytest.raises(InvalidType) as raised:
        InMemoryUnitOfWork(on_events=junk)
    assert "$.on_events" == raised.value.path


def test_the_handler_is_kept_and_shown():
    """on_events is readable; None by default."""
    assert InMemoryUnitOfWork().on_events is None
    assert print is InMemoryUnitOfWork(on_events=print).on_events


def test_a_bulk_import_with_a_handler_leaves_nothing_in_memory():
    """Many commits with a handler: every event handed over once, in order; the outbox empty."""
    store = InMemoryStore()
    handed = []
    importer = InMemoryUnitOfWork(store, on_events=handed.extend)
    for batch in range(5):
        with importer:
            for number in range(batch * 20, batch * 20 + 20):
                importer.customers.add(customer(number))
            importer.commit()
    assert [f"customer:c-{n}#1" for n in range(100)] == [e.event_id for e in handed]
    assert [] == store.pending_events()
    assert 0 == len(store._state.outbox) == len(store._state.positions)
    with InMemoryUnitOfWork(store) as reader:
        assert 100 == reader.customers.count()


def test_a_handler_sees_the_events_before_they_are_acknowledged():
    """While the handler runs, the events are still in the outbox (at least once)."""
    store = InMemoryStore()
    seen = []

    def handler(events):
        seen.append(([e.event_id for e in events], [e.event_id for e in store.pending_events()]))

    uow = InMemoryUnitOfWork(store, on_events=handler)
    with uow:
        uow.customers.add(customer(1))
        uow.commit()
    assert [(["customer:c-1#1"], ["customer:c-1#1"])] == seen
    assert [] == store.pending_events()

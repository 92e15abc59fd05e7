"""Crash safety of the in-memory store (`crmcore.repository._memory`).

A commit or an acknowledgement interrupted anywhere (a KeyboardInterrupt, a signal handler
raising) must leave the published state exactly as it was, or publish the whole new state; the
indexes must always agree with the rows, and no event may be lost or repeated. The tests
interrupt the write at every line it executes in turn (through a trace function), and at every
piece of new state it builds.
"""

import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork, _memory, _storage, _store
from crmcore.service import Case, CaseId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TRACED = {_memory.__file__, _storage.__file__, _store.__file__}


def customer(number, email=None):
    points = [] if email is None else [ContactPoint("email", email)]
    return Customer.register(
        CustomerId(f"c-{number}"), name=PersonName("Ana"), at=T0, contact_points=points
    )


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=T0
    )


def case(number, customer_number):
    return Case.open(
        CaseId(f"case-{number}"),
        customer_id=CustomerId(f"c-{customer_number}"),
        kind="question",
        subject="Where is my parcel?",
        channel="web",
        at=T0,
    )


def seeded():
    """A store with customers holding emails, orders, a case, and events not acknowledged."""
    store = InMemoryStore()
    uow = InMemoryUnitOfWork(store)
    with uow:
        uow.customers.add(customer(1, "ana@example.com"))
        uow.customers.add(customer(2, "budi@example.com"))
        uow.customers.add(customer(3))
        uow.orders.add(order(1, 1))
        uow.orders.add(order(2, 3))
        uow.cases.add(case(1, 3))
        uow.commit()
    uow.acknowledge(uow.collect_events()[:2])
    return store


def change(uow):
    """Move an email between customers, add, save and remove across three tables."""
    ana = uow.customers.get(CustomerId("c-1"))
    uow.customers.save(ana.remove_contact_point("email", "ana@example.com", at=T0))
    budi = uow.customers.get(CustomerId("c-2"))
    uow.customers.save(budi.add_contact_point(ContactPoint("email", "ana@example.com"), at=T0))
    uow.customers.add(customer(4, "citra@example.com"))
    uow.orders.add(order(3, 4))
    uow.orders.save(uow.orders.get(OrderId("o-1")).cancel(at=T0))
    uow.orders.remove(OrderId("o-2"))
    uow.cases.remove(CaseId("case-1"))
    uow.customers.remove(CustomerId("c-3"))


def fingerprint(state):
    """Everything a state holds, as plain values (to prove a state was never changed)."""
    tables = {}
    for name, table in state.tables.items():
        tables[name] = (
            sorted(table.rows.items()),
            sorted((pair, str(i)) for pair, i in table.keys.items()),
            sorted((pair, sorted(map(str, ids.items()))) for pair, ids in table.index.items()),
            sorted((pair, sorted(map(str, ids.items()))) for pair, ids in table.refs.items()),
        )
    return (
        tables,
        sorted(state.outbox.items()),
        sorted(state.positions.items()),
        state.head,
        state.end,
    )


def assert_consistent(store):
    """Every index of every table is what the rows give; the outbox bookkeeping agrees."""
    state = store._state
    for spec in store.specs:
        table = state.tables[spec.name]
        rows = dict(table.rows.items())
        assert len(rows) == len(table.rows)
        assert all(text == aggregate.id.value for text, aggregate in rows.items())
        keys = {pair: a.id for a in rows.values() for pair in spec.keys_of(a)}
        assert len(keys) == sum(len(spec.keys_of(a)) for a in rows.values()), "a key held twice"
        assert keys == dict(table.keys.items())
        index = {}
        for aggregate in rows.values():
            for pair in spec.index_values(aggregate):
                index.setdefault(pair, {})[aggregate.id.value] = aggregate.id
        assert index == {pair: dict(ids.items()) for pair, ids in table.index.items()}
        refs = {}
        for aggregate in rows.values():
            for field, _, target in spec.references_of(aggregate):
                refs.setdefault((field, target.value), {})[aggregate.id.value] = aggregate.id
        assert refs == {pair: dict(ids.items()) for pair, ids in table.refs.items()}
        assert sorted(rows) == table.ordered()
    positions = {}
    for position, event in state.outbox.items():
        assert state.head <= position < state.end
        positions.setdefault(event.event_id, []).append(position)
    assert positions == {i: list(p) for i, p in state.positions.items()}


@contextmanager
def interrupted_at_line(line, error=KeyboardInterrupt):
    """Raise ``error`` at the ``line``-th line executed in the store's modules."""
    executed = 0

    def local(frame, event, arg):
        nonlocal executed
        if event == "line":
            executed += 1
            if executed == line:
                raise error
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename in TRACED else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        yield
    finally:
        sys.settrace(previous)


@contextmanager
def interrupted_at_piece(piece):
    """Raise KeyboardInterrupt when the store builds its ``piece``-th piece of new state."""
    real = _memory._PMap.updated
    built = 0

    def updated(self, changes):
        nonlocal built
        built += 1
        if built == piece:
            raise KeyboardInterrupt
        return real(self, changes)

    _memory._PMap.updated = updated
    try:
        yield
    finally:
        _memory._PMap.updated = real


def expected_after_commit():
    store = seeded()
    uow = InMemoryUnitOfWork(store)
    with uow:
        change(uow)
        uow.commit()
    return fingerprint(store._state)


def run_interrupted_commits(interrupting, limit):
    """Interrupt the commit at 1, 2, 3, ... until it completes; check every outcome."""
    expected = expected_after_commit()
    for point in range(1, limit):
        store = seeded()
        before = store._state
        untouched = fingerprint(before)
        uow = InMemoryUnitOfWork(store)
        completed = False
        with uow:
            change(uow)
            try:
                with interrupting(point):
                    uow.commit()
                completed = True
            except KeyboardInterrupt:
                pass
        assert untouched == fingerprint(before), f"the old state changed at {point}"
        assert_consistent(store)
        if completed:
            assert expected == fingerprint(store._state)
            return point
        if store._state is before:  # the store goes on working
            with uow:
                change(uow)
                uow.commit()
        assert expected == fingerprint(store._state), f"a partial state at {point}"
    pytest.fail(f"the commit was still interrupted after {limit} points")
    return None


def test_a_commit_interrupted_at_any_line_applies_all_or_nothing():
    """KeyboardInterrupt at each line a commit runs: the old state intact, or the whole new one."""
    points = run_interrupted_commits(interrupted_at_line, 20_000)
    assert points > 200  # the commit really ran under the trace, line by line


def test_a_commit_interrupted_at_any_piece_of_new_state_applies_nothing():
    """KeyboardInterrupt while building each table, index and outbox: nothing is published."""
    points = run_interrupted_commits(interrupted_at_piece, 500)
    assert points > 10


@pytest.mark.parametrize("error", [KeyboardInterrupt, MemoryError, SystemExit])
def test_any_exception_in_a_commit_leaves_the_state(error):
    """Whatever the exception, a commit interrupted halfway publishes nothing."""
    store = seeded()
    before = store._state
    uow = InMemoryUnitOfWork(store)
    with uow:
        change(uow)
        with pytest.raises(error), interrupted_at_line(150, error):
            uow.commit()
    assert before is store._state
    assert_consistent(store)


def test_an_acknowledgement_interrupted_at_any_line_removes_all_or_nothing():
    """An acknowledgement interrupted at each line removes every event it names, or none."""
    for line in range(1, 5000):
        store = seeded()
        uow = InMemoryUnitOfWork(store)
        events = uow.collect_events()
        ids = [e.event_id for e in events]
        try:
            with interrupted_at_line(line):
                uow.acknowledge([events[0], events[2]])
        except KeyboardInterrupt:
            left = [e.event_id for e in uow.collect_events()]
            assert left in (ids, [ids[1], *ids[3:]]), line
            assert_consistent(store)
            continue
        assert [ids[1], *ids[3:]] == [e.event_id for e in uow.collect_events()]
        assert_consistent(store)
        assert line > 20
        return
    pytest.fail("the acknowledgement never completed")


# -- the immutable map behind every state -------------------------------------------------------


class Colliding:
    """A key whose hash is shared by many others (and may be negative), as hash collisions are."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return -(self.value % 5)

    def __eq__(self, other):
        return isinstance(other, Colliding) and other.value == self.value

    def __lt__(self, other):
        return self.value < other.value

    def __repr__(self):
        return f"Colliding({self.value})"


KEYS = st.one_of(
    st.integers(-2_000, 2_000),
    st.integers(-2_000, 2_000).map(Colliding),
    st.text(max_size=3),
    st.integers(0, 100).map(lambda n: n * (2**61 - 1)),  # every one of them hashes to 0
)
OPERATIONS = st.lists(st.tuples(KEYS, st.booleans()), min_size=0, max_size=300)


def nodes(pmap):
    """Every node of a map's trie (tuples and leaf dicts), by identity."""
    found, pending = {}, [pmap._root]
    while pending:
        node = pending.pop()
        found[id(node)] = node
        if type(node) is tuple:
            pending.extend(node)
    return found


@given(batches=st.lists(OPERATIONS, max_size=8))
def test_the_immutable_map_behaves_like_a_dict_and_never_changes(batches):
    """updated() agrees with a dict model as maps grow, split, shrink and merge; old maps stay."""
    current = _memory._empty()
    model = {}
    history = [(current, dict(model), fingerprint_of(current))]
    for batch in batches:
        changes = {key: (_memory._GONE if remove else repr(key)) for key, remove in batch}
        current = current.updated(changes)
        for key, value in changes.items():
            if value is _memory._GONE:
                model.pop(key, None)
            else:
                model[key] = value
        history.append((current, dict(model), fingerprint_of(current)))
    probes = [key for key, _ in (item for batch in batches for item in batch)]
    for version, expected, shape in history:  # every earlier map still reads as it did
        assert shape == fingerprint_of(version)
        assert expected == dict(version.items())
        assert len(expected) == len(version)
        assert sorted(map(repr, expected)) == sorted(map(repr, version))
        for key in probes:
            assert expected.get(key) == version.get(key)
            assert (key in expected) == (key in version)


def fingerprint_of(pmap):
    """The identity and contents of every node: proves no node was changed in place."""
    return sorted(
        (key, repr(sorted(map(repr, node.items()))))
        for key, node in nodes(pmap).items()
        if type(node) is dict
    )


def test_a_change_copies_only_the_path_to_its_leaf():
    """A large map is a trie: a change copies the few tuples above its leaf and the leaf."""
    large = _memory._empty().updated({n: n for n in range(100_000)})
    before = nodes(large)
    changed = large.updated({5: "five"})
    fresh = [node for key, node in nodes(changed).items() if key not in before]
    tuples = [node for node in fresh if type(node) is tuple]
    leaves = [node for node in fresh if type(node) is dict]
    assert 1 == len(leaves)
    assert 2 <= len(tuples) <= 4  # the depth of the trie: log32(100,000 / leaf size)
    assert all(len(node) == 1 << _memory._BITS for node in tuples)
    assert len(leaves[0]) <= _memory._LEAF
    assert 5 == large.get(5)
    assert "five" == changed.get(5)
    assert changed.updated({}) is changed


def test_a_map_that_shrinks_becomes_one_dict_again():
    """Removing most entries merges the trie back into a single leaf."""
    large = _memory._empty().updated({n: n for n in range(5_000)})
    assert type(large._root) is tuple
    small = large.updated({n: _memory._GONE for n in range(5_000) if n % 1000})
    assert {0: 0, 1000: 1000, 2000: 2000, 3000: 3000, 4000: 4000} == small._root
    assert 5 == len(small)
    empty = small.updated(dict.fromkeys(range(0, 5_000, 1000), _memory._GONE))
    assert ({}, 0) == (empty._root, len(empty))


def test_keys_sharing_one_hash_stay_in_one_leaf():
    """Keys whose hashes are equal cannot be told apart by the trie: their leaf just grows."""
    keys = [n * (2**61 - 1) for n in range(200)]  # every hash is 0
    colliding = _memory._empty().updated({key: key for key in keys})
    assert all(key == colliding.get(key) for key in keys)
    assert 200 == len(colliding) == len(list(colliding))
    fewer = colliding.updated({keys[0]: _memory._GONE})
    assert (None, 199) == (fewer.get(keys[0]), len(fewer))


def test_the_in_memory_store_source_is_traced():
    """The trace of these tests covers the modules that run a commit."""
    assert {Path(f).name for f in TRACED} == {"_memory.py", "_storage.py", "_store.py"}

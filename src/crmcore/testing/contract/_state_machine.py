"""The Hypothesis state machine: random operation sequences against a reference model."""

from __future__ import annotations

from collections.abc import Callable

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from crmcore._kernel._events import DomainEvent
from crmcore.customers import (
    Customer,
    CustomerId,
)
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    InvalidType,
    NotFound,
    RepositoryError,
    UnitOfWorkError,
)
from crmcore.repository import DuplicateKey, UnitOfWork
from crmcore.testing.contract._kinds import _clear
from crmcore.testing.contract._support import (
    EMAILS,
    PHONES,
    T0,
    _customer_id,
    _emails,
    _equal,
    _make_customer,
    _phones,
    _raises,
    _true,
    _with_email,
    _with_phone,
)

# -- the state machine ---------------------------------------------------------------------

_NUMBERS = st.integers(min_value=1, max_value=6)
_EMAIL_CHOICES = st.none() | st.sampled_from(EMAILS)
_PHONE_CHOICES = st.none() | st.sampled_from(PHONES)
_CHANGES = st.sampled_from(["tag", "counter", "email", "no_email", "phone"])


class RepositoryStateMachine(RuleBasedStateMachine):
    """Random operations on one main unit and a concurrent one, checked against a model.

    The model keeps the committed customers, the main unit's view, what the
    unit changed, and the outbox. Every step checks the unit's view (iteration,
    count, lookups) and every commit predicts success or the error class.
    """

    def __init__(self, make_unit_of_work: Callable[[], UnitOfWork]) -> None:
        super().__init__()
        self.uow = make_unit_of_work()
        self.other = make_unit_of_work()
        _clear(self.uow)
        self.committed: dict[CustomerId, Customer] = {}
        self.outbox: list[DomainEvent] = []
        self.view: dict[CustomerId, Customer] | None = None
        self.base: dict[CustomerId, Customer] = {}
        self.touched: set[CustomerId] = set()
        self.unit_events: list[DomainEvent] = []

    # -- model helpers --------------------------------------------------------------------

    def _begin(self) -> None:
        self.view = dict(self.committed)
        self.base = dict(self.committed)
        self.touched = set()
        self.unit_events = []

    def _current(self) -> dict[CustomerId, Customer]:
        if self.view is None:  # pragma: no cover - guarded by preconditions
            raise AssertionError("no unit is open")
        return self.view

    @staticmethod
    def _key_clash(state: dict[CustomerId, Customer], customer: Customer) -> bool:
        for other in state.values():
            if other.id != customer.id and (
                _emails(other) & _emails(customer) or _phones(other) & _phones(customer)
            ):
                return True
        return False

    def _is_open(self) -> bool:
        return self.view is not None

    def _is_closed(self) -> bool:
        return self.view is None

    # -- the main unit --------------------------------------------------------------------

    @precondition(_is_closed)
    @rule()
    def open_unit(self) -> None:
        """Enter the main unit."""
        self.uow.__enter__()
        self._begin()

    @precondition(_is_open)
    @rule(number=_NUMBERS, email=_EMAIL_CHOICES, phone=_PHONE_CHOICES)
    def add(self, number: int, email: str | None, phone: str | None) -> None:
        """Add a new customer; predict DuplicateId / DuplicateKey from the model."""
        view = self._current()
        customer = _make_customer(number, email=email, phone=phone)
        expected: tuple[type[RepositoryError], ...] = ()
        if customer.id in view:
            expected += (DuplicateId,)
        if self._key_clash(view, customer):
            expected += (DuplicateKey,)
        if expected:
            with _raises(RepositoryError) as raised:
                self.uow.customers.add(customer)
            _true(isinstance(raised.value, expected), f"expected {expected}, got {raised.value!r}")
            return
        stored = self.uow.customers.add(customer)
        _equal(customer, stored, "stored copy")
        view[customer.id] = stored
        self.touched.add(customer.id)
        self.unit_events.extend(customer.pending_events)

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def get(self, number: int) -> None:
        """Get by id: the model's customer at the model's version, or NotFound."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.get(ident)
            return
        found = self.uow.customers.get(ident)
        _equal(view[ident], found, "customer")
        _equal(view[ident].version, found.version, "version")

    @precondition(_is_open)
    @rule(number=_NUMBERS, change=_CHANGES, pick=st.integers(min_value=0, max_value=3))
    def save(self, number: int, change: str, pick: int) -> None:
        """Change a customer and save it; predict NotFound / DuplicateKey."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.save(_make_customer(number))
            return
        current = view[ident]
        if change == "tag":
            changed = current.add_tag(f"t{pick}", at=T0)
        elif change == "counter":
            changed = current.set_attribute("counter", pick, at=T0)
        elif change == "email":
            changed = _with_email(current, EMAILS[pick])
        elif change == "no_email":
            changed = _with_email(current, None)
        else:
            changed = _with_phone(current, PHONES[pick % len(PHONES)])
        if self._key_clash(view, changed):
            with _raises(DuplicateKey):
                self.uow.customers.save(changed)
            return
        stored = self.uow.customers.save(changed)
        _equal(current.version + 1, stored.version, "saved version")
        view[ident] = stored
        self.touched.add(ident)
        self.unit_events.extend(changed.pending_events)

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def save_stale(self, number: int) -> None:
        """Save a copy at the wrong version: ConcurrencyConflict with both versions."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            return
        stale = attrs.evolve(view[ident], version=view[ident].version + 1)
        with _raises(ConcurrencyConflict) as raised:
            self.uow.customers.save(stale)
        _equal(view[ident].version, raised.value.actual_version, "actual version")

    @precondition(_is_open)
    @rule(number=_NUMBERS)
    def remove(self, number: int) -> None:
        """Remove by id, or NotFound."""
        view = self._current()
        ident = _customer_id(number)
        if ident not in view:
            with _raises(NotFound):
                self.uow.customers.remove(ident)
            return
        self.uow.customers.remove(ident)
        del view[ident]
        self.touched.add(ident)

    @precondition(_is_open)
    @rule(email=st.sampled_from(EMAILS))
    def lookup_email(self, email: str) -> None:
        """Look a customer up by email: the model's holder, or NotFound."""
        owners = [c.id for c in self._current().values() if email in _emails(c)]
        if not owners:
            with _raises(NotFound):
                self.uow.customers.get_by_email(email)
            return
        _equal(owners, [self.uow.customers.get_by_email(email).id], "holder")

    @precondition(_is_open)
    @rule()
    def commit(self) -> None:
        """Commit; predict a conflict from what others committed since the unit began."""
        view = self._current()
        changed = {i for i in self.touched if i in self.base or i in view}
        expected: tuple[type[RepositoryError], ...] = ()
        for ident in changed:
            before, now = self.base.get(ident), self.committed.get(ident)
            if before is None and now is not None:
                expected += (DuplicateId,)
            elif before is not None and (now is None or now.version != before.version):
                expected += (ConcurrencyConflict,)
        result = dict(self.committed)
        for ident in changed:
            if ident in view:
                result[ident] = view[ident]
            else:
                result.pop(ident, None)
        if any(self._key_clash(result, result[i]) for i in changed if i in result):
            expected += (DuplicateKey,)
        if expected:
            with _raises(RepositoryError) as raised:
                self.uow.commit()
            _true(isinstance(raised.value, expected), f"expected {expected}, got {raised.value!r}")
        else:
            self.uow.commit()
            self.committed = result
            self.outbox.extend(self.unit_events)
        self._begin()

    @precondition(_is_open)
    @rule()
    def rollback(self) -> None:
        """Roll back explicitly; the block goes on."""
        self.uow.rollback()
        self._begin()

    @precondition(_is_open)
    @rule(fail=st.booleans())
    def leave(self, fail: bool) -> None:
        """Leave the block without commit, normally or by an exception."""
        if fail:
            error = RuntimeError("leaving the block by an exception")
            _true(not self.uow.__exit__(RuntimeError, error, None), "exceptions must propagate")
        else:
            self.uow.__exit__(None, None, None)
        self.view = None

    @precondition(_is_closed)
    @rule()
    def use_outside(self) -> None:
        """Outside the block the repository refuses to work."""
        with _raises(UnitOfWorkError):
            self.uow.customers.count()

    # -- a concurrent unit ----------------------------------------------------------------

    @rule(number=_NUMBERS, pick=st.integers(min_value=0, max_value=3))
    def other_unit_saves(self, number: int, pick: int) -> None:
        """Another unit tags a committed customer and commits."""
        ident = _customer_id(number)
        if ident not in self.committed:
            return
        with self.other:
            loaded = self.other.customers.get(ident)
            changed = loaded.add_tag(f"o{pick}", at=T0)
            stored = self.other.customers.save(changed)
            self.other.commit()
        self.committed[ident] = stored
        self.outbox.extend(changed.pending_events)

    @rule(number=_NUMBERS, email=_EMAIL_CHOICES)
    def other_unit_adds(self, number: int, email: str | None) -> None:
        """Another unit adds a customer and commits, when the model says it can."""
        customer = _make_customer(number, email=email)
        if customer.id in self.committed or self._key_clash(self.committed, customer):
            return
        with self.other:
            self.other.customers.add(customer)
            self.other.commit()
        self.committed[customer.id] = customer.without_pending_events()
        self.outbox.extend(customer.pending_events)

    @rule(number=_NUMBERS)
    def other_unit_removes(self, number: int) -> None:
        """Another unit removes a committed customer and commits."""
        ident = _customer_id(number)
        if ident not in self.committed:
            return
        with self.other:
            self.other.customers.remove(ident)
            self.other.commit()
        del self.committed[ident]

    @rule(
        limit=st.none() | st.integers(min_value=1, max_value=4),
        handled=st.integers(min_value=0, max_value=4),
        by_id=st.booleans(),
        unknown=st.booleans(),
    )
    def collect_and_acknowledge(
        self, limit: int | None, handled: int, by_id: bool, unknown: bool
    ) -> None:
        """The outbox hands out the committed events in order until they are acknowledged.

        The first ``handled`` of the events handed out are acknowledged (as
        events or as ids, maybe with an unknown id); every pending event with
        an acknowledged id leaves, and only those.
        """
        expected = self.outbox if limit is None else self.outbox[:limit]
        collected = self.other.collect_events(limit=limit)
        _equal(expected, collected, "events")
        _equal([e.event_id for e in expected], [e.event_id for e in collected], "event ids")
        done = collected[:handled]
        acknowledged: list[DomainEvent | str] = [e.event_id for e in done] if by_id else list(done)
        if unknown:
            acknowledged.append("customer:unknown#1")
        ids = {e.event_id for e in done}
        removed = self.uow.acknowledge(acknowledged)
        _equal(sum(e.event_id in ids for e in self.outbox), removed, "events acknowledged")
        self.outbox = [e for e in self.outbox if e.event_id not in ids]
        _equal(0, self.uow.acknowledge(acknowledged), "a repeated acknowledgement")

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def the_unit_sees_its_view(self) -> None:
        """Iteration and count inside the unit match the model's view."""
        if self.view is None:
            return
        expected = [self.view[i] for i in sorted(self.view)]
        seen = list(self.uow.customers)
        _equal(expected, seen, "customers")
        _equal([c.version for c in expected], [c.version for c in seen], "versions")
        _equal(len(expected), self.uow.customers.count(), "count")

    def teardown(self) -> None:
        """Leave the unit if it is still open."""
        if self.view is not None:
            self.uow.__exit__(None, None, None)


def repository_state_machine(
    make_unit_of_work: Callable[[], UnitOfWork],
) -> type[RepositoryStateMachine]:
    """The state machine bound to a unit-of-work factory, ready for Hypothesis to run.

    Every unit the factory makes must share one storage. The machine empties
    it at the start of each run (removing every customer and draining the
    outbox), so a database file can serve many runs.

    >>> from hypothesis import settings
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
    >>> store = InMemoryStore()
    >>> machine = repository_state_machine(lambda: InMemoryUnitOfWork(store))
    >>> run_state_machine_as_test(machine, settings=settings(max_examples=5, deadline=None))
    """
    if not callable(make_unit_of_work):
        raise InvalidType("must be a callable returning a unit of work", path="$.make_unit_of_work")

    class Bound(RepositoryStateMachine):
        def __init__(self) -> None:
            super().__init__(make_unit_of_work)

    Bound.__name__ = Bound.__qualname__ = "RepositoryStateMachine"
    return Bound

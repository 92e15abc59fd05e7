"""The contract's reliability tests: at-least-once events, references, interrupted writes."""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import Any, cast

from crmcore.customers import CustomerId, CustomerRegistered, CustomerTagAdded
from crmcore.errors import InvalidType, NotFound, UnknownReference, ValidationError
from crmcore.loyalty import LoyaltyAccount
from crmcore.repository import UnitOfWork
from crmcore.testing.contract._builders import (
    _change_loyalty_account,
    _change_order,
    _make_case,
    _make_loyalty_account,
    _make_order,
)
from crmcore.testing.contract._kinds import (
    AGGREGATE_REPOSITORIES,
    _clear,
    _referring_repositories,
    _repository,
)
from crmcore.testing.contract._support import (
    EMAILS,
    PHONES,
    T0,
    _customer_id,
    _customers_are,
    _drain,
    _emails,
    _equal,
    _make_customer,
    _phones,
    _raises,
    _true,
    _with_customers,
    _with_email,
)

#: Interrupted writes are tried at steps 0, 1, 2, ... up to this many.
MAX_STEPS = 2000


def _skip(reason: str) -> None:
    import pytest  # noqa: PLC0415 - the contract imports without pytest; its tests need it.

    pytest.skip(reason)


class ReliabilityContract(ABC):
    """At-least-once delivery, referential checks and all-or-nothing under interruption.

    A base of :class:`~crmcore.testing.contract.UnitOfWorkContract`: adapters
    subclass that one. The two hooks below are optional.
    """

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    def interrupt_writes(self, step: int) -> AbstractContextManager[object] | None:
        """A context inside which the store's next write is interrupted at step ``step``.

        Implement it if the adapter can simulate a failure in the middle of a
        commit or an acknowledgement: inside the returned context, the write
        must raise ``KeyboardInterrupt`` when it reaches its step ``step``
        (counting from 0), where a step is whatever the adapter can
        interrupt: a statement sent to the database, a part of the new state
        built in memory. A write with fewer steps completes normally. The
        contract then checks, for every step, that the store holds either its
        old state or the whole new one, with indexes agreeing with the data
        and no event lost or repeated.

        Returns:
            The context, or ``None`` (the default) when the adapter cannot
            simulate failures; the tests needing it are then skipped.
        """
        del step  # the default simulates nothing
        return None

    def make_unit_of_work_without_reference_checks(self) -> UnitOfWork | None:
        """A unit of work over this test's storage that does not check references.

        Returns:
            The unit, or ``None`` (the default) when the adapter has no such
            option; the test of the option is then skipped.
        """
        return None

    def pytest_generate_tests(self, metafunc: Any) -> None:
        """Run each test that takes ``referring_repository`` once per repository naming customers."""
        if "referring_repository" in metafunc.fixturenames:
            metafunc.parametrize("referring_repository", _referring_repositories())

    # -- helpers ----------------------------------------------------------------------------

    def _commit_customers(self, *numbers: int) -> UnitOfWork:
        return _with_customers(self.make_unit_of_work(), *numbers)

    def _pending_ids(self) -> list[str]:
        return [event.event_id for event in self.make_unit_of_work().collect_events()]

    # -- at-least-once delivery -------------------------------------------------------------

    def test_events_stay_in_the_outbox_until_acknowledged(self) -> None:
        """A collector that crashes before acknowledging gets the same events, same ids, again."""
        uow = self._commit_customers(1, 2)
        first = uow.collect_events()
        _equal([CustomerRegistered, CustomerRegistered], [type(e) for e in first], "events")
        again = self.make_unit_of_work().collect_events()  # the "restarted" consumer
        _equal(first, again, "events handed out again")
        _equal(
            ["customer:c-0001#1", "customer:c-0002#1"],
            [e.event_id for e in again],
            "stable event ids",
        )
        _equal(1, uow.acknowledge(again[:1]), "events acknowledged")
        _equal(again[1:], uow.collect_events(), "events left")
        _equal(1, uow.acknowledge([again[1].event_id]), "acknowledged by id")
        _equal([], uow.collect_events(), "outbox")

    def test_acknowledging_is_idempotent_and_ignores_unknown_ids(self) -> None:
        """Acknowledging twice, or an id never handed out, removes nothing more."""
        uow = self._commit_customers(1, 2)
        events = uow.collect_events()
        _equal(1, uow.acknowledge(events[:1] + events[:1]), "acknowledged once")
        _equal(0, uow.acknowledge(events[:1]), "acknowledged again")
        _equal(0, uow.acknowledge(["customer:c-9999#1", "no event"]), "unknown ids")
        _equal(0, uow.acknowledge([]), "nothing")
        _equal(events[1:], uow.collect_events(), "events left")

    def test_acknowledged_events_never_come_back(self) -> None:
        """Events acknowledged out of order leave for good; later commits add only their own."""
        uow = self._commit_customers(1, 2, 3)
        events = uow.collect_events()
        _equal(1, uow.acknowledge([events[1]]), "the middle one")
        _equal([events[0], events[2]], uow.collect_events(), "the others, in order")
        with uow:
            loaded = uow.customers.get(_customer_id(2))
            uow.customers.save(loaded.add_tag("later", at=T0))
            uow.commit()
        pending = self.make_unit_of_work().collect_events()
        _equal([events[0], events[2]], pending[:2], "older events first")
        _equal([CustomerTagAdded], [type(e) for e in pending[2:]], "the new event")
        _equal(3, uow.acknowledge(pending), "acknowledged")
        _equal([], self.make_unit_of_work().collect_events(), "outbox")

    def test_events_are_collected_in_batches(self) -> None:
        """collect_events(limit=n) hands out the n oldest; acknowledged batches walk the outbox."""
        self._commit_customers(*range(1, 6))
        uow = self.make_unit_of_work()
        everything = uow.collect_events()
        _equal(everything[:2], uow.collect_events(limit=2), "first batch")
        _equal(everything[:2], uow.collect_events(limit=2), "first batch, not acknowledged")
        seen = []
        while batch := uow.collect_events(limit=2):
            _true(len(batch) <= 2, "batch size")
            seen.extend(batch)
            uow.acknowledge(batch)
        _equal(everything, seen, "every event, once, in order")
        _equal([], uow.collect_events(limit=1), "empty outbox")

    def test_collect_and_acknowledge_refuse_bad_arguments(self) -> None:
        """A limit that is not a positive int, or acknowledging a non-collection, raises."""
        uow = self._commit_customers(1)
        for bad_type in (True, 1.5, "2"):
            with _raises(InvalidType):
                uow.collect_events(limit=bad_type)  # type: ignore[arg-type]
        for too_small in (0, -1):
            with _raises(ValidationError):
                uow.collect_events(limit=too_small)
        events = uow.collect_events()
        for junk in (42, events[0].event_id, events[0], [42], None):
            with _raises(InvalidType):
                uow.acknowledge(junk)  # type: ignore[arg-type]
        _equal(events, uow.collect_events(), "nothing acknowledged")

    def test_events_of_rolled_back_units_never_appear(self) -> None:
        """However often the outbox is read, a rolled-back unit's events are not in it."""
        uow = self._commit_customers(1)
        _drain(uow)
        with uow:
            loaded = uow.customers.get(_customer_id(1))
            uow.customers.save(loaded.add_tag("dropped", at=T0))
            uow.rollback()
            uow.customers.save(loaded.add_tag("kept", at=T0))
            uow.commit()
        with uow:
            uow.customers.add(_make_customer(2))  # never committed
        for _ in range(2):
            events = uow.collect_events()
            _equal(["kept"], [e.tag for e in events if isinstance(e, CustomerTagAdded)], "tags")
            _equal(1, len(events), "events")

    # -- references -------------------------------------------------------------------------

    def test_an_unknown_customer_is_refused_at_commit(self, referring_repository: str) -> None:
        """An aggregate naming a customer nobody stores fails the commit, which applies nothing."""
        name = referring_repository
        kind = AGGREGATE_REPOSITORIES[name]
        self._commit_customers(1)
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(2))
            _repository(uow, name).add(kind.make(1, 1))
            _repository(uow, name).add(kind.make(2, 7))
            with _raises(UnknownReference) as raised:
                uow.commit()
        error = raised.value
        _equal(
            (kind.id_of(2), kind.customer_field, "customer", _customer_id(7), False),
            (error.aggregate_id, error.field, error.target_kind, error.target_id, error.removed),
            "what the error names",
        )
        _true(kind.customer_field in str(error) and "c-0007" in str(error), "message")
        check = self.make_unit_of_work()
        with check:
            _equal(0, _repository(check, name).count(), f"{name} stored")
            _equal([_customer_id(1)], [c.id for c in check.customers], "customers stored")
        _equal(["customer:c-0001#1"], self._pending_ids(), "events")

    def test_a_customer_of_the_same_unit_may_be_named(self, referring_repository: str) -> None:
        """A unit adding a customer and an aggregate naming it commits both, in any order."""
        name = referring_repository
        kind = AGGREGATE_REPOSITORIES[name]
        uow = self.make_unit_of_work()
        with uow:
            _repository(uow, name).add(kind.make(1, 1))
            uow.customers.add(_make_customer(1))
            uow.commit()
        with uow:
            _equal(kind.id_of(1), _repository(uow, name).get(kind.id_of(1)).id, "stored")

    def test_removing_a_named_customer_is_refused(self, referring_repository: str) -> None:
        """A customer still named cannot be removed; removed together with its records it can."""
        name = referring_repository
        kind = AGGREGATE_REPOSITORIES[name]
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.customers.add(_make_customer(2))
            _repository(uow, name).add(kind.make(1, 1))
            uow.commit()
        with uow:
            uow.customers.remove(_customer_id(1))
            uow.customers.remove(_customer_id(2))
            with _raises(UnknownReference) as raised:
                uow.commit()
        error = raised.value
        _equal(
            (kind.id_of(1), kind.customer_field, _customer_id(1), True),
            (error.aggregate_id, error.field, error.target_id, error.removed),
            "what the error names",
        )
        with uow:
            _equal(2, uow.customers.count(), "customers kept")
            _repository(uow, name).remove(kind.id_of(1))
            uow.customers.remove(_customer_id(1))
            uow.commit()
        with uow:
            _customers_are(uow, [2], "customers left")

    def test_a_record_moved_to_another_customer_frees_the_first(self) -> None:
        """Saving an order to name another customer lets the first one go in the same unit."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.customers.add(_make_customer(2))
            uow.orders.add(_make_order(1, 1))
            uow.commit()
        with uow:
            order = uow.orders.get(AGGREGATE_REPOSITORIES["orders"].id_of(1))
            uow.orders.remove(order.id)
            uow.orders.add(_make_order(1, 2))
            uow.customers.remove(_customer_id(1))
            uow.commit()
        with uow:
            _customers_are(uow, [2], "customers left")

    def test_reference_checks_are_atomic_with_concurrent_commits(self) -> None:
        """A unit naming a customer that another unit removed meanwhile fails, and vice versa."""
        self._commit_customers(1, 2)
        adder, remover = self.make_unit_of_work(), self.make_unit_of_work()
        with adder, remover:
            adder.orders.add(_make_order(1, 1))  # customer 1 is in the adder's snapshot
            remover.customers.remove(_customer_id(1))  # no order in the remover's snapshot
            remover.commit()
            with _raises(UnknownReference):
                adder.commit()
        with adder, remover:
            adder.orders.add(_make_order(2, 2))
            remover.customers.remove(_customer_id(2))
            adder.commit()
            with _raises(UnknownReference) as raised:
                remover.commit()
        _true(raised.value.removed, "the removal is refused")
        check = self.make_unit_of_work()
        with check:
            _equal([_customer_id(2)], [c.id for c in check.customers], "customers")
            _equal([_customer_id(2)], [o.customer_id for o in check.orders], "orders")

    def test_reference_checks_can_be_turned_off_for_imports(self) -> None:
        """A unit without reference checks commits records before their customers."""
        uow = self.make_unit_of_work_without_reference_checks()
        if uow is None:
            _skip("the adapter offers no unit of work without reference checks")
            return
        kind = AGGREGATE_REPOSITORIES["orders"]
        with uow:
            uow.orders.add(kind.make(1, 5))
            uow.commit()
        with uow:
            uow.customers.add(_make_customer(6))
            uow.orders.add(kind.make(2, 6))
            uow.commit()
        with uow:
            uow.customers.remove(_customer_id(6))  # still named by order 2: allowed here
            uow.commit()
        checked = self.make_unit_of_work()
        with checked:
            _equal(2, checked.orders.count(), "orders imported")
            checked.customers.add(_make_customer(5))
            checked.commit()
        with checked:  # a checking unit saving an order whose customer is missing fails
            order = checked.orders.get(kind.id_of(2))
            checked.orders.save(kind.change(order))
            with _raises(UnknownReference):
                checked.commit()

    # -- all or nothing, even when interrupted ----------------------------------------------

    def _seed(self) -> None:
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1, email=EMAILS[0], phone=PHONES[0]))
            uow.customers.add(_make_customer(2, email=EMAILS[1]))
            uow.customers.add(_make_customer(3))
            uow.orders.add(_make_order(1, 1))
            uow.orders.add(_make_order(2, 2))
            uow.loyalty_accounts.add(_make_loyalty_account(1, 1))
            uow.cases.add(_make_case(1, 3))
            uow.commit()

    @staticmethod
    def _big_change(uow: UnitOfWork) -> None:
        """One unit touching four repositories: keys move, adds, saves, removes, events."""
        orders = AGGREGATE_REPOSITORIES["orders"]
        ana = uow.customers.get(_customer_id(1))
        uow.customers.save(_with_email(ana, EMAILS[2]))
        budi = uow.customers.get(_customer_id(2))
        uow.customers.save(_with_email(budi, EMAILS[0]))
        uow.customers.add(_make_customer(4, phone=PHONES[1]))
        uow.orders.add(_make_order(3, 4))
        uow.orders.save(_change_order(uow.orders.get(orders.id_of(1))))
        uow.orders.remove(orders.id_of(2))
        uow.cases.remove(AGGREGATE_REPOSITORIES["cases"].id_of(1))
        uow.customers.remove(_customer_id(3))
        account = uow.loyalty_accounts.get(AGGREGATE_REPOSITORIES["loyalty_accounts"].id_of(1))
        uow.loyalty_accounts.save(_change_loyalty_account(account))

    def _observe(self) -> dict[str, Any]:
        """Everything stored, read back; fails if an index disagrees with the data."""
        seen: dict[str, Any] = {}
        uow = self.make_unit_of_work()
        with uow:
            customers = list(uow.customers)
            _equal(len(customers), uow.customers.count(), "count of customers")
            for email in EMAILS:
                holders = [c.id for c in customers if email in _emails(c)]
                _true(len(holders) <= 1, "an email address held by two customers")
                try:
                    found: CustomerId | None = uow.customers.get_by_email(email).id
                except NotFound:
                    found = None
                _equal(holders[0] if holders else None, found, "the email index")
            for phone in PHONES:
                holders = [c.id for c in customers if phone in _phones(c)]
                _true(len(holders) <= 1, "a phone number held by two customers")
                try:
                    found = uow.customers.get_by_phone(phone).id
                except NotFound:
                    found = None
                _equal(holders[0] if holders else None, found, "the phone index")
            seen["customers"] = customers
            named = {_customer_id(n) for n in range(1, 8)}
            for name, kind in AGGREGATE_REPOSITORIES.items():
                repository = _repository(uow, name)
                stored = list(repository)
                _equal(len(stored), repository.count(), f"count of {name}")
                for lookup in kind.lookups:
                    if lookup.method != "for_customer":
                        continue
                    for customer_id in sorted(named):
                        expected = [a for a in stored if (customer_id,) in lookup.finds(a)]
                        _equal(expected, repository.for_customer(customer_id), f"{name} index")
                seen[name] = stored
            for account in cast("list[LoyaltyAccount]", seen["loyalty_accounts"]):
                found_account = uow.loyalty_accounts.get_by_membership(
                    account.customer_id, account.program_id
                )
                _equal(account.id, found_account.id, "the membership index")
        seen["events"] = self._pending_ids()
        return seen

    def test_an_interrupted_commit_applies_all_or_nothing(self) -> None:
        """A commit interrupted at any step leaves the old state or the whole new one, intact."""
        if self.interrupt_writes(0) is None:
            _skip("the adapter cannot simulate an interrupted commit")
            return
        _clear(self.make_unit_of_work())
        self._seed()
        before = self._observe()
        uow = self.make_unit_of_work()
        with uow:
            self._big_change(uow)
            uow.commit()
        after = self._observe()
        _true(before != after and len(after["events"]) > len(before["events"]), "a change")
        for step in itertools.count():
            _true(step < MAX_STEPS, f"the commit was still interrupted after {MAX_STEPS} steps")
            _clear(self.make_unit_of_work())
            self._seed()
            context = self.interrupt_writes(step)
            _true(context is not None, "interrupt_writes returned None")
            interrupted = False
            with uow:
                self._big_change(uow)
                try:
                    with context:  # type: ignore[union-attr]
                        uow.commit()
                except KeyboardInterrupt:
                    interrupted = True
            state = self._observe()
            if not interrupted:
                _equal(after, state, f"the state after a commit not interrupted (step {step})")
                break
            _true(state in (before, after), f"a mixed state after an interruption at step {step}")
            if state == before:  # the store goes on working: the same commit succeeds now
                with uow:
                    self._big_change(uow)
                    uow.commit()
                _equal(after, self._observe(), f"the retried commit (step {step})")
        _true(step > 0, "interrupt_writes(0) did not interrupt the commit")

    def test_an_interrupted_acknowledgement_removes_all_or_nothing(self) -> None:
        """An acknowledgement interrupted at any step removes all of its events or none."""
        if self.interrupt_writes(0) is None:
            _skip("the adapter cannot simulate an interrupted write")
            return
        for step in itertools.count():
            _true(step < MAX_STEPS, f"still interrupted after {MAX_STEPS} steps")
            _clear(self.make_unit_of_work())
            uow = self._commit_customers(1, 2, 3, 4)
            events = uow.collect_events()
            ids = [e.event_id for e in events]
            context = self.interrupt_writes(step)
            try:
                with context:  # type: ignore[union-attr]
                    removed = uow.acknowledge([events[0], events[2]])
            except KeyboardInterrupt:
                left = self._pending_ids()
                _true(left in (ids, [ids[1], ids[3]]), f"events after step {step}: {left}")
                continue
            _equal(2, removed, "events acknowledged")
            _equal([ids[1], ids[3]], self._pending_ids(), "events left")
            break
        _true(step > 0, "interrupt_writes(0) did not interrupt the acknowledgement")

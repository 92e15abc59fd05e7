"""The contract's tests of bulk work: big commits, and units handing their events to a handler."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from crmcore._kernel._events import DomainEvent
from crmcore.customers import CustomerTagAdded
from crmcore.errors import NotFound
from crmcore.repository import UnitOfWork
from crmcore.testing.contract._kinds import AGGREGATE_REPOSITORIES
from crmcore.testing.contract._support import (
    T0,
    _commit_a_stale_save,
    _customer_id,
    _drain,
    _equal,
    _make_customer,
    _raises,
    _true,
    _with_customers,
    _with_email,
)

#: What the contract's handlers are given: the events of one commit.
Batch = tuple[DomainEvent, ...]
#: Customers in the big commit (each with an email address and two orders).
_BIG = 300


def _email(number: int) -> str:
    return f"bulk-{number}@example.com"


class HandlerFailed(Exception):
    """What the contract's failing handler raises."""


def _skip(reason: str) -> None:
    import pytest  # noqa: PLC0415 - the contract imports without pytest; its tests need it.

    pytest.skip(reason)


class BulkContract(ABC):
    """Big commits, and units that stream each commit's events to a handler (at least once).

    A base of :class:`~crmcore.testing.contract.UnitOfWorkContract`: adapters
    subclass that one. The hook below is optional.
    """

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    def make_unit_of_work_with_event_handler(
        self, handler: Callable[[Batch], object]
    ) -> UnitOfWork | None:
        """A unit of work over this test's storage that hands each commit's events to ``handler``.

        After each commit that recorded events, the unit must call ``handler``
        once with them (a tuple, in the order the unit recorded them), then
        acknowledge them; if the handler raises, the events stay in the outbox.
        ``StoreUnitOfWork(store, on_events=handler)`` does this for any store.

        Returns:
            The unit, or ``None`` (the default) when the adapter has no such
            option; the tests of the option are then skipped.
        """
        del handler  # the default offers no handler
        return None

    def _handled_unit(self, handler: Callable[[Batch], object]) -> UnitOfWork:
        uow = self.make_unit_of_work_with_event_handler(handler)
        if uow is None:
            _skip("the adapter offers no unit of work handing events to a handler")
            raise AssertionError  # pragma: no cover - skip() raises
        return uow

    def _pending(self) -> list[str]:
        return [event.event_id for event in self.make_unit_of_work().collect_events()]

    def test_a_handler_gets_each_commits_events_and_the_outbox_stays_empty(self) -> None:
        """One call per commit that recorded events, in order; then the events are acknowledged."""
        batches: list[Batch] = []
        uow = self._handled_unit(batches.append)
        with uow:
            uow.customers.add(_make_customer(1))
            uow.customers.add(_make_customer(2))
            uow.commit()
            ana = uow.customers.get(_customer_id(1))
            uow.customers.save(ana.add_tag("vip", at=T0).add_tag("gold", at=T0))
            uow.commit()
            uow.customers.remove(_customer_id(2))  # records no event: no call
            uow.commit()
        _equal(
            [
                ["customer:c-0001#1", "customer:c-0002#1"],
                ["customer:c-0001#2", "customer:c-0001#3"],
            ],
            [[event.event_id for event in batch] for batch in batches],
            "the batches handed over",
        )
        _true(all(isinstance(batch, tuple) for batch in batches), "each batch is a tuple")
        tags = [e.tag for e in batches[1] if isinstance(e, CustomerTagAdded)]
        _equal(["vip", "gold"], tags, "the tags, in the order they were added")
        _equal([], self._pending(), "the outbox")
        check = self.make_unit_of_work()
        with check:
            _equal(frozenset({"vip", "gold"}), check.customers.get(_customer_id(1)).tags, "tags")
            _equal(1, check.customers.count(), "customers stored")

    def test_a_failed_or_rolled_back_unit_hands_over_nothing(self) -> None:
        """The handler sees only committed events: never a rolled-back or refused unit's."""
        _drain(self._commit(1))
        batches: list[Batch] = []
        uow = self._handled_unit(batches.append)
        other = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(2))
            uow.rollback()
            _commit_a_stale_save(uow, other, "late", other_tag="x")
            uow.customers.add(_make_customer(3))  # left uncommitted: rolled back
        _equal([], batches, "batches handed over")
        _equal(["customer:c-0001#2"], self._pending(), "only the other unit's event waits")

    def test_events_stay_in_the_outbox_when_the_handler_fails(self) -> None:
        """A handler that raises: the commit holds, its events wait for collect_events()."""
        batches: list[Batch] = []

        def failing(batch: Batch) -> None:
            batches.append(batch)
            raise HandlerFailed

        uow = self._handled_unit(failing)
        with uow:
            uow.customers.add(_make_customer(1))
            with _raises(HandlerFailed):
                uow.commit()
            _equal(1, uow.customers.count(), "the customer, committed")  # the block goes on
        _equal([["customer:c-0001#1"]], [[e.event_id for e in b] for b in batches], "handed")
        pending = self.make_unit_of_work().collect_events()
        _equal(list(batches[0]), pending, "the events, in the outbox")
        _equal(1, self.make_unit_of_work().acknowledge(pending), "acknowledged")
        _equal([], self._pending(), "the outbox")

    def test_a_big_commit_keeps_every_index_right(self) -> None:
        """Hundreds of adds, saves and removes in one commit: keys, lookups and counts agree."""
        orders = AGGREGATE_REPOSITORIES["orders"]
        uow = self.make_unit_of_work()
        with uow:
            for number in range(1, _BIG + 1):
                uow.customers.add(_make_customer(number, email=_email(number)))
                uow.orders.add(orders.make(number, number))
                uow.orders.add(orders.make(_BIG + number, number))
            uow.commit()
        with uow:  # swap two addresses, change half the orders, remove a tenth of everything
            first = uow.customers.get(_customer_id(1))
            second = uow.customers.get(_customer_id(2))
            uow.customers.save(_with_email(first, None))
            uow.customers.save(_with_email(second, _email(1)))
            uow.customers.save(_with_email(uow.customers.get(_customer_id(1)), _email(2)))
            for number in range(1, _BIG + 1):
                if number % 10 == 0:
                    uow.orders.remove(orders.id_of(number))
                    uow.orders.remove(orders.id_of(_BIG + number))
                    uow.customers.remove(_customer_id(number))
                elif number % 2:
                    uow.orders.save(orders.change(uow.orders.get(orders.id_of(number))))
            uow.commit()
        check = self.make_unit_of_work()
        with check:
            kept = [n for n in range(1, _BIG + 1) if n % 10]
            _equal(len(kept), check.customers.count(), "customers")
            _equal(2 * len(kept), check.orders.count(), "orders")
            for number in kept:
                owner = 3 - number if number in (1, 2) else number
                found = check.customers.get_by_email(_email(number)).id
                _equal(_customer_id(owner), found, f"the owner of email {number}")
                mine = check.orders.for_customer(_customer_id(number))
                _equal(
                    [orders.id_of(number), orders.id_of(_BIG + number)],
                    [order.id for order in mine],
                    f"the orders of customer {number}",
                )
            for number in range(10, _BIG + 1, 10):
                _equal([], check.orders.for_customer(_customer_id(number)), "a removed customer")
                with _raises(NotFound):
                    check.customers.get_by_email(_email(number))

    def _commit(self, *numbers: int) -> UnitOfWork:
        return _with_customers(self.make_unit_of_work(), *numbers)

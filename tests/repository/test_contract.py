"""Tests for `crmcore.testing.contract`, run against the in-memory adapter."""

from contextlib import contextmanager

from crmcore.repository import InMemoryStore, InMemoryUnitOfWork, _memory
from crmcore.testing.contract import UnitOfWorkContract


@contextmanager
def interrupted_at(step):
    """Make the in-memory store raise KeyboardInterrupt at its ``step``-th piece of new state."""
    real = _memory._PMap.updated
    calls = 0

    def updated(self, changes):
        nonlocal calls
        calls += 1
        if calls == step + 1:
            raise KeyboardInterrupt
        return real(self, changes)

    _memory._PMap.updated = updated
    try:
        yield
    finally:
        _memory._PMap.updated = real


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    def setup_method(self):
        self.store = InMemoryStore()

    def make_unit_of_work(self):
        return InMemoryUnitOfWork(self.store)

    def make_unit_of_work_without_reference_checks(self):
        return InMemoryUnitOfWork(self.store, check_references=False)

    def make_unit_of_work_with_event_handler(self, handler):
        return InMemoryUnitOfWork(self.store, on_events=handler)

    def make_unit_of_work_with_uniqueness(self, policy):
        return InMemoryUnitOfWork(InMemoryStore(uniqueness=policy))

    def interrupt_writes(self, step):
        return interrupted_at(step)

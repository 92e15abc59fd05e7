"""Tests for `crmcore.testing.contract`, run against the in-memory adapter."""

from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
from crmcore.testing.contract import UnitOfWorkContract


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    def setup_method(self):
        self.store = InMemoryStore()

    def make_unit_of_work(self):
        return InMemoryUnitOfWork(self.store)

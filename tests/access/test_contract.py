"""The repository contract, run against a guarded unit of work with an allow-all policy."""

from contextlib import contextmanager

from crmcore import StaffId
from crmcore.access import AccessAction, AccessPolicy, Grant, GuardedUnitOfWork, Principal
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork, _memory
from crmcore.testing.contract import UnitOfWorkContract

ALLOW_ALL = AccessPolicy(
    roles=["admin"],
    grants=[
        Grant(role="admin", kind=kind, actions=list(AccessAction), scope="all")
        for kind in ("*", "staff_member", "team")  # "*" lets a role read staff, not change them
    ],
)
ADMIN = Principal(staff_id=StaffId("s-admin"), roles=["admin"])


def guarded(unit):
    """``unit`` behind the allow-all policy."""
    return GuardedUnitOfWork(unit, ADMIN, ALLOW_ALL)


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


class TestGuardedUnitOfWork(UnitOfWorkContract):
    def setup_method(self):
        self.store = InMemoryStore()

    def make_unit_of_work(self):
        return guarded(InMemoryUnitOfWork(self.store))

    def make_unit_of_work_without_reference_checks(self):
        return guarded(InMemoryUnitOfWork(self.store, check_references=False))

    def make_unit_of_work_with_event_handler(self, handler):
        return guarded(InMemoryUnitOfWork(self.store, on_events=handler))

    def make_unit_of_work_with_uniqueness(self, policy):
        return guarded(InMemoryUnitOfWork(InMemoryStore(uniqueness=policy)))

    def interrupt_writes(self, step):
        return interrupted_at(step)

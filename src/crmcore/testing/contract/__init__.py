"""The repository contract: the tests every unit-of-work adapter must pass.

crmcore ships its persistence contract as tests, so an adapter for your own
database proves it behaves like the in-memory default. Subclass
:class:`UnitOfWorkContract`, tell it how to make a unit of work, and pytest
runs every test of the contract against your adapter, including a Hypothesis
state machine that drives random sequences of add, get, save, remove, commit
and rollback (with concurrent units) against a reference model::

    from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
    from crmcore.testing.contract import UnitOfWorkContract


    class TestMyAdapter(UnitOfWorkContract):
        def setup_method(self):
            self.store = InMemoryStore()  # fresh, empty storage for each test

        def make_unit_of_work(self):
            return InMemoryUnitOfWork(self.store)

Each test calls :meth:`~UnitOfWorkContract.make_unit_of_work` several times;
every unit made during one test must share the same storage, which starts
empty. A pytest fixture works as well as ``setup_method`` (for a database
file in ``tmp_path``, say).

Besides the customer tests, eight tests run once per repository named in
:data:`AGGREGATE_REPOSITORIES` (``orders``, ``subscriptions``,
``interactions``, ``cases``, ``reviews``, ``surveys``, ``loyalty_accounts``,
``leads``, ``opportunities``): adding and reading
back, versions and conflicts, removal and iteration, refused types, snapshot
isolation across repositories, concurrent commits, every secondary lookup
compared with a scan of what the unit sees, and generated aggregates
round-tripped through the store. The class's
``pytest_generate_tests`` method parametrizes them; a subclass defining its
own must call ``super().pytest_generate_tests(metafunc)``.

The contract also checks at-least-once event delivery (events come back
until acknowledged, with stable ids), the referential checks at commit for
every repository naming customers, and, when the adapter implements the
optional hook ``interrupt_writes(step)``, that a commit or an acknowledgement
interrupted at any of its steps applies all or nothing. A second optional
hook, ``make_unit_of_work_without_reference_checks()``, tests the option to
turn reference checks off, and a third,
``make_unit_of_work_with_event_handler(handler)``, units that hand each
commit's events to a handler (the bulk path; delivery stays at least once).
Tests needing a hook the adapter lacks are skipped.

The state machine is also available on its own, for unittest or for tuning
its settings: :func:`repository_state_machine` returns a
:class:`~hypothesis.stateful.RuleBasedStateMachine` class bound to a factory
(its ``TestCase`` attribute is a unittest test case).

>>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
>>> store = InMemoryStore()
>>> machine = repository_state_machine(lambda: InMemoryUnitOfWork(store))
>>> machine.__name__
'RepositoryStateMachine'

Requires Hypothesis (the ``testing`` extra); pytest is needed only to collect
the tests, not to import this module.

.. versionadded:: 0.1
"""

from __future__ import annotations

from crmcore.testing.contract._kinds import AGGREGATE_REPOSITORIES
from crmcore.testing.contract._race import counter, read_modify_save
from crmcore.testing.contract._state_machine import RepositoryStateMachine, repository_state_machine
from crmcore.testing.contract._unit_of_work import UnitOfWorkContract

__all__ = [
    "AGGREGATE_REPOSITORIES",
    "RepositoryStateMachine",
    "UnitOfWorkContract",
    "counter",
    "read_modify_save",
    "repository_state_machine",
]

"""The pytest base class every unit-of-work adapter subclasses."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import (
    run_state_machine_as_test,
)

from crmcore._kernel._events import DomainEvent
from crmcore.customers import (
    Channel,
    ContactPoint,
    Customer,
    CustomerAttributeSet,
    CustomerRegistered,
    CustomerTagAdded,
)
from crmcore.errors import (
    ConcurrencyConflict,
    DuplicateId,
    InvalidType,
    NotFound,
    UnitOfWorkError,
    ValidationError,
)
from crmcore.repository import DuplicateKey, UnitOfWork
from crmcore.testing.contract._activities import ActivitiesContract
from crmcore.testing.contract._bulk import BulkContract
from crmcore.testing.contract._kinds import AGGREGATE_REPOSITORIES, _clear, _repository
from crmcore.testing.contract._marketing import MarketingContract
from crmcore.testing.contract._parties import PartiesContract
from crmcore.testing.contract._reliability import ReliabilityContract
from crmcore.testing.contract._state_machine import RepositoryStateMachine
from crmcore.testing.contract._support import (
    EMAILS,
    PHONES,
    T0,
    _commit_a_stale_save,
    _counter,
    _customer_id,
    _customers_are,
    _drain,
    _emails,
    _equal,
    _make_customer,
    _phones,
    _raises,
    _true,
    _with_email,
)
from crmcore.testing.strategies import (
    customers,
)

# -- the pytest base class -----------------------------------------------------------------


class UnitOfWorkContract(
    ReliabilityContract, BulkContract, PartiesContract, ActivitiesContract, MarketingContract, ABC
):
    """Subclass as ``Test...`` and implement :meth:`make_unit_of_work` to test an adapter.

    Class attributes tune the Hypothesis parts: :attr:`round_trip_examples`,
    :attr:`aggregate_round_trip_examples` and :attr:`state_machine_settings`;
    :attr:`threads` and :attr:`cycles_per_thread` size the threaded race test.

    Four optional hooks let the contract test more:
    :meth:`~ReliabilityContract.interrupt_writes` (commits interrupted at
    each of their steps must apply all or nothing),
    :meth:`~ReliabilityContract.make_unit_of_work_without_reference_checks`
    (a unit that commits references to aggregates not stored, for imports) and
    :meth:`~BulkContract.make_unit_of_work_with_event_handler` (a
    unit handing each commit's events to a handler, then acknowledging them)
    and :meth:`~PartiesContract.make_unit_of_work_with_uniqueness` (a unit
    over new storage whose customers may share email addresses or phone
    numbers).
    Tests that need a hook the adapter does not implement are skipped.
    """

    #: Examples of the round trip of generated customers.
    round_trip_examples: ClassVar[int] = 15
    #: Examples of the round trip of generated aggregates, per repository.
    aggregate_round_trip_examples: ClassVar[int] = 8
    #: Settings of the random operation sequences.
    state_machine_settings: ClassVar[settings] = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    #: Threads in the race test, and read-modify-save cycles each does.
    threads: ClassVar[int] = 4
    cycles_per_thread: ClassVar[int] = 25

    @abstractmethod
    def make_unit_of_work(self) -> UnitOfWork:
        """A new unit of work over this test's storage (empty when the test starts)."""

    # -- helpers --------------------------------------------------------------------------

    def _customers(self, *numbers: int) -> None:
        """Commit the contract's customers ``numbers`` and acknowledge their events."""
        _drain(self._committed(*(_make_customer(n) for n in numbers)))

    def _committed(self, *added: Customer) -> UnitOfWork:
        uow = self.make_unit_of_work()
        with uow:
            for customer in added:
                uow.customers.add(customer)
            uow.commit()
        return uow

    def _stored(self, number: int) -> Customer:
        uow = self.make_unit_of_work()
        with uow:
            return uow.customers.get(_customer_id(number))

    # -- add and get ----------------------------------------------------------------------

    def test_add_returns_the_stored_copy_without_events(self) -> None:
        """add() returns the aggregate as stored: same fields and version, no pending events."""
        ana = _make_customer(1, email=EMAILS[0])
        uow = self.make_unit_of_work()
        with uow:
            stored = uow.customers.add(ana)
            _equal(ana, stored, "stored copy")
            _equal((), stored.pending_events, "pending events of the stored copy")
            _equal(0, stored.version, "version")

    def test_get_returns_what_was_committed(self) -> None:
        """A later unit gets the committed aggregate back, equal and at its version."""
        ana = _make_customer(1, email=EMAILS[0], phone=PHONES[0])
        self._committed(ana)
        found = self._stored(1)
        _equal(ana, found, "customer read back")
        _equal(0, found.version, "version")
        _equal((), found.pending_events, "pending events")

    def test_add_keeps_the_version_the_aggregate_carries(self) -> None:
        """An aggregate added at version 5 is stored at 5, and its next save stores 6."""
        imported = attrs.evolve(_make_customer(1), version=5)
        uow = self._committed(imported)
        with uow:
            found = uow.customers.get(_customer_id(1))
            _equal(5, found.version, "version after add")
            _equal(6, uow.customers.save(found.add_tag("vip", at=T0)).version, "after save")

    def test_add_of_an_existing_id_raises_duplicate_id(self) -> None:
        """add() refuses an id already stored, or added earlier in the same unit."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(DuplicateId) as raised:
                uow.customers.add(_make_customer(1))
            _equal(_customer_id(1), raised.value.aggregate_id, "aggregate_id")
            uow.customers.add(_make_customer(2))
            with _raises(DuplicateId):
                uow.customers.add(_make_customer(2))

    def test_get_of_a_missing_id_raises_not_found(self) -> None:
        """get() of an unknown id raises NotFound, which is also a KeyError."""
        uow = self.make_unit_of_work()
        with uow:
            with _raises(NotFound) as raised:
                uow.customers.get(_customer_id(9))
            _true(isinstance(raised.value, KeyError), "NotFound must be a KeyError")
            _equal("no customer with id c-0009", str(raised.value), "message")

    # -- save -------------------------------------------------------------------------------

    def test_save_stores_the_next_version(self) -> None:
        """save() stores version + 1 without pending events; get() returns it so."""
        uow = self._committed(_make_customer(1))
        with uow:
            loaded = uow.customers.get(_customer_id(1))
            saved = uow.customers.save(loaded.add_tag("vip", at=T0))
            _equal(1, saved.version, "returned version")
            _equal((), saved.pending_events, "pending events")
            _equal(saved, uow.customers.get(_customer_id(1)), "get inside the unit")
            uow.commit()
        found = self._stored(1)
        _equal(1, found.version, "stored version")
        _equal(frozenset({"vip"}), found.tags, "tags")

    def test_save_after_add_in_the_same_unit(self) -> None:
        """A customer added and then changed in one unit is stored at version 1."""
        uow = self.make_unit_of_work()
        with uow:
            added = uow.customers.add(_make_customer(1))
            saved = uow.customers.save(added.add_tag("new", at=T0))
            again = uow.customers.save(saved.add_tag("again", at=T0))
            _equal(2, again.version, "version in the unit")
            uow.commit()
        _equal(2, self._stored(1).version, "stored version")

    def test_save_of_a_stale_version_raises_conflict_and_changes_nothing(self) -> None:
        """save() of an older version raises ConcurrencyConflict carrying both versions."""
        uow = self._committed(_make_customer(1))
        with uow:
            loaded = uow.customers.get(_customer_id(1))
            uow.customers.save(loaded.add_tag("first", at=T0))
            with _raises(ConcurrencyConflict) as raised:
                uow.customers.save(loaded.add_tag("second", at=T0))
            _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "vers.")
            _equal(frozenset({"first"}), uow.customers.get(_customer_id(1)).tags, "tags")

    def test_save_of_a_missing_id_raises_not_found(self) -> None:
        """save() of an aggregate that was never added raises NotFound."""
        uow = self.make_unit_of_work()
        with uow, _raises(NotFound):
            uow.customers.save(_make_customer(1))

    # -- remove -----------------------------------------------------------------------------

    def test_remove_deletes_the_aggregate(self) -> None:
        """After remove() and commit, get() raises NotFound in every unit."""
        uow = self._committed(_make_customer(1), _make_customer(2))
        with uow:
            uow.customers.remove(_customer_id(1))
            with _raises(NotFound):
                uow.customers.get(_customer_id(1))
            uow.commit()
        with uow:
            _customers_are(uow, [2], "remaining ids")

    def test_remove_of_a_missing_id_raises_not_found(self) -> None:
        """remove() of an unknown id, or of one removed twice, raises NotFound."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(NotFound):
                uow.customers.remove(_customer_id(2))
            uow.customers.remove(_customer_id(1))
            with _raises(NotFound):
                uow.customers.remove(_customer_id(1))

    def test_an_id_can_be_added_again_after_remove(self) -> None:
        """remove() then add() of the same id in one unit replaces the aggregate."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            uow.customers.remove(_customer_id(1))
            uow.customers.add(_make_customer(1, email=EMAILS[1]))
            uow.commit()
        _equal({EMAILS[1]}, _emails(self._stored(1)), "emails of the new customer")

    # -- iteration, count, contains ---------------------------------------------------------

    def test_iteration_is_in_id_order_and_shows_the_unit_changes(self) -> None:
        """Iteration yields every aggregate by ascending id, with the unit's own changes."""
        uow = self._committed(*(_make_customer(n) for n in (5, 1, 3)))
        with uow:
            uow.customers.add(_make_customer(2))
            uow.customers.remove(_customer_id(3))
            loaded = uow.customers.get(_customer_id(5))
            uow.customers.save(loaded.add_tag("vip", at=T0))
            seen = list(uow.customers)
        _equal([_customer_id(n) for n in (1, 2, 5)], [c.id for c in seen], "ids")
        _equal([0, 0, 1], [c.version for c in seen], "versions")

    def test_iteration_reads_every_aggregate_of_a_large_store(self) -> None:
        """Iteration over more aggregates than one page returns each once, in order."""
        numbers = range(1, 601)
        self._committed(*(_make_customer(n) for n in numbers))
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.remove(_customer_id(300))
            _customers_are(uow, (n for n in numbers if n != 300), "ids")
            _equal(599, uow.customers.count(), "count")

    def test_count_and_contains_follow_the_unit_changes(self) -> None:
        """count() and ``in`` reflect committed data plus the unit's adds and removes."""
        uow = self._committed(_make_customer(1), _make_customer(2))
        with uow:
            _equal(2, uow.customers.count(), "count")
            uow.customers.add(_make_customer(3))
            uow.customers.remove(_customer_id(1))
            _equal(2, uow.customers.count(), "count after changes")
            _equal(
                [False, True, True, False],
                [_customer_id(n) in uow.customers for n in (1, 2, 3, 4)],
                "contains",
            )

    # -- bad input --------------------------------------------------------------------------

    def test_an_aggregate_of_the_wrong_type_raises_invalid_type(self) -> None:
        """add() and save() refuse anything but a Customer with InvalidType (a TypeError)."""
        uow = self.make_unit_of_work()
        with uow:
            for call in (uow.customers.add, uow.customers.save):
                with _raises(InvalidType) as raised:
                    call("c-1")  # type: ignore[arg-type]
                _true(isinstance(raised.value, TypeError), "InvalidType must be a TypeError")
            _equal(0, uow.customers.count(), "count")

    def test_an_id_of_the_wrong_type_raises_invalid_type(self) -> None:
        """get(), remove() and ``in`` refuse a plain str id with InvalidType."""
        uow = self._committed(_make_customer(1))
        with uow:
            with _raises(InvalidType):
                uow.customers.get("c-0001")  # type: ignore[arg-type]
            with _raises(InvalidType):
                uow.customers.remove("c-0001")  # type: ignore[arg-type]
            with _raises(InvalidType):
                _ = "c-0001" in uow.customers
            _equal(1, uow.customers.count(), "count")

    # -- the unit of work -------------------------------------------------------------------

    def test_leaving_the_block_without_commit_rolls_back(self) -> None:
        """Changes made in a block that ends without commit() are never stored."""
        uow = self._committed(_make_customer(1))
        with uow:
            uow.customers.add(_make_customer(2))
            uow.customers.remove(_customer_id(1))
        with uow:
            _customers_are(uow, [1], "ids")
        _equal([CustomerRegistered], [type(e) for e in uow.collect_events()], "event types")

    def test_an_exception_rolls_back_and_propagates(self) -> None:
        """An exception inside the block propagates and rolls everything back."""
        uow = self.make_unit_of_work()
        with _raises(RuntimeError), uow:
            uow.customers.add(_make_customer(1))
            raise RuntimeError
        with uow:
            _equal(0, uow.customers.count(), "count")
        _equal([], uow.collect_events(), "events")

    def test_rollback_discards_changes_and_the_block_goes_on(self) -> None:
        """rollback() discards the unit's changes; later changes can still be committed."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.rollback()
            _equal(0, uow.customers.count(), "count after rollback")
            uow.customers.add(_make_customer(2))
            uow.commit()
        with uow:
            _customers_are(uow, [2], "ids")

    def test_changes_after_commit_need_another_commit(self) -> None:
        """The block goes on after commit(); what follows is rolled back without a commit."""
        uow = self.make_unit_of_work()
        with uow:
            uow.customers.add(_make_customer(1))
            uow.commit()
            uow.customers.add(_make_customer(2))
        with uow:
            _customers_are(uow, [1], "ids")

    def test_use_outside_the_block_raises_unit_of_work_error(self) -> None:
        """Repositories, commit() and rollback() refuse to work outside the block."""
        uow = self._committed(_make_customer(1))
        repository = uow.customers
        calls: list[Callable[[], object]] = [
            lambda: repository.get(_customer_id(1)),
            lambda: repository.add(_make_customer(2)),
            lambda: repository.remove(_customer_id(1)),
            lambda: list(repository),
            repository.count,
            lambda: _customer_id(1) in repository,
            lambda: repository.get_by_email(EMAILS[0]),
            uow.commit,
            uow.rollback,
        ]
        for call in calls:
            with _raises(UnitOfWorkError):
                call()
        with uow:
            iterator = iter(uow.customers)
        with _raises(UnitOfWorkError):
            next(iterator)

    def test_units_do_not_nest(self) -> None:
        """Entering a unit that is already active raises UnitOfWorkError."""
        uow = self.make_unit_of_work()
        with uow, _raises(UnitOfWorkError), uow:
            pass  # pragma: no cover - never reached

    # -- natural keys -----------------------------------------------------------------------

    def test_lookup_by_email_normalizes_the_address(self) -> None:
        """get_by_email() finds the customer from any spelling of the address."""
        self._committed(_make_customer(1, email=EMAILS[0]), _make_customer(2, email=EMAILS[1]))
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_email("  Ana@EXAMPLE.com ").id, "id")

    def test_lookup_by_phone_normalizes_the_number(self) -> None:
        """get_by_phone() accepts any layout, national input too, and SMS/WhatsApp numbers."""
        self._committed(
            _make_customer(1, phone=PHONES[0]),
            _make_customer(2, phone=PHONES[1], channel=Channel.WHATSAPP),
        )
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_phone("+62 812-0000-0001").id, "id")
            found = uow.customers.get_by_phone("0812 0000 0002", default_country_code="62")
            _equal(_customer_id(2), found.id, "id")

    def test_failed_lookups_never_show_the_value(self) -> None:
        """NotFound from a lookup names the key, never the address or number."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            with _raises(NotFound) as by_email:
                uow.customers.get_by_email("secret.person@example.org")
            with _raises(NotFound) as by_phone:
                uow.customers.get_by_phone("+6289999999999")
            with _raises(ValidationError) as bad:
                uow.customers.get_by_email("not an address")
        _equal("no customer has this email address", str(by_email.value), "message")
        _equal("no customer has this phone number", str(by_phone.value), "message")
        _true("not an address" not in str(bad.value), "message must hide the input")

    def test_lookups_see_the_unit_changes(self) -> None:
        """Lookups inside a unit see its own adds, saves and removes."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]))
        with uow:
            uow.customers.add(_make_customer(2, email=EMAILS[1]))
            ana = uow.customers.get(_customer_id(1))
            uow.customers.save(_with_email(ana, EMAILS[2]))
            _equal(_customer_id(2), uow.customers.get_by_email(EMAILS[1]).id, "added")
            _equal(_customer_id(1), uow.customers.get_by_email(EMAILS[2]).id, "saved")
            with _raises(NotFound):
                uow.customers.get_by_email(EMAILS[0])
            uow.customers.remove(_customer_id(2))
            with _raises(NotFound):
                uow.customers.get_by_email(EMAILS[1])

    def test_a_natural_key_belongs_to_one_customer(self) -> None:
        """Adding or saving a customer with another one's email or number raises DuplicateKey."""
        uow = self._committed(_make_customer(1, email=EMAILS[0], phone=PHONES[0]))
        with uow:
            with _raises(DuplicateKey) as raised:
                uow.customers.add(_make_customer(2, email=EMAILS[0]))
            _equal(("email", _customer_id(1)), (raised.value.key, raised.value.owner_id), "key")
            _true(EMAILS[0] not in str(raised.value), "message must hide the address")
            with _raises(DuplicateKey):
                uow.customers.add(_make_customer(2, phone=PHONES[0], channel=Channel.SMS))
            budi = uow.customers.add(_make_customer(2, email=EMAILS[1]))
            with _raises(DuplicateKey):
                uow.customers.save(_with_email(budi, EMAILS[0]))
            _equal(2, uow.customers.count(), "count")

    def test_one_customer_may_hold_a_number_on_several_channels(self) -> None:
        """The same number on the phone and WhatsApp channels of one customer is allowed."""
        ana = _make_customer(1, phone=PHONES[0]).add_contact_point(
            ContactPoint(Channel.WHATSAPP, PHONES[0]), at=T0
        )
        self._committed(ana)
        uow = self.make_unit_of_work()
        with uow:
            _equal(_customer_id(1), uow.customers.get_by_phone(PHONES[0]).id, "id")

    def test_a_natural_key_can_move_between_customers_in_one_unit(self) -> None:
        """One unit may take an email from one customer and give it to another."""
        uow = self._committed(_make_customer(1, email=EMAILS[0]), _make_customer(2))
        with uow:
            ana = uow.customers.get(_customer_id(1))
            budi = uow.customers.get(_customer_id(2))
            uow.customers.save(_with_email(ana, None))
            uow.customers.save(_with_email(budi, EMAILS[0]))
            uow.commit()
        with uow:
            _equal(_customer_id(2), uow.customers.get_by_email(EMAILS[0]).id, "new owner")

    # -- events -----------------------------------------------------------------------------

    def test_events_are_handed_out_in_commit_order_until_acknowledged(self) -> None:
        """collect_events() returns committed events in order, again, until they are acknowledged."""
        uow = self._committed(_make_customer(1))
        with uow:
            ana = uow.customers.get(_customer_id(1))
            ana = uow.customers.save(ana.add_tag("a", at=T0))
            uow.customers.save(ana.set_attribute("counter", 1, at=T0))
            uow.commit()
        kinds: list[type[DomainEvent]] = [type(event) for event in uow.collect_events()]
        expected: list[type[DomainEvent]] = [
            CustomerRegistered,
            CustomerTagAdded,
            CustomerAttributeSet,
        ]
        _equal(expected, kinds, "event types")
        _equal(kinds, [type(event) for event in uow.collect_events()], "second collection")
        _equal(3, uow.acknowledge(uow.collect_events()), "events acknowledged")
        _equal([], uow.collect_events(), "collection after the acknowledgement")

    def test_events_of_rolled_back_or_failed_units_are_never_handed_out(self) -> None:
        """Events of units that roll back or fail to commit never leave the store."""
        uow = self._committed(_make_customer(1))
        _drain(uow)
        with uow:
            ana = uow.customers.get(_customer_id(1))
            uow.customers.save(ana.add_tag("dropped", at=T0))
        other = self.make_unit_of_work()
        with uow:
            _commit_a_stale_save(uow, other, "lost", other_tag="b")
        events = uow.collect_events()
        _equal(["b"], [e.tag for e in events if isinstance(e, CustomerTagAdded)], "tags of events")

    def test_any_unit_of_the_store_collects_committed_events(self) -> None:
        """Events committed by one unit are handed out by any unit of the store until acknowledged."""
        self._committed(_make_customer(1), _make_customer(2))
        collector, other = self.make_unit_of_work(), self.make_unit_of_work()
        events = collector.collect_events()
        registered = [e for e in events if isinstance(e, CustomerRegistered)]
        _equal([_customer_id(1), _customer_id(2)], [e.customer_id for e in registered], "ids")
        _equal(events, other.collect_events(), "what another unit collects")
        other.acknowledge(events)
        _equal([], collector.collect_events(), "after another unit acknowledged them")

    # -- isolation and concurrency ----------------------------------------------------------

    def test_a_unit_reads_a_snapshot(self) -> None:
        """A unit does not see what others commit after it began; its next block does."""
        reader = self._committed(_make_customer(1))
        writer = self.make_unit_of_work()
        with reader:
            with writer:
                writer.customers.add(_make_customer(2))
                ana = writer.customers.get(_customer_id(1))
                writer.customers.save(ana.add_tag("vip", at=T0))
                writer.commit()
            _equal(1, reader.customers.count(), "count in the older snapshot")
            _equal(0, reader.customers.get(_customer_id(1)).version, "version")
        with reader:
            _equal(2, reader.customers.count(), "count in a new block")

    def test_uncommitted_changes_are_invisible_to_other_units(self) -> None:
        """Another unit never sees changes that are not committed."""
        first = self._committed(_make_customer(1))
        second = self.make_unit_of_work()
        with first:
            first.customers.add(_make_customer(2))
            first.customers.remove(_customer_id(1))
            with second:
                _equal([_customer_id(1)], [c.id for c in second.customers], "ids")

    def test_the_second_of_two_conflicting_commits_fails_and_applies_nothing(self) -> None:
        """Two units save the same version; the second commit raises and applies nothing."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            a = first.customers.get(_customer_id(1))
            b = second.customers.get(_customer_id(1))
            first.customers.save(a.add_tag("first", at=T0))
            second.customers.save(b.add_tag("second", at=T0))
            second.customers.add(_make_customer(2))
            first.commit()
            with _raises(ConcurrencyConflict) as raised:
                second.commit()
        _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "versions")
        check = self.make_unit_of_work()
        with check:
            _equal(frozenset({"first"}), check.customers.get(_customer_id(1)).tags, "tags")
            _equal(False, _customer_id(2) in check.customers, "customer 2 stored")

    def test_concurrent_adds_of_one_id(self) -> None:
        """Two units add the same id; the second commit raises DuplicateId."""
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.add(_make_customer(1, email=EMAILS[0]))
            second.customers.add(_make_customer(1, email=EMAILS[1]))
            first.commit()
            with _raises(DuplicateId):
                second.commit()
        _equal({EMAILS[0]}, _emails(self._stored(1)), "emails")

    def test_concurrent_claims_of_one_email(self) -> None:
        """Two units give one email to different customers; the second commit fails."""
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.add(_make_customer(1, email=EMAILS[0]))
            second.customers.add(_make_customer(2, email=EMAILS[0]))
            first.commit()
            with _raises(DuplicateKey):
                second.commit()
        check = self.make_unit_of_work()
        with check:
            _equal(1, check.customers.count(), "count")

    def test_remove_conflicts_with_a_concurrent_save(self) -> None:
        """Removing an aggregate another unit changed meanwhile raises ConcurrencyConflict."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            first.customers.remove(_customer_id(1))
            changed = second.customers.get(_customer_id(1)).add_tag("kept", at=T0)
            second.customers.save(changed)
            second.commit()
            with _raises(ConcurrencyConflict):
                first.commit()
        _equal(frozenset({"kept"}), self._stored(1).tags, "tags")

    def test_a_failed_commit_leaves_the_block_usable(self) -> None:
        """After a conflict the block reads fresh data and can retry."""
        self._committed(_make_customer(1))
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first:
            stale = first.customers.get(_customer_id(1))
            with second:
                second.customers.save(second.customers.get(_customer_id(1)))
                second.commit()
            first.customers.save(stale.add_tag("x", at=T0))
            with _raises(ConcurrencyConflict):
                first.commit()
            fresh = first.customers.get(_customer_id(1))
            _equal(1, fresh.version, "fresh version")
            first.customers.save(fresh.add_tag("x", at=T0))
            first.commit()
        _equal(2, self._stored(1).version, "stored version")

    def test_threads_lose_no_update(self) -> None:
        """Threads doing read-modify-save with retries: final version == successful saves."""
        self._committed(_make_customer(1))
        start = threading.Barrier(self.threads)
        failures: list[BaseException] = []

        def work() -> None:
            uow = self.make_unit_of_work()
            try:
                start.wait()
                for _ in range(self.cycles_per_thread):
                    while True:
                        try:
                            with uow:
                                loaded = uow.customers.get(_customer_id(1))
                                bumped = loaded.set_attribute(
                                    "counter", _counter(loaded) + 1, at=T0
                                )
                                uow.customers.save(bumped)
                                uow.commit()
                            break
                        except ConcurrencyConflict:
                            continue
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread.
                failures.append(exc)

        workers = [threading.Thread(target=work) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if failures:
            raise failures[0]
        saves = self.threads * self.cycles_per_thread
        final = self._stored(1)
        _equal(saves, final.version, "final version")
        _equal(saves, _counter(final), "counter")
        sequences = [
            e.sequence
            for e in self.make_unit_of_work().collect_events()
            if isinstance(e, CustomerAttributeSet)
        ]
        first = sequences[0] if sequences else 0
        _equal(list(range(first, first + saves)), sequences, "counter events, in sequence")

    # -- generated data ---------------------------------------------------------------------

    def test_generated_customers_round_trip(self) -> None:
        """Any valid customer comes back from the store equal to what was added."""

        @settings(
            max_examples=self.round_trip_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(customer=customers())
        def round_trip(customer: Customer) -> None:
            uow = self.make_unit_of_work()
            _clear(uow)
            with uow:
                uow.customers.add(customer)
                uow.commit()
            with uow:
                found = uow.customers.get(customer.id)
                _equal(customer, found, "customer read back")
                for email in sorted(_emails(customer)):
                    _equal(customer.id, uow.customers.get_by_email(email).id, "by email")
                for phone in sorted(_phones(customer)):
                    _equal(customer.id, uow.customers.get_by_phone(phone).id, "by phone")
            _equal(list(customer.pending_events), uow.collect_events(), "events")

        round_trip()

    def test_random_operation_sequences(self) -> None:
        """Random add/get/save/remove/commit/rollback sequences agree with a reference model."""
        factory = self.make_unit_of_work
        run_state_machine_as_test(
            lambda: RepositoryStateMachine(factory),  # type: ignore[arg-type]
            settings=self.state_machine_settings,
        )

    # -- every other repository -------------------------------------------------------------
    #
    # The tests below take ``repository_name`` and run once per repository of
    # AGGREGATE_REPOSITORIES (pytest_generate_tests parametrizes them).

    def pytest_generate_tests(self, metafunc: Any) -> None:
        """Run each test that takes ``repository_name`` once per aggregate repository."""
        super().pytest_generate_tests(metafunc)
        if "repository_name" in metafunc.fixturenames:
            metafunc.parametrize("repository_name", list(AGGREGATE_REPOSITORIES))

    def _add_committed(self, name: str, *numbers: int) -> list[Any]:
        """Commit aggregates ``numbers`` of a repository (of customers 1 to 3, stored first)."""
        self._customers(1, 2, 3)
        kind = AGGREGATE_REPOSITORIES[name]
        made = [kind.make(number, number % 3 + 1) for number in numbers]
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, name)
            for aggregate in made:
                repository.add(aggregate)
            uow.commit()
        return made

    def test_aggregates_are_added_and_read_back(self, repository_name: str) -> None:
        """add() returns the stored copy; a later unit gets it back equal, at its version."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._customers(1, 2)
        made = kind.make(1, 1)
        uow = self.make_unit_of_work()
        with uow:
            stored = _repository(uow, repository_name).add(made)
            _equal(made, stored, f"{repository_name}: stored copy")
            _equal((), stored.pending_events, "pending events of the stored copy")
            uow.commit()
        _equal(list(made.pending_events), uow.collect_events(), "events")
        imported = attrs.evolve(kind.make(2, 1), version=4)
        with uow:
            repository = _repository(uow, repository_name)
            repository.add(imported)
            uow.commit()
        with uow:
            repository = _repository(uow, repository_name)
            found = repository.get(kind.id_of(1))
            _equal(made, found, f"{repository_name}: read back")
            _equal((type(made), 0, ()), (type(found), found.version, found.pending_events), "")
            _equal(4, repository.get(kind.id_of(2)).version, "version of an imported aggregate")
            with _raises(DuplicateId):
                repository.add(kind.make(1, 2))
            with _raises(NotFound) as missing:
                repository.get(kind.id_of(9))
            _true(isinstance(missing.value, KeyError), "NotFound must be a KeyError")

    def test_aggregates_save_the_next_version_or_conflict(self, repository_name: str) -> None:
        """save() stores version + 1; a stale or missing aggregate raises and changes nothing."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        uow = self.make_unit_of_work()
        _drain(uow)
        with uow:
            repository = _repository(uow, repository_name)
            loaded = repository.get(kind.id_of(1))
            changed = kind.change(loaded)
            saved = repository.save(changed)
            _equal((loaded.version + 1, ()), (saved.version, saved.pending_events), "saved")
            with _raises(ConcurrencyConflict) as raised:
                repository.save(kind.change(loaded))
            _equal((0, 1), (raised.value.expected_version, raised.value.actual_version), "vers.")
            with _raises(NotFound):
                repository.save(kind.make(2, 1))
            second_change = kind.change(saved)
            again = repository.save(second_change)
            uow.commit()
        expected = [*changed.pending_events, *second_change.pending_events]
        _equal(expected, uow.collect_events(), "events of the saves")
        with uow:
            found = _repository(uow, repository_name).get(kind.id_of(1))
            _equal(again, found, f"{repository_name}: stored after two saves")
            _equal(2, found.version, "version")

    def test_aggregates_are_removed_counted_and_iterated_in_id_order(
        self, repository_name: str
    ) -> None:
        """remove(), count(), ``in`` and iteration reflect the store and the unit's changes."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 5, 1, 3)
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, repository_name)
            repository.add(kind.make(2, 1))
            repository.remove(kind.id_of(3))
            with _raises(NotFound):
                repository.remove(kind.id_of(3))
            repository.save(kind.change(repository.get(kind.id_of(5))))
            seen = list(repository)
            _equal([kind.id_of(n) for n in (1, 2, 5)], [a.id for a in seen], "ids")
            _equal([0, 0, 1], [a.version for a in seen], "versions")
            _equal(3, repository.count(), "count")
            _equal([True, True, False], [kind.id_of(n) in repository for n in (1, 2, 3)], "in")
            uow.commit()
        with uow:
            repository = _repository(uow, repository_name)
            _equal([kind.id_of(n) for n in (1, 2, 5)], [a.id for a in repository], "committed")

    def test_aggregates_of_the_wrong_type_are_refused(self, repository_name: str) -> None:
        """add() and save() refuse other aggregates, get() and ``in`` plain str ids."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        uow = self.make_unit_of_work()
        with uow:
            repository = _repository(uow, repository_name)
            for call in (repository.add, repository.save):
                with _raises(InvalidType):
                    call(_make_customer(1))
            with _raises(InvalidType):
                repository.get(kind.id_of(1).value)
            with _raises(InvalidType):
                _ = kind.id_of(1).value in repository
            _equal(1, repository.count(), "count")

    def test_aggregate_commits_conflict_like_customers(self, repository_name: str) -> None:
        """Conflicting saves, adds of one id, and a remove racing a save: the second commit fails."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, 1)
        first, second = self.make_unit_of_work(), self.make_unit_of_work()
        with first, second:
            a = _repository(first, repository_name)
            b = _repository(second, repository_name)
            a.save(kind.change(a.get(kind.id_of(1))))
            b.save(b.get(kind.id_of(1)))
            b.add(kind.make(2, 1))
            first.commit()
            with _raises(ConcurrencyConflict):
                second.commit()
        with first, second:
            _repository(first, repository_name).add(kind.make(3, 1))
            _repository(second, repository_name).add(kind.make(3, 2))
            _repository(second, repository_name).remove(kind.id_of(1))
            first.commit()
            with _raises(DuplicateId):
                second.commit()
        check = self.make_unit_of_work()
        with check:
            repository = _repository(check, repository_name)
            _equal([kind.id_of(1), kind.id_of(3)], [a.id for a in repository], "ids")
            _equal(1, repository.get(kind.id_of(1)).version, "version")
            _equal(kind.make(3, 1), repository.get(kind.id_of(3)), "the first add won")

    def test_a_unit_reads_one_snapshot_of_every_repository(self, repository_name: str) -> None:
        """Commits to several repositories after a unit began stay invisible to it."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        reader, writer = self.make_unit_of_work(), self.make_unit_of_work()
        with reader:
            _equal(0, _repository(reader, repository_name).count(), "count")
            with writer:
                writer.customers.add(_make_customer(1))
                _repository(writer, repository_name).add(kind.make(1, 1))
                writer.commit()
            with writer:
                _repository(writer, repository_name).add(kind.make(2, 1))
                writer.commit()
            repository = _repository(reader, repository_name)
            _equal((0, 0), (repository.count(), reader.customers.count()), "counts")
            if kind.for_customer:
                _equal([], repository.for_customer(_customer_id(1)), "lookup")
        with reader:
            repository = _repository(reader, repository_name)
            _equal((2, 1), (repository.count(), reader.customers.count()), "counts later")

    def test_lookups_find_what_a_scan_finds(self, repository_name: str) -> None:
        """Every secondary lookup returns exactly the matching aggregates the unit sees, by id."""
        kind = AGGREGATE_REPOSITORIES[repository_name]
        self._add_committed(repository_name, *range(1, 9))
        uow = self.make_unit_of_work()

        def check(repository: Any, removed: list[Any]) -> None:
            visible = list(repository)
            for lookup in kind.lookups:
                arguments = {a for x in (*visible, *removed) for a in lookup.finds(x)}
                for argument in sorted(arguments, key=repr):
                    expected = [x for x in visible if argument in lookup.finds(x)]
                    found = getattr(repository, lookup.method)(*argument)
                    _equal(expected, found, f"{repository_name}.{lookup.method}{argument!r}")

        with uow:
            repository = _repository(uow, repository_name)
            check(repository, [])
            for number in (1, 2, 3):
                loaded = repository.get(kind.id_of(number))
                repository.save(kind.change(kind.change(loaded)))
            removed = [repository.get(kind.id_of(4))]
            repository.remove(kind.id_of(4))
            repository.add(kind.make(9, 2))
            check(repository, removed)
            uow.commit()
        with uow:
            check(_repository(uow, repository_name), removed)
            if kind.for_customer:
                customer = _customer_id(99)
                found = _repository(uow, repository_name).for_customer(customer)
                _equal([], found, "no match")

    def test_generated_aggregates_round_trip(self, repository_name: str) -> None:
        """Any valid aggregate comes back from the store equal, with its events handed out."""
        kind = AGGREGATE_REPOSITORIES[repository_name]

        @settings(
            max_examples=self.aggregate_round_trip_examples,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(aggregate=kind.generated())
        def round_trip(aggregate: Any) -> None:
            uow = self.make_unit_of_work()
            _clear(uow)
            needed = kind.needs(aggregate)
            if needed:
                with uow:
                    for name, named in needed:
                        _repository(uow, name).add(named)
                    uow.commit()
                _drain(uow)
            with uow:
                _repository(uow, repository_name).add(aggregate)
                uow.commit()
            with uow:
                found = _repository(uow, repository_name).get(aggregate.id)
                _equal(aggregate, found, f"{repository_name}: read back")
            _equal(list(aggregate.pending_events), uow.collect_events(), "events")

        round_trip()

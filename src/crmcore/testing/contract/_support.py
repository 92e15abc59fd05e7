"""Small helpers of the contract: assertions without pytest, customers to store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, TypeVar

from crmcore._kernel._events import DomainEvent
from crmcore.customers import (
    Channel,
    ContactPoint,
    Customer,
    CustomerId,
    PersonName,
)
from crmcore.errors import ConcurrencyConflict
from crmcore.repository import UnitOfWork

E = TypeVar("E", bound=BaseException)

#: When the contract's commands happen.
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: Small pools of natural key values, so that collisions happen often.
EMAILS = ("ana@example.com", "budi@example.com", "citra@example.com", "dewi@example.com")
PHONES = ("+6281200000001", "+6281200000002", "+6281200000003")
_PHONE_CHANNELS = frozenset({Channel.PHONE, Channel.SMS, Channel.WHATSAPP})


# -- small helpers (the contract runs without pytest's assertion rewriting) ----------------


def _equal(expected: object, actual: object, what: str = "value") -> None:
    if expected != actual:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def _true(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


class _raises(Generic[E]):  # noqa: N801 - used like pytest.raises.
    """Expect the block to raise ``expected``; the exception is kept as ``value``."""

    def __init__(self, expected: type[E]) -> None:
        self._expected = expected
        self._value: E | None = None

    @property
    def value(self) -> E:
        if self._value is None:
            raise AssertionError(f"{self._expected.__name__} was not raised")
        return self._value

    def __enter__(self) -> _raises[E]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None:
            raise AssertionError(f"expected {self._expected.__name__} to be raised")
        if isinstance(exc, self._expected):
            self._value = exc
            return True
        return False


def _customer_id(number: int) -> CustomerId:
    """The id of the contract's customer ``number``: ``c-0001``, ``c-0002``, ..."""
    return CustomerId(f"c-{number:04d}")


def _customers_are(uow: UnitOfWork, numbers: Iterable[int], what: str) -> None:
    """Check that ``uow`` lists exactly the contract's customers ``numbers``, in that order."""
    _equal([_customer_id(n) for n in numbers], [c.id for c in uow.customers], what)


def _make_customer(
    number: int,
    *,
    email: str | None = None,
    phone: str | None = None,
    channel: Channel | str = Channel.PHONE,
) -> Customer:
    """A newly registered customer (version 0, with its registration events)."""
    points = []
    if email is not None:
        points.append(ContactPoint(Channel.EMAIL, email))
    if phone is not None:
        points.append(ContactPoint(channel, phone))
    return Customer.register(
        _customer_id(number), name=PersonName(f"Customer {number}"), at=T0, contact_points=points
    )


def _emails(customer: Customer) -> set[str]:
    return {p.value for p in customer.contact_points if p.channel is Channel.EMAIL}


def _phones(customer: Customer) -> set[str]:
    return {p.value for p in customer.contact_points if p.channel in _PHONE_CHANNELS}


def _with_email(customer: Customer, email: str | None) -> Customer:
    changed = customer
    for old in sorted(_emails(customer) - ({email} if email else set())):
        changed = changed.remove_contact_point(Channel.EMAIL, old, at=T0)
    if email is not None and email not in _emails(changed):
        changed = changed.add_contact_point(ContactPoint(Channel.EMAIL, email), at=T0)
    return changed


def _with_phone(customer: Customer, phone: str) -> Customer:
    changed = customer
    for point in customer.contact_points:
        if point.channel is Channel.PHONE and point.value != phone:
            changed = changed.remove_contact_point(Channel.PHONE, point.value, at=T0)
    if changed.contact_point(Channel.PHONE, phone) is None:
        changed = changed.add_contact_point(ContactPoint(Channel.PHONE, phone), at=T0)
    return changed


def _counter(customer: Customer) -> int:
    value = customer.profile.attributes.get("counter", 0)
    return value if isinstance(value, int) else 0


def _drain(uow: UnitOfWork) -> list[DomainEvent]:
    """Collect every pending event and acknowledge it: the outbox is then empty."""
    events = uow.collect_events()
    uow.acknowledge(events)
    return events


def _commit_a_stale_save(uow: UnitOfWork, other: UnitOfWork, tag: str, other_tag: str) -> None:
    """In ``uow``'s block: save customer 1 read before ``other`` committed a change to it.

    ``other`` tags the customer ``other_tag`` and commits; ``uow`` then saves
    its stale copy tagged ``tag``, and its commit must raise ConcurrencyConflict.
    """
    stale = uow.customers.get(_customer_id(1))
    with other:
        other.customers.save(other.customers.get(_customer_id(1)).add_tag(other_tag, at=T0))
        other.commit()
    uow.customers.save(stale.add_tag(tag, at=T0))
    with _raises(ConcurrencyConflict):
        uow.commit()


def _with_customers(uow: UnitOfWork, *numbers: int) -> UnitOfWork:
    """``uow`` after committing new customers ``numbers`` in it."""
    with uow:
        for number in numbers:
            uow.customers.add(_make_customer(number))
        uow.commit()
    return uow

"""Read-modify-save cycles against one customer: the lost-update race of any unit of work.

Each cycle loads the customer, increments its ``counter`` attribute and saves
it, retrying on :class:`~crmcore.errors.ConcurrencyConflict`. Run it from
several threads or processes against one store: with no lost update, the
counter and the version both end at the number of successful saves.

>>> from crmcore import Customer, CustomerId, PersonName
>>> from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
>>> from crmcore.testing.contract._support import T0
>>> store = InMemoryStore()
>>> with InMemoryUnitOfWork(store) as uow:
...     _ = uow.customers.add(Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=T0))
...     uow.commit()
>>> read_modify_save(InMemoryUnitOfWork(store), "c-1", 3)
(3, 0)
>>> with InMemoryUnitOfWork(store) as uow:
...     counter(uow.customers.get(CustomerId("c-1")))
3
"""

from __future__ import annotations

from datetime import datetime

from crmcore.customers import Customer, CustomerId
from crmcore.errors import ConcurrencyConflict
from crmcore.repository import UnitOfWork
from crmcore.testing.contract._support import T0

__all__ = ["counter", "read_modify_save"]


def counter(customer: Customer) -> int:
    """The customer's ``counter`` attribute (0 when unset)."""
    value = customer.profile.attributes.get("counter", 0)
    return value if isinstance(value, int) else 0


def read_modify_save(
    uow: UnitOfWork, customer_id: str, cycles: int, *, at: datetime = T0
) -> tuple[int, int]:
    """Do ``cycles`` increments with retries on ``uow``; return (successful saves, conflicts met).

    ``at`` is the time each change records.
    """
    ident = CustomerId(customer_id)
    saves = conflicts = 0
    for _ in range(cycles):
        while True:
            try:
                with uow:
                    loaded = uow.customers.get(ident)
                    uow.customers.save(loaded.set_attribute("counter", counter(loaded) + 1, at=at))
                    uow.commit()
            except ConcurrencyConflict:
                conflicts += 1
                continue
            saves += 1
            break
    return saves, conflicts

"""Re-pointing a record from one customer to another, when duplicates are merged.

Every aggregate that names a customer (an order, a case, a relationship, ...)
has one command, ``repoint_customer(previous, customer_id, *, at, **meta)``: the
fields that name ``previous`` (the customer merged away) name ``customer_id``
(the survivor) instead, and one event records it. The command's logic lives
once, in :class:`crmcore._kernel._aggregate.RepointsCustomer`, the base of those
aggregates; each names the fields that may hold a customer (``_customer_fields``)
and its event class (``_repointed_by``), which mixes in :class:`CustomerRepointedEvent`.

The event carries ids only: ``previous``, ``customer_id`` and ``fields`` (the
names of the fields that changed). Events recorded before it name the previous
customer in their id fields: :func:`own_fields_by_event` gives, for each event
of a history, the id field values the aggregate had when it was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crmcore._kernel._events import DomainEvent


class CustomerRepointedEvent:
    """Mixin of the events that record a re-pointing (see the module documentation).

    An event class mixes it in before its package's event base and declares
    ``previous: CustomerId`` and ``fields: tuple[str, ...]`` (and
    ``customer_id: CustomerId`` when the base does not carry it)::

        @attrs.frozen(slots=True, kw_only=True)
        class OrderCustomerRepointed(CustomerRepointedEvent, OrderEvent):
            previous: CustomerId
            fields: tuple[str, ...]

    The command that records it guarantees that ``customer_id`` differs
    from ``previous`` and that ``fields`` names the fields changed, each once;
    the event class adds no rule of its own, so generic event strategies
    build it from its field types.
    """

    __slots__ = ()


def own_fields_by_event(
    events: Sequence[DomainEvent], start: int, own: tuple[tuple[str, object], ...]
) -> list[tuple[tuple[str, object], ...]] | None:
    """The id field values each event from ``start`` on must carry, or None if all carry ``own``.

    ``own`` is what the aggregate holds now. Walking back from the newest
    event, a re-pointing event carries the values after it; before it, each
    field it names held ``previous``.
    """
    if not any(isinstance(event, CustomerRepointedEvent) for event in events[start:]):
        return None
    values: dict[str, object] = dict(own)
    result: list[tuple[tuple[str, object], ...]] = []
    for event in reversed(events[start:]):
        result.append(tuple(values.items()))
        if isinstance(event, CustomerRepointedEvent):
            previous: object = getattr(event, "previous", None)
            for name in getattr(event, "fields", ()):
                if name in values:
                    values[name] = previous
    result.reverse()
    return result


def repointed_own_fields(
    own: Mapping[str, object], named: tuple[str, ...], customer_id: object
) -> dict[str, object]:
    """``own`` (an aggregate's event fields) with the ``named`` fields holding ``customer_id``."""
    return {name: customer_id if name in named else value for name, value in own.items()}

"""The customer timeline: every fact about one customer, in time order.

Interactions, orders, payments, refunds, subscriptions, service cases and
feedback come from different parts of the business. :func:`timeline` merges
them into the one picture every department shares.

Anything can appear on a timeline if it follows a small protocol (duck-typed,
see :class:`TimelineFact`):

* ``customer_id``: the :class:`~crmcore.CustomerId` the fact belongs to;
* ``timeline_at``: when it happened, timezone-aware (``occurred_at`` is used
  when there is no ``timeline_at``);
* ``timeline_kind``: a short label such as ``"interaction"``, ``"order"`` or
  ``"case"``;
* ``timeline_key``: the fact's identity within its kind (``id`` is used when
  there is no ``timeline_key``);
* optionally ``timeline_summary``: a one-line description without personal data.

An object that stands for several facts (an order is placed, paid, fulfilled,
refunded) offers ``timeline_facts()`` instead, returning its facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from crmcore._kernel._checks import aware, clean_text, time_window, tuple_of, type_name
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore.errors import InvalidType, ValidationError

#: Longest timeline kind label, in characters.
MAX_KIND: Final = 64
#: Longest timeline key, in characters.
MAX_KEY: Final = 256
#: Longest timeline summary, in characters.
MAX_SUMMARY: Final = 300


@runtime_checkable
class TimelineFact(Protocol):
    """The protocol of an item on a timeline (see the module documentation).

    ``timeline_summary`` is optional and so is not part of the protocol's
    required members; ``occurred_at`` and ``id`` stand in for ``timeline_at``
    and ``timeline_key`` where those are missing.
    """

    @property
    def customer_id(self) -> CustomerId:
        """The customer the fact belongs to."""
        ...  # pragma: no cover

    @property
    def timeline_at(self) -> datetime:
        """When it happened (timezone-aware)."""
        ...  # pragma: no cover

    @property
    def timeline_kind(self) -> str:
        """A short label of what kind of fact it is."""
        ...  # pragma: no cover

    @property
    def timeline_key(self) -> str:
        """The fact's identity within its kind."""
        ...  # pragma: no cover


def _entry_at(value: object) -> datetime:
    return aware("$.at")(value)


def _entry_kind(value: object) -> str:
    return clean_text(value, "$.kind", max_length=MAX_KIND, what="a kind")


def _entry_key(value: object) -> str:
    return clean_text(value, "$.key", max_length=MAX_KEY, what="a key")


def _entry_summary(value: object) -> str:
    return clean_text(value, "$.summary", max_length=MAX_SUMMARY, min_length=0, what="a summary")


def _entry_customer(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path="$.customer_id")


@attrs.frozen(slots=True, kw_only=True)
class TimelineEntry:
    """One fact on a customer's timeline.

    Entries follow the timeline protocol themselves, so a timeline can be fed
    back into :func:`timeline` (to narrow it, or merge it with more facts).

    Attributes:
        at: when it happened.
        kind: what kind of fact (``"interaction"``, ``"order"``, ``"payment"``, ...).
        key: the fact's identity within its kind.
        customer_id: whose fact it is.
        summary: one line, without personal data.
    """

    at: datetime = attrs.field(converter=_entry_at)
    kind: str = attrs.field(converter=_entry_kind)
    key: str = attrs.field(converter=_entry_key)
    customer_id: CustomerId = attrs.field(validator=_entry_customer)
    summary: str = attrs.field(default="", converter=_entry_summary)

    @property
    def timeline_at(self) -> datetime:
        """The protocol's time: :attr:`at`."""
        return self.at

    @property
    def timeline_kind(self) -> str:
        """The protocol's kind: :attr:`kind`."""
        return self.kind

    @property
    def timeline_key(self) -> str:
        """The protocol's key: :attr:`key`."""
        return self.key

    @property
    def timeline_summary(self) -> str:
        """The protocol's summary: :attr:`summary`."""
        return self.summary

    @property
    def identity(self) -> tuple[str, str]:
        """``(kind, key)``: two entries with the same identity are the same fact."""
        return (self.kind, self.key)


def _is_item(value: object) -> bool:
    return hasattr(value, "timeline_facts") or hasattr(value, "timeline_kind")


def _attribute(item: object, names: tuple[str, ...], path: str, what: str) -> object:
    for name in names:
        try:
            return getattr(item, name)
        except AttributeError:
            continue
    raise InvalidType(f"must have {what} for the timeline", path=path, code="timeline_protocol")


def _as_entry(item: object, path: str) -> TimelineEntry:
    if isinstance(item, TimelineEntry):
        return item
    customer = _attribute(item, ("customer_id",), path, "a customer_id")
    if type(customer) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId, not {type_name(customer)}", path=f"{path}.customer_id"
        )
    when = _attribute(item, ("timeline_at", "occurred_at"), path, "a timeline_at or occurred_at")
    kind = _attribute(item, ("timeline_kind",), path, "a timeline_kind")
    key = _attribute(item, ("timeline_key", "id"), path, "a timeline_key or id")
    summary = getattr(item, "timeline_summary", None)
    if isinstance(key, Identifier):
        key = key.value
    try:
        return TimelineEntry(
            at=when,
            kind=kind,
            key=key,
            customer_id=customer,
            summary=kind if summary is None else summary,
        )
    except ValidationError as exc:
        raise exc.under(path) from None


def _facts(item: object, path: str) -> Iterable[object]:
    expand = getattr(item, "timeline_facts", None)
    if expand is None:
        return (item,)
    if not callable(expand):
        raise InvalidType("timeline_facts must be a method", path=path, code="timeline_protocol")
    facts: Iterable[object] = expand()
    return facts


def _items(source: object, path: str) -> Iterable[tuple[object, str]]:
    if _is_item(source):
        yield source, path
        return
    if isinstance(source, (str, bytes, dict)) or not isinstance(source, Iterable):
        raise InvalidType(
            f"must be a timeline item or an iterable of them, not {type_name(source)}",
            path=path,
        )
    for index, item in enumerate(source):
        yield item, f"{path}[{index}]"


def _kinds(kinds: object) -> frozenset[str] | None:
    if kinds is None:
        return None
    return frozenset(tuple_of(kinds, "$.kinds", lambda k, p: clean_text(k, p, max_length=MAX_KIND)))


def timeline(
    customer_id: CustomerId,
    *sources: object,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Iterable[str] | None = None,
) -> tuple[TimelineEntry, ...]:
    """Merge facts about one customer from any number of sources, in time order.

    Each source is an iterable of items (interactions, orders, subscriptions,
    cases, feedback, timeline entries, ...) or a single item. Items of other
    customers are skipped, so a source may hold everyone's facts. An item with
    ``timeline_facts()`` contributes each of its facts.

    The result is sorted by time, then kind, then key, so facts at the same
    instant always come out in the same order. Each fact appears once: facts
    with the same ``(kind, key)`` are the same fact, and the first one met
    (in the order of the sources) is kept.

    Args:
        customer_id: whose timeline to build.
        *sources: iterables of items, or single items.
        since: keep facts at or after this time (inclusive).
        until: keep facts before this time (exclusive).
        kinds: keep only facts of these kinds.

    Raises:
        InvalidType: an item does not follow the timeline protocol; the path
            names it as ``$.sources[i][j]``.
        ValidationError: a time is naive, or ``since`` is after ``until``.

    >>> from datetime import datetime, timezone
    >>> cid = CustomerId("c-1")
    >>> facts = [
    ...     TimelineEntry(
    ...         at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    ...         kind="note",
    ...         key="n-2",
    ...         customer_id=cid,
    ...     ),
    ...     TimelineEntry(
    ...         at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...         kind="note",
    ...         key="n-1",
    ...         customer_id=cid,
    ...     ),
    ...     TimelineEntry(
    ...         at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...         kind="note",
    ...         key="n-1",
    ...         customer_id=cid,
    ...     ),
    ...     TimelineEntry(
    ...         at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    ...         kind="note",
    ...         key="x",
    ...         customer_id=CustomerId("c-2"),
    ...     ),
    ... ]
    >>> [entry.key for entry in timeline(cid, facts)]
    ['n-1', 'n-2']
    """
    if type(customer_id) is not CustomerId:
        raise InvalidType(
            f"must be a CustomerId, not {type_name(customer_id)}", path="$.customer_id"
        )
    start, end = time_window(since, until)
    wanted = _kinds(kinds)
    seen: dict[tuple[str, str], TimelineEntry] = {}
    for number, source in enumerate(sources):
        for item, path in _items(source, f"$.sources[{number}]"):
            for fact in _facts(item, path):
                entry = _as_entry(fact, path)
                if entry.customer_id != customer_id:
                    continue
                seen.setdefault(entry.identity, entry)
    chosen = [
        entry
        for entry in seen.values()
        if (start is None or entry.at >= start)
        and (end is None or entry.at < end)
        and (wanted is None or entry.kind in wanted)
    ]
    chosen.sort(key=lambda e: (e.at, e.kind, e.key))
    return tuple(chosen)

"""Domain events and their one envelope.

Aggregates never send an email or call a webhook. Each command records what
happened as an event in the new aggregate's ``pending_events``; the unit of
work hands them to the host application, which reacts.

Every event carries the same envelope, whatever aggregate recorded it:

``event_id``
    ``"{aggregate_kind}:{aggregate_id}#{sequence}"``: derived, never random, so
    handing an event out twice gives the same id and consumers can deduplicate.
``aggregate_kind``, ``aggregate_id``
    which aggregate recorded it (``"order"``, ``"o-1"``).
``sequence``
    the event's position in that aggregate's history: 1 for the first event
    it ever recorded, one more for each event after it.
``occurred_at``
    when it happened, timezone-aware, passed in by the caller.
``actor``, ``correlation_id``, ``causation_id``
    optional identifiers the caller passes to the command: who did it, the
    request or job it belongs to, and the message that caused it.

Events reference personal data (a customer id, a contact point's channel);
they never copy names, addresses or free text.
"""

from __future__ import annotations

import linecache
import re
import sys
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Final, NamedTuple, Self, TypedDict

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._fields import Check, plan_of
from crmcore._kernel._ids import Identifier, id_text
from crmcore.errors import InvalidType, ValidationError

#: The longest actor, correlation or causation reference (an event id is longer than an id).
MAX_REFERENCE: Final = 200
#: The highest sequence number an aggregate's events may reach.
MAX_SEQUENCE: Final = 2**53 - 1
#: The keyword arguments every command accepts for the event envelope.
META_KEYS: Final = ("actor", "correlation_id", "causation_id")
#: The longest text an event field may hold: events carry codes, never free text.
MAX_EVENT_TEXT: Final = 200


class EventMeta(TypedDict, total=False):
    """The optional envelope values a caller passes to any command.

    ``actor`` is who did it (a staff id, ``"system"``, an integration's name);
    ``correlation_id`` the request or job the command belongs to;
    ``causation_id`` the id of the event or message that caused it. Each is
    identifier text (or an :class:`~crmcore.Identifier`), or an event id such
    as ``"order:o-1#3"``.
    """

    actor: Identifier | str | None
    correlation_id: str | None
    causation_id: str | None


def check_meta(meta: Mapping[str, object]) -> dict[str, str | None]:
    """Validate a command's envelope keywords; unknown keywords are refused."""
    if not meta:
        return {"actor": None, "correlation_id": None, "causation_id": None}
    for key in meta:
        if key not in META_KEYS:
            raise InvalidType(
                "is not a keyword this command takes (envelope keywords: "
                "actor, correlation_id, causation_id)",
                path="$",  # the keyword itself is not repeated: it may be anything
                code="unknown_keyword",
            )
    return {key: _optional_id(meta.get(key), f"$.{key}") for key in META_KEYS}


#: A reference in the envelope: identifier text, or an event id (which adds ``#``).
_REFERENCE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/#-]*")


def _optional_id(value: object, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and "#" in value:
        if len(value) > MAX_REFERENCE or _REFERENCE.fullmatch(value) is None:
            raise ValidationError(
                "must be an identifier or an event id", path=path, code="id_format"
            )
        return value
    return id_text(value, path)


def _actor(value: object) -> str | None:
    return None if value is None else _optional_id(value, "$.actor")


def _correlation(value: object) -> str | None:
    return None if value is None else _optional_id(value, "$.correlation_id")


def _causation(value: object) -> str | None:
    return None if value is None else _optional_id(value, "$.causation_id")


def _occurred_at(value: object) -> datetime:
    return require_aware(value, "$.occurred_at")


def _sequence(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.sequence")
    if not 1 <= value <= MAX_SEQUENCE:
        raise ValidationError("must be from 1 to 2**53 - 1", path="$.sequence", code="range")


def event_rule(holds: bool, path: str, rule: str, code: str = "range") -> None:
    """Raise a ValidationError at ``path`` unless ``holds``: for an event class's ``_check``."""
    if not holds:
        raise ValidationError(rule, path=path, code=code)


def _check_text(value: str, path: str) -> None:
    if len(value) > MAX_EVENT_TEXT:
        raise ValidationError(
            f"must be at most {MAX_EVENT_TEXT} characters", path=path, code="too_long"
        )
    if not value.isprintable():
        raise ValidationError(
            "must not hold control or other unprintable characters", path=path, code="control"
        )


@attrs.frozen(slots=True, kw_only=True)
class DomainEvent:
    """Base of every domain event: the envelope (see the module documentation).

    Subclasses group the events of one aggregate kind, naming it and the field
    that holds the aggregate's id in the class statement::

        class OrderEvent(DomainEvent, aggregate="order", id_field="order_id"):
            order_id: OrderId

    Such a base is abstract (``event_types()`` leaves it out); its subclasses
    are the events.

    Attributes:
        sequence: the event's position in its aggregate's history (from 1).
        occurred_at: when it happened (timezone-aware).
        actor: who did it, if the caller said.
        correlation_id: the request or job it belongs to, if the caller said.
        causation_id: what caused it, if the caller said.
    """

    abstract_event: ClassVar[bool] = True
    aggregate_kind: ClassVar[str] = "event"
    aggregate_id_field: ClassVar[str] = ""
    #: The names this event had in schema version 1, if it was renamed.
    v1_names: ClassVar[tuple[str, ...]] = ()
    #: How many subclasses have been defined (attrs' rebuilt classes included); only grows.
    _classes_defined: ClassVar[int] = 0

    sequence: int = attrs.field(validator=_sequence)
    occurred_at: datetime = attrs.field(converter=_occurred_at)
    actor: str | None = attrs.field(default=None, converter=_actor, repr=False)
    correlation_id: str | None = attrs.field(default=None, converter=_correlation, repr=False)
    causation_id: str | None = attrs.field(default=None, converter=_causation, repr=False)

    def __init_subclass__(
        cls,
        *,
        aggregate: str | None = None,
        id_field: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        # Counted for the callers that keep event_types()' answer (see event_classes_defined).
        DomainEvent._classes_defined += 1
        if aggregate is not None:
            cls.aggregate_kind = aggregate
            cls.aggregate_id_field = id_field or f"{aggregate}_id"
            cls.abstract_event = True
        elif "abstract_event" not in cls.__dict__:
            cls.abstract_event = False

    def __attrs_post_init__(self) -> None:
        # Events are facts handed to other systems: a stored document's events
        # are checked like the aggregate's own fields (types, text without
        # control characters, bounded numbers), then by the class's own rules.
        # The checks run in that order: every field's type first, then the text
        # of every field (a str, or the str items of a tuple), then the rules.
        cls = type(self)
        check_fields = cls.__dict__.get("_check_fields_")
        if check_fields is None:
            check_fields = _fields_checker(cls)
        check_fields(self)
        self._check()

    def _check(self) -> None:
        """Check the event's own rules beyond its field types (raise ValidationError)."""

    @property
    def type(self) -> str:
        """The event's type name, as used in serialized form."""
        return type(self).__name__

    @property
    def aggregate_id(self) -> str:
        """The id of the aggregate that recorded the event, as text."""
        value: object = getattr(self, self.aggregate_id_field)
        return value.value if isinstance(value, Identifier) else str(value)

    @property
    def event_id(self) -> str:
        """``"{aggregate_kind}:{aggregate_id}#{sequence}"``: stable, for deduplication."""
        return f"{self.aggregate_kind}:{self.aggregate_id}#{self.sequence}"

    @classmethod
    def draft(cls, **fields: Any) -> EventDraft:
        """The event's own fields, for an aggregate to record with its envelope.

        Aggregates call this in their commands; the kernel adds the envelope
        (sequence, time, actor, ...) and the aggregate's id fields.
        """
        draft: EventDraft = _new(EventDraft)  # its slots set directly: no attrs __init__
        _set_draft_cls(draft, cls)
        _set_draft_fields(draft, fields)
        return draft


def _check_texts(value: object, path: str) -> None:
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, tuple):
        for item in value:  # a tuple without text (most) needs nothing more
            if isinstance(item, str):
                break
        else:
            return
        for index, item in enumerate(value):
            if isinstance(item, str):
                _check_text(item, f"{path}[{index}]")


class _EventField(NamedTuple):
    """How one field of an event class is checked (see ``DomainEvent.__attrs_post_init__``)."""

    name: str
    path: str
    #: The type check of a field with no converter or validator of its own, else None.
    check: Check | None
    #: Exact types the type check accepts as they are.
    passing: frozenset[type]
    #: Exact types that need nothing at all: accepted as they are, and never text.
    done: frozenset[type]


#: Exact types whose values are never text nor tuples: no text check applies to them.
_NEVER_TEXT: Final = frozenset({type(None), bool, int, float, Decimal, datetime, date})


def _event_plan(cls: type[DomainEvent]) -> tuple[_EventField, ...]:
    """The checks of ``cls``'s fields, in field order."""
    typed = {entry.name: entry for entry in plan_of(cls)}
    plan: list[_EventField] = []
    for field in attrs.fields(cls):
        entry = typed.get(field.name)
        if entry is None:  # checked by its own converter or validator
            plan.append(_EventField(field.name, f"$.{field.name}", None, frozenset(), _NEVER_TEXT))
            continue
        text_free = frozenset(kind for kind in entry.passing if not issubclass(kind, (str, tuple)))
        plan.append(_EventField(entry.name, entry.path, entry.check, entry.passing, text_free))
    return tuple(plan)


def event_field_checks(
    cls: type[DomainEvent],
    values: Mapping[str, str],
    namespace: dict[str, Any],
    *,
    read_from: str | None = None,
) -> list[str]:
    """The field checks of ``cls`` as lines of Python (indented for a function body).

    For each field in turn: the type check (skipped for the exact types it
    passes as they are), and the text to check once every type is checked
    (none for types that are never text). ``values`` names the expression
    holding each field's value; the names the lines use are added to
    ``namespace``; with ``read_from``, each value is first read from that
    object's field (just before its block). Used by :func:`_fields_checker` and
    by the kernel's event makers, which run the same checks on the values they
    have just set.
    """
    namespace.update(_never=_NEVER_TEXT, _check_texts=_check_texts)
    lines = ["    texts = None"]
    for index, (name, path, check, passing, done) in enumerate(_event_plan(cls)):
        value = values[name]
        namespace[f"_done{index}"] = done
        if read_from is not None:
            lines.append(f"    {value} = {read_from}.{name}")
        lines += [f"    t = type({value})", f"    if t not in _done{index}:"]
        if check is not None:
            namespace[f"_check{index}"] = check
            namespace[f"_pass{index}"] = passing
            lines.append(f"        if t not in _pass{index}: _check{index}({value}, {path!r})")
        lines += [
            "        if t not in _never:",
            "            if texts is None: texts = []",
            f"            texts.append(({value}, {path!r}))",
        ]
    lines += [
        "    if texts is not None:",
        "        for v, path in texts: _check_texts(v, path)",
    ]
    return lines


def _fields_checker(cls: type[DomainEvent]) -> Callable[[DomainEvent], None]:
    """The field checks of ``cls`` as one function, written once and kept on the class.

    The code (:func:`event_field_checks`) is straight-line, one block per
    field, because a loop over the plan costs more than the checks; it is
    registered with :mod:`linecache` so that tracebacks show it.
    """
    names: dict[str, Any] = {}
    values = {field.name: "v" for field in attrs.fields(cls)}
    lines = ["def check_fields(event):"]
    lines += event_field_checks(cls, values, names, read_from="event")
    source = "\n".join(lines) + "\n"
    filename = f"<crmcore event checks {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), names)  # noqa: S102 - written above from field names.
    checker: Callable[[DomainEvent], None] = names["check_fields"]
    type.__setattr__(cls, "_check_fields_", checker)
    return checker


@attrs.frozen(slots=True)
class EventDraft:
    """An event class and its own fields, before the envelope is added."""

    cls: type[DomainEvent]
    fields: Mapping[str, Any]

    def build(self, envelope: Mapping[str, Any]) -> DomainEvent:
        """The event with ``envelope`` (sequence, time, actor, ids) added."""
        return self.cls(**envelope, **self.fields)

    def with_fields(self, **fields: Any) -> Self:
        """The same draft with more fields."""
        return attrs.evolve(self, fields={**self.fields, **fields})


_new: Final = object.__new__
_set_draft_cls: Final = typing.cast(
    "Callable[[EventDraft, object], None]", vars(EventDraft)["cls"].__set__
)
_set_draft_fields: Final = typing.cast(
    "Callable[[EventDraft, object], None]", vars(EventDraft)["fields"].__set__
)


def event_classes_defined() -> int:
    """How many subclasses of :class:`DomainEvent` have been defined so far.

    It grows with every class statement (attrs' rebuilt classes count too) and
    never shrinks: a caller that keeps the answer of :func:`event_types` walks
    again when this number has changed since.
    """
    return DomainEvent._classes_defined  # noqa: SLF001 - this module's own class


def event_types() -> Mapping[str, type[DomainEvent]]:
    """Every concrete event class crmcore knows, by type name.

    Walks the subclasses of :class:`DomainEvent` each time it is called, so
    events defined by later capabilities (or by the host application) are
    found once their module is imported. Bases that group events, such as
    ``CustomerEvent``, declare ``abstract_event = True`` and are left out.
    """
    found: dict[str, type[DomainEvent]] = {}
    pending: list[type[DomainEvent]] = [DomainEvent]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            module = sys.modules.get(sub.__module__)
            if getattr(module, sub.__qualname__, None) is not sub:
                continue  # a class object attrs replaced while building it
            pending.append(sub)
            if not sub.__dict__.get("abstract_event", False):
                found.setdefault(sub.__name__, sub)
    return found

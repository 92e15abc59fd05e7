"""The one aggregate base: id, version, creation and last-change times, events, the time rule.

Every crmcore aggregate (customer, order, case, ...) is an immutable attrs
class built on :class:`Aggregate`. The base owns what they all share, so that
they all behave the same way:

- ``id``, ``created_at`` and ``updated_at`` (the time of the last change);
- ``version`` for optimistic concurrency (repositories compare and bump it);
- ``sequence``, the number of events the aggregate has ever recorded, and
  ``pending_events``, those recorded since it was loaded;
- **the time rule**: a command dated before the aggregate's last change is
  refused with code ``time_backwards`` (``$.at``), so events never come out
  of time order;
- **the envelope**: every event recorded gets the next sequence number, the
  command's time, and the ``actor``, ``correlation_id`` and ``causation_id``
  the caller passed (see :mod:`crmcore.events`);
- loading checks: a document's own times never lie after ``updated_at``, and
  its pending events belong to it, in sequence.

Subclasses name their kind in the class statement,
``class Order(Aggregate[OrderId], kind="order")`` (the id type comes from the
type argument; ``v1_renames={"placed_at": "created_at"}`` lists fields renamed
since schema version 1), declare their fields, and implement three hooks: :meth:`_check` (their invariants), :meth:`_recorded_times`
(the times their data holds) and :meth:`_event_fields` (the ids every event of
theirs carries).
"""

from __future__ import annotations

import linecache
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, ClassVar, Final, Generic, Self, TypeVar, Unpack

import attrs

from crmcore._kernel._checks import instance_of, require_aware, tuple_of, type_name
from crmcore._kernel._copies import builder_of
from crmcore._kernel._derived import Derivable, start_keeping
from crmcore._kernel._events import (
    MAX_SEQUENCE,
    DomainEvent,
    EventDraft,
    EventMeta,
    check_meta,
    event_field_checks,
)
from crmcore._kernel._ids import CustomerId, Identifier, StaffId, team_argument
from crmcore._kernel._repoint import own_fields_by_event, repointed_own_fields
from crmcore._kernel._timeline import TimelineEntry
from crmcore.errors import InvalidType, ValidationError

IdT = TypeVar("IdT", bound=Identifier)

#: Stands for "not given": ``updated_at`` then defaults to the latest time in the data.
_UNSET: Final = datetime.min.replace(tzinfo=UTC)
#: The highest version an aggregate may reach (what any database column can hold).
MAX_VERSION: Final = 2**53 - 1


def typed_id(cls: type[IdT], path: str) -> Callable[[object, attrs.Attribute[Any], IdT], None]:
    """An attrs validator: the value must be exactly an identifier of ``cls``."""

    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not cls:
            raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)

    return check


def optional_typed_id(
    cls: type[IdT], path: str
) -> Callable[[object, attrs.Attribute[Any], IdT | None], None]:
    """Like :func:`typed_id`, letting ``None`` through."""
    check = typed_id(cls, path)

    def run(instance: object, attribute: attrs.Attribute[Any], value: IdT | None) -> None:
        if value is not None:
            check(instance, attribute, value)

    return run


def _count(path: str, maximum: int) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
        if value < 0:
            raise ValidationError("must be 0 or more", path=path, code="negative")
        if value > maximum:
            raise ValidationError("must be at most 2**53 - 1", path=path, code="range")

    return check


#: An attrs validator for an aggregate's ``version``: an int from 0 to 2**53 - 1.
check_version: Final = _count("$.version", MAX_VERSION)


def pending_events(value: object) -> tuple[DomainEvent, ...]:
    """Convert an aggregate's ``pending_events`` to a tuple of events."""
    if type(value) is tuple:
        for event in value:
            if not isinstance(event, DomainEvent):
                break
        else:
            return value
    return tuple_of(value, "$.pending_events", instance_of(DomainEvent, "a DomainEvent"))


def _aggregate_id(instance: Aggregate[Any], _: attrs.Attribute[Any], value: object) -> None:
    expected = type(instance).id_type
    if type(value) is not expected:
        raise InvalidType(f"must be a {expected.__name__}, not {type_name(value)}", path="$.id")


def _created_at(value: object) -> datetime:
    return require_aware(value, "$.created_at")


def _updated_at(value: object) -> datetime:
    return require_aware(value, "$.updated_at")


@attrs.frozen(slots=True)
class Command:
    """One command's time and envelope values, checked before anything changes."""

    at: datetime
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


_SET_COMMAND: Final = tuple(
    typing.cast("Callable[[Command, object], None]", vars(Command)[field.name].__set__)
    for field in attrs.fields(Command)
)
#: Stands for "no builder made yet" (see :func:`~crmcore._kernel._copies.builder_of`).
_NO_BUILDER: Final[Any] = object()


def _command_at(when: datetime) -> Command:
    """``Command(when)``: its slots set directly (a frozen class's ``__init__`` costs more)."""
    command: Command = object.__new__(Command)
    at, actor, correlation, causation = _SET_COMMAND
    at(command, when)
    actor(command, None)
    correlation(command, None)
    causation(command, None)
    return command


# -- recording events -----------------------------------------------------------------------
#
# An aggregate records each event with ``draft.cls(**envelope, **draft.fields)``. The
# attrs ``__init__`` of an event converts and validates every field, the envelope's
# included, once per event. The envelope values are the same for every event of one
# command and its converters are pure functions, so :func:`_checked_envelope` converts
# them once per command; a maker (:func:`_compile_maker`) then builds each event the way its
# ``__init__`` does, minus the envelope's conversions: every other field goes through
# its converter and validator in attrs' order, and the event's own checks
# (``__attrs_post_init__``: every field's type, text and the class's rules) run as
# ever. The sequence numbers need no validator: the callers number the events from
# the aggregate's sequence and refuse to pass MAX_SEQUENCE.

#: The fields :meth:`Aggregate._record` sets on the new aggregate, in its ``recorded`` order.
_RECORDED: Final = ("pending_events", "sequence", "updated_at")
#: The envelope fields every event begins with, in field order.
_ENVELOPE: Final = ("sequence", "occurred_at", "actor", "correlation_id", "causation_id")
_BASE_FIELDS: Final = {field.name: field for field in attrs.fields(DomainEvent)}
#: The envelope converters of :class:`DomainEvent` (pure functions of the value).
_ENVELOPE_CONVERTERS: Final = tuple(
    typing.cast("Callable[[object], object]", _BASE_FIELDS[name].converter)
    for name in _ENVELOPE[1:]
)
#: Most makers kept per aggregate class (one per event class and set of fields; there are few).
_MAX_MAKERS: Final = 256

#: Builds one event: sequence, the four converted envelope values, the values of the
#: aggregate's own event fields (a tuple) and the draft's fields (a mapping).
EventMaker = Callable[..., DomainEvent]


def _checked_envelope(command: Command) -> tuple[object, ...]:
    """The command's time, actor, correlation and causation ids, as the event converters give them."""
    at, actor, correlation, causation = _ENVELOPE_CONVERTERS
    if command.actor is None and command.correlation_id is None and command.causation_id is None:
        return (at(command.at), None, None, None)  # each converter gives None for None
    return (
        at(command.at),
        actor(command.actor),
        correlation(command.correlation_id),
        causation(command.causation_id),
    )


#: What :meth:`Aggregate._events_of` keeps per event class and set of field names: the
#: maker (or None) and the name of the own field holding the aggregate's id, if the
#: events it makes for this aggregate class are sound by construction (see there).
_Recorder = tuple[EventMaker | None, str | None]
_NO_RECORDERS: Final[Mapping[object, _Recorder]] = MappingProxyType({})


def _recorder(
    aggregate: type[Aggregate[Any]],
    cls: type[DomainEvent],
    own: tuple[str, ...],
    names: tuple[str, ...],
) -> _Recorder:
    """The maker of ``cls`` events of ``aggregate`` for ``own`` and ``names``, kept on ``aggregate``."""
    recorders: dict[object, _Recorder] | None = aggregate.__dict__.get("_crmcore_recorders_")
    if recorders is None:
        recorders = {}
        type.__setattr__(aggregate, "_crmcore_recorders_", recorders)
    key = (cls, own, names)
    found = recorders.get(key)
    if found is None:
        make = _compile_maker(cls, own, names)
        id_field: str | None = None
        if make is not None and cls.aggregate_kind == aggregate.aggregate_kind:
            converted = {f.alias or f.name for f in attrs.fields(cls) if f.converter is not None}
            if cls.aggregate_id_field in own and converted.isdisjoint(own):
                id_field = cls.aggregate_id_field
        found = (make, id_field)
        if len(recorders) < _MAX_MAKERS:
            recorders[key] = found
    return found


def _makeable(cls: type[DomainEvent], names: tuple[str, ...]) -> bool:
    """True if a maker can build ``cls`` events given ``names`` as its ``__init__`` would."""
    if (
        not (attrs.has(cls) and issubclass(cls, DomainEvent))
        or "__attrs_pre_init__" in dir(cls)
        or len(set(names)) != len(names)
    ):
        return False
    fields = attrs.fields(cls)
    head, rest = fields[: len(_ENVELOPE)], fields[len(_ENVELOPE) :]
    if tuple(field.name for field in head) != _ENVELOPE or any(
        field.converter is not _BASE_FIELDS[field.name].converter
        or field.validator is not _BASE_FIELDS[field.name].validator
        or not field.init
        for field in head
    ):
        return False
    aliases = {field.alias or field.name for field in rest}
    return set(names) <= aliases and all(
        field.init
        and not isinstance(field.converter, attrs.Converter)
        and ((field.alias or field.name) in names or _plain_default(field))
        for field in rest
    )


def _plain_default(field: attrs.Attribute[Any]) -> bool:
    """True if ``field`` has a default that needs no instance (a value or a plain factory)."""
    default: object = field.default
    if default is attrs.NOTHING:
        return False
    return not getattr(default, "takes_self", False)  # an attrs.Factory that takes the instance


def _post_init_lines(
    cls: type[DomainEvent], rest: tuple[attrs.Attribute[Any], ...], namespace: dict[str, Any]
) -> list[str]:
    """What a maker runs once the fields are set: the event's checks, as its class runs them.

    An event class that keeps ``DomainEvent.__attrs_post_init__`` gets its field
    checks written out on the values just set (what that method runs, field by
    field in the same order, without reading the fields back), then its rules
    (``_check``) unless they are the base's no-op; any other class gets its
    ``__attrs_post_init__`` called.
    """
    post_init = getattr(cls, "__attrs_post_init__", None)
    if post_init is not DomainEvent.__attrs_post_init__:
        return [] if post_init is None else ["    new.__attrs_post_init__()"]
    values = {name: name for name in _ENVELOPE}
    values.update((field.name, f"v{index}") for index, field in enumerate(rest))
    lines = event_field_checks(cls, values, namespace)
    if cls._check is not DomainEvent._check:  # noqa: SLF001 - the event's own rules
        lines.append("    new._check()")
    return lines


def _compile_maker(
    cls: type[DomainEvent], own: tuple[str, ...], drafted: tuple[str, ...]
) -> EventMaker | None:
    """The maker of ``cls`` events given the ``own`` fields by position and ``drafted`` by name."""
    if not _makeable(cls, (*own, *drafted)):
        return None
    rest = attrs.fields(cls)[len(_ENVELOPE) :]
    position = {name: index for index, name in enumerate(own)}
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_set": object.__setattr__,
        "_cls": cls,
        "_disabled": attrs.validators.get_disabled,
    }
    lines = ["def make(sequence, occurred_at, actor, correlation_id, causation_id, own, drafted):"]
    lines.append("    new = _new(_cls)")
    lines.extend(f"    _set(new, {name!r}, {name})" for name in _ENVELOPE)
    checks: list[str] = []
    for index, field in enumerate(rest):
        alias = field.alias or field.name
        if alias in position:
            value = f"own[{position[alias]}]"
        elif alias in drafted:
            value = f"drafted[{alias!r}]"
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            namespace[f"_f{index}"] = field.default.factory
            value = f"_f{index}()"
        else:
            namespace[f"_d{index}"] = field.default
            value = f"_d{index}"
        if field.converter is not None:
            namespace[f"_c{index}"] = field.converter
            value = f"_c{index}({value})"
        lines.append(f"    v{index} = {value}")
        lines.append(f"    _set(new, {field.name!r}, v{index})")
        if field.validator is not None:
            namespace[f"_v{index}"] = field.validator
            namespace[f"_a{index}"] = field
            checks.append(f"        _v{index}(new, _a{index}, v{index})")
    if checks:
        lines.append("    if not _disabled():")
        lines.extend(checks)
    lines.extend(_post_init_lines(cls, rest, namespace))
    lines.append("    return new")
    source = "\n".join(lines) + "\n"
    filename = f"<crmcore event maker {cls.__module__}.{cls.__qualname__} of {', '.join((*own, *drafted))}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - written above from field names.
    return typing.cast("EventMaker", namespace["make"])


@attrs.frozen(slots=True, kw_only=True, repr=False)
class Aggregate(Derivable, Generic[IdT]):
    """The base every aggregate builds on (see the module documentation).

    Attributes:
        id: the aggregate's identifier.
        created_at: when it was created.
        updated_at: when it last changed (``created_at`` at first). Commands
            dated before it are refused: times never go backwards.
        version: the version it was loaded at, for optimistic concurrency.
        sequence: how many events it has recorded since it was created; the
            next event gets ``sequence + 1``.
        pending_events: the events recorded since it was loaded, oldest first.
    """

    #: The aggregate's kind in event envelopes and messages (``"order"``).
    aggregate_kind: ClassVar[str] = "aggregate"
    #: The exact identifier type of ``id``.
    id_type: ClassVar[type[Identifier]] = Identifier
    #: Fields renamed since schema version 1 (old name to new name), for loading old documents.
    v1_renames: ClassVar[Mapping[str, str]] = {}
    #: Derived values (see :class:`derived`) that are functions of the named fields only:
    #: a command that changes none of them keeps the value instead of computing it again.
    derived_inputs: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    #: The fields (by init name) :meth:`_event_fields` reads, if the class declares them: a
    #: change to none of them leaves the event fields as they were (``None``: not declared).
    event_field_inputs: ClassVar[frozenset[str] | None] = None

    id: IdT = attrs.field(validator=_aggregate_id)
    created_at: datetime = attrs.field(converter=_created_at)
    updated_at: datetime = attrs.field(default=_UNSET, converter=_updated_at)
    version: int = attrs.field(default=0, validator=check_version)
    sequence: int = attrs.field(default=0, validator=_count("$.sequence", MAX_SEQUENCE))
    pending_events: tuple[DomainEvent, ...] = attrs.field(
        default=(), converter=pending_events, eq=False, hash=False
    )

    def __init_subclass__(
        cls,
        *,
        kind: str | None = None,
        v1_renames: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:
            cls.aggregate_kind = kind
            for base in getattr(cls, "__orig_bases__", ()):
                args = typing.get_args(base)
                if args and isinstance(args[0], type) and issubclass(args[0], Identifier):
                    cls.id_type = args[0]
        if v1_renames is not None:
            cls.v1_renames = MappingProxyType(dict(v1_renames))
        if "_event_fields" in cls.__dict__ and "event_field_inputs" not in cls.__dict__:
            cls.event_field_inputs = None  # a new _event_fields: what it reads is not declared

    def __attrs_post_init__(self) -> None:
        start_keeping(self)
        self._check_state(0)

    def _check_state(self, checked_events: int) -> None:
        """Every rule of a new aggregate; its first ``checked_events`` events are known good.

        Only :meth:`_record` passes a number above 0: the events its aggregate
        already held were checked against the same id, creation time and
        event fields, and its last change only moves forward.
        """
        self._check()
        latest = max(self._recorded_times(), default=self.created_at)
        if self.updated_at == _UNSET:
            object.__setattr__(self, "updated_at", max(self.created_at, latest))
        else:
            if self.updated_at < self.created_at:
                raise ValidationError(
                    f"must not be before the {self._noun} was created",
                    path="$.updated_at",
                    code="time_backwards",
                )
            if latest > self.updated_at:
                raise ValidationError(
                    f"must not be before the {self._noun}'s last recorded change",
                    path="$.updated_at",
                    code="time_backwards",
                )
        if len(self.pending_events) > checked_events:
            self._check_events(checked_events)

    # -- hooks for subclasses -------------------------------------------------------------

    def _check(self) -> None:
        """Check the subclass's invariants (raise ValidationError with a path).

        The invariants are about the aggregate's state: they must not read
        :attr:`pending_events` (the base checks those), so that dropping them
        (:meth:`without_pending_events`, a store's copy) keeps every rule.
        """

    def _recorded_times(self) -> Iterable[datetime]:
        """Every time the aggregate's own data holds (none may lie after ``updated_at``)."""
        return ()

    def _event_fields(self) -> Mapping[str, object]:
        """The id fields every event of this aggregate carries (``{"order_id": ...}``)."""
        return {}

    @classmethod
    def _upgrade_document(cls, body: dict[str, Any]) -> dict[str, Any]:
        """A stored document of an older shape of this aggregate in the present one.

        :func:`crmcore.serialization.from_dict` reads every document of the
        aggregate through it, after the schema version's own upgrades. An
        aggregate whose stored shape changed within a schema version (an
        order's one status split in three) overrides it; the default keeps the
        document as it is.
        """
        return body

    # -- shared behaviour -----------------------------------------------------------------

    @property
    def _noun(self) -> str:
        return self.aggregate_kind.replace("_", " ")

    def _check_events(self, start: int = 0) -> None:
        """Check the pending events from index ``start`` on (those before it are known good)."""
        events = self.pending_events
        first = self.sequence - len(events) + 1
        if first < 1:
            raise ValidationError(
                "must not hold more events than the aggregate recorded (its sequence)",
                path="$.pending_events",
                code="sequence",
            )
        previous = events[start - 1].occurred_at if start else self.created_at
        own = tuple(self._event_fields().items())
        # Events before a re-pointing name the customer the aggregate named then.
        owns = own_fields_by_event(events, start, own) if own else None
        kind, id_text, updated = self.aggregate_kind, self.id.value, self.updated_at
        for index in range(start, len(events)):
            event = events[index]
            if event.aggregate_kind != kind or event.aggregate_id != id_text:
                raise ValidationError(
                    f"must be an event of this {self._noun}",
                    path=f"$.pending_events[{index}]",
                    code="foreign_event",
                )
            for name, value in own if owns is None else owns[index - start]:
                found = getattr(event, name, value)
                if found is not value and found != value:
                    raise ValidationError(
                        f"must name the same {name} as the {self._noun}",
                        path=f"$.pending_events[{index}].{name}",
                        code="foreign_event",
                    )
            if event.sequence != first + index:
                raise ValidationError(
                    "must continue the aggregate's event sequence without gaps",
                    path=f"$.pending_events[{index}].sequence",
                    code="sequence",
                )
            at = event.occurred_at
            if not previous <= at <= updated:
                raise ValidationError(
                    "must not be before the event before it or after the last change",
                    path=f"$.pending_events[{index}].occurred_at",
                    code="time_backwards",
                )
            previous = at

    def _begin(self, at: object, meta: Mapping[str, object], *, path: str = "$.at") -> Command:
        """Check a command's time (the time rule) and envelope values."""
        when = require_aware(at, path)
        if when < self.updated_at:
            raise ValidationError(
                f"must not be before the {self._noun}'s last change (times never go backwards)",
                path=path,
                code="time_backwards",
            )
        return Command(when, **check_meta(meta)) if meta else _command_at(when)

    @staticmethod
    def _begin_new(at: object, meta: Mapping[str, object], *, path: str = "$.at") -> Command:
        """Check the time and envelope values of a command that creates an aggregate."""
        when = require_aware(at, path)
        return Command(when, **check_meta(meta)) if meta else _command_at(when)

    def _begin_repointing(
        self, previous: object, customer_id: object, at: object, meta: Mapping[str, object]
    ) -> Command:
        """Check the two customers of a ``repoint_customer`` command, then begin it.

        Each must be a :class:`CustomerId` (``$.previous``, ``$.customer_id``),
        the time is checked as by :meth:`_begin`, and ``customer_id`` must not be
        ``previous`` (``$.customer_id``, code ``same_customer``).
        """
        for value, path in ((previous, "$.previous"), (customer_id, "$.customer_id")):
            if type(value) is not CustomerId:
                raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path=path)
        command = self._begin(at, meta)
        if previous == customer_id:
            raise ValidationError(
                "must be another customer than previous", path="$.customer_id", code="same_customer"
            )
        return command

    def _events_of(
        self,
        command: Command,
        drafts: Iterable[EventDraft],
        own: Mapping[str, object] | None = None,
    ) -> tuple[tuple[DomainEvent, ...], bool]:
        """The events of ``drafts``, numbered on from :attr:`sequence`, with the command's envelope.

        Each event is what ``draft.cls(**envelope, **draft.fields)`` builds, every
        check of the event included (see :func:`_compile_maker`), but the
        envelope values are converted once per command rather than once per
        event, and the sequence numbers are known to be in range (the callers
        check them).

        Also says whether the events are sound by construction, as
        :meth:`_check_events` would find them once recorded: events of this
        aggregate's kind, carrying its id and event fields as given (no
        converter of the event class touches them), numbered on from its
        sequence, at the command's time. That holds for the events a maker
        built when the aggregate's id is the id field they carry; the caller
        then need not check them again, provided the recorded aggregate's id,
        creation time and event fields are this one's and its last change is
        the command's time, not before this one's (see :meth:`_changed`).

        ``own`` is this aggregate's :meth:`_event_fields`, if the caller has them.
        """
        if own is None:
            own = self._event_fields()
        own_names = tuple(own)
        own_values = tuple(own.values())
        envelope: tuple[object, ...] = ()
        events: list[DomainEvent] = []
        number = self.sequence
        sound = True
        cls = type(self)
        recorders = cls.__dict__.get("_crmcore_recorders_", _NO_RECORDERS)
        for draft in drafts:
            number += 1
            fields = draft.fields
            names = tuple(fields)
            found = recorders.get((draft.cls, own_names, names))
            make, id_field = found or _recorder(cls, draft.cls, own_names, names)
            if make is None:
                events.append(draft.build(self._envelope(command, own, number)))
                sound = False
                continue
            if not envelope:
                envelope = _checked_envelope(command)
            events.append(make(number, *envelope, own_values, fields))
            if id_field is None or own[id_field] is not self.id:
                sound = False
        return tuple(events), sound and (not envelope or envelope[0] is command.at)

    @staticmethod
    def _envelope(command: Command, own: Mapping[str, object], number: int) -> dict[str, object]:
        return {
            "occurred_at": command.at,
            "actor": command.actor,
            "correlation_id": command.correlation_id,
            "causation_id": command.causation_id,
            **own,
            "sequence": number,
        }

    def _envelopes(self, command: Command, count: int) -> list[dict[str, object]]:
        base = {
            "occurred_at": command.at,
            "actor": command.actor,
            "correlation_id": command.correlation_id,
            "causation_id": command.causation_id,
            **self._event_fields(),
        }
        return [{**base, "sequence": self.sequence + n} for n in range(1, count + 1)]

    def _record(self, command: Command, *drafts: EventDraft, **changes: Any) -> Self:
        """Apply ``changes`` and record ``drafts`` as events of ``command``.

        The result is checked like any new aggregate (the changed fields'
        converters and validators, then every invariant; see :meth:`_changed`),
        so a change that breaks a rule raises and leaves ``self`` as it was.
        """
        if self.sequence + len(drafts) > MAX_SEQUENCE:
            raise ValidationError(
                "has recorded the most events an aggregate may", path="$.sequence", code="range"
            )
        own = self._event_fields()
        events, sound = self._events_of(command, drafts, own)
        held = self.pending_events
        pending = held + events
        sequence = self.sequence + len(events)
        if (
            sound
            and "pending_events" not in changes
            and "sequence" not in changes
            and "updated_at" not in changes
        ):
            # The values recorded are good as they are: the events are sound (and so
            # are the events held), the sequence was checked above and the time is
            # aware (the events' converter took it as it is). Only the command's own
            # changes go through their fields' checks; the recorded values are set on
            # the fresh copy (see _changed).
            return self._changed(
                changes,
                known_events=len(pending),
                recorded=(pending, sequence, command.at),
                own=own,
            )
        changes.update(pending_events=pending, sequence=sequence, updated_at=command.at)
        return self._changed(changes, known_events=len(held), own=own)

    def _changed(
        self,
        changes: dict[str, Any],
        *,
        known_events: int = 0,
        recorded: tuple[tuple[DomainEvent, ...], int, datetime] | None = None,
        own: Mapping[str, object] | None = None,
    ) -> Self:
        """A copy with ``changes`` (by init name), checked like any new aggregate.

        ``attrs.evolve`` would run every converter and validator again; the
        fields left unchanged hold values those checks already accepted (the
        aggregate is immutable and so are its values), so only the changed
        fields are converted and validated, and then every invariant runs as
        for a new aggregate. Derived values whose inputs are unchanged (see
        :attr:`derived_inputs`) are carried over.

        ``known_events`` says that the new ``pending_events`` begin with that
        many known to be good (as :meth:`_record` makes them): this
        aggregate's own, then the new events if they are sound by
        construction (see :meth:`_events_of`). Those are not checked again
        unless something they were checked against changes: the id, the
        creation time, the event fields, or a last change moved back.

        ``recorded`` (from :meth:`_record` only) holds the new ``pending_events``,
        ``sequence`` and ``updated_at``, known to pass their fields' checks: they
        are set on the fresh copy as they are, before any invariant runs.

        ``own`` is this aggregate's :meth:`_event_fields`, if the caller has them.
        """
        cls = type(self)
        builder = cls.__dict__.get("_crmcore_builder_", _NO_BUILDER)
        if builder is _NO_BUILDER:
            builder = builder_of(cls, cls.derived_inputs)
        new: Self | None
        if builder is None:
            new = None
        elif recorded is None:
            new = builder.copy(self, changes)
        else:  # the recorded values are set on the fresh copy as they are
            new = builder.copy_taking(self, changes, _RECORDED, recorded)
        if new is None:
            if recorded is not None:
                changes = {**changes, **dict(zip(_RECORDED, recorded, strict=True))}
            return attrs.evolve(self, **changes)
        if cls.__attrs_post_init__ is not Aggregate.__attrs_post_init__:
            new.__attrs_post_init__()
            return new
        # The events this aggregate held stay good if what they were checked against
        # is unchanged: the id, the creation time and the event fields; the last
        # change may only move forward (their upper bound).
        known = known_events
        if (
            not known
            or "id" in changes
            or "created_at" in changes
            or new.updated_at < self.updated_at
            or (
                # Unchanged inputs give the same event fields: the copy holds them as they are.
                (cls.event_field_inputs is None or not cls.event_field_inputs.isdisjoint(changes))
                and new._event_fields() != (self._event_fields() if own is None else own)  # noqa: SLF001
            )
        ):
            known = 0
        new._check_state(known)  # noqa: SLF001 - same class
        return new

    @classmethod
    def _create(
        cls, command: Command, *drafts: EventDraft | Callable[[Self], EventDraft], **fields: Any
    ) -> Self:
        """Build a new aggregate at the command's time and record its first events.

        A draft may be a function of the new aggregate (for events that carry
        computed values, such as an order's total).
        """
        fields.update(created_at=command.at, updated_at=command.at)
        builder = cls.__dict__.get("_crmcore_builder_", _NO_BUILDER)
        if builder is _NO_BUILDER:
            builder = builder_of(cls, cls.derived_inputs)
        made: Self | None = None if builder is None else builder.build(fields)
        if made is None:
            new = cls(**fields)
        else:
            new = made
            if cls.__attrs_post_init__ is Aggregate.__attrs_post_init__:
                new._check_state(0)  # noqa: SLF001 - same class
            else:
                new.__attrs_post_init__()
        events, sound = new._events_of(  # noqa: SLF001 - same class
            command, [d if isinstance(d, EventDraft) else d(new) for d in drafts]
        )
        # ``new`` is fresh and not yet shared: give it its first events in place.
        object.__setattr__(new, "pending_events", events)
        object.__setattr__(new, "sequence", len(events))
        if not (sound and new.created_at is command.at and new.updated_at is command.at):
            new._check_events()  # noqa: SLF001 - same class
        return new

    def _assign_owner(
        self,
        field: str,
        owner: object,
        team: object,
        event: Any,
        command: Command,
        *,
        required: bool = False,
    ) -> Self:
        """The aggregate with its owner (``field``) and team changed, or itself if neither changes.

        The one implementation of ``assign`` on every aggregate with an owner and a
        team: ``owner`` must be a StaffId (or ``None`` unless ``required``); ``team``
        left out (``...``) keeps the team, ``None`` clears it. ``event`` is the event
        class, with fields ``<field>``, ``previous``, ``team`` and ``previous_team``.
        """
        if (owner is not None or required) and type(owner) is not StaffId:
            raise InvalidType(f"must be a StaffId, not {type_name(owner)}", path=f"$.{field}")
        current_team = getattr(self, "team")  # noqa: B009 - every owned aggregate has a team
        new_team = team_argument(team, current_team)
        current = getattr(self, field)
        if owner == current and new_team == current_team:
            return self
        draft = event.draft(
            **{field: owner}, previous=current, team=new_team, previous_team=current_team
        )
        return self._record(command, draft, **{field: owner, "team": new_team})

    def _fact(self, at: datetime, kind: str, key: str, summary: str) -> TimelineEntry:
        """One fact of this aggregate for its customer's timeline."""
        customer_id: Any = getattr(self, "customer_id", None)
        return TimelineEntry(at=at, kind=kind, key=key, customer_id=customer_id, summary=summary)

    def without_pending_events(self) -> Self:
        """The same aggregate with no pending events (what a repository stores)."""
        if not self.pending_events:
            return self
        cls = type(self)
        if cls.__attrs_post_init__ is Aggregate.__attrs_post_init__:
            builder = cls.__dict__.get("_crmcore_builder_", _NO_BUILDER)
            if builder is _NO_BUILDER:
                builder = builder_of(cls, cls.derived_inputs)
            if builder is not None:
                # Every rule held for this aggregate, and none reads the pending events
                # (they are what happened, not state; see _check): the copy without them
                # keeps every rule, so they are not run again. Derived values are kept.
                copy: Self | None = builder.copy_taking(self, {}, ("pending_events",), ((),))
                if copy is not None:
                    return copy
        return self._changed({"pending_events": ()})


class RepointsCustomer(Aggregate[IdT]):
    """Base of the aggregates that name a customer: their ``repoint_customer`` command.

    The aggregate names the event class that records a re-pointing (it
    mixes in :class:`~crmcore._kernel._repoint.CustomerRepointedEvent`) and
    the fields that may hold a customer::

        class Order(RepointsCustomer[OrderId], kind="order"):
            _repointed_by = OrderCustomerRepointed
            _customer_fields = ("customer_id",)
    """

    __slots__ = ()

    #: The event class that records a re-pointing.
    _repointed_by: ClassVar[type[DomainEvent]]
    #: The fields of the aggregate that may name a customer.
    _customer_fields: ClassVar[tuple[str, ...]]

    def repoint_customer(
        self,
        previous: CustomerId,
        customer_id: CustomerId,
        *,
        at: datetime,
        **meta: Unpack[EventMeta],
    ) -> Self:
        """Name ``customer_id`` wherever the record names ``previous``; records one re-pointing event.

        For a merge of duplicates (:mod:`crmcore.merge`; see
        :mod:`crmcore._kernel._repoint`). Each field that may name a customer
        (an order's, a case's or an opportunity's ``customer_id``, a lead's
        ``customer_id`` and ``referred_by``, a relationship's two parties)
        that names ``previous`` names ``customer_id`` instead, and the
        record's ``...CustomerRepointed`` event (such as
        :class:`~crmcore.commerce.OrderCustomerRepointed`) records
        ``previous``, ``customer_id`` and the names of the fields changed.

        Raises:
            InvalidType: ``previous`` or ``customer_id`` is not a CustomerId.
            ValidationError: ``at`` is naive or before the last change
                (``time_backwards``); ``customer_id`` is ``previous``
                (``$.customer_id``, ``same_customer``); no field names
                ``previous`` (``$.previous``, ``not_named``); the result breaks
                the aggregate's rules (a relationship of a party with itself).
                Nothing is applied.
        """
        command = self._begin_repointing(previous, customer_id, at, meta)
        named = tuple(name for name in self._customer_fields if getattr(self, name) == previous)
        if not named:
            raise ValidationError(
                f"must be a customer this {self._noun} names", path="$.previous", code="not_named"
            )
        if self.sequence >= MAX_SEQUENCE:
            raise ValidationError(
                "has recorded the most events an aggregate may", path="$.sequence", code="range"
            )
        own = self._event_fields()
        drafted: dict[str, Any] = {"previous": previous, "fields": named}
        if "customer_id" not in own:
            drafted["customer_id"] = customer_id
        envelope = self._envelope(
            command, repointed_own_fields(own, named, customer_id), self.sequence + 1
        )
        recorded = EventDraft(self._repointed_by, drafted).build(envelope)
        changes: dict[str, Any] = dict.fromkeys(named, customer_id)
        changes.update(
            pending_events=(*self.pending_events, recorded),
            sequence=self.sequence + 1,
            updated_at=command.at,
        )
        return self._changed(changes)

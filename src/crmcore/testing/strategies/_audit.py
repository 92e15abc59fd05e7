"""Strategies for the audit trail: histories of one record, as a unit of work commits them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from hypothesis import strategies as st

from crmcore._kernel._ids import StaffId, TeamId
from crmcore.audit import AuditEntry, AuditLog, FieldChange, RecordChange, diff_documents
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.service import Case
from crmcore.testing.strategies._base import (
    _STEP_OFFSETS,
    _bool_arg,
    _id_pool,
    _ids_of,
    _int_arg,
    _later,
    tags,
)
from crmcore.testing.strategies._customers import (
    _adding_tag,
    _reassigning,
    _recording_consent,
    _renaming,
    _setting_attribute,
    contact_points,
    customers,
)
from crmcore.testing.strategies._service import (
    _assigning,
    _escalating,
    _moving_case,
    _prioritizing,
    _responding,
    cases,
)

#: The record kinds :func:`record_histories` draws.
HISTORY_KINDS: Final = ("case", "customer")

#: One command: (draw, record, when) -> record.
_Step = Callable[[st.DrawFn, Any, datetime], Any]


def _kinds_arg(value: object) -> tuple[str, ...]:
    if value is None:
        return HISTORY_KINDS
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidType("must be an iterable of record kinds", path="$.kinds")
    chosen = tuple(dict.fromkeys(value))
    for index, kind in enumerate(chosen):
        if kind not in HISTORY_KINDS:
            raise ValidationError(
                f"must be one of: {', '.join(HISTORY_KINDS)}",
                path=f"$.kinds[{index}]",
                code="choice",
            )
    if not chosen:
        raise ValidationError("must name at least one kind", path="$.kinds", code="empty")
    return tuple(sorted(chosen))


def record_histories(
    *,
    kinds: Iterable[str] | None = None,
    max_commits: int = 5,
    max_commands: int = 3,
    staff_ids: Iterable[StaffId] | None = None,
    anonymised: bool | None = None,
) -> st.SearchStrategy[tuple[RecordChange, ...]]:
    """The commits of one record's life, as a unit of work hands them to the audit trail.

    The first :class:`~crmcore.audit.RecordChange` adds a record drawn from
    :func:`customers` or :func:`cases` (its history so far in its pending
    events); each next one saves the record as stored (no pending events)
    after 1 to ``max_commands`` commands by one actor at later times: for a
    customer renaming, tagging, a contact point added, an attribute set,
    consent given or withdrawn, reassignment; for a case responses, status
    changes, assignment, priority changes and escalations. The last commit
    may be an anonymisation (:meth:`anonymise`).

    Args:
        kinds: ``"customer"`` and/or ``"case"``; both by default.
        max_commits: the most saves after the addition (0 to 50).
        max_commands: the most commands in one save (1 to 20).
        staff_ids: the actors to draw from (``StaffId`` values); any id by default.
        anonymised: ``True`` to always end with an anonymisation, ``False``
            never; sometimes by default.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range or an unknown kind.

    >>> record_histories(kinds=["order"])
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.kinds[0]: must be one of: case, customer
    """
    chosen = _kinds_arg(kinds)
    commits = _int_arg(max_commits, "$.max_commits", maximum=50)
    commands = _int_arg(max_commands, "$.max_commands", minimum=1, maximum=20)
    actors = _id_pool(staff_ids, "$.staff_ids", StaffId)
    ending = st.booleans() if anonymised is None else st.just(_bool_arg(anonymised, "$.anonymised"))
    teams = _ids_of(TeamId)
    starts: list[st.SearchStrategy[Any]] = []
    if "case" in chosen:
        starts.append(cases(max_steps=2, staff_ids=None))
    if "customer" in chosen:
        starts.append(customers(max_contact_points=2, max_consents=2, max_reassignments=0))
    return _histories(
        starts=st.one_of(starts),
        commits=commits,
        commands=commands,
        actors=actors,
        teams=teams,
        ending=ending,
    )


def _customer_steps(
    actors: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]
) -> tuple[_Step, ...]:
    def tag(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
        drawn = draw(tags())
        return customer if drawn in customer.tags else _adding_tag(drawn)(draw, customer, when)

    def contact(draw: st.DrawFn, customer: Customer, when: datetime) -> Customer:
        point = draw(contact_points())
        if customer.contact_point(point.channel, point.value) is not None:
            return customer
        return customer.add_contact_point(point, at=when)

    return (
        _renaming,
        tag,
        contact,
        _setting_attribute,
        _recording_consent,
        _reassigning(actors, teams),
    )


def _case_steps(
    actors: st.SearchStrategy[StaffId], teams: st.SearchStrategy[TeamId]
) -> tuple[_Step, ...]:
    return (_responding, _moving_case, _assigning(actors, teams), _prioritizing, _escalating)


@st.composite
def _histories(
    draw: st.DrawFn,
    *,
    starts: st.SearchStrategy[Any],
    commits: int,
    commands: int,
    actors: st.SearchStrategy[StaffId],
    teams: st.SearchStrategy[TeamId],
    ending: st.SearchStrategy[bool],
) -> tuple[RecordChange, ...]:
    record = draw(starts)
    kind, ident = record.aggregate_kind, record.id.value
    steps = (
        _customer_steps(actors, teams)
        if isinstance(record, Customer)
        else _case_steps(actors, teams)
    )
    changes = [
        RecordChange(
            aggregate_kind=kind,
            aggregate_id=ident,
            after=record,
            actor=draw(st.none() | actors.map(str)),
            at=record.updated_at,
        )
    ]
    when = record.updated_at
    for _ in range(draw(st.integers(0, commits))):
        stored = record.without_pending_events()
        record = stored
        for _ in range(draw(st.integers(1, commands))):
            when = _later(when, draw(_STEP_OFFSETS))
            record = draw(st.sampled_from(steps))(draw, record, when)
        changes.append(_saved(draw, stored, record, actors))
    if draw(ending):
        stored = record.without_pending_events()
        record = stored.anonymise(at=_later(when, draw(_STEP_OFFSETS)))
        changes.append(_saved(draw, stored, record, actors))
    return tuple(changes)


def _saved(
    draw: st.DrawFn,
    stored: Customer | Case,
    record: Customer | Case,
    actors: st.SearchStrategy[StaffId],
) -> RecordChange:
    events = record.pending_events
    return RecordChange(
        aggregate_kind=record.aggregate_kind,
        aggregate_id=record.id.value,
        before=stored,
        after=record,
        actor=draw(actors.map(str)),
        # A unit of work gives the newest event's time; a save with no event, none.
        at=events[-1].occurred_at if events else None,
    )


# -- field changes and audit entries --------------------------------------------------------

_KEYS: Final = st.sampled_from(("name", "given", "tags", "value", "tier-1", "a.b")) | st.text(
    min_size=1, max_size=8
)
_SCALARS: Final = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
_JSON_VALUES: Final = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def json_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Small JSON documents (dicts of JSON values, keys plain or not) to diff and replay."""
    return st.dictionaries(_KEYS, _JSON_VALUES, max_size=6)


def field_changes() -> st.SearchStrategy[FieldChange]:
    """Valid :class:`~crmcore.audit.FieldChange` values: the changes between two drawn documents.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None, database=None)
    ... @given(field_changes())
    ... def check(change):
    ...     assert FieldChange.from_dict(change.to_dict()) == change
    >>> check()
    """
    pairs = st.tuples(json_documents(), json_documents()).filter(lambda pair: pair[0] != pair[1])
    return pairs.map(lambda pair: diff_documents(*pair)).flatmap(st.sampled_from)


def audit_entries(
    *,
    kinds: Iterable[str] | None = None,
    max_commits: int = 5,
    max_commands: int = 3,
    staff_ids: Iterable[StaffId] | None = None,
    anonymised: bool | None = None,
) -> st.SearchStrategy[AuditEntry]:
    """Valid :class:`~crmcore.audit.AuditEntry` values, recorded from :func:`record_histories`.

    Takes the options of :func:`record_histories`.
    """
    histories = record_histories(
        kinds=kinds,
        max_commits=max_commits,
        max_commands=max_commands,
        staff_ids=staff_ids,
        anonymised=anonymised,
    )
    return histories.map(_entries_of).flatmap(st.sampled_from)


def _entries_of(history: tuple[RecordChange, ...]) -> tuple[AuditEntry, ...]:
    log = AuditLog()
    for change in history:
        log.record_commit([change])
    return log.entries

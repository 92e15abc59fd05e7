"""Building blocks of a SQL document store: rows in, aggregates and events out.

A database adapter that keeps each aggregate as a JSON document in a row
(``id``, ``version``, ``document``), with a reference column per reference
field, an index column per secondary index and an outbox table of events,
needs the same checks whatever its database: these functions are them, so
that every adapter reports a corrupt row the same way (a
:class:`~crmcore.errors.ValidationError` with code ``corrupt_document`` whose
path names the table, the row and the column) and refuses the same versions.
The SQLite and PostgreSQL adapters (``crmcore-sqlite``, ``crmcore-postgres``)
are built on them.

>>> from datetime import datetime, timezone
>>> from crmcore import Customer, CustomerId, PersonName
>>> from crmcore.repository import CUSTOMERS, decode_document, encode_document
>>> at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
>>> ana = Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=at)
>>> text = encode_document(CUSTOMERS.to_document(ana))
>>> decode_document(CUSTOMERS, "c-1", 0, text) == ana
True
>>> decode_document(CUSTOMERS, "c-1", 0, "{not json")
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.customers[c-1].document: must be a valid JSON document
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final, TypeVar, cast

from crmcore._kernel._aggregate import MAX_VERSION
from crmcore._kernel._events import DomainEvent
from crmcore.errors import ConcurrencyConflict, DuplicateId, ValidationError
from crmcore.repository._ports import Aggregate
from crmcore.repository._storage import Change, ChangeSet
from crmcore.repository._store import AggregateSpec
from crmcore.serialization import from_dict, to_dict

__all__ = [
    "MAX_VERSION",
    "RowWrite",
    "check_expected_versions",
    "check_row_version",
    "check_stored_versions",
    "decode_document",
    "decode_event_row",
    "encode_document",
    "encode_event",
    "index_column",
    "load_document",
    "reference_column",
    "referenced_elsewhere",
    "row_columns",
    "spec_signature",
    "writes_by_spec",
]

A = TypeVar("A", bound=Aggregate)

#: The one JSON encoder of documents: compact, keys sorted, text kept as is.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
#: Marks an id with no stored row, when comparing versions.
_ABSENT: Final[Any] = object()


def encode_document(document: dict[str, Any]) -> str:
    """The JSON text stored for a document: compact, with sorted keys.

    >>> encode_document({"b": 1, "a": "é"})
    '{"a":"é","b":1}'
    """
    return _ENCODER.encode(document)


def encode_event(event: DomainEvent) -> str:
    """The JSON text stored in an outbox row for an event (:func:`crmcore.serialization.to_dict`).

    :func:`decode_event_row` reads it back.
    """
    return encode_document(to_dict(event))


def load_document(text: object, path: str) -> object:
    """Parse the JSON text of a stored column, or raise a ``ValidationError`` at ``path``.

    Anything but a ``str`` or ``bytes`` is refused, and so is text that is not
    JSON (nesting too deep included), with code ``corrupt_document``; the
    message never quotes the text.

    >>> load_document('{"a": [1, 2]}', "$.t[x].document")
    {'a': [1, 2]}
    >>> load_document(7, "$.t[x].document")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.t[x].document: must be a JSON text
    """
    if not isinstance(text, (str, bytes)):
        raise ValidationError("must be a JSON text", path=path, code="corrupt_document")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError(
            "must be a valid JSON document", path=path, code="corrupt_document"
        ) from None


def check_row_version(table: str, ident: object, version: object) -> int:
    """A version read from a row: an ``int`` from 0 to ``MAX_VERSION`` (2**53 - 1).

    Anything else raises a ``ValidationError`` with code ``corrupt_document``
    at ``$.<table>[<ident>].version``.

    >>> check_row_version("customers", "c-1", 3)
    3
    >>> check_row_version("customers", "c-1", "3")
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.customers[c-1].version: must be an integer
    """
    path = f"$.{table}[{ident}].version"
    if type(version) is not int:
        raise ValidationError("must be an integer", path=path, code="corrupt_document")
    if not 0 <= version <= MAX_VERSION:
        raise ValidationError("must be from 0 to 2**53 - 1", path=path, code="corrupt_document")
    return version


def check_expected_versions(changes: ChangeSet) -> None:
    """Refuse, before binding any, expected versions crmcore never makes.

    Each change's ``expected_version`` must be ``None`` or an ``int`` from 0
    to 2**53 - 1 (a 64-bit column holds it); else a ``ValidationError`` with
    code ``range`` at ``$.changes[<position>].expected_version``.
    """
    for position, change in enumerate(changes.changes):
        expected = change.expected_version
        if expected is not None and (type(expected) is not int or not 0 <= expected <= MAX_VERSION):
            raise ValidationError(
                "must be None or an int from 0 to 2**53 - 1",
                path=f"$.changes[{position}].expected_version",
                code="range",
            )


def decode_document(spec: AggregateSpec[A], ident: str, version: object, document: object) -> A:
    """The aggregate of a row of ``spec``'s table: its id, version and document text.

    The version is checked (:func:`check_row_version`), the document parsed
    (:func:`load_document`) and rebuilt by ``spec.from_document``; the
    aggregate must hold the row's id and version. Every fault is a
    ``ValidationError`` under ``$.<spec.name>[<ident>].document`` (or
    ``.version``).
    """
    path = f"$.{spec.name}[{ident}].document"
    check_row_version(spec.name, ident, version)
    data = load_document(document, path)
    try:
        aggregate = spec.from_document(data)
    except ValidationError as exc:
        raise exc.under(path) from None
    if str(aggregate.id) != ident or aggregate.version != version:
        raise ValidationError(
            "must hold the id and version of its row", path=path, code="corrupt_document"
        )
    return aggregate


def decode_event_row(seq: object, document: object) -> DomainEvent:
    """The event of an outbox row (its sequence number and JSON text, see :func:`encode_event`).

    Faults are ``ValidationError`` under ``$.outbox[<seq>].event``.

    >>> decode_event_row(4, "[]")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.outbox[4].event: must be an object, not an array
    """
    path = f"$.outbox[{seq}].event"
    data = load_document(document, path)
    try:
        return from_dict(DomainEvent, data)
    except ValidationError as exc:
        raise exc.under(path) from None


def reference_column(field: str) -> str:
    """The column of a reference field (names are checked by ``AggregateSpec``: safe in SQL).

    >>> reference_column("customer_id")
    'ref_customer_id'
    """
    return f"ref_{field}"


def index_column(name: str) -> str:
    """The column of a secondary index, holding the value of an aggregate with exactly one.

    >>> index_column("status")
    'ix_status'
    """
    return f"ix_{name}"


def row_columns(spec: AggregateSpec[Any]) -> list[str]:
    """The reference and index columns of a spec's table, in the order :class:`RowWrite` binds.

    >>> from crmcore.repository import REVIEWS
    >>> row_columns(REVIEWS)
    ['ref_customer_id', 'ix_customer', 'ix_platform']
    """
    return [
        *(reference_column(field) for field, _ in spec.references),
        *(index_column(name) for name in spec.index_names),
    ]


def spec_signature(spec: AggregateSpec[Any]) -> str:
    """What a database records of a spec: its natural keys, indexes and references, by name.

    A store opened later with a spec of another signature would miss rows in
    its keys or indexes: compare the recorded text with this one.

    >>> from crmcore.repository import CUSTOMERS, REVIEWS
    >>> spec_signature(CUSTOMERS)
    'keys=email,phone;indexes=;references='
    >>> spec_signature(REVIEWS)
    'keys=;indexes=customer,platform;references=customer_id>customers'
    """
    references = ",".join(f"{field}>{target}" for field, target in spec.references)
    return (
        f"keys={','.join(spec.key_names)};indexes={','.join(spec.index_names)}"
        f";references={references}"
    )


class RowWrite:
    """One change of a change set, with everything its statements bind, computed before writing.

    ``ident`` is the id as text; ``document`` the encoded aggregate and
    ``version`` its version (both ``None`` for a removal); ``keys`` the
    aggregate's natural keys, sorted; ``columns`` the row's reference columns
    (the id named, or ``None``) then index columns (the value when the
    aggregate holds exactly one for that index, else ``None``), in the order
    of :func:`row_columns`; ``index`` the sorted ``(name, value)`` entries of
    the indexes it holds several values of, for a side table.
    """

    __slots__ = ("change", "columns", "document", "ident", "index", "keys", "version")

    def __init__(self, change: Change[Any]) -> None:
        self.change = change
        self.ident = str(change.aggregate_id)
        aggregate = change.aggregate
        spec = change.spec
        self.document = None if aggregate is None else encode_document(spec.to_document(aggregate))
        self.version = None if aggregate is None else cast("Aggregate", aggregate).version
        self.keys: list[tuple[str, str]] = []
        self.index: list[tuple[str, str]] = []
        self.columns: tuple[str | None, ...] = ()
        if aggregate is None:
            return
        self.keys = sorted(spec.keys_of(aggregate))
        named = {field: str(target) for field, _, target in spec.references_of(aggregate)}
        values: dict[str, list[str]] = {}
        for name, value in spec.index_values(aggregate):
            values.setdefault(name, []).append(value)
        single = {name: found[0] for name, found in values.items() if len(found) == 1}
        self.columns = (
            *(named.get(field) for field, _ in spec.references),
            *(single.get(name) for name in spec.index_names),
        )
        self.index = sorted(
            (name, value) for name, found in values.items() if len(found) > 1 for value in found
        )


def writes_by_spec(writes: Iterable[RowWrite]) -> dict[str, list[RowWrite]]:
    """The writes grouped by spec name, in the order each spec first appears."""
    groups: dict[str, list[RowWrite]] = {}
    for write in writes:
        groups.setdefault(write.change.spec.name, []).append(write)
    return groups


def check_stored_versions(
    writes: Iterable[RowWrite], stored: dict[tuple[str, str], object]
) -> None:
    """Compare the versions read from the rows a change set touches with those it expects.

    ``stored`` maps ``(spec name, id)`` to the version column of each row
    found (rows not found are left out). A change whose expected version
    differs raises ``ConcurrencyConflict`` (saves and removals first, in the
    change set's order); then an added aggregate whose id is stored raises
    ``DuplicateId``. A stored version that is not one crmcore makes raises
    the ``ValidationError`` of :func:`check_row_version`.
    """
    ordered = list(writes)
    for write in ordered:
        change = write.change
        if change.expected_version is None:
            continue
        found = stored.get((change.spec.name, write.ident), _ABSENT)
        if found != change.expected_version:
            raise ConcurrencyConflict(
                change.spec.kind,
                change.aggregate_id,
                expected_version=change.expected_version,
                actual_version=None
                if found is _ABSENT
                else check_row_version(change.spec.name, write.ident, found),
            )
    for write in ordered:
        change = write.change
        added = change.expected_version is None and write.document is not None
        if added and (change.spec.name, write.ident) in stored:
            raise DuplicateId(change.spec.kind, change.aggregate_id)


def referenced_elsewhere(
    specs: Iterable[AggregateSpec[Any]], changes: ChangeSet
) -> dict[str, set[str]]:
    """The ids, by spec name, that the change set's aggregates name and do not change.

    Only targets among ``specs`` (those the store keeps) count: a store
    checking references looks these up (with one query per table) before
    :func:`~crmcore.repository.verify_references` asks about them.
    """
    kept = {spec.name for spec in specs}
    changed = {(c.spec.name, str(c.aggregate_id)) for c in changes.changes}
    named: dict[str, set[str]] = {}
    for change in changes.changes:
        if change.aggregate is not None:
            for _, target, target_id in change.spec.references_of(change.aggregate):
                ident = str(target_id)
                if target in kept and (target, ident) not in changed:
                    named.setdefault(target, set()).add(ident)
    return named

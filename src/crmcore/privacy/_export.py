"""Export: everything held about one data subject, as one JSON-ready document with a manifest.

A data subject may ask what is held about them (the right of access: UU PDP
art. 7, GDPR art. 15). :func:`export_subject` reads, inside the caller's unit
of work, the customer, the tombstones of the customers merged into it and
every record naming it, and renders them through
:func:`crmcore.serialization.to_dict`. The :class:`ExportManifest` says what
is included (per kind: how many records and their ids), when, in which
schema version, and what is deliberately left out and why.

The same set of records is what :func:`~crmcore.privacy.erase_subject`
anonymises, so an export taken before an erasure lists exactly what the
erasure will change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._ids import CustomerId
from crmcore._kernel._refs import RecordRef
from crmcore.customers import Customer, CustomerMerged
from crmcore.errors import InvalidType, ValidationError
from crmcore.serialization import SCHEMA_VERSION, to_dict

if TYPE_CHECKING:
    from crmcore.repository import UnitOfWork

__all__ = [
    "EXPORT_EXCLUSIONS",
    "SUBJECT_REPOSITORIES",
    "ExportManifest",
    "ExportSection",
    "SubjectExport",
    "export_subject",
]

#: The repositories whose records an export covers (and an erasure anonymises), in document
#: order: the customer and its absorbed tombstones first, the records naming it after.
SUBJECT_REPOSITORIES: Final = (
    "customers",
    "relationships",
    "orders",
    "subscriptions",
    "interactions",
    "cases",
    "reviews",
    "surveys",
    "loyalty_accounts",
    "leads",
    "opportunities",
    "activities",
    "notes",
    "privacy_requests",
)

#: What an export leaves out on purpose, and why (the manifest repeats it).
EXPORT_EXCLUSIONS: Final[Mapping[str, str]] = {
    "staff": (
        "staff members and teams are data about employees, not about the subject: "
        "records name them by id only"
    ),
    "other_parties": (
        "the other party of a relationship, and records that name the subject only as an "
        "involved contact or a referrer, belong to other customers: they are named by id only"
    ),
    "events": (
        "domain events already delivered have left the store's outbox; events carry ids "
        "and codes only, never a personal value"
    ),
    "derived": (
        "segments, scores and predictions are computed on demand from the records "
        "exported here and are not stored"
    ),
    "host_data": "data the host application keeps outside crmcore's repositories",
}


def _customer_id(value: object, path: str) -> CustomerId:
    if type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path=path)
    return value


def service_unit(unit: UnitOfWork, action: str, customer_id: object) -> UnitOfWork:
    """The unit an export or an erasure of ``customer_id`` works on.

    An access-guarded unit (:class:`~crmcore.access.GuardedUnitOfWork`)
    first checks that its principal may take ``action`` (``export`` or
    ``erase``) on the customer (a refusal raises
    :class:`~crmcore.access.AccessDenied` and is recorded), then lets the
    service see every record about the subject whole: an erasure must reach
    masked fields and records out of the principal's scope, and an export is
    the subject's own data. Any other unit is used as it is.
    """
    from crmcore.repository import UnitOfWork  # noqa: PLC0415 - the repository imports this package

    if not isinstance(unit, UnitOfWork):
        raise InvalidType(f"must be a UnitOfWork, not {type_name(unit)}", path="$.unit")
    subject_id = _customer_id(customer_id, "$.customer_id")
    hook = getattr(unit, "_service_unit", None)
    if not callable(hook):
        return unit
    customer = unit.customers.get(subject_id)  # the principal must be able to see whom
    served: UnitOfWork = hook(action, customer)
    return served


def _texts(value: object, path: str) -> None:
    if type(value) is not tuple or not all(type(item) is str for item in value):
        raise InvalidType(f"must be a tuple of str, not {type_name(value)}", path=path)


def _of(value: object, cls: type, path: str) -> None:
    if not isinstance(value, cls):
        raise InvalidType(f"must be a {cls.__name__}, not {type_name(value)}", path=path)


#: The deepest nesting an export's document may have (a record's document is far shallower).
_MAX_DEPTH: Final = 64


def _check_json(value: object, path: str, depth: int) -> None:
    """Refuse anything but plain JSON values: str keys; str, int, float, bool, None leaves."""
    if depth > _MAX_DEPTH:
        raise ValidationError("is nested too deeply", path=path, code="too_deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidType(f"must have str keys, not {type_name(key)}", path=path)
            _check_json(item, f"{path}[*]", depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, f"{path}[*]", depth + 1)
    elif value is not None and type(value) not in (str, int, float, bool):
        raise InvalidType(f"must hold JSON values only, not {type_name(value)}", path=path)


#: The repositories whose records may carry notes and activities of their own.
_LINKABLE: Final = ("orders", "subscriptions", "cases", "leads", "opportunities")


def _linked(unit: UnitOfWork, repository: str, named: dict[str, list[Any]]) -> list[Any]:
    """The notes or activities linked to the subject's orders, cases, leads, ... (not to it)."""
    records: Any = getattr(unit, repository)
    found: dict[Any, Any] = {record.id: record for record in named.get(repository, [])}
    for kind in _LINKABLE:
        for record in named.get(kind, []):
            for linked in records.linked_to(RecordRef.to(record.id)):
                found.setdefault(linked.id, linked)
    return [found[key] for key in sorted(found)]


def _absorbed_into(unit: UnitOfWork, customer_id: CustomerId) -> list[Customer]:
    """The tombstones of every customer merged into ``customer_id``, directly or through others.

    One pass over the customers (the ports have no index of ``merged_into``
    yet), then the merge chains followed back from the subject.
    """
    into: dict[CustomerId, list[Customer]] = {}
    for customer in unit.customers:
        if customer.merged_into is not None:
            into.setdefault(customer.merged_into, []).append(customer)
    found: dict[CustomerId, Customer] = {}
    waiting = [customer_id]
    while waiting:  # each customer names one survivor, and the subject none: no cycle
        for tombstone in into.get(waiting.pop(), ()):
            found[tombstone.id] = tombstone
            waiting.append(tombstone.id)
    return [found[key] for key in sorted(found)]


def _naming(unit: UnitOfWork, repository: str, customer_ids: list[CustomerId]) -> list[Any]:
    """The records of ``repository`` naming any of ``customer_ids``, once each, by ascending id."""
    records: Any = getattr(unit, repository)
    found: dict[Any, Any] = {}
    for customer_id in customer_ids:
        named = (
            records.for_party(customer_id)
            if repository == "relationships"
            else records.for_customer(customer_id)
        )
        for record in named:
            found.setdefault(record.id, record)
    return [found[key] for key in sorted(found)]


@attrs.frozen(slots=True)
class SubjectRecords:
    """The customer and every record about it, loaded and checked (internal to the package)."""

    customer: Customer
    absorbed: tuple[Customer, ...]
    #: Per repository of :data:`SUBJECT_REPOSITORIES` after ``customers``, its records.
    named: tuple[tuple[str, tuple[Any, ...]], ...]

    def sections(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Each repository's records, ``customers`` first (the subject, then its tombstones)."""
        yield "customers", (self.customer, *self.absorbed)
        yield from self.named


def subject_records(unit: UnitOfWork, customer_id: object) -> SubjectRecords:
    """Load the subject and everything about it; an absorbed customer names its survivor.

    Raises:
        InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        NotFound: no customer has that id.
        CustomerMerged: the customer was merged into another; the error names the survivor.
    """
    subject_id = _customer_id(customer_id, "$.customer_id")
    customer = unit.customers.get(subject_id)
    if customer.merged_into is not None:
        raise CustomerMerged.of(customer.id, customer.merged_into, path="$.customer_id")
    absorbed = _absorbed_into(unit, subject_id)
    ids = [subject_id, *(tombstone.id for tombstone in absorbed)]
    found = {repository: _naming(unit, repository, ids) for repository in SUBJECT_REPOSITORIES[1:]}
    for repository in ("activities", "notes"):
        found[repository] = _linked(unit, repository, found)
    named = tuple((repository, tuple(found[repository])) for repository in SUBJECT_REPOSITORIES[1:])
    return SubjectRecords(customer, tuple(absorbed), named)


@attrs.frozen(slots=True)
class ExportSection:
    """One kind of record in an export: its repository, how many records, and their ids.

    .. versionadded:: 0.1
    """

    #: The repository the records come from (``"orders"``), also the document's key.
    kind: str
    #: The ids of the records exported, in the document's order (ascending, the subject first
    #: among customers).
    ids: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if type(self.kind) is not str or self.kind not in SUBJECT_REPOSITORIES:
            raise ValidationError(
                "must be a repository an export covers", path="$.kind", code="choice"
            )
        _texts(self.ids, "$.ids")

    @property
    def count(self) -> int:
        """How many records of this kind are exported."""
        return len(self.ids)


@attrs.frozen(slots=True)
class ExportManifest:
    """What an export holds: per kind, the records; when; in which schema; what it leaves out.

    .. versionadded:: 0.1
    """

    #: The data subject: the customer exported.
    customer_id: CustomerId
    #: When the export was taken (the ``at`` given).
    generated_at: datetime
    #: The :data:`crmcore.serialization.SCHEMA_VERSION` of the records' documents.
    schema_version: int
    #: One section per repository of :data:`SUBJECT_REPOSITORIES`, in that order (empty ones too).
    sections: tuple[ExportSection, ...]
    #: What is not included, and why: ``(what, reason)`` pairs from :data:`EXPORT_EXCLUSIONS`.
    excluded: tuple[tuple[str, str], ...]

    def __attrs_post_init__(self) -> None:
        _of(self.customer_id, CustomerId, "$.customer_id")
        require_aware(self.generated_at, "$.generated_at")
        if type(self.schema_version) is not int:
            raise InvalidType(
                f"must be an int, not {type_name(self.schema_version)}", path="$.schema_version"
            )
        if type(self.sections) is not tuple:
            raise InvalidType(f"must be a tuple, not {type_name(self.sections)}", path="$.sections")
        for index, section in enumerate(self.sections):
            _of(section, ExportSection, f"$.sections[{index}]")
        if type(self.excluded) is not tuple:
            raise InvalidType(f"must be a tuple, not {type_name(self.excluded)}", path="$.excluded")
        for index, pair in enumerate(self.excluded):
            _texts(pair, f"$.excluded[{index}]")

    @property
    def counts(self) -> dict[str, int]:
        """How many records of each kind the export holds."""
        return {section.kind: section.count for section in self.sections}

    @property
    def total(self) -> int:
        """How many records the export holds in all."""
        return sum(section.count for section in self.sections)

    def as_document(self) -> dict[str, Any]:
        """The manifest as plain JSON types (the ``"manifest"`` of the export's document)."""
        return {
            "customer_id": self.customer_id.value,
            "generated_at": self.generated_at.isoformat(),
            "schema_version": self.schema_version,
            "sections": [
                {"kind": section.kind, "count": section.count, "ids": list(section.ids)}
                for section in self.sections
            ],
            "excluded": [{"what": what, "reason": reason} for what, reason in self.excluded],
        }


@attrs.frozen(slots=True, repr=False)
class SubjectExport:
    """Everything held about one data subject: a JSON-ready document and its manifest.

    ``document`` holds only plain JSON types (``json.dumps`` takes it as
    is): ``{"manifest": {...}, "records": {"customers": [...], "orders": [...], ...}}``,
    each record an entry ``{"type": class name, "document": to_dict(record)}``.
    Its ``repr`` names the subject and the counts only: the document is
    personal data.

    .. versionadded:: 0.1
    """

    manifest: ExportManifest
    document: dict[str, Any]

    def __attrs_post_init__(self) -> None:
        _of(self.manifest, ExportManifest, "$.manifest")
        _of(self.document, dict, "$.document")
        _check_json(self.document, "$.document", 0)

    def __repr__(self) -> str:
        return (
            f"SubjectExport(customer_id={self.manifest.customer_id!r}, "
            f"records={self.manifest.total})"
        )


def _entry(record: object) -> dict[str, Any]:
    # The class name tells the variants of one repository apart (survey answers).
    return {"type": type(record).__name__, "document": to_dict(record)}


def export_subject(unit: UnitOfWork, customer_id: CustomerId, *, at: datetime) -> SubjectExport:
    """Everything the unit's repositories hold about one customer, as one document.

    Covered: the customer, the tombstones of customers merged into it, its
    relationships (either side), and its orders, subscriptions,
    interactions, cases, reviews, survey answers, loyalty accounts, leads,
    opportunities, activities, notes and data-subject requests (each
    repository's ``for_customer``, for the subject and its tombstones).
    Sections and records come in a fixed order (:data:`SUBJECT_REPOSITORIES`,
    ids ascending), so the same data always gives the same document. Nothing
    is changed; call it inside a ``with unit:`` block. Through an
    access-guarded unit the principal needs the ``export`` action on the
    customer, and reads each record as the policy shows it (masked fields
    exported masked).

    Args:
        unit: an open unit of work.
        customer_id: the data subject.
        at: when the export is taken (timezone-aware); the manifest records it.

    Raises:
        InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        ValidationError: ``at`` is naive.
        NotFound: no customer has that id.
        CustomerMerged: the customer was merged into another; its ``survivor_id``
            is the customer to export instead.
        AccessDenied: through an access-guarded unit, the principal may not
            export the customer.
    """
    when = require_aware(at, "$.at")
    unit = service_unit(unit, "export", customer_id)
    found = subject_records(unit, customer_id)
    records: dict[str, list[dict[str, Any]]] = {}
    sections: list[ExportSection] = []
    for kind, items in found.sections():
        records[kind] = [_entry(record) for record in items]
        sections.append(ExportSection(kind, tuple(record.id.value for record in items)))
    manifest = ExportManifest(
        customer_id=found.customer.id,
        generated_at=when,
        schema_version=SCHEMA_VERSION,
        sections=tuple(sections),
        excluded=tuple(EXPORT_EXCLUSIONS.items()),
    )
    return SubjectExport(manifest, {"manifest": manifest.as_document(), "records": records})

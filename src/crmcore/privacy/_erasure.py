"""Erasure: every personal field about one data subject replaced by a tombstone, in one unit of work.

A data subject may ask to be erased (UU PDP art. 8 and 16, GDPR art. 17).
:func:`erase_subject` anonymises, in the caller's unit of work, every record
an export covers (:func:`~crmcore.privacy.export_subject`): the records
naming the customer, the tombstones of customers merged into it, and the
customer last. Each record is changed through its own ``anonymise`` command
(:class:`~crmcore.HoldsPersonalData`), so what stays is what the record
needs without the person: an order keeps its lines, amounts and payments,
consent history keeps its dates and purposes as proof without an identity.
The events recorded (``...Anonymised``) name the fields replaced, never
their values, and carry the envelope keywords given (``actor``,
``correlation_id`` such as the request's id, ``causation_id``).

Everything is checked before anything is saved, and nothing is committed:
the caller commits, so either the whole erasure applies or none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Unpack

import attrs

from crmcore._kernel._checks import require_aware, type_name
from crmcore._kernel._events import EventMeta, check_meta
from crmcore._kernel._ids import CustomerId
from crmcore._kernel._personal import HoldsPersonalData
from crmcore.customers import Customer
from crmcore.errors import InvalidType, ValidationError
from crmcore.privacy._export import SubjectRecords, service_unit, subject_records
from crmcore.privacy._subject_errors import refuse_erasure

if TYPE_CHECKING:
    from crmcore.repository import UnitOfWork

__all__ = ["ErasedRecord", "ErasureReport", "erase_subject"]


#: The aggregate kind of the records of each repository an erasure goes through.
_AGGREGATE_KINDS: Final = {
    "customers": "customer",
    "relationships": "relationship",
    "orders": "order",
    "subscriptions": "subscription",
    "interactions": "interaction",
    "cases": "case",
    "reviews": "review",
    "surveys": "survey_response",
    "loyalty_accounts": "loyalty_account",
    "leads": "lead",
    "opportunities": "opportunity",
    "activities": "activity",
    "notes": "note",
    "privacy_requests": "privacy_request",
}


@attrs.frozen(slots=True)
class ErasedRecord:
    """One record an erasure went through: its repository, its id, the personal fields replaced.

    ``fields`` is empty for a record that held nothing personal any more (or
    holds no personal fields at all, such as a loyalty account): it was
    checked and left as it was. Values are never listed.

    .. versionadded:: 0.1
    """

    #: The repository of the record (``"orders"``), as in the export's manifest.
    kind: str
    #: The record's id.
    record_id: str
    #: The personal fields replaced by tombstones, in the record's order.
    fields: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if type(self.kind) is not str or self.kind not in _AGGREGATE_KINDS:
            raise ValidationError(
                "must be a repository an erasure goes through", path="$.kind", code="choice"
            )
        if type(self.record_id) is not str:
            raise InvalidType(f"must be a str, not {type_name(self.record_id)}", path="$.record_id")
        if type(self.fields) is not tuple or not all(type(f) is str for f in self.fields):
            raise InvalidType(
                f"must be a tuple of str, not {type_name(self.fields)}", path="$.fields"
            )

    @property
    def changed(self) -> bool:
        """Whether the erasure replaced anything in this record."""
        return bool(self.fields)

    @property
    def aggregate_kind(self) -> str:
        """The record's aggregate kind (``"order"``), as events and the audit log name it."""
        return _AGGREGATE_KINDS[self.kind]


@attrs.frozen(slots=True)
class ErasureReport:
    """What an erasure did: every record it went through and the fields it replaced.

    The report names kinds, ids and field names, never a value, so it can be
    kept as the proof that a request was carried out.

    .. versionadded:: 0.1
    """

    #: The data subject erased.
    customer_id: CustomerId
    #: When the erasure was made (the ``at`` given).
    at: datetime
    #: Every record gone through, in the order saved (the customer last).
    records: tuple[ErasedRecord, ...]

    def __attrs_post_init__(self) -> None:
        if type(self.customer_id) is not CustomerId:
            raise InvalidType(
                f"must be a CustomerId, not {type_name(self.customer_id)}", path="$.customer_id"
            )
        require_aware(self.at, "$.at")
        if type(self.records) is not tuple:
            raise InvalidType(f"must be a tuple, not {type_name(self.records)}", path="$.records")
        for index, record in enumerate(self.records):
            if not isinstance(record, ErasedRecord):
                raise InvalidType(
                    f"must be an ErasedRecord, not {type_name(record)}", path=f"$.records[{index}]"
                )

    @property
    def changed(self) -> tuple[ErasedRecord, ...]:
        """The records in which personal fields were replaced."""
        return tuple(record for record in self.records if record.fields)

    @property
    def audit_keys(self) -> tuple[tuple[str, str], ...]:
        """``(aggregate kind, id)`` of each record changed: what ``AuditLog.erase_values`` takes.

        Run ``log.erase_values(report.audit_keys)`` after the unit committed,
        so the field history keeps none of the erased values either.
        """
        return tuple((record.aggregate_kind, record.record_id) for record in self.changed)

    @property
    def unchanged(self) -> tuple[ErasedRecord, ...]:
        """The records checked and kept as they were (nothing personal in them)."""
        return tuple(record for record in self.records if not record.fields)

    def counts(self) -> dict[str, int]:
        """How many records of each kind were changed."""
        counts: dict[str, int] = {}
        for record in self.changed:
            counts[record.kind] = counts.get(record.kind, 0) + 1
        return counts


def _anonymised(record: Any, *, at: datetime, meta: dict[str, Any]) -> tuple[Any, tuple[str, ...]]:
    """The record after its ``anonymise`` command, and the fields its event names."""
    if not isinstance(record, HoldsPersonalData):
        return record, ()  # nothing personal to replace
    if isinstance(record, Customer) and record.is_erased:
        return record, ()  # a tombstone erased before: its anonymise would refuse
    after = record.anonymise(at=at, **meta)
    if after is record:
        return record, ()  # nothing personal left
    recorded: Any = after.pending_events[-1]  # its ...Anonymised event names the fields
    return after, tuple(recorded.fields)


def _planned(
    found: SubjectRecords, *, at: datetime, meta: dict[str, Any]
) -> Iterator[tuple[str, Any, Any]]:
    # The records naming the subject, then the absorbed tombstones, then the customer.
    for kind, records in found.named:
        for record in records:
            yield kind, record, _anonymised(record, at=at, meta=meta)
    for record in (*found.absorbed, found.customer):
        yield "customers", record, _anonymised(record, at=at, meta=meta)


def erase_subject(
    unit: UnitOfWork, customer_id: CustomerId, *, at: datetime, **meta: Unpack[EventMeta]
) -> ErasureReport:
    """Anonymise everything held about one customer, in the caller's unit of work (not committed).

    The records are those :func:`~crmcore.privacy.export_subject` covers.
    First the customer is checked (not merged into another, not erased
    already, under no legal hold) and every record's anonymised form is
    computed; only then is each one saved: the records naming the customer,
    the tombstones of the customers merged into it, and the customer last.
    A record whose ``anonymise`` changes nothing (erased before, or holding
    no personal fields) is listed with no fields and not saved.

    Commit the unit to apply the erasure; leave the block without committing
    and nothing of it applies. When a save fails midway (the store refuses
    it, or an access-guarded unit denies it), the unit is rolled back before
    the error propagates, so no part of the erasure can be committed; the
    unit's other uncommitted changes are discarded with it.

    Through an access-guarded unit (:class:`~crmcore.access.GuardedUnitOfWork`)
    the principal needs the ``erase`` action on the customer (checked before
    anything is saved, the refusal recorded for audit) and on every record
    saved.

    Args:
        unit: an open unit of work.
        customer_id: the data subject.
        at: when the erasure is made (timezone-aware, not before any record's last change).
        **meta: the event envelope: ``actor``, ``correlation_id`` (the request's id, say),
            ``causation_id``.

    Raises:
        InvalidType: ``customer_id`` is not a :class:`~crmcore.CustomerId`.
        ValidationError: ``at`` is naive or before a record's last change, or ``meta``
            is malformed. Nothing is saved.
        NotFound: no customer has that id.
        CustomerMerged: the customer was merged into another (its ``survivor_id``
            is the one to erase).
        AlreadyErased: the customer was erased before.
        ErasureBlocked: a legal hold blocks the erasure; the error names the holds' codes.
        AccessDenied: through an access-guarded unit, the principal may not
            erase the customer (nothing saved) or one of its records (the
            unit rolled back).
    """
    when = require_aware(at, "$.at")
    envelope: dict[str, Any] = dict(meta)
    check_meta(envelope)
    unit = service_unit(unit, "erase", customer_id)
    found = subject_records(unit, customer_id)
    refuse_erasure(found.customer)
    plan = list(_planned(found, at=when, meta=envelope))  # every check, nothing saved yet
    erased: list[ErasedRecord] = []
    try:
        for kind, before, (after, fields) in plan:
            if after is not before:
                getattr(unit, kind).save(after)
            erased.append(ErasedRecord(kind, before.id.value, fields))
    except BaseException:
        unit.rollback()  # never leave part of an erasure in the unit to be committed
        raise
    return ErasureReport(found.customer.id, when, tuple(erased))

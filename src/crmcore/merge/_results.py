"""What the merge service returns: the preview, the records it names, the result."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from crmcore._kernel._aggregate import MAX_VERSION, Aggregate
from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked, check_fields
from crmcore._kernel._ids import CustomerId, Identifier
from crmcore.customers import Customer, CustomerMergePreview, SurvivorshipRules
from crmcore.errors import InvalidType, ValidationError

#: The repositories whose records name customers, in the order the service visits them.
REPOSITORIES: Final = (
    "orders",
    "subscriptions",
    "interactions",
    "cases",
    "reviews",
    "surveys",
    "loyalty_accounts",
    "leads",
    "opportunities",
    "relationships",
    "activities",
    "notes",
    "privacy_requests",
)


def _version(path: str) -> Any:
    def check(_: object, __: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
        if not 0 <= value <= MAX_VERSION:
            raise ValidationError("must be from 0 to 2**53 - 1", path=path, code="range")

    return check


def _repository(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.repository")
    if value not in REPOSITORIES:
        raise ValidationError(
            "must be a repository whose records name customers", path="$.repository", code="choice"
        )


def _record_id(_: object, __: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Identifier):
        raise InvalidType(f"must be an identifier, not {type_name(value)}", path="$.record_id")


@attrs.frozen(slots=True)
class RecordVersion(Checked):
    """One stored record a merge touches: its repository, id and the version seen.

    Attributes:
        repository: the unit of work's repository (``"orders"``, see :data:`REPOSITORIES`).
        record_id: the record's id.
        version: the version the preview saw.
    """

    repository: str = attrs.field(validator=_repository)
    record_id: Identifier = attrs.field(validator=_record_id)
    version: int = attrs.field(validator=_version("$.version"))


@attrs.frozen(slots=True, kw_only=True, repr=False)
class MergePreview(Checked):
    """What merging ``absorbed_id`` into ``survivor_id`` would change, computed in one unit of work.

    :func:`~crmcore.merge.preview_customer_merge` builds it and changes
    nothing; :func:`~crmcore.merge.apply_merge` applies it (in the same unit,
    or a later one) if nothing it saw has changed since, else raises
    :class:`~crmcore.merge.MergePreviewOutdated`. Every command was run to
    build it: a preview that succeeds is a merge that succeeds on the same data.

    Attributes:
        survivor_id: the customer that stays.
        absorbed_id: the customer merged into it.
        at: when the merge happens.
        rules: the survivorship rules used.
        customer: what happens to the survivor's fields
            (:class:`~crmcore.customers.CustomerMergePreview`; it holds personal
            data, its repr only counts).
        survivor_version: the survivor's version the preview saw.
        absorbed_version: the absorbed's version the preview saw.
        repointed: the records that would name the survivor instead, with the
            versions seen, by repository (see :data:`REPOSITORIES`), then id.
        dropped: the relationships between the two customers, removed by the
            merge (a party cannot be related to itself).
        involved: the opportunities and cases among ``repointed`` that name the
            absorbed customer as an involved contact: the survivor takes its
            place in their contacts (found by reading every opportunity and case).
    """

    survivor_id: CustomerId
    absorbed_id: CustomerId
    at: datetime
    rules: SurvivorshipRules
    customer: CustomerMergePreview
    survivor_version: int = attrs.field(validator=_version("$.survivor_version"))
    absorbed_version: int = attrs.field(validator=_version("$.absorbed_version"))
    repointed: tuple[RecordVersion, ...]
    dropped: tuple[RecordVersion, ...] = ()
    involved: tuple[RecordVersion, ...] = ()

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        if self.survivor_id == self.absorbed_id:
            raise ValidationError(
                "must be another customer than the survivor",
                path="$.absorbed_id",
                code="same_customer",
            )

    def ids(self, repository: str) -> tuple[Identifier, ...]:
        """The ids of the records of ``repository`` that would be re-pointed."""
        return tuple(ref.record_id for ref in self.repointed if ref.repository == repository)

    @property
    def by_repository(self) -> Mapping[str, tuple[Identifier, ...]]:
        """The ids to re-point, per repository (only repositories with some)."""
        found: dict[str, tuple[Identifier, ...]] = {}
        for ref in self.repointed:
            found[ref.repository] = (*found.get(ref.repository, ()), ref.record_id)
        return found

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}={len(ids)}" for name, ids in self.by_repository.items())
        return (
            f"MergePreview(survivor_id={self.survivor_id!r}, absorbed_id={self.absorbed_id!r}, "
            f"repointed=({counts}), dropped={len(self.dropped)})"
        )


@attrs.frozen(slots=True, kw_only=True, repr=False)
class MergeResult(Checked):
    """What :func:`~crmcore.merge.merge_customers_in` and :func:`~crmcore.merge.apply_merge` saved.

    Attributes:
        preview: the preview that was applied.
        survivor: the survivor as saved (its pending events went to the unit).
        absorbed: the absorbed customer as saved: a tombstone naming the survivor.
        records: every re-pointed record as saved, in the preview's order.
    """

    preview: MergePreview
    survivor: Customer
    absorbed: Customer
    records: tuple[Aggregate[Any], ...]

    def __repr__(self) -> str:
        return (
            f"MergeResult(survivor_id={self.survivor.id!r}, absorbed_id={self.absorbed.id!r}, "
            f"records={len(self.records)}, dropped={len(self.preview.dropped)})"
        )

"""The merge service: preview, apply and resolve merges of duplicate customers in a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Unpack

import attrs

from crmcore._kernel._checks import instance_of, type_name
from crmcore._kernel._events import EventMeta
from crmcore._kernel._ids import CustomerId
from crmcore.customers import (
    Customer,
    CustomerMerged,
    SurvivorshipRules,
    merge_customers,
    preview_merge,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.merge._errors import MergeConflict, MergePreviewOutdated
from crmcore.merge._results import REPOSITORIES, MergePreview, MergeResult, RecordVersion
from crmcore.parties import InvolvedContact, Relationship, RelationshipKind, check_relationships
from crmcore.repository import UnitOfWork
from crmcore.sales import Opportunity
from crmcore.service import Case

#: The longest chain of merges :func:`resolve_customer` follows (a survivor merged on, and on).
MAX_MERGE_CHAIN: Final = 64

#: The aggregate kind of each repository's records, for messages.
_KINDS: Final = {
    "orders": "order",
    "subscriptions": "subscription",
    "interactions": "interaction",
    "cases": "case",
    "reviews": "review",
    "surveys": "survey_response",
    "loyalty_accounts": "loyalty_account",
    "leads": "lead",
    "opportunities": "opportunity",
    "relationships": "relationship",
    "activities": "activity",
    "notes": "note",
    "privacy_requests": "privacy_request",
}

_rules: Final = instance_of(SurvivorshipRules, "a SurvivorshipRules")
#: The survivorship rules used unless the caller gives others.
_DEFAULT_RULES: Final = SurvivorshipRules()


def _unit(value: object, path: str) -> None:
    if not isinstance(value, UnitOfWork):
        raise InvalidType(f"must be a UnitOfWork, not {type_name(value)}", path=path)


@attrs.frozen(slots=True)
class _Plan:
    """Everything a merge saves, built and checked before anything is saved."""

    preview: MergePreview
    survivor: Customer
    absorbed: Customer
    records: tuple[tuple[RecordVersion, Any], ...]


# -- finding what names a customer --------------------------------------------------------


def _customer_id(value: object, path: str) -> CustomerId:
    if type(value) is not CustomerId:
        raise InvalidType(f"must be a CustomerId, not {type_name(value)}", path=path)
    return value


def _involves(record: Any, customer_id: CustomerId) -> bool:
    """Whether an opportunity or case names ``customer_id`` among its involved contacts."""
    return any(contact.contact_id == customer_id for contact in record.contacts)


#: Records that name a customer outside the ``for_customer`` index, found by reading every
#: record of the repository (a scan): the leads it referred, and the opportunities and cases
#: naming it as an involved contact (the bool: whether ``repoint_customer`` moves that name).
_SCANNED: Final[dict[str, tuple[Callable[[Any, CustomerId], bool], bool]]] = {
    "leads": (lambda lead, customer_id: lead.referred_by == customer_id, True),
    "opportunities": (_involves, False),
    "cases": (_involves, False),
}


def _naming(uow: UnitOfWork, repository: str, customer_id: CustomerId) -> list[tuple[Any, bool]]:
    """The records of ``repository`` that name ``customer_id``, in ascending id order.

    Each with whether one of its customer fields names it (``repoint_customer`` moves it);
    if not, only its involved contacts do.
    """
    if repository == "relationships":
        return [(record, True) for record in uow.relationships.for_party(customer_id)]
    records = getattr(uow, repository)
    found: dict[Any, tuple[Any, bool]] = {
        record.id: (record, True) for record in records.for_customer(customer_id)
    }
    if repository in _SCANNED:
        names, named = _SCANNED[repository]
        found.update(
            (record.id, (record, named))
            for record in records
            if record.id not in found and names(record, customer_id)
        )
    return [found[record_id] for record_id in sorted(found)]


def _contacts_after(
    contacts: tuple[InvolvedContact, ...], absorbed: CustomerId, survivor: CustomerId
) -> list[InvolvedContact]:
    """``contacts`` with the survivor in the absorbed's place, in the same role and order.

    A contact may play several roles but each role once: where the survivor
    already plays the absorbed's role, one entry stays, at the first of the
    two places, primary if either was.
    """
    after: dict[tuple[CustomerId, str], InvolvedContact] = {}
    for contact in contacts:
        who = survivor if contact.contact_id == absorbed else contact.contact_id
        kept = after.get((who, contact.role))
        after[who, contact.role] = InvolvedContact(
            who, contact.role, primary=contact.primary or (kept is not None and kept.primary)
        )
    return list(after.values())


def _load_pair(
    uow: UnitOfWork, survivor_id: object, absorbed_id: object
) -> tuple[Customer, Customer]:
    """Both customers, refusing a self-merge and a customer already merged."""
    _unit(uow, "$.uow")
    kept_id = _customer_id(survivor_id, "$.survivor_id")
    other_id = _customer_id(absorbed_id, "$.absorbed_id")
    if kept_id == other_id:
        raise ValidationError(
            "must be another customer than the survivor", path="$.absorbed_id", code="same_customer"
        )
    survivor = uow.customers.get(kept_id)
    absorbed = uow.customers.get(other_id)
    for customer, path in ((survivor, "$.survivor_id"), (absorbed, "$.absorbed_id")):
        if customer.merged_into is not None:
            raise CustomerMerged.of(customer.id, customer.merged_into, path=path)
    return survivor, absorbed


def _found(
    uow: UnitOfWork, survivor: CustomerId, absorbed: CustomerId
) -> tuple[list[tuple[RecordVersion, Any, bool]], list[RecordVersion]]:
    """The records to re-point and the relationships between the two.

    Each record to re-point comes with its ref and whether one of its customer
    fields names the absorbed (else only its involved contacts do).
    """
    moving: list[tuple[RecordVersion, Any, bool]] = []
    dropped: list[RecordVersion] = []
    for repository in REPOSITORIES:
        for record, named in _naming(uow, repository, absorbed):
            ref = RecordVersion(repository, record.id, record.version)
            if isinstance(record, Relationship) and survivor in (
                record.party_id,
                record.related_id,
            ):
                dropped.append(ref)
            else:
                moving.append((ref, record, named))
    return moving, dropped


def _repointed(
    record: Any,
    named: bool,
    absorbed: CustomerId,
    survivor: CustomerId,
    *,
    at: datetime,
    meta: Mapping[str, Any],
) -> Any:
    """``record`` naming ``survivor`` where it named ``absorbed``, through its own commands."""
    if named:
        record = record.repoint_customer(absorbed, survivor, at=at, **meta)
    if isinstance(record, Opportunity | Case) and _involves(record, absorbed):
        contacts = _contacts_after(record.contacts, absorbed, survivor)
        record = record.change_contacts(contacts, at=at, **meta)
    return record


# -- checks that span records --------------------------------------------------------------


def _check_loyalty(
    uow: UnitOfWork, survivor: CustomerId, records: list[tuple[RecordVersion, Any]]
) -> None:
    programs = {account.program_id for account in uow.loyalty_accounts.for_customer(survivor)}
    for ref, account in records:
        if ref.repository == "loyalty_accounts" and account.program_id in programs:
            raise MergeConflict.loyalty(account.id)


def _check_relationships(
    uow: UnitOfWork,
    survivor: CustomerId,
    moved: list[Relationship],
    dropped: set[object],
) -> None:
    """The relationships around the survivor once merged must keep every rule.

    The set checked holds the survivor's relationships, the moved ones, and
    every parent link above the survivor (however far up), so that a cycle in
    an account hierarchy made by the merge is found, as the repository finds
    it when one relationship is saved.
    """
    if not moved:
        return
    final: dict[object, Relationship] = {r.id: r for r in moved}

    def links(node: CustomerId) -> list[Relationship]:
        found = [
            final.get(r.id, r) for r in uow.relationships.for_party(node) if r.id not in dropped
        ]
        if node == survivor:
            found.extend(moved)
        return found

    seen = {survivor}
    frontier = [survivor]
    while frontier:
        node = frontier.pop()
        for link in links(node):
            final.setdefault(link.id, link)
            above = link.party_id
            if (
                link.kind is RelationshipKind.PARENT_OF
                and link.related_id == node
                and above not in seen
            ):
                seen.add(above)
                frontier.append(above)
    check_relationships(final.values())


# -- building and saving -------------------------------------------------------------------


def _plan(
    uow: UnitOfWork,
    survivor: Customer,
    absorbed: Customer,
    *,
    at: object,
    rules: object,
    meta: Mapping[str, Any],
) -> _Plan:
    """Run every command of the merge and every check, saving nothing."""
    checked_rules = _rules(rules, "$.rules")
    customer = preview_merge(survivor, absorbed, at=at, rules=checked_rules)  # type: ignore[arg-type]
    merged, tombstone = merge_customers(
        survivor,
        absorbed,
        at=customer.at,
        rules=checked_rules,
        **meta,
    )
    found, dropped = _found(uow, survivor.id, absorbed.id)
    records = [
        (ref, _repointed(record, named, absorbed.id, survivor.id, at=customer.at, meta=meta))
        for ref, record, named in found
    ]
    _check_loyalty(uow, survivor.id, records)
    _check_relationships(
        uow,
        survivor.id,
        [record for ref, record in records if ref.repository == "relationships"],
        {ref.record_id for ref in dropped},
    )
    preview = MergePreview(
        survivor_id=survivor.id,
        absorbed_id=absorbed.id,
        at=customer.at,
        rules=checked_rules,
        customer=customer,
        survivor_version=survivor.version,
        absorbed_version=absorbed.version,
        repointed=tuple(ref for ref, _, _ in found),
        dropped=tuple(dropped),
        involved=tuple(
            ref
            for ref, record, _ in found
            if isinstance(record, Opportunity | Case) and _involves(record, absorbed.id)
        ),
    )
    return _Plan(preview, merged, tombstone, tuple(records))


def _save(uow: UnitOfWork, plan: _Plan) -> MergeResult:
    """Save what :func:`_plan` built (every check has passed: these saves do not fail)."""
    # The tombstone first: it gives up the contact points (natural keys) the survivor takes.
    absorbed = uow.customers.save(plan.absorbed)
    survivor = uow.customers.save(plan.survivor)
    for ref in plan.preview.dropped:
        uow.relationships.remove(ref.record_id)
    saved = tuple(getattr(uow, ref.repository).save(record) for ref, record in plan.records)
    return MergeResult(preview=plan.preview, survivor=survivor, absorbed=absorbed, records=saved)


def _check_unchanged(
    uow: UnitOfWork, preview: MergePreview, survivor: Customer, absorbed: Customer
) -> None:
    for customer, version in (
        (survivor, preview.survivor_version),
        (absorbed, preview.absorbed_version),
    ):
        if customer.version != version:
            raise MergePreviewOutdated(
                "customer", customer.id, expected_version=version, actual_version=customer.version
            )
    found, dropped = _found(uow, survivor.id, absorbed.id)
    now = {
        (ref.repository, ref.record_id): ref.version
        for ref in (*(r for r, _, _ in found), *dropped)
    }
    seen = {
        (ref.repository, ref.record_id): ref.version
        for ref in (*preview.repointed, *preview.dropped)
    }
    for key in sorted({*now, *seen}, key=lambda k: (REPOSITORIES.index(k[0]), k[1])):
        expected, actual = seen.get(key), now.get(key)
        if expected != actual:
            raise MergePreviewOutdated(
                _KINDS[key[0]], key[1], expected_version=expected, actual_version=actual
            )


# -- the service -----------------------------------------------------------------------------


def preview_customer_merge(
    uow: UnitOfWork,
    survivor_id: CustomerId,
    absorbed_id: CustomerId,
    *,
    at: datetime,
    rules: SurvivorshipRules = _DEFAULT_RULES,
) -> MergePreview:
    """What merging ``absorbed_id`` into ``survivor_id`` at ``at`` would change; changes nothing.

    Runs every command of the merge and every check in the open unit of work
    ``uow`` and drops the results: a preview that succeeds is a merge that
    succeeds, as long as nothing it saw changes (see :func:`apply_merge`).

    Raises the errors of :func:`merge_customers_in`.
    """
    survivor, absorbed = _load_pair(uow, survivor_id, absorbed_id)
    return _plan(uow, survivor, absorbed, at=at, rules=rules, meta={}).preview


def merge_customers_in(
    uow: UnitOfWork,
    survivor_id: CustomerId,
    absorbed_id: CustomerId,
    *,
    at: datetime,
    rules: SurvivorshipRules = _DEFAULT_RULES,
    **meta: Unpack[EventMeta],
) -> MergeResult:
    """Merge ``absorbed_id`` into ``survivor_id`` at ``at``, in the open unit of work ``uow``.

    Loads both customers, merges them with
    :func:`crmcore.customers.merge_customers` (``rules`` decide the survivor's
    fields; the absorbed becomes a tombstone naming the survivor) and
    re-points every record that names the absorbed customer to the survivor,
    each with its ``repoint_customer`` command: orders (and their payments),
    subscriptions, interactions, cases, reviews, survey responses, loyalty
    accounts, leads (converted into it or referred by it), opportunities,
    relationships, activities (linked to it, or with it as a contact) and
    notes (on it as a customer or an account). A relationship between the two customers is removed (a
    party is not related to itself). An opportunity or case naming the
    absorbed customer among its involved contacts gets them changed with its
    ``change_contacts`` command: the survivor takes the absorbed's place, in
    the same role (where the survivor already plays that role, one entry
    stays, primary if either was); these are found by reading every
    opportunity and case in ``uow`` (a scan). Everything is saved in ``uow``;
    the caller commits. Each event carries the envelope keywords given.

    All or nothing: every command and every check runs before the first save,
    so when this raises, nothing was saved in ``uow``.

    Raises:
        InvalidType: ``uow`` is not a UnitOfWork, an id not a CustomerId,
            ``rules`` not a SurvivorshipRules.
        ValidationError: the same customer twice (``$.absorbed_id``,
            ``same_customer``); a merge :func:`~crmcore.customers.merge_customers`
            refuses; a record whose ``repoint_customer`` or ``change_contacts``
            refuses (``at`` before its last change: ``time_backwards``).
        CustomerMerged: either customer was already merged into another
            (``$.survivor_id``, ``$.absorbed_id``; ``survivor_id`` names the survivor).
        MergeConflict: both customers hold an account in one loyalty program.
        RelationshipConflict: the survivor's relationships once merged would
            break a rule (the same relationship twice at once, two primaries,
            two parents, a hierarchy cycle).
        NotFound: either customer is not stored.
        AccessDenied: through an access-guarded unit
            (:class:`~crmcore.access.GuardedUnitOfWork`), the principal may not
            merge the survivor or the absorbed customer (recorded; nothing saved).
    """
    survivor, absorbed = _load_pair(uow, survivor_id, absorbed_id)
    _authorize_merge(uow, survivor, absorbed)
    return _save(uow, _plan(uow, survivor, absorbed, at=at, rules=rules, meta=meta))


def _authorize_merge(uow: UnitOfWork, *customers: Customer) -> None:
    """Through an access-guarded unit, the principal needs ``merge`` on both customers."""
    check = getattr(uow, "authorize", None)
    if callable(check):
        for customer in customers:
            check("merge", customer)


def apply_merge(uow: UnitOfWork, preview: MergePreview, **meta: Unpack[EventMeta]) -> MergeResult:
    """Apply ``preview`` in the open unit of work ``uow``, if nothing it saw has changed.

    The preview may come from an earlier unit: it is applied only if the unit
    now sees both customers and every record it named at the versions it
    saw, and no other record naming the absorbed customer. Otherwise it raises
    :class:`MergePreviewOutdated` (a
    :class:`~crmcore.errors.ConcurrencyConflict`) and saves nothing: preview
    again. Otherwise it does what :func:`merge_customers_in` does, with the
    preview's time and rules.

    Raises:
        MergePreviewOutdated: something the preview saw changed.
        InvalidType: ``preview`` is not a MergePreview.

    It also raises the errors of :func:`merge_customers_in`.
    """
    checked = instance_of(MergePreview, "a MergePreview")(preview, "$.preview")
    survivor, absorbed = _load_pair(uow, checked.survivor_id, checked.absorbed_id)
    _authorize_merge(uow, survivor, absorbed)
    _check_unchanged(uow, checked, survivor, absorbed)
    return _save(uow, _plan(uow, survivor, absorbed, at=checked.at, rules=checked.rules, meta=meta))


def resolve_customer(uow: UnitOfWork, customer_id: CustomerId) -> Customer:
    """The customer ``customer_id`` is now: itself, or the customer it was merged into.

    Follows ``merged_into`` from customer to customer (a survivor may be
    merged on later) until a customer that was not merged.

    Raises:
        NotFound: a customer on the way is not stored.
        InvalidType: ``customer_id`` is not a CustomerId.
        ValidationError: the chain is longer than :data:`MAX_MERGE_CHAIN`
            or comes back to a customer (``$.customer_id``, ``merge_chain``;
            merges never make one).
    """
    _unit(uow, "$.uow")
    customer = uow.customers.get(_customer_id(customer_id, "$.customer_id"))
    seen = {customer.id}
    while customer.merged_into is not None:
        if len(seen) > MAX_MERGE_CHAIN or customer.merged_into in seen:
            raise ValidationError(
                f"must lead to a surviving customer within {MAX_MERGE_CHAIN} merges, "
                "without a cycle",
                path="$.customer_id",
                code="merge_chain",
            )
        customer = uow.customers.get(customer.merged_into)
        seen.add(customer.id)
    return customer

"""The demo's privacy section: a data-subject request answered with an export, an erasure, a denied read.

The demo's customers, orders and interactions go into one store. The most
active customer asks (under the GDPR) for everything held about them: the
request is received, the identity verified, the export made and the request
fulfilled, within its deadline. Then the same customer asks to be erased
(under UU PDP): a legal hold on another customer shows an erasure refused with
its reason; the erasure runs in one guarded unit of work as the data-protection
officer, the audit log keeps the field history, and a search of every stored
document, every event and the log finds none of the erased values. Last, a
sales rep who owns a handful of customers reads those (birth dates masked) and
is refused another; the refusal is in the audit log. The section prints ids,
counts and codes only.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from crmcore._demo._commerce import DemoCommerce
from crmcore._demo._format import plural
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import PrivacyRequestId, StaffId
from crmcore.access import AccessDenied, AccessPolicy, GuardedUnitOfWork, Principal
from crmcore.audit import AuditLog
from crmcore.customers import Customer, CustomerId, ErasureBlocked
from crmcore.privacy import DataSubjectRequest, erase_subject, export_subject, screen
from crmcore.repository import InMemoryUnitOfWork
from crmcore.serialization import to_dict

#: The policy of the section: a data-protection officer, sales reps who own their customers.
POLICY: Final = {
    "roles": ["dpo", "sales_rep"],
    "grants": [
        {
            "role": "dpo",
            "kind": "*",
            "actions": ["read", "update", "export", "erase"],
            "scope": "all",
        },
        {"role": "sales_rep", "kind": "*", "actions": ["read", "update"], "scope": "own"},
    ],
    "masks": [{"role": "sales_rep", "kind": "customer", "fields": ["profile.birth_date"]}],
}
DPO: Final = Principal(staff_id=StaffId("s-dpo"), roles=["dpo"])
REP: Final = Principal(staff_id=StaffId("s-rep"), roles=["sales_rep"])
#: How many customers the rep owns.
OWNED: Final = 5


def _store(customers: Sequence[Customer], commerce: DemoCommerce) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(check_references=False)
    with uow:
        for index, customer in enumerate(customers):
            owned = index < OWNED
            uow.customers.add(
                customer.assign(REP.staff_id, at=customer.updated_at) if owned else customer
            )
        for order in commerce.orders:
            uow.orders.add(order)
        for interaction in commerce.interactions:
            uow.interactions.add(interaction)
        uow.commit()
        uow.acknowledge(uow.collect_events())
    return uow


def _personal_texts(customer: Customer) -> set[str]:
    """The customer's own personal strings long enough not to occur by chance."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, str):
            if len(value) >= 6:
                found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(to_dict(customer.profile))
    walk([point.value for point in customer.contact_points])
    return found


def _hits(uow: InMemoryUnitOfWork, log: AuditLog, values: set[str]) -> int:
    """How many of ``values`` occur in any stored document, pending event or audit entry."""
    texts: list[str] = []
    with uow:
        for name in ("customers", "orders", "interactions"):
            texts.extend(json.dumps(to_dict(record)) for record in getattr(uow, name))
        texts.extend(json.dumps(to_dict(event)) for event in uow.collect_events())
    texts.append(json.dumps(log.to_dict()))
    return sum(1 for value in values if any(value in text for text in texts))


def _busiest(commerce: DemoCommerce) -> CustomerId:
    counts = Counter(order.customer_id for order in commerce.orders)
    return min(counts, key=lambda c: (-counts[c], c))


def _access_request(uow: InMemoryUnitOfWork, subject: CustomerId, now: datetime) -> list[str]:
    """An access request under the GDPR: received, verified, exported, fulfilled."""
    request = DataSubjectRequest.receive(
        PrivacyRequestId("dsr-1"),
        customer_id=subject,
        kind="access",
        jurisdiction="gdpr",
        channel="email",
        at=now,
    ).verify_identity(at=now + timedelta(hours=2))
    with uow:
        export = export_subject(uow, subject, at=now + timedelta(hours=3))
    request = request.fulfil(at=now + timedelta(hours=3))
    counts = ", ".join(f"{kind} {n}" for kind, n in export.manifest.counts.items() if n)
    overdue = request.is_overdue(now + timedelta(hours=3))
    return [
        (
            f"access request {request.id.value} of customer {subject.value} (GDPR): "
            f"due {request.due_at.date()}, {request.status.value}, overdue: {overdue}"
        ),
        (
            f"  export: {plural(export.manifest.total, 'record')} ({counts}), "
            f"{len(json.dumps(export.document))} characters of JSON, "
            f"{len(export.manifest.excluded)} kinds of data left out, each with its reason"
        ),
    ]


def _erasure(
    uow: InMemoryUnitOfWork,
    guarded: GuardedUnitOfWork,
    log: AuditLog,
    subject: CustomerId,
    *,
    held_id: CustomerId,
    now: datetime,
) -> list[str]:
    """An erasure request under UU PDP; a legal hold on another customer refuses that one's erasure."""
    erasure = DataSubjectRequest.receive(
        PrivacyRequestId("dsr-2"),
        customer_id=subject,
        kind="erasure",
        jurisdiction="uu_pdp",
        channel="email",
        at=now,
    ).verify_identity(at=now + timedelta(hours=4))
    with guarded:
        held = guarded.customers.get(held_id)
        at = max(now, held.updated_at)
        guarded.customers.save(held.place_legal_hold("tax_audit", at=at, reason="tax_audit"))
        guarded.commit()
    with guarded:
        try:
            erase_subject(guarded, held_id, at=now + timedelta(hours=5), actor=DPO.staff_id)
            refused = "no"
        except ErasureBlocked as error:
            refused = f"{error.code} ({', '.join(error.hold_codes)})"
    with guarded:
        values = _personal_texts(guarded.customers.get(subject))
        # Values another customer also holds (a family name, a province) are not the subject's.
        others = [json.dumps(to_dict(c)) for c in guarded.customers if c.id != subject]
        values = {value for value in values if not any(value in text for text in others)}
        before = sorted((o.id.value, str(o.total)) for o in guarded.orders.for_customer(subject))
        report = erase_subject(guarded, subject, at=now + timedelta(hours=6), actor=DPO.staff_id)
        guarded.commit()
    log.erase_values(report.audit_keys)
    erasure = erasure.fulfil(at=now + timedelta(hours=6))
    with uow:
        after = sorted((o.id.value, str(o.total)) for o in uow.orders.for_customer(subject))
        erased = uow.customers.get(subject).is_erased
    changed = ", ".join(f"{kind} {n}" for kind, n in sorted(report.counts().items()))
    entries = len(log.history("customer", subject.value))
    return [
        (
            f"erasure request {erasure.id.value} (UU PDP): due {erasure.due_at.isoformat()}, "
            f"{erasure.status.value}"
        ),
        f"  erasing customer {held_id.value} refused: {refused}",
        (
            f"  erased customer {subject.value}: {plural(len(report.changed), 'record')} anonymised "
            f"({changed}); erased: {erased}"
        ),
        f"  order totals kept: {before == after} ({plural(len(after), 'order')})",
        (
            f"  {len(values)} of the customer's own personal values searched in every stored "
            f"document, pending event and the audit log: {_hits(uow, log, values)} found"
        ),
        f"  audit log: {plural(entries, 'entry', 'entries')} for the customer, personal values masked in views",
    ]


def _restriction(
    uow: InMemoryUnitOfWork, guarded: GuardedUnitOfWork, held_id: CustomerId, now: datetime
) -> list[str]:
    """The customer held for the tax audit also restricts processing: marketing leaves them out."""
    with guarded:
        held = guarded.customers.get(held_id)
        restricted = held.restrict_processing(at=held.updated_at, reason="accuracy_contested")
        guarded.customers.save(restricted)
        guarded.commit()
    with uow:
        screening = screen(list(uow.customers), "marketing", at=now + timedelta(hours=7))
    reasons = Counter(exclusion.reason for exclusion in screening.excluded)
    why = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
    return [
        (
            f"marketing screening: {len(screening.included)} included, "
            f"{len(screening.excluded)} left out ({why})"
        )
    ]


def _denied_read(
    uow: InMemoryUnitOfWork, policy: AccessPolicy, log: AuditLog, customers: Sequence[Customer]
) -> list[str]:
    """A sales rep reads their own customers, birth dates masked, and is refused another."""
    rep_unit = GuardedUnitOfWork(uow, REP, policy, audit=log)
    other = customers[-1].id
    with rep_unit:
        mine = list(rep_unit.customers)
        masked = sum(1 for c in mine if c.profile.birth_date is None)
        try:
            rep_unit.customers.get(other)
            denied = "allowed"
        except AccessDenied as error:
            denied = f"AccessDenied: {error}"
    return [
        (
            f"sales rep {REP.staff_id.value} reads {len(mine)} of {len(customers)} customers "
            f"(birth dates masked on {masked})"
        ),
        f"  reading customer {other.value}: {denied}",
        f"  denied attempts in the audit log: {len(log.denied())}",
    ]


def demo_section(
    customers: Sequence[Customer], commerce: DemoCommerce, *, seed: int, at: datetime
) -> str:
    """Answer an access request and an erasure request, and show a denied read, as text.

    Deterministic for the same customers, orders and reference time ``at``.
    """
    now = check_inputs(seed, at, customers=customers)
    if len(customers) < 2:  # the erasure is refused for another customer: it needs two
        return "the privacy walk-through needs at least 2 customers"
    uow = _store(customers, commerce)
    subject = _busiest(commerce)
    held_id = next(c.id for c in customers if c.id != subject)
    policy = AccessPolicy.from_dict(POLICY)
    log = AuditLog()
    guarded = GuardedUnitOfWork(uow, DPO, policy, audit=log)
    lines = _access_request(uow, subject, now)
    lines += _erasure(uow, guarded, log, subject, held_id=held_id, now=now)
    lines += _restriction(uow, guarded, held_id, now)
    lines += _denied_read(uow, policy, log, customers)
    return "\n".join(lines)

"""Which of a lead's consent records a customer takes over when the lead converts.

A customer's consent history only grows forward in time (a record dated
before the customer's last change is refused), so the records a lead hands
over are dated at the conversion. Only what still decides is handed over:

- per scope (a channel and a purpose, or every channel and a purpose), the
  lead's latest record at the conversion; the earlier ones were overruled and
  stay in the lead as evidence (a record for one address is its own scope: it
  never hides the channel's);
- a grant that has lapsed by the conversion decides nothing and is left out;
- a grant for one address goes over only when the customer holds that address
  (a withdrawal always does), and a record whose address was erased never does;
- a record is handed over only if it is newer than the customer's own latest
  record of the same scope (at the same instant a withdrawal beats a grant),
  so a customer who withdrew after the lead granted stays withdrawn, and a
  customer who granted after the lead withdrew stays granted: the latest
  decision for each scope holds, as if both histories were one.

The decisions of the customer afterwards are therefore those of the customer's
history joined with the handed-over records at their original times, and the
least-permissive rule (a withdrawal for a channel or for every channel says no)
applies to them as to any customer.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

import attrs

from crmcore.customers import Channel, ConsentRecord, ConsentStatus, Purpose

#: A consent scope: (channel, purpose, address) — ``None`` for every channel, or for every
#: address of the channel.
Scope = tuple[Channel | None, Purpose, str | None]


def newer(record: ConsentRecord, than: ConsentRecord) -> bool:
    """True if ``record`` overrules ``than`` in their scope (later, or a withdrawal at the same instant)."""
    if record.captured_at != than.captured_at:
        return record.captured_at > than.captured_at
    return record.status is ConsentStatus.WITHDRAWN and than.status is ConsentStatus.GRANTED


def latest_by_scope(records: Iterable[ConsentRecord], at: datetime) -> dict[Scope, ConsentRecord]:
    """The latest record of each scope captured at or before ``at``, in order of first appearance."""
    latest: dict[Scope, ConsentRecord] = {}
    for record in records:
        if record.captured_at > at:
            continue
        scope = (record.channel, record.purpose, record.address)
        held = latest.get(scope)
        if held is None or newer(record, held):
            latest[scope] = record
    return latest


def carried_consents(
    lead_records: Iterable[ConsentRecord],
    customer_records: Iterable[ConsentRecord],
    at: datetime,
    addresses: Collection[tuple[Channel, str]] = (),
) -> tuple[ConsentRecord, ...]:
    """The lead's records the customer records at conversion time ``at``, dated ``at``.

    See the module documentation for the rule. Each record keeps its channel,
    purpose, status, source, legal basis and expiry (and address).
    ``addresses`` are the contact points the customer holds, as
    ``(channel, value)``: a grant for another address is not handed over.
    """
    held = latest_by_scope(customer_records, at)
    carried: list[ConsentRecord] = []
    for scope, record in latest_by_scope(lead_records, at).items():
        if record.status is ConsentStatus.GRANTED and not record.is_live_grant(at):
            continue
        if record.for_address and (
            record.address is None
            or (
                record.status is ConsentStatus.GRANTED
                and (record.channel, record.address) not in addresses
            )
        ):
            continue  # an erased address, or a grant for an address the customer lacks
        own = held.get(scope)
        if own is not None and not newer(record, own):
            continue
        carried.append(record if record.captured_at == at else attrs.evolve(record, captured_at=at))
    return tuple(carried)

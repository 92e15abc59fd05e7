"""Property tests for `crmcore.privacy._erasure`: after an erasure no erased value is found anywhere.

Issue 16 asks for the proof: after any commands and an erasure, a search of
every stored document, every event and every repr finds none of the
erased values. The store is built from the shipped strategies, whose
aggregates come with random histories of commands (the events of those
commands go to the outbox with the aggregates).
"""

import json
from collections.abc import Iterator
from datetime import timedelta
from enum import Enum
from typing import Any

import attrs
from hypothesis import event, given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId
from crmcore._kernel._personal import HoldsPersonalData
from crmcore.activities import RecordRef
from crmcore.errors import DuplicateKey
from crmcore.privacy import erase_subject, export_subject
from crmcore.repository import DEFAULT_SPECS, InMemoryStore, InMemoryUnitOfWork
from crmcore.serialization import to_dict
from crmcore.testing.strategies import (
    activities,
    cases,
    customers,
    interactions,
    leads,
    notes,
    orders,
    relationships,
    reviews,
    survey_responses,
)

#: Shorter values occur by chance in ids, codes and dates; they are not searched for.
MIN_SEARCHED = 4
#: The most records of one kind drawn for one customer.
MOST = 2


def _text(document: object) -> str:
    # ensure_ascii=False: a name in Javanese script must be found as written, not as escapes.
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def strings_in(value: object) -> Iterator[str]:
    """Every string inside a personal value: names, addresses, contact values, texts.

    Codes (enum members such as a contact point's channel) are not personal values.
    """
    if isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from strings_in(item)
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from strings_in(getattr(value, field.name))


def records_of(customer_id: CustomerId) -> st.SearchStrategy[list[Any]]:
    """Records of every kind the strategies make that name ``customer_id``."""
    ids = [customer_id]
    kinds = [
        orders(customer_ids=ids),
        cases(customer_ids=ids),
        interactions(customer_ids=ids),
        notes(links=[RecordRef.to(customer_id), RecordRef.account(customer_id)]),
        activities(customer_ids=ids),
        leads(customer_ids=ids),
        reviews(customer_ids=ids),
        survey_responses(customer_ids=ids),
    ]
    return st.tuples(*(st.lists(kind, max_size=MOST) for kind in kinds)).map(
        lambda drawn: [record for records in drawn for record in records]
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[InMemoryUnitOfWork, CustomerId]:
    """A store with a random subject, another customer, and records naming each, committed."""
    subject = draw(customers())
    other = draw(customers().filter(lambda customer: customer.id != subject.id))
    records = draw(records_of(subject.id)) + draw(records_of(other.id))
    between = draw(st.none() | relationships(party_ids=[subject.id, other.id]))
    unit = InMemoryUnitOfWork(InMemoryStore(), check_references=False)
    with unit:
        try:
            unit.customers.add(subject)
            unit.customers.add(other)
        except DuplicateKey:  # the two drew the same email or number: a store refuses that
            event("customers sharing a contact value")
            return draw(worlds())
        for record in [*records, *([between] if between else [])]:
            repository = unit.repository(type(record))
            if record.id not in repository:
                repository.add(record)
        unit.commit()
    return unit, subject.id


def everything_in(unit: InMemoryUnitOfWork) -> dict[str, Any]:
    """Every aggregate of every repository the open unit sees, by ``repository:id``."""
    return {
        f"{spec.name}:{record.id.value}": record
        for spec in DEFAULT_SPECS
        for record in getattr(unit, spec.name)
    }


def everything(unit: InMemoryUnitOfWork) -> dict[str, Any]:
    """Every stored aggregate of every repository, by ``repository:id``."""
    with unit:
        return everything_in(unit)


def masked_text(record: Any) -> str:
    """The record's document with every personal field tombstoned: what an erasure keeps."""
    if isinstance(record, HoldsPersonalData):
        record = record.masked(type(record).personal_fields)
    return _text(to_dict(record)) + repr(record)


def skeleton(item: Any) -> str:
    """An event's repr without its text: class, field names, ids, codes, times, flags."""
    parts = [type(item).__name__]
    for field in attrs.fields(type(item)):
        value = getattr(item, field.name)
        parts.append(field.name if type(value) is str else f"{field.name}={value!r}")
    return " ".join(parts)


def later_than_all(unit: InMemoryUnitOfWork) -> Any:
    """A time after every stored record's last change."""
    return max(record.updated_at for record in everything(unit).values()) + timedelta(days=1)


@given(worlds())
def test_no_erased_value_is_found_in_stores_events_or_reprs(
    world: tuple[InMemoryUnitOfWork, CustomerId],
) -> None:
    """Values of the subject's records, absent from what stays, are nowhere after the erasure."""
    unit, subject = world
    at = later_than_all(unit)
    with unit:
        covered = export_subject(unit, subject, at=at).manifest.sections
    about = {f"{section.kind}:{record_id}" for section in covered for record_id in section.ids}
    before = everything(unit)
    # What is not the subject's personal data: others' records, the subject's records with
    # their personal fields tombstoned, and the events but for their text (events carry ids and
    # codes only, so text there would be a leak). A value found there occurs by chance (in an
    # id, a code, a time, a ``False`` in a repr).
    noise = "\n".join(
        [
            *(
                masked_text(record) if key in about else _text(to_dict(record)) + repr(record)
                for key, record in before.items()
            ),
            *(skeleton(item) for item in unit.collect_events()),
        ]
    )
    erased = {
        value
        for key in about
        for value in strings_in(before[key].personal_data())
        if len(value) >= MIN_SEARCHED and value not in noise
    }
    event(f"erased values searched: {min(len(erased), 10)}+")
    with unit:
        report = erase_subject(unit, subject, at=at, actor="staff:dpo", correlation_id="rq-1")
        unit.commit()
    after = everything(unit)
    haystacks = [
        *(_text(to_dict(record)) for record in after.values()),
        *(repr(record) for record in after.values()),
        *(_text(to_dict(item)) for item in unit.collect_events()),
        *(repr(item) for item in unit.collect_events()),
        repr(report),
    ]
    found = sorted(value for value in erased if any(value in text for text in haystacks))
    assert [] == found


@given(worlds())
def test_accounting_totals_of_orders_are_unchanged(
    world: tuple[InMemoryUnitOfWork, CustomerId],
) -> None:
    """Each order keeps its total, payments and refunds through the erasure."""
    unit, subject = world

    def totals() -> dict[str, tuple[Any, ...]]:
        with unit:
            return {
                order.id.value: (order.total, order.amount_paid, order.amount_refunded, order.lines)
                for order in unit.orders
            }

    before, at = totals(), later_than_all(unit)
    with unit:
        erase_subject(unit, subject, at=at)
        unit.commit()
    assert before == totals()


@given(worlds())
def test_erasure_leaves_other_customers_as_they_were(
    world: tuple[InMemoryUnitOfWork, CustomerId],
) -> None:
    """Only records the export covered change; every other document stays the same."""
    unit, subject = world
    at = later_than_all(unit)
    with unit:
        covered = export_subject(unit, subject, at=at).manifest.sections
    about = {f"{section.kind}:{record_id}" for section in covered for record_id in section.ids}
    before = {key: to_dict(record) for key, record in everything(unit).items()}
    with unit:
        report = erase_subject(unit, subject, at=at)
        unit.commit()
    after = {key: to_dict(record) for key, record in everything(unit).items()}
    changed = {key for key in before if before[key] != after[key]}
    assert changed <= about
    assert {f"{record.kind}:{record.record_id}" for record in report.changed} == changed
    later = at + timedelta(days=1)
    with unit:
        for key, record in everything_in(unit).items():
            if key in about and not isinstance(record, Customer):
                assert record is record.anonymise(at=later), key  # nothing personal left
        assert unit.customers.get(subject).is_erased

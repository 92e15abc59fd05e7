"""The personal-data probe: planted markers never show up where logs and outboxes look.

A marker value is planted in every personal field (names, email address,
phone number, street, city, postal code, birth date, custom attribute value,
contact-point label, consent source, case subject and description, notes,
review text and author, survey comment, lead interest, reasons). Then every
error message, every repr and str (of aggregates, values and events), every
explanation (:meth:`crmcore.segmentation.Rule.explain`) and every serialized
*event* is searched for the markers; none may appear. Ids that look like
email addresses are refused, and an id that failed validation is never
echoed.
"""

import json
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import DomainEvent, Identifier, StaffId, repository, segmentation
from crmcore.audit import AuditLog, RecordChange
from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerId,
    OrganizationName,
    PersonName,
    PostalAddress,
    normalize_email,
    normalize_phone,
)
from crmcore.errors import CrmcoreError, ValidationError
from crmcore.feedback import FeedbackId, NpsResponse, Review, ReviewId, response_plan
from crmcore.interactions import Interaction, InteractionId, timeline
from crmcore.privacy import erase_subject, export_subject, screen
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, OpportunityId
from crmcore.serialization import from_dict, to_dict
from crmcore.service import Case, CaseId

from ._corpus import CID, DAY, HOUR, LATER, ORDER, REVIEW, T0, harvest, idr
from ._fuzz import STATS, fuzz_settings, outcome_of

#: Consonants only: no English word (such as "organization") can hide inside a marker.
_CONSONANTS = "bcdfghjklmnpqrstvwxz"


@attrs.frozen
class Personal:
    """Distinctive personal data: every text carries a random marker such as ``Zqxbcdfghjkl``."""

    marker: str
    digits: str
    birth_date: date

    def word(self, tag: str) -> str:
        """A text made of ``tag`` and the marker, such as ``"GivenZqx..."``."""
        return f"{tag}{self.marker}"

    @property
    def email(self) -> str:
        """An email address built on the marker."""
        return f"zqx.{self.marker.lower()}@example.com"

    @property
    def phone(self) -> str:
        """A phone number built on the digits."""
        return f"+62812{self.digits}"

    def leaks(self, text: str) -> list[str]:
        """The pieces of personal data found in ``text``."""
        lowered = text.lower()
        found = [piece for piece in (self.marker.lower(), self.digits) if piece in lowered]
        found += [
            shown
            for shown in (
                repr(self.birth_date),
                self.birth_date.isoformat(),
                f"{self.birth_date:%d/%m/%Y}",
            )
            if shown in text
        ]
        return found


PERSONAL = st.builds(
    Personal,
    marker=st.text(_CONSONANTS, min_size=9, max_size=9).map(lambda s: f"Zqx{s}"),
    # All digits different: such a run never appears by chance in ids, money or times.
    digits=st.permutations("1234567890")
    .map(lambda p: "".join(p[:8]))
    .filter(lambda d: d[0] != "0"),
    birth_date=st.dates(date(1920, 1, 1), date(2005, 12, 31)),
)


def check_texts(p: Personal, texts: Iterator[tuple[str, str]], category: str) -> None:
    """Every (label, text) pair is free of ``p``'s data; counts each text in STATS."""
    for label, text in texts:
        leaks = p.leaks(text)
        STATS.record(category, "leak" if leaks else "clean")
        assert [] == leaks, f"{label}: {text[:300]}"


def personal_customer(p: Personal) -> Customer:
    """A customer with ``p`` planted in every personal field, built through the commands."""
    name = PersonName(p.word("Given"), family=p.word("Family"), preferred=p.word("Pref"))
    address = PostalAddress(
        [p.word("Jl. ")],
        "ID",
        locality=p.word("Kota"),
        region=p.word("Prov"),
        postal_code="40111",
        label=p.word("Label"),
    )
    return (
        Customer.register(
            CustomerId("c-7"),
            name=name,
            at=T0,
            birth_date=p.birth_date,
            addresses=[address],
            attributes={"store": p.word("Store"), "note": p.word("Attr")},
            contact_points=[ContactPoint("email", p.email, label=p.word("Work"))],
        )
        .add_contact_point(ContactPoint.phone(p.phone, channel="whatsapp"), at=T0 + HOUR)
        .verify_contact_point("email", p.email, at=T0 + HOUR)
        .set_primary_contact_point("whatsapp", p.phone, at=T0 + HOUR)
        .give_consent("email", "marketing", at=T0 + HOUR, source=p.word("Source"))
        .withdraw_consent("email", "marketing", at=T0 + HOUR, source=p.word("Source"))
        .rename(PersonName(p.word("Other"), family=p.word("Family")), at=T0 + HOUR)
        .change_birth_date(p.birth_date.replace(day=1) + timedelta(days=1), at=T0 + HOUR)
        .change_birth_date(p.birth_date, at=T0 + 2 * HOUR)
        .set_attribute("favourite", p.word("Fav"), at=T0 + 2 * HOUR)
        .add_address(
            PostalAddress([p.word("Gang ")], "ID", locality=p.word("Desa")), at=T0 + 2 * HOUR
        )
        .remove_contact_point("whatsapp", p.phone, at=T0 + 3 * HOUR)
        .add_contact_point(ContactPoint.phone(p.phone, label=p.word("Home")), at=T0 + 3 * HOUR)
    )


def personal_objects(p: Personal) -> list[object]:
    """Aggregates, values and events built from ``p``, through the public commands."""
    customer = personal_customer(p)
    organization = Customer.register(
        CustomerId("c-9"),
        name=OrganizationName(p.word("Legal"), trading=p.word("Trade")),
        at=T0,
    ).rename(OrganizationName(p.word("Legal")), at=T0 + HOUR)
    interaction = Interaction.log(
        InteractionId("i-7"),
        customer_id=CID,
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        subject=p.word("Subject "),
        notes=p.word("Notes "),
    )
    case = (
        Case.open(
            CaseId("k-7"),
            customer_id=CID,
            kind="complaint",
            subject=p.word("Subject "),
            channel="email",
            at=T0,
            description=p.word("Description "),
        )
        .wait_on_customer(at=T0 + HOUR, reason=p.word("Waiting "))
        .resolve(at=T0 + DAY, reason=p.word("Refunded "))
        .reopen(at=T0 + DAY, reason=p.word("Again "))
    )
    review = Review.receive(
        ReviewId("r-7"),
        platform="google",
        rating=1,
        at=T0,
        text=p.word("Review "),
        author_name=p.word("Author"),
    ).answer(at=T0 + DAY)
    survey = NpsResponse.record(
        FeedbackId("f-7"), customer_id=CID, score=3, at=T0, comment=p.word("Comment ")
    )
    lead = Lead.capture(
        LeadId("l-7"),
        name=PersonName(p.word("Lead")),
        source="web",
        at=T0,
        contact_points=[ContactPoint("email", p.email, label=p.word("Label"))],
        interest=p.word("Interest "),
    ).qualify(at=T0 + HOUR)
    conversion = lead.convert(
        CustomerId("c-8"),
        at=T0 + 2 * HOUR,
        opportunity_id=OpportunityId("opp-7"),
        pipeline=STANDARD_PIPELINE,
        amount=idr(1_000_000),
        expected_close=date(2024, 6, 1),
        opportunity_name=p.word("Deal "),
        owner=StaffId("rep-1"),
    )
    assert conversion.opportunity is not None
    opportunity = conversion.opportunity.lose(
        STANDARD_PIPELINE, at=T0 + DAY, reason=p.word("Price ")
    )
    refunded = ORDER.refund(idr(1), at=LATER, reason=p.word("Goodwill "))
    plan = response_plan(
        REVIEW,
        customer_name=PersonName(p.word("Given")),
        service_standard="We deliver within two days.",
        compensation="a free coffee",
        offline_contact=ContactPoint("email", p.email),
    )
    roots: list[object] = [
        customer,
        customer.profile,
        customer.consent_decision("email", "marketing", at=LATER),
        organization,
        interaction,
        case,
        review,
        survey,
        lead,
        conversion,
        opportunity,
        refunded,
        plan,
        *timeline(CID, interaction, case, review, survey, refunded),
    ]
    for aggregate in (customer, organization, interaction, case, review, survey, lead):
        roots.extend(aggregate.pending_events)
    roots.extend(conversion.customer.pending_events)
    roots.extend(opportunity.pending_events)
    roots.extend(refunded.pending_events)
    roots.extend(
        privacy_objects(p, customer, (interaction, case, review, survey, lead, opportunity))
    )
    return roots


def privacy_objects(p: Personal, customer: Customer, records: tuple[Any, ...]) -> list[object]:
    """The privacy, access and audit values built over ``p``'s records, with their events."""
    at = T0 + 5 * HOUR
    held = (
        customer.restrict_processing(at=at, reason="accuracy_contested")
        .object_to("profiling", at=at)
        .place_legal_hold("tax_2026", at=at, reason="tax_audit")
    )
    anonymised = [customer.anonymise(at=at), *(r.anonymise(at=LATER) for r in records)]
    masked = [r.masked(type(r).personal_fields) for r in (customer, *records)]
    call = Interaction.log(
        InteractionId("i-8"),
        customer_id=customer.id,
        kind="call",
        channel="phone",
        direction="inbound",
        at=at,
        subject=p.word("Subject "),
        notes=p.word("Notes "),
    )
    unit = repository.InMemoryUnitOfWork()
    with unit:
        unit.customers.add(customer)
        unit.interactions.add(call)
        unit.commit()
    with unit:  # left without a commit: the erasure is rolled back
        export = export_subject(unit, customer.id, at=LATER)
        report = erase_subject(unit, customer.id, at=LATER, actor="staff:dpo-1")
    log = AuditLog()
    stored = customer.without_pending_events()
    changes = [
        RecordChange(aggregate_kind="customer", aggregate_id="c-7", after=customer, actor="s-a"),
        RecordChange(
            aggregate_kind="customer",
            aggregate_id="c-7",
            before=stored,
            after=stored.rename(PersonName(p.word("New")), at=at),
            actor="s-b",
        ),
    ]
    log.record_commit(changes[:1])
    log.record_commit(changes[1:])
    out: list[object] = [
        held,
        held.processing_decision("marketing", at=LATER),
        *anonymised,
        *masked,
        screen([held], "marketing", at=LATER),
        export,
        export.manifest,
        report,
        *changes,
        log.entries,
        log.history("customer", "c-7"),
    ]
    for aggregate in (held, *anonymised):
        out.extend(aggregate.pending_events)
    return out


@fuzz_settings(0.15, minimum=5)
@given(p=PERSONAL)
def test_reprs_never_show_personal_data(p):
    """No repr or str of an object built from personal data shows that data."""
    objects = list(harvest(tuple(personal_objects(p))).values())
    check_texts(
        p,
        (
            (f"{type(obj).__name__} {kind}", text)
            for obj in objects
            for kind, text in (("repr", repr(obj)), ("str", str(obj)))
        ),
        "pii: reprs",
    )


@fuzz_settings(0.15, minimum=5)
@given(p=PERSONAL)
def test_serialized_events_never_copy_personal_data(p):
    """Every event document (what an outbox stores) is free of the personal data."""
    events = [
        obj for obj in harvest(tuple(personal_objects(p))).values() if isinstance(obj, DomainEvent)
    ]
    events += [
        e
        for obj in personal_objects(p)
        if hasattr(obj, "pending_events")
        for e in obj.pending_events
    ]
    assert events
    check_texts(
        p,
        ((f"{event.type} document", json.dumps(to_dict(event))) for event in events),
        "pii: event documents",
    )


def personal_failures(p: Personal) -> Iterator[Callable[[], object]]:  # noqa: PLR0915 - a table of calls.
    """Calls that must fail, each involving personal data."""
    customer = personal_customer(p)
    yield lambda: customer.add_contact_point(ContactPoint("email", p.email), at=T0 + 4 * HOUR)
    yield lambda: customer.remove_contact_point("email", f"x{p.email}", at=T0 + 4 * HOUR)
    yield lambda: customer.verify_contact_point("email", f"y{p.email}", at=T0 + 4 * HOUR)
    yield lambda: customer.set_primary_contact_point("sms", p.phone, at=T0 + 4 * HOUR)
    yield lambda: customer.change_birth_date(date(2999, 1, 1), at=T0 + 4 * HOUR)
    yield lambda: customer.rename(PersonName(p.word("Given")), at=T0 - DAY)
    yield lambda: customer.set_attribute(p.word("Key"), p.word("Value"), at=T0 + 4 * HOUR)
    yield lambda: customer.set_attribute("k", p.word("Value") * 200, at=T0 + 4 * HOUR)
    yield lambda: customer.remove_attribute(p.word("Key"), at=T0 + 4 * HOUR)
    yield lambda: customer.remove_address(PostalAddress([p.word("Nowhere ")], "ID"), at=LATER)
    yield lambda: customer.add_tag(f"{p.marker}\x00", at=LATER)
    yield lambda: customer.give_consent("email", "service", at=LATER, source=f"{p.marker}\x00")
    yield lambda: customer.give_consent("email", "service", at=LATER, source=p.marker * 100)
    yield lambda: ContactPoint("email", f"{p.marker}@@example.com")
    yield lambda: ContactPoint("email", f"{p.marker} @example.com")
    yield lambda: ContactPoint("email", p.email, label=f"{p.marker}\x07")
    yield lambda: ContactPoint("phone", f"{p.phone}{p.marker}")
    yield lambda: ContactPoint("phone", f"+999{p.digits}")
    yield lambda: ContactPoint.phone(f"0812{p.digits}")
    yield lambda: normalize_email(f"{p.marker}@")
    yield lambda: normalize_phone(f"{p.digits}{p.digits}{p.digits}")
    yield lambda: PersonName(f"{p.word('Given')}\x00")
    yield lambda: PersonName(p.marker * 30)
    yield lambda: PersonName(p.word("Given"), family=f"{p.marker}\u202e")
    yield lambda: OrganizationName(p.word("Legal"), trading="")
    yield lambda: PostalAddress([p.word("Jl. ")], f"Z{p.marker}")
    yield lambda: PostalAddress([p.word("Jl. ")] * 5, "ID")
    yield lambda: PostalAddress([p.word("Jl. ")], "ID", postal_code=p.marker * 5)
    yield lambda: PostalAddress([p.word("Jl. ")], "ID", locality=f"{p.marker}\x00")
    yield lambda: Customer.register(
        CustomerId("c-7"), name=PersonName("Ana"), at=T0, birth_date=date(2999, 1, 1)
    )
    yield lambda: Customer.register(
        CustomerId("c-7"),
        name=PersonName("Ana"),
        at=T0,
        contact_points=[ContactPoint("email", p.email)] * 2,
    )
    yield lambda: Customer.register(
        CustomerId("c-7"), name=PersonName("Ana"), at=T0, attributes={p.word("Key"): object()}
    )
    # Ids that look like email addresses (or hold personal data in other shapes) are refused.
    yield lambda: CustomerId(p.email)
    yield lambda: CustomerId(f"{p.marker} {p.digits}")
    yield lambda: CustomerId(p.marker * 20)
    yield lambda: Customer.register(CustomerId("c-7"), name=PersonName("Ana"), at=T0, actor=p.email)
    yield lambda: Interaction.log(
        InteractionId("i-7"),
        customer_id=CID,
        kind="call",
        channel="phone",
        direction="inbound",
        at=T0,
        notes=f"{p.word('Notes ')}\x00",
    )
    yield lambda: Case.open(
        CaseId("k-7"),
        customer_id=CID,
        kind="complaint",
        subject=p.word("Subject ") * 100,
        channel="email",
        at=T0,
        description=p.marker * 1000,
    )
    yield lambda: Review.receive(
        ReviewId("r-7"), platform="google", rating=9, at=T0, text=p.word("Review ")
    )
    yield lambda: Review.receive(
        ReviewId("r-7"), platform="google", rating=1, at=T0, author_name=f"{p.marker}\x07"
    )
    yield lambda: NpsResponse.record(
        FeedbackId("f-7"), customer_id=CID, score=3, at=T0, comment=p.marker * 1000
    )
    yield lambda: response_plan(
        REVIEW,
        customer_name=p.marker * 100,
        service_standard="We answer fast.",
        compensation=None,
        offline_contact=ContactPoint("email", p.email),
    )
    doc = to_dict(customer)
    doc["contact_points"][0]["value"] = f"{p.marker}@@x"
    yield lambda: from_dict(Customer, doc)
    doc2 = to_dict(customer)
    doc2["profile"]["birth_date"] = f"{p.birth_date.isoformat()}T00:00"
    yield lambda: from_dict(Customer, doc2)
    doc3 = to_dict(customer)
    doc3["profile"]["name"]["given"] = f"{p.marker}\x00"
    yield lambda: from_dict(Customer, doc3)
    doc4 = to_dict(customer)
    doc4["id"] = p.email
    yield lambda: from_dict(Customer, doc4)
    doc5 = to_dict(customer)
    doc5["profile"][p.word("key")] = p.word("Value")
    yield lambda: from_dict(Customer, doc5)
    yield lambda: segmentation.rule_from_dict(
        {"field": "email", "op": "eq", "kind": "number", "value": p.email}
    )
    yield lambda: segmentation.rule_from_dict(
        {"field": "email", "op": "eq", "kind": "date", "value": p.birth_date.isoformat() + "x"}
    )
    yield lambda: segmentation.rule_from_dict(
        {"field": "email", "op": "is_empty", p.word("key"): p.word("Value")}
    )
    yield lambda: segmentation.rule_from_dict({"field": p.word("field"), "op": "is_empty"})
    yield lambda: segmentation.field("email").is_in([p.email, 5])
    yield lambda: segmentation.field("email").between(p.email, p.birth_date)


@fuzz_settings(0.1, minimum=5)
@given(p=PERSONAL)
def test_error_messages_never_show_personal_data(p):
    """Every refusal involving personal data is a CrmcoreError whose text omits that data."""
    for index, call in enumerate(personal_failures(p)):
        started = time.perf_counter()
        try:
            call()
        except CrmcoreError as exc:
            error = exc
        else:
            pytest.fail(f"call {index} was accepted")
        STATS.record("pii: error messages", outcome_of(error), time.perf_counter() - started)
        texts = [
            ("str", str(error)),
            ("repr", repr(error)),
            *(
                (f"problem {i}", str(problem))
                for i, problem in enumerate(getattr(error, "problems", ()))
            ),
            *((f"attribute {name}", repr(value)) for name, value in vars(error).items()),
        ]
        for label, text in texts:
            assert [] == p.leaks(text), f"call {index} {label}: {text[:300]}"


@fuzz_settings(0.1, minimum=5)
@given(p=PERSONAL)
def test_rules_and_explanations_mask_personal_values(p):
    """Rules over personal fields describe and explain themselves without the values."""
    customer = personal_customer(p)
    snap = segmentation.snapshot(customer, at=LATER)
    rules = [
        segmentation.field("email") == p.email,
        segmentation.field("email").ends_with(p.email[3:]),
        segmentation.field("phone").is_in([p.phone]),
        segmentation.field("birth_date").before(p.birth_date + timedelta(days=1)),
        segmentation.field("name").starts_with(p.word("Other")[:10]),
        segmentation.field("locality") == p.word("Kota"),
        segmentation.field("address").contains(p.marker),
        segmentation.field("attributes.store") == p.word("Store"),
        segmentation.field("attributes.favourite").starts_with(p.word("Fav")),
        segmentation.not_(segmentation.field("email").is_empty()),
    ]
    texts: list[tuple[str, str]] = []
    for index, rule in enumerate(rules):
        for personal in (segmentation.DEFAULT_PERSONAL_FIELDS, (), ["clv"]):
            explanation = rule.explain(snap, at=LATER, personal=personal)
            texts += [
                (f"rule {index} repr", repr(rule)),
                (f"rule {index} describe", rule.describe(personal)),
                (f"rule {index} explain", explanation.render()),
                (f"rule {index} explanation repr", repr(explanation)),
            ]
    check_texts(p, iter(texts), "pii: explanations")


@fuzz_settings(0.1, minimum=5)
@given(p=PERSONAL)
def test_repository_errors_never_show_natural_keys(p):
    """Duplicate and missing emails or phone numbers are reported without the value."""
    uow = repository.InMemoryUnitOfWork()
    first = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana"),
        at=T0,
        contact_points=[ContactPoint("email", p.email), ContactPoint.phone(p.phone)],
    )
    second = Customer.register(
        CustomerId("c-2"),
        name=PersonName("Budi"),
        at=T0,
        contact_points=[ContactPoint("email", p.email)],
    )
    with uow:
        uow.customers.add(first)
        uow.commit()
    failures = [
        lambda: uow.customers.add(second),
        lambda: uow.customers.get_by_email(f"other.{p.email}"),
        lambda: uow.customers.get_by_phone(f"+62813{p.digits}"),
        lambda: uow.customers.get_by_email(f"{p.marker}@@"),
    ]

    def call_and_commit(call: Callable[[], object]) -> None:
        call()
        uow.commit()

    for call in failures:
        with uow, pytest.raises(CrmcoreError) as caught:
            call_and_commit(call)
        check_texts(
            p, iter([("str", str(caught.value)), ("repr", repr(caught.value))]), "pii: repositories"
        )


@pytest.mark.parametrize(
    "text",
    ["ana@example.com", "c-1@x", "@", "a@b", "zqx.marker@example.com"],
)
def test_ids_that_look_like_email_addresses_are_refused(text):
    """An id holding "@" is refused (it would copy an email address into every event and log)."""
    with pytest.raises(ValidationError) as caught:
        CustomerId(text)
    assert "id_format" == caught.value.code
    assert text not in str(caught.value)
    assert text not in repr(caught.value)
    with pytest.raises(ValidationError) as caught:
        Identifier(text)
    assert text not in str(caught.value)

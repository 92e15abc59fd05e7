"""The shared world of the export and erasure tests: a subject and one record of each kind."""

from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore._kernel._ids import PrivacyRequestId
from crmcore.activities import Activity, ActivityId, RecordRef
from crmcore.commerce import (
    Order,
    OrderId,
    OrderLine,
    PaymentId,
    Plan,
    PlanId,
    ProductId,
    Subscription,
    SubscriptionId,
)
from crmcore.feedback import FeedbackId, NpsResponse, Review, ReviewId
from crmcore.interactions import Interaction, InteractionId
from crmcore.loyalty import LoyaltyAccount, LoyaltyAccountId, LoyaltyProgram, ProgramId, Tier
from crmcore.merge import merge_customers_in
from crmcore.notes import Note, NoteId
from crmcore.parties import Relationship, RelationshipId
from crmcore.privacy import (
    DataSubjectRequest,
)
from crmcore.repository import InMemoryUnitOfWork
from crmcore.sales import STANDARD_PIPELINE, Lead, LeadId, Opportunity, OpportunityId
from crmcore.service import Case, CaseId
from crmcore.teams import StaffId

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AT = T0 + timedelta(days=30)
SUBJECT = CustomerId("c-1")
OTHER = CustomerId("c-2")
ABSORBED = CustomerId("c-3")
EMAIL = "ana.putri@example.com"
PROGRAM = LoyaltyProgram(
    id=ProgramId("points"),
    name="Points",
    currency="IDR",
    tiers=[Tier.by_spend("basic", Money("0", "IDR"))],
)
PLAN = Plan(
    id=PlanId("monthly"),
    name="Monthly",
    price=Money("99000", "IDR"),
    period=relativedelta(months=1),
    product_type="box",
)
LINE = OrderLine(ProductId("sku-1"), 2, Money("45000", "IDR"), category="books")


def register(customer_id: CustomerId, email: str | None = None) -> Customer:
    points = [ContactPoint("email", email)] if email else []
    name = PersonName("Ana", family="Putri")
    return Customer.register(customer_id, name=name, at=T0, contact_points=points)


def records_about(customer_id: CustomerId, tag: str) -> dict[str, object]:
    """One record of every kind an export covers, naming ``customer_id``; ids end with ``tag``."""
    order = Order.place(OrderId(f"o-{tag}"), customer_id=customer_id, lines=[LINE], at=T0)
    lead = Lead.capture(LeadId(f"l-{tag}"), name=PersonName("Ana"), source="web", at=T0)
    return {
        "relationships": Relationship.establish(
            RelationshipId(f"h-{tag}"),
            kind="household_member",
            party_id=customer_id,
            related_id=CustomerId("c-hh"),
            at=T0,
        ),
        "orders": order.record_payment(PaymentId(f"p-{tag}"), Money("90000", "IDR"), at=T0),
        "subscriptions": Subscription.start(
            SubscriptionId(f"s-{tag}"), customer_id=customer_id, plan=PLAN, at=T0
        ),
        "interactions": Interaction.log(
            InteractionId(f"i-{tag}"),
            customer_id=customer_id,
            kind="call",
            channel="phone",
            direction="inbound",
            subject="Asked about the delivery to Jalan Melati 7",
            at=T0,
        ),
        "cases": Case.open(
            CaseId(f"k-{tag}"),
            customer_id=customer_id,
            kind="question",
            subject="Parcel left with neighbour Pak Budi",
            channel="email",
            at=T0,
        ),
        "reviews": Review.receive(
            ReviewId(f"r-{tag}"), platform="google", rating=4, at=T0, customer_id=customer_id
        ),
        "surveys": NpsResponse.record(
            FeedbackId(f"f-{tag}"), customer_id=customer_id, score=9, at=T0
        ),
        "loyalty_accounts": LoyaltyAccount.enroll(
            LoyaltyAccountId(f"la-{tag}"), customer_id=customer_id, program=PROGRAM, at=T0
        ),
        "leads": lead.qualify(at=T0).convert(customer_id, at=T0).lead,
        "opportunities": Opportunity.open(
            OpportunityId(f"op-{tag}"),
            customer_id=customer_id,
            name="Renewal for the Putri family",
            amount=Money("1000000", "IDR"),
            expected_close=date(2026, 3, 1),
            owner=StaffId("s-1"),
            pipeline=STANDARD_PIPELINE,
            at=T0,
        ),
        "activities": Activity.plan(
            ActivityId(f"a-{tag}"),
            kind="call",
            subject="Call Ana about her renewal",
            due_at=T0 + timedelta(days=3),
            at=T0,
            link=RecordRef.to(customer_id),
        ),
        "notes": Note.write(
            NoteId(f"n-{tag}"),
            link=RecordRef.to(customer_id),
            body="Prefers calls after 10:00, speaks Javanese.",
            at=T0,
        ),
        "privacy_requests": DataSubjectRequest.receive(
            PrivacyRequestId(f"dsr-{tag}"),
            customer_id=customer_id,
            kind="access",
            jurisdiction="uu_pdp",
            channel="email",
            at=T0,
        ),
    }


def world() -> InMemoryUnitOfWork:
    """A store holding the subject, another customer, and one record of each kind for each."""
    unit = InMemoryUnitOfWork()
    with unit:
        unit.customers.add(register(SUBJECT, EMAIL))
        unit.customers.add(register(OTHER, "budi@example.com"))
        unit.customers.add(register(CustomerId("c-hh")))
        for customer_id, tag in ((SUBJECT, "1"), (OTHER, "2")):
            for repository, record in records_about(customer_id, tag).items():
                getattr(unit, repository).add(record)
        unit.commit()
    return unit


def with_absorbed(unit: InMemoryUnitOfWork, *absorbed: CustomerId) -> None:
    """Register each of ``absorbed`` and merge it into the subject (the first merged first)."""
    with unit:
        for customer_id in absorbed:
            unit.customers.add(register(customer_id))
            merge_customers_in(unit, SUBJECT, customer_id, at=T0 + timedelta(days=1))
        unit.commit()

"""The built-in demonstration: a deterministic synthetic customer base and a report.

Everything here is pure: the data set is generated from a fixed seed and a
fixed reference time, and each section returns text. ``python -m crmcore demo``
prints the sections.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crmcore._demo._accounts import demo_section as accounts_section
from crmcore._demo._automation import demo_section as automation_section
from crmcore._demo._clv import section_clv
from crmcore._demo._commerce import demo_commerce
from crmcore._demo._commerce import demo_section as commerce_section
from crmcore._demo._format import money, plural
from crmcore._demo._ladder import demo_relationships, progress_monthly, section_lifecycle
from crmcore._demo._loyalty import demo_loyalty
from crmcore._demo._loyalty import demo_section as loyalty_section
from crmcore._demo._marketing import demo_section as marketing_section
from crmcore._demo._privacy import demo_section as privacy_section
from crmcore._demo._segments import demo_section as segments_section
from crmcore._demo._selling import demo_section as selling_section
from crmcore._demo._service import demo_section as service_section
from crmcore._kernel._ids import SequentialIdSource
from crmcore._kernel._money import Money
from crmcore.automation import standard_automations, standard_templates
from crmcore.customers import (
    Channel,
    ContactPoint,
    Customer,
    CustomerId,
    OrganizationName,
    PersonName,
    PostalAddress,
    Purpose,
)
from crmcore.errors import ConcurrencyConflict
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork
from crmcore.serialization import from_dict, to_dict

#: The demo's "now": every time in the report is relative to it.
REFERENCE_TIME = datetime(2026, 6, 30, 17, 0, tzinfo=UTC)
#: The seed of every generated fact beyond the customers themselves.
DEMO_SEED = 20260630

_GIVEN = (
    "Ayu",
    "Budi",
    "Citra",
    "Dewi",
    "Eko",
    "Fajar",
    "Gita",
    "Hadi",
    "Indah",
    "Joko",
    "Kartika",
    "Lestari",
    "Made",
    "Nur",
    "Oka",
    "Putri",
    "Rina",
    "Sari",
    "Teguh",
    "Wayan",
    "Yusuf",
    "Zahra",
    "Agus",
    "Bayu",
    "Dian",
    "Gede",
    "Hendra",
    "Intan",
    "Ketut",
    "Siti",
)
_FAMILY = (
    "Santoso",
    "Wijaya",
    "Saputra",
    "Lestari",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Nugroho",
    "Siregar",
    "Simanjuntak",
    "Hasibuan",
    "Halim",
    "Gunawan",
    "Setiawan",
    None,
    None,
)
_COMPANIES = (
    "PT Sinar Jaya Abadi",
    "CV Maju Bersama",
    "PT Nusantara Digital",
    "Toko Berkah Sentosa",
    "PT Samudra Logistik",
    "Koperasi Tani Makmur",
)
_CITIES = (
    ("Jakarta", "DKI Jakarta", "10110"),
    ("Bandung", "Jawa Barat", "40111"),
    ("Surabaya", "Jawa Timur", "60111"),
    ("Denpasar", "Bali", "80111"),
    ("Medan", "Sumatera Utara", "20111"),
    ("Makassar", "Sulawesi Selatan", "90111"),
)
_TAGS = ("vip", "newsletter", "wholesale", "b2b", "birthday-club", "referral", "app-user")
_SOURCES = ("web-signup-form", "store:JKT-01", "mobile-app", "call-centre")


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def build_customers(count: int = 300, *, seed: int = 20260630) -> list[Customer]:
    """Register ``count`` synthetic customers, deterministically.

    Each customer gets contact points, consents given over time (some later
    withdrawn), tags and custom attributes, all through the aggregate's
    commands, so every customer carries realistic pending events.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets.
    ids = SequentialIdSource("cust-", width=5)
    customers: list[Customer] = []
    for index in range(count):
        registered = REFERENCE_TIME - timedelta(
            days=rng.randint(30, 3 * 365), minutes=rng.randint(0, 1439)
        )
        is_org = rng.random() < 0.08
        name: PersonName | OrganizationName
        if is_org:
            legal = rng.choice(_COMPANIES)
            name = OrganizationName(legal, trading=legal.split(" ", 1)[1])
            handle = _ascii(legal)[:12]
        else:
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
            name = PersonName(given, family=family)
            handle = _ascii(given) + ("." + _ascii(family) if family else "")
        city, region, postal = rng.choice(_CITIES)
        birth = (
            None
            if is_org or rng.random() < 0.2
            else date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28))
        )
        points = [ContactPoint("email", f"{handle}{index}@example.co.id")]
        if rng.random() < 0.7:
            points.append(ContactPoint("whatsapp", f"+62812{rng.randint(10_000_000, 99_999_999)}"))
        customer = Customer.register(
            CustomerId.new(ids),
            name=name,
            at=registered,
            birth_date=birth,
            addresses=[
                PostalAddress(
                    lines=[f"Jl. Merdeka No. {rng.randint(1, 200)}"],
                    locality=city,
                    region=region,
                    postal_code=postal,
                    country="ID",
                )
            ],
            preferred_language=rng.choice(("id", "id", "id", "en")),
            contact_points=points,
            attributes={"segment_hint": rng.choice(("retail", "online", "hybrid"))},
        )
        at = registered
        if rng.random() < 0.6:
            at = min(
                at + timedelta(hours=rng.randint(0, 48)), REFERENCE_TIME
            )  # never after the demo's now
            customer = customer.give_consent(
                "email", "marketing", at=at, source=rng.choice(_SOURCES)
            )
        if len(points) > 1 and rng.random() < 0.5:
            at = min(
                at + timedelta(days=rng.randint(0, 30)), REFERENCE_TIME
            )  # never after the demo's now
            customer = customer.give_consent(
                "whatsapp", "marketing", at=at, source=rng.choice(_SOURCES)
            )
        if rng.random() < 0.35:
            at = min(
                at + timedelta(days=rng.randint(0, 90)), REFERENCE_TIME
            )  # never after the demo's now
            customer = customer.give_consent(None, "profiling", at=at, source="privacy-centre")
        if rng.random() < 0.12:
            at = min(
                at + timedelta(days=rng.randint(1, 200)), REFERENCE_TIME
            )  # never after the demo's now
            customer = customer.withdraw_consent(
                None, "marketing", at=at, source="unsubscribe-link"
            )
        for tag in rng.sample(_TAGS, k=rng.randint(0, 3)):
            customer = customer.add_tag(tag, at=at)
        if rng.random() < 0.3:
            customer = customer.verify_contact_point("email", points[0].value, at=at)
        customers.append(customer)
    return customers


def section_customers(customers: Sequence[Customer]) -> str:
    """Who is in the synthetic customer base."""
    kinds = Counter(c.kind.value for c in customers)
    tags = Counter(tag for c in customers for tag in c.tags)
    channels = Counter(p.channel.value for c in customers for p in c.contact_points)
    verified = sum(1 for c in customers for p in c.contact_points if p.verified)
    lines = [
        (
            f"{plural(len(customers), 'customer')} registered "
            f"({plural(kinds['person'], 'person', 'people')}, "
            f"{plural(kinds['organization'], 'organization')})"
        ),
        "contact points: "
        + ", ".join(f"{name} {n}" for name, n in sorted(channels.items()))
        + f" ({verified} verified)",
        "tags: " + ", ".join(f"{name} {n}" for name, n in tags.most_common()),
    ]
    return "\n".join(lines)


def section_consent(customers: Sequence[Customer], at: datetime) -> str:
    """Consent decisions per channel and purpose, by the least-permissive rule."""
    rows = []
    for channel in (Channel.EMAIL, Channel.WHATSAPP):
        for purpose in (Purpose.MARKETING, Purpose.PROFILING, Purpose.SERVICE):
            reasons: Counter[str] = Counter()
            allowed = 0
            for customer in customers:
                decision = customer.consent_decision(channel, purpose, at=at)
                allowed += decision.allowed
                reasons[decision.reason] += 1
            why = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
            rows.append(f"  {channel.value:<9} {purpose.value:<10} {allowed:>4} may   ({why})")
    header = f"may we contact them on {at.date().isoformat()}? (channel, purpose, yes, reasons)"
    return "\n".join([header, *rows])


def section_events(customers: Sequence[Customer]) -> str:
    """The domain events the host application would receive."""
    counts = Counter(e.type for c in customers for e in c.pending_events)
    total = sum(counts.values())
    lines = [f"{total} domain events recorded, ready for the host application:"]
    width = max((len(name) for name in counts), default=0)
    lines += [f"  {name:<{width}} {n:>5}" for name, n in counts.most_common()]
    return "\n".join(lines)


def section_round_trip(customers: Sequence[Customer]) -> str:
    """Every customer survives a JSON round trip unchanged."""
    text = json.dumps([to_dict(c) for c in customers])
    back = [from_dict(Customer, d) for d in json.loads(text)]
    same = sum(
        1
        for a, b in zip(customers, back, strict=True)
        if a == b and a.pending_events == b.pending_events
    )
    sample = to_dict(customers[0].without_pending_events())
    keys = ", ".join(sorted(sample))
    return (
        f"JSON round trip: {same}/{plural(len(customers), 'customer')} identical "
        f"({len(text) // 1024} KiB of JSON)\n"
        f"document keys: {keys}\n"
        f"a customer's repr hides personal data: {customers[0]!r}"
    )


def section_money() -> str:
    """Money is exact Decimal in one currency."""
    price = Money(Decimal(275_000), "IDR")
    split = (price * 2).allocate([1, 1, 1])
    return (
        f"a gift-shop customer buying items of {money(price)} twice a month for three years: "
        f"{money(price * 24 * 3)}\n"
        f"{money(price * 2)} split three ways without losing a sen: "
        + " + ".join(money(part) for part in split)
    )


def section_persistence(customers: Sequence[Customer], at: datetime) -> str:
    """Store the customers in the in-memory unit of work; show events out and a conflict."""
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        for customer in customers:
            uow.customers.add(customer)
        uow.commit()
    collector = InMemoryUnitOfWork(store)
    events = collector.collect_events()
    collector.acknowledge(events)  # handled: they leave the outbox
    first = customers[0]
    email = first.contact_points_on("email")[0].value
    with InMemoryUnitOfWork(store) as uow:
        found = uow.customers.get_by_email(email.upper())
        stored_count = uow.customers.count()
    lines = [
        (
            f"{plural(stored_count, 'customer')} stored in one committed unit of work; "
            f"{plural(len(events), 'event')} handed out and acknowledged"
        ),
        f"lookup by email (case-insensitive) finds {found.id} at version {found.version}",
    ]
    # Two units load the same customer; the second save conflicts and applies nothing.
    alice, bob = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with alice, bob:
        mine = alice.customers.get(first.id)
        theirs = bob.customers.get(first.id)
        alice.customers.save(mine.add_tag("called-back", at=at))
        alice.commit()
        bob.customers.save(theirs.add_tag("sent-voucher", at=at))
        try:
            bob.commit()
        except ConcurrencyConflict as conflict:
            lines.append(
                "two units edit one customer: the first commit wins, the second gets "
                f"ConcurrencyConflict (loaded version {conflict.expected_version}, "
                f"stored {conflict.actual_version}) and applies nothing"
            )
    with InMemoryUnitOfWork(store) as uow:
        final = uow.customers.get(first.id)
        lines.append(f"{final.id} now at version {final.version} with tags {sorted(final.tags)}")
    return "\n".join(lines)


Section = tuple[str, Callable[[], str]]


def build_world(count: int = 300) -> tuple[Any, ...]:
    """The demo's data: customers, commerce, loyalty, relationships and the laddered customers."""
    customers = build_customers(count)
    commerce = demo_commerce(customers, seed=DEMO_SEED, at=REFERENCE_TIME)
    loyalty = demo_loyalty(customers, commerce.orders, seed=DEMO_SEED, at=REFERENCE_TIME)
    relationships = demo_relationships(
        customers, commerce.orders, seed=DEMO_SEED, at=REFERENCE_TIME
    )
    laddered = progress_monthly(
        customers,
        commerce.orders,
        REFERENCE_TIME,
        accounts=loyalty.accounts,
        interactions=commerce.interactions,
        relationships=relationships,
    )
    return customers, commerce, loyalty, relationships, laddered


def sections(count: int = 300) -> list[Section]:
    """The report's sections, in order, as (title, render) pairs."""
    customers, commerce, loyalty, _, laddered = build_world(count)
    return [
        ("Customers", lambda: section_customers(customers)),
        ("Consent", lambda: section_consent(customers, REFERENCE_TIME)),
        ("Domain events", lambda: section_events(customers)),
        ("Serialization", lambda: section_round_trip(customers)),
        ("Money", section_money),
        ("Persistence", lambda: section_persistence(customers, REFERENCE_TIME)),
        (
            "Commerce",
            lambda: commerce_section(customers, seed=DEMO_SEED, at=REFERENCE_TIME, data=commerce),
        ),
        (
            "Service and feedback",
            lambda: service_section(customers, seed=DEMO_SEED, at=REFERENCE_TIME),
        ),
        (
            "Loyalty and sales pipeline",
            lambda: loyalty_section(
                customers, commerce.orders, seed=DEMO_SEED, at=REFERENCE_TIME, data=loyalty
            ),
        ),
        (
            "Accounts, contacts and duplicates",
            lambda: accounts_section(customers, seed=DEMO_SEED, at=REFERENCE_TIME),
        ),
        (
            "Automation",
            lambda: automation_section(
                customers,
                commerce,
                loyalty,
                seed=DEMO_SEED,
                at=REFERENCE_TIME,
                rules=standard_automations(),
                templates=standard_templates(),
            ),
        ),
        (
            "Privacy, audit and access",
            lambda: privacy_section(customers, commerce, seed=DEMO_SEED, at=REFERENCE_TIME),
        ),
        (
            "Products, quotes and currencies",
            lambda: selling_section(customers, seed=DEMO_SEED, at=REFERENCE_TIME),
        ),
        (
            "Marketing",
            lambda: marketing_section(customers, commerce, seed=DEMO_SEED, at=REFERENCE_TIME),
        ),
        (
            "Lifecycle",
            lambda: section_lifecycle(
                laddered, REFERENCE_TIME, orders=commerce.orders, accounts=loyalty.accounts
            ),
        ),
        (
            "Customer lifetime value",
            lambda: section_clv(commerce.orders, REFERENCE_TIME, seed=DEMO_SEED),
        ),
        (
            "Segments and analytics",
            lambda: segments_section(
                customers,
                [(o.customer_id, o.placed_at, o.amount) for o in commerce.orders if o.is_purchase],
                at=REFERENCE_TIME,
            ),
        ),
    ]


def report(count: int = 300) -> str:
    """The whole demo report as text."""
    parts = [
        (
            "crmcore demo: a synthetic customer base, generated deterministically "
            f"(reference time {REFERENCE_TIME.isoformat()})"
        )
    ]
    for title, render in sections(count):
        parts.append(f"\n== {title} ==\n{render()}")
    return "\n".join(parts)

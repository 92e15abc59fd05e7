"""The built-in demonstration: a deterministic synthetic customer base and a report.

Everything here is pure: the data set is generated from a fixed seed and a
fixed reference time, and each section returns text. ``python -m crmcore demo``
prints the sections.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from crmcore._demo._accounts import demo_section as accounts_section
from crmcore._demo._automation import demo_section as automation_section
from crmcore._demo._commerce import demo_commerce
from crmcore._demo._commerce import demo_section as commerce_section
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
from crmcore.clv import BetaGeo, GammaGamma, customer_lifetime_value, formula_clv
from crmcore.commerce import Order
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
from crmcore.lifecycle import (
    LADDER_RUNGS,
    RELATIONSHIP_LADDER,
    Facts,
    funnel,
    progress,
    stage_distribution,
)
from crmcore.loyalty import LoyaltyAccount
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
            at += timedelta(hours=rng.randint(0, 48))
            customer = customer.give_consent(
                "email", "marketing", at=at, source=rng.choice(_SOURCES)
            )
        if len(points) > 1 and rng.random() < 0.5:
            at += timedelta(days=rng.randint(0, 30))
            customer = customer.give_consent(
                "whatsapp", "marketing", at=at, source=rng.choice(_SOURCES)
            )
        if rng.random() < 0.35:
            at += timedelta(days=rng.randint(0, 90))
            customer = customer.give_consent(None, "profiling", at=at, source="privacy-centre")
        if rng.random() < 0.12:
            at += timedelta(days=rng.randint(1, 200))
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
            f"{len(customers)} customers registered "
            f"({kinds['person']} people, {kinds['organization']} organizations)"
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
        f"JSON round trip: {same}/{len(customers)} customers identical "
        f"({len(text) // 1024} KiB of JSON)\n"
        f"document keys: {keys}\n"
        f"a customer's repr hides personal data: {customers[0]!r}"
    )


def section_money() -> str:
    """Money is exact Decimal in one currency."""
    price = Money(Decimal(275_000), "IDR")
    split = (price * 2).allocate([1, 1, 1])
    return (
        f"a gift-shop customer buying items of {price} twice a month for three years: "
        f"{price * 24 * 3}\n"
        f"{price * 2} split three ways without losing a sen: "
        + " + ".join(str(part) for part in split)
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
            f"{stored_count} customers stored in one committed unit of work; "
            f"{len(events)} events handed out and acknowledged"
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


#: BG/NBD and Gamma-Gamma parameters published for CDNOW (Fader, Hardie & Lee 2005).
_CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
_CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def _tiers(values: Sequence[float]) -> tuple[float, float]:
    """Cut points putting the lowest 20% in "low" and the highest 20% in "high"."""
    ordered = sorted(values)
    return ordered[len(ordered) // 5], ordered[(4 * len(ordered)) // 5]


def section_clv(orders: Sequence[Order], at: datetime) -> str:
    """Formula CLV, a model fitted to a simulated base, top customers and tiers."""
    gift_shop = formula_clv(Money(275_000, "IDR"), purchases_per_year=24, retention_years=3)
    refined = formula_clv(
        Money(275_000, "IDR"),
        purchases_per_year=24,
        retention_years=3,
        gross_margin=Decimal("0.3"),
        discount_rate=Decimal("0.1"),
        acquisition_cost=Money(500_000, "IDR"),
    )
    lines = [
        f"formula CLV of the gift-shop customer (275,000 x 24 x 3): {gift_shop.gross_value}",
        (
            f"  at a 30% margin, discounted at 10% a year, after a Rp 500,000 acquisition cost: "
            f"{refined.net_value.rounded()}, paid back after {refined.payback_years:.2f} years"
        ),
    ]
    truth = BetaGeo(params=_CDNOW_BGNBD)
    base = truth.simulate(2000, 39.0, seed=DEMO_SEED)
    fitted = BetaGeo().fit(base["frequency"], base["recency"], base["T"])
    spend = GammaGamma(params=_CDNOW_GAMMA_GAMMA).simulate(base["frequency"], seed=DEMO_SEED)
    repeat = [i for i, f in enumerate(base["frequency"]) if f > 0]
    gamma = GammaGamma().fit(
        [base["frequency"][i] for i in repeat], [spend["monetary_value"][i] for i in repeat]
    )
    shown = ", ".join(f"{k} {v:.3f}" for k, v in (fitted.params or {}).items())
    lines.append(
        "BG/NBD refitted on 2,000 customers simulated over 39 weeks from the published "
        f"CDNOW parameters (r 0.243, alpha 4.414, a 0.793, b 2.426): {shown}"
    )
    weekly = 1.10 ** (1 / 52) - 1
    values = customer_lifetime_value(
        fitted,
        gamma,
        [base["frequency"][i] for i in repeat],
        [base["recency"][i] for i in repeat],
        [base["T"][i] for i in repeat],
        [spend["monetary_value"][i] for i in repeat],
        horizon=52,
        discount_rate=weekly,
        margin=0.3,
    )
    ranked = sorted(zip(values, repeat, strict=True), reverse=True)
    lines.append("top simulated customers by 52-week CLV (30% margin, 10% a year):")
    lines += [
        f"  customer {index:>4}: {value:8.2f} "
        f"(x={base['frequency'][index]:.0f}, t_x={base['recency'][index]:.1f}, "
        f"P(alive)={fitted.probability_alive(base['frequency'][index], base['recency'][index], base['T'][index]):.2f})"
        for value, index in ranked[:5]
    ]
    # The demo's own customers: formula CLV from each buyer's order history.
    by_customer: dict[CustomerId, list[Order]] = defaultdict(list)
    for order in orders:
        if order.is_purchase and order.placed_at <= at:
            by_customer[order.customer_id].append(order)
    own: list[tuple[Decimal, CustomerId]] = []
    for customer_id, bought in by_customer.items():
        years = max(Decimal((at - min(o.placed_at for o in bought)).days) / 365, Decimal(1) / 12)
        average = Money.total((o.amount for o in bought), currency="IDR") / len(bought)
        per_year = Decimal(len(bought)) / years
        value = formula_clv(
            average, purchases_per_year=per_year, retention_years=3, gross_margin=Decimal("0.3")
        )
        own.append((value.margin_value.amount, customer_id))
    if own:
        low_cut, high_cut = _tiers([float(v) for v, _ in own])
        tiers = Counter(
            "high" if float(v) >= high_cut else "low" if float(v) < low_cut else "medium"
            for v, _ in own
        )
        lines.append(
            f"CLV tiers of the {len(own)} demo customers who bought (3 years, 30% margin): "
            f"low {tiers['low']}, medium {tiers['medium']}, high {tiers['high']}"
        )
        best = sorted(own, reverse=True)[:3]
        lines.append(
            "  highest: " + ", ".join(f"{cid} {Money(v, 'IDR').rounded()}" for v, cid in best)
        )
    return "\n".join(lines)


def _purchase_facts(
    orders: Sequence[Order], at: datetime, enrolled_at: datetime | None = None
) -> Facts:
    times = sorted(o.placed_at for o in orders if o.is_purchase and o.placed_at <= at)
    member = enrolled_at is not None and enrolled_at <= at
    if not times:
        return Facts(loyalty_member=member)
    return Facts(
        purchase_count=len(times),
        first_purchase_at=times[0],
        last_purchase_at=times[-1],
        loyalty_member=member,
    )


def progress_monthly(
    customers: Sequence[Customer],
    orders: Sequence[Order],
    at: datetime,
    accounts: Sequence[LoyaltyAccount] = (),
) -> list[Customer]:
    """Run ladder progression as a monthly job over two years of order and loyalty facts."""
    by_customer: dict[CustomerId, list[Order]] = defaultdict(list)
    for order in orders:
        by_customer[order.customer_id].append(order)
    enrolled = {account.customer_id: account.enrolled_at for account in accounts}
    checkpoints = [at - relativedelta(months=n) for n in range(24, -1, -1)]
    moved = []
    for customer in customers:
        current = customer
        for when in checkpoints:
            if when >= current.updated_at:
                facts = _purchase_facts(by_customer[current.id], when, enrolled.get(current.id))
                current = progress(current, facts, at=when)
        moved.append(current)
    return moved


def section_lifecycle(customers: Sequence[Customer], at: datetime) -> str:
    """The relationship ladder, the stage distribution and the funnel of the last year."""
    rungs = " -> ".join(str(rung) for rung in LADDER_RUNGS)
    others = [s for s in RELATIONSHIP_LADDER.stage_names if s not in set(map(str, LADDER_RUNGS))]
    diagram = RELATIONSHIP_LADDER.to_mermaid()
    lines = [
        f"the relationship ladder: {rungs} (and {', '.join(others)})",
        (
            f"{len(RELATIONSHIP_LADDER.triggers)} triggers; the Mermaid diagram "
            f"(RELATIONSHIP_LADDER.to_mermaid()) has {len(diagram.splitlines())} lines"
        ),
    ]
    dist = stage_distribution(customers, RELATIONSHIP_LADDER, at=at)
    lines.append(f"stage distribution on {at.date().isoformat()} ({dist.total} customers):")
    lines += [f"  {e.stage:<20} {e.count:>5}  {e.share or 0:>6.1%}" for e in dist.counts]
    year = funnel(
        customers,
        RELATIONSHIP_LADDER,
        start=at - relativedelta(years=1),
        end=at + relativedelta(days=1),
    )
    lines.append("funnel over the last year (reached -> went further, conversion):")
    lines += [
        f"  {step.stage:<20} {step.reached:>5} -> {step.advanced:>5}"
        + ("" if step.conversion is None else f"  {step.conversion:.1%}")
        for step in year.steps
    ]
    return "\n".join(lines)


Section = tuple[str, Callable[[], str]]


def sections(count: int = 300) -> list[Section]:
    """The report's sections, in order, as (title, render) pairs."""
    customers = build_customers(count)
    commerce = demo_commerce(customers, seed=DEMO_SEED, at=REFERENCE_TIME)
    loyalty = demo_loyalty(customers, commerce.orders, seed=DEMO_SEED, at=REFERENCE_TIME)
    laddered = progress_monthly(customers, commerce.orders, REFERENCE_TIME, loyalty.accounts)
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
        ("Lifecycle", lambda: section_lifecycle(laddered, REFERENCE_TIME)),
        (
            "Customer lifetime value",
            lambda: section_clv(commerce.orders, REFERENCE_TIME),
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

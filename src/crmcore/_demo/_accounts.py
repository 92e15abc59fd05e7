"""The demonstration's accounts section: a B2B account, its contacts and hierarchy, a merge.

An organization account sits in a group of companies (``parent_of``
relationships), has contacts in named roles (``contact_of``, one primary), an
owner and a team, an opportunity naming the contacts involved, and a roll-up
of the group's orders, pipeline and cases. Then two person customers that are
the same person are found by the duplicate detection, previewed and merged
(:func:`crmcore.customers.merge_customers`), and the same merge is run by the
merge service (:mod:`crmcore.merge`) in a unit of work, re-pointing the
absorbed customer's orders and case to the survivor.

Everything is built through the aggregates' own commands, from a seed and a
reference time passed in. The report prints ids, role codes, counts and
amounts, never a name, a job title or a contact point.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._demo._format import money, plural
from crmcore._demo._inputs import check_inputs
from crmcore._kernel._ids import StaffId
from crmcore._kernel._money import Money
from crmcore.analytics import HierarchyRollup, hierarchy_rollup
from crmcore.commerce import Order, OrderId, OrderLine, PaymentId, ProductId
from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerId,
    CustomerMergePreview,
    OrganizationName,
    PersonName,
    merge_customers,
    preview_merge,
)
from crmcore.merge import MergeResult, merge_customers_in, resolve_customer
from crmcore.parties import (
    ContactRole,
    DuplicateReport,
    InvolvedContact,
    Relationship,
    RelationshipGraph,
    RelationshipId,
    RelationshipView,
    find_duplicates,
)
from crmcore.repository import InMemoryStore, InMemoryUnitOfWork, UniquenessPolicy
from crmcore.sales import STANDARD_PIPELINE, Opportunity, OpportunityId
from crmcore.service import Case, CaseId
from crmcore.teams import Team, TeamId

#: The group of companies: (id, legal name, parent id or None, months in the group).
_COMPANIES = (
    ("acct-001", "PT Nusantara Kopi Group Tbk", None, 0),
    ("acct-002", "PT Nusantara Kopi Indonesia", "acct-001", 60),
    ("acct-003", "PT Nusantara Kopi Trading", "acct-001", 48),
    ("acct-004", "PT Nusantara Kopi Cabang Surabaya", "acct-002", 8),
)
#: The account the section is about.
ACCOUNT_ID = CustomerId("acct-002")
#: Its contacts: (id, given name, roles, primary, months since they started).
_CONTACTS = (
    ("contact-01", "Ratna", (ContactRole.DECISION_MAKER, ContactRole.ECONOMIC_BUYER), True, 30),
    ("contact-02", "Bambang", (ContactRole.BILLING,), False, 20),
    ("contact-03", "Yoga", (ContactRole.CHAMPION, ContactRole.TECHNICAL), False, 5),
)
_TEAM_ID = TeamId("team-b2b-jkt")
_MANAGER = StaffId("rep-01")
_FIRST_OWNER = StaffId("rep-02")
_NEW_OWNER = StaffId("rep-04")
#: The duplicate pair: the store record (kept) and the later WhatsApp sign-up (absorbed).
SURVIVOR_ID = CustomerId("dup-001")
ABSORBED_ID = CustomerId("dup-002")
_DUPLICATE_NUMBER = "+6281234500077"


@attrs.frozen
class DemoAccounts:
    """The generated account world and duplicate merge of the demo.

    Attributes:
        parties: the group's organizations and the account's contacts, as
            registered (the account reassigned to its current owner).
        relationships: the hierarchy and the contacts, checked together.
        team: the team that owns the account.
        orders: the group's orders.
        opportunities: the group's opportunities (the first names its contacts).
        cases: the group's cases.
        since: the start of the roll-up window (the start of ``at``'s year).
        rollup: the roll-up of the group from its root, at ``at``.
        duplicates: the duplicate search over the base customers and the pair.
        pair: the two records of one person, before the merge (survivor first).
        preview: what merging them changes, from ``preview_merge``.
        survivor: the survivor once merged.
        absorbed: the absorbed customer once merged (a tombstone).
        merge: the merge service's result in a unit of work.
        repointed: the absorbed customer's orders as loaded after that merge.
        resolved: the customer ``resolve_customer`` gives for the absorbed id.
    """

    parties: tuple[Customer, ...]
    relationships: tuple[Relationship, ...]
    team: Team
    orders: tuple[Order, ...]
    opportunities: tuple[Opportunity, ...]
    cases: tuple[Case, ...]
    since: datetime
    rollup: HierarchyRollup
    duplicates: DuplicateReport
    pair: tuple[Customer, Customer]
    preview: CustomerMergePreview
    survivor: Customer
    absorbed: Customer
    merge: MergeResult
    repointed: tuple[Order, ...]
    resolved: CustomerId

    def graph(self) -> RelationshipGraph:
        """The relationships, indexed for point-in-time questions."""
        return RelationshipGraph(self.relationships, check=True)

    def view(self, at: datetime) -> RelationshipView:
        """The relationships in force at ``at``."""
        return self.graph().at(at)


def _idr(amount: Money | None) -> str:
    return money(Money.zero("IDR") if amount is None else amount)


def _rp(amount: int) -> Money:
    return Money(amount, "IDR")


def _parties(now: datetime) -> tuple[list[Customer], list[Relationship]]:
    """The group's organizations, the account's contacts and their relationships."""
    registered = now - relativedelta(years=6)
    parties = []
    for cid, legal, _, _ in _COMPANIES:
        owner = _FIRST_OWNER if cid == ACCOUNT_ID.value else _MANAGER
        parties.append(
            Customer.register(
                CustomerId(cid),
                name=OrganizationName(legal),
                at=registered,
                owner=owner,
                team=_TEAM_ID,
            )
        )
    for cid, given, _, _, _ in _CONTACTS:
        parties.append(
            Customer.register(
                CustomerId(cid), name=PersonName(given, family="Wibowo"), at=registered
            )
        )
    kinds = {party.id: party.kind for party in parties}
    relationships = [
        Relationship.establish(
            RelationshipId(f"h-{index}"),
            kind="parent_of",
            party_id=CustomerId(parent),
            related_id=CustomerId(cid),
            party_kind=kinds[CustomerId(parent)],
            related_kind=kinds[CustomerId(cid)],
            valid_from=now - relativedelta(months=months),
            at=registered + timedelta(days=1),
        )
        for index, (cid, _, parent, months) in enumerate(_COMPANIES)
        if parent is not None
    ]
    relationships += [
        Relationship.establish(
            RelationshipId(f"rel-{index}"),
            kind="contact_of",
            party_id=CustomerId(cid),
            related_id=ACCOUNT_ID,
            party_kind=kinds[CustomerId(cid)],
            related_kind=kinds[ACCOUNT_ID],
            roles=roles,
            primary=primary,
            job_title="Manager",
            valid_from=now - relativedelta(months=months),
            at=registered + timedelta(days=1),
            actor=_FIRST_OWNER.value,
        )
        for index, (cid, _, roles, primary, months) in enumerate(_CONTACTS, start=1)
    ]
    return parties, relationships


def _group_orders(rng: random.Random, accounts: Sequence[CustomerId], now: datetime) -> list[Order]:
    """A few paid orders per company over the last year, seeded."""
    orders: list[Order] = []
    for account in accounts:
        for _ in range(rng.randint(2, 4)):
            number = len(orders) + 1
            placed = now - timedelta(days=rng.randint(3, 360), minutes=rng.randint(0, 1439))
            line = OrderLine(
                ProductId("sku-beans-20kg"),
                rng.randint(2, 12),
                _rp(rng.choice((1_150_000, 1_400_000, 1_750_000))),
                category="coffee",
            )
            order = Order.place(
                OrderId(f"b2b-ord-{number:03d}"), customer_id=account, lines=[line], at=placed
            )
            order = order.record_payment(
                PaymentId(f"b2b-pay-{number:03d}"),
                order.total,
                at=placed + timedelta(hours=2),
                method="bank_transfer",
            )
            orders.append(order)
    return orders


def _pipeline(now: datetime) -> tuple[list[Opportunity], list[Case]]:
    """The account's opportunity (with its contacts), a branch deal and a branch case."""
    deal = Opportunity.open(
        OpportunityId("b2b-opp-1"),
        customer_id=ACCOUNT_ID,
        name="Office coffee supply, all floors",
        amount=_rp(240_000_000),
        expected_close=(now + relativedelta(months=2)).date(),
        owner=_NEW_OWNER,
        team=_TEAM_ID,
        pipeline=STANDARD_PIPELINE,
        stage="proposal",
        at=now - timedelta(days=20),
        contacts=[
            InvolvedContact(CustomerId("contact-01"), ContactRole.ECONOMIC_BUYER, primary=True),
            InvolvedContact(CustomerId("contact-03"), ContactRole.CHAMPION),
            InvolvedContact(CustomerId("contact-03"), ContactRole.TECHNICAL),
        ],
    )
    branch_deal = Opportunity.open(
        OpportunityId("b2b-opp-2"),
        customer_id=CustomerId("acct-004"),
        name="Espresso machines for the branch",
        amount=_rp(85_000_000),
        expected_close=(now + relativedelta(months=1)).date(),
        owner=_NEW_OWNER,
        team=_TEAM_ID,
        pipeline=STANDARD_PIPELINE,
        stage="qualification",
        at=now - timedelta(days=9),
    )
    case = Case.open(
        CaseId("b2b-case-1"),
        customer_id=CustomerId("acct-004"),
        kind="complaint",
        subject="Beans delivered to the wrong floor",
        channel="email",
        at=now - timedelta(days=2),
    )
    return [deal, branch_deal], [case]


def _duplicate_pair(rng: random.Random, now: datetime) -> tuple[Customer, Customer, list[Order]]:
    """One person twice: a store record with a phone, a WhatsApp sign-up with orders."""
    kept = Customer.register(
        SURVIVOR_ID,
        name=PersonName("Siti", family="Rahayu"),
        at=now - relativedelta(years=2),
        contact_points=[ContactPoint("phone", _DUPLICATE_NUMBER)],
        attributes={"home_store": "SBY-02"},
        tags=["walk-in"],
    )
    signup = now - relativedelta(months=4)
    absorbed = Customer.register(
        ABSORBED_ID,
        name=PersonName("Ibu Siti", family="Rahayu"),
        at=signup,
        contact_points=[ContactPoint("whatsapp", _DUPLICATE_NUMBER)],
        preferred_language="id",
    )
    absorbed = absorbed.give_consent(
        "whatsapp", "marketing", at=signup + timedelta(minutes=3), source="whatsapp-optin"
    ).add_tag("app-user", at=signup + timedelta(minutes=3))
    orders = []
    for number in (1, 2):
        placed = signup + timedelta(days=rng.randint(1, 50) * number)
        line = OrderLine(ProductId("sku-latte-kit"), 1, _rp(185_000), category="coffee")
        order = Order.place(
            OrderId(f"dup-ord-{number}"), customer_id=ABSORBED_ID, lines=[line], at=placed
        )
        orders.append(
            order.record_payment(
                PaymentId(f"dup-pay-{number}"), order.total, at=placed + timedelta(minutes=4)
            )
        )
    return kept, absorbed, orders


def _merge_in_unit_of_work(
    kept: Customer, absorbed: Customer, orders: Sequence[Order], at: datetime
) -> tuple[MergeResult, tuple[Order, ...], CustomerId]:
    """Store the pair and the absorbed one's orders; merge with the merge service.

    The store shares phone numbers (``UniquenessPolicy(phone="shared")``): under
    the default unique policy the second record could not have been stored.
    """
    uow = InMemoryUnitOfWork(InMemoryStore(uniqueness=UniquenessPolicy(phone="shared")))
    with uow:
        uow.customers.add(kept)
        uow.customers.add(absorbed)
        for order in orders:
            uow.orders.add(order)
        uow.commit()
    with uow:
        result = merge_customers_in(uow, kept.id, absorbed.id, at=at, actor="ops-1")
        uow.commit()
    with uow:
        moved = tuple(uow.orders.get(order.id) for order in orders)
        resolved = resolve_customer(uow, absorbed.id).id
    return result, moved, resolved


def demo_accounts(customers: Sequence[Customer], *, seed: int, at: datetime) -> DemoAccounts:
    """Build the account world and merge the duplicate pair, deterministically.

    ``customers`` is the base the duplicate pair is searched among.
    """
    now = check_inputs(seed, at, customers=customers)
    rng = random.Random(seed + 5)  # noqa: S311 - reproducible demo data, not secrets.
    parties, relationships = _parties(now)
    team = Team.form(
        _TEAM_ID,
        name="B2B Jakarta",
        members=[_FIRST_OWNER, StaffId("rep-03"), _NEW_OWNER],
        manager_id=_MANAGER,
        at=now - relativedelta(years=6),
    )
    handover = now - relativedelta(months=1)
    parties = [
        party.assign(_NEW_OWNER, at=handover, actor=_MANAGER.value)
        if party.id == ACCOUNT_ID
        else party
        for party in parties
    ]
    view = RelationshipGraph(relationships, check=True).at(now)
    root = (view.ancestors(ACCOUNT_ID) or (ACCOUNT_ID,))[-1]
    group = view.subtree(root)
    orders = _group_orders(rng, group, now)
    opportunities, cases = _pipeline(now)
    since = datetime(now.year, 1, 1, tzinfo=now.tzinfo)
    rollup = hierarchy_rollup(
        group,
        orders=orders,
        since=since,
        opportunities=opportunities,
        pipeline=STANDARD_PIPELINE,
        cases=cases,
        at=now,
    )
    kept, absorbed, dup_orders = _duplicate_pair(rng, now)
    duplicates = find_duplicates([*customers, kept, absorbed])
    merge_at = now - timedelta(days=1)
    preview = preview_merge(kept, absorbed, at=merge_at)
    survivor, tombstone = merge_customers(kept, absorbed, at=merge_at, actor="ops-1")
    result, moved, resolved = _merge_in_unit_of_work(kept, absorbed, dup_orders, merge_at)
    return DemoAccounts(
        parties=tuple(parties),
        relationships=tuple(relationships),
        team=team,
        orders=tuple(orders),
        opportunities=tuple(opportunities),
        cases=tuple(cases),
        since=since,
        rollup=rollup,
        duplicates=duplicates,
        pair=(kept, absorbed),
        preview=preview,
        survivor=survivor,
        absorbed=tombstone,
        merge=result,
        repointed=moved,
        resolved=resolved,
    )


def _ids(values: Sequence[CustomerId]) -> str:
    return ", ".join(value.value for value in values) or "none"


def _account_lines(data: DemoAccounts, now: datetime) -> list[str]:
    account = next(party for party in data.parties if party.id == ACCOUNT_ID)
    assigned = account.pending_events[-1]
    view = data.view(now)
    day = now.date().isoformat()
    lines = [
        (
            f"account {account.id} ({account.kind.value}), owner {account.owner} "
            f"(team {account.team}, {plural(len(data.team.members), 'member')}, manager "
            f"{data.team.manager_id}); {assigned.type} from {_FIRST_OWNER} "
            f"on {assigned.occurred_at.date().isoformat()}"
        ),
        f"contacts on {day} (primary first):",
    ]
    lines += [
        f"  {contact.party_id}  {', '.join(contact.roles)}"
        + ("  (primary)" if contact.primary else "")
        for contact in view.contacts(ACCOUNT_ID)
    ]
    earlier = now - relativedelta(years=1)
    then = data.view(earlier)
    lines.append(
        f"hierarchy: ancestors {_ids(view.ancestors(ACCOUNT_ID))}; "
        f"descendants {_ids(view.descendants(ACCOUNT_ID))} "
        f"(a year earlier: {plural(len(then.contacts(ACCOUNT_ID)), 'contact')}, "
        f"descendants {_ids(then.descendants(ACCOUNT_ID))})"
    )
    root = data.rollup.accounts[0]
    lines += ["  " + row for row in view.tree(root).render().splitlines()]
    rollup = data.rollup
    pipeline = rollup.pipeline
    open_total = None if pipeline is None else pipeline.open_total("IDR")
    weighted = None if pipeline is None else pipeline.weighted_total("IDR")
    lines.append(
        f"roll-up of {root} and the {plural(len(rollup.accounts) - 1, 'company', 'companies')} "
        "below it since "
        f"{data.since.date().isoformat()}: revenue {_idr(rollup.revenue)} in "
        f"{plural(rollup.purchases.orders, 'order')}; open pipeline {_idr(open_total)} "
        f"(weighted {_idr(weighted)}); open cases {len(rollup.open_cases)}"
    )
    deal = data.opportunities[0]
    lines.append(
        f"opportunity {deal.id} ({deal.stage}, owner {deal.owner}) with its contacts: "
        + ", ".join(
            f"{c.role} {c.contact_id}" + (" (primary)" if c.primary else "") for c in deal.contacts
        )
    )
    return lines


def _duplicate_lines(data: DemoAccounts, customers: int) -> list[str]:
    report = data.duplicates
    lines = [
        (
            f"duplicates among {report.parties} customers ({customers} generated, 2 planted): "
            f"{plural(len(report.candidates), 'candidate pair')} from "
            f"{plural(report.comparisons, 'comparison')}"
        )
    ]
    lines += [
        f"  {candidate.left} ~ {candidate.right} {candidate.score:.2f}: {candidate.explain()}"
        for candidate in report.candidates
    ]
    preview = data.preview
    lines.append(
        f"merge preview, {preview.survivor_id} surviving: changes "
        f"{', '.join(preview.changed) or 'nothing'}; adds "
        f"{plural(len(preview.contact_points_added), 'contact point')}, "
        f"{plural(len(preview.tags_added), 'tag')}, "
        f"{plural(len(preview.consents_added), 'consent record')}"
    )
    survivor, absorbed = data.survivor, data.absorbed
    channels = ", ".join(point.channel.value for point in survivor.contact_points)
    lines.append(
        f"merged: {survivor.id} holds {plural(len(survivor.contact_points), 'contact point')} "
        f"({channels}); {absorbed.id} is merged into {absorbed.merged_into} "
        f"({survivor.pending_events[-1].type}, {absorbed.pending_events[-1].type})"
    )
    moved = ", ".join(
        f"{name} " + " ".join(str(record_id) for record_id in ids)
        for name, ids in data.merge.preview.by_repository.items()
    )
    lines.append(
        "the merge service in one unit of work re-points "
        f"{plural(len(data.merge.records), 'record')} of {absorbed.id} to {data.merge.survivor.id} ({moved or 'none'}); "
        f"loading {absorbed.id} resolves to {data.resolved}"
    )
    return lines


def demo_section(
    customers: Sequence[Customer],
    *,
    seed: int,
    at: datetime,
    data: DemoAccounts | None = None,
) -> str:
    """The report section: an account's contacts, hierarchy, roll-up, owner; a duplicate merged.

    Pass ``data`` (from :func:`demo_accounts`) to reuse generated facts. Only
    ids, role codes, counts and amounts are printed.

    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 6, 30, 10, 0, tzinfo=timezone.utc)
    >>> text = demo_section([], seed=3, at=at)
    >>> text == demo_section([], seed=3, at=at), "Siti" in text
    (True, False)
    >>> print(text.splitlines()[2])
      contact-01  decision_maker, economic_buyer  (primary)
    """
    now = check_inputs(seed, at, customers=customers)
    if data is None:
        data = demo_accounts(customers, seed=seed, at=now)
    return "\n".join([*_account_lines(data, now), *_duplicate_lines(data, len(customers))])

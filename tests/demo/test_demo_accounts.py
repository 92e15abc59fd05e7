"""Tests for `crmcore._demo._accounts`: the demonstration's accounts and duplicates section."""

import pytest

from crmcore import InvalidType, ValidationError
from crmcore._demo._accounts import (
    ABSORBED_ID,
    ACCOUNT_ID,
    SURVIVOR_ID,
    demo_accounts,
    demo_section,
)
from crmcore._demo._report import DEMO_SEED, REFERENCE_TIME, build_customers, report
from crmcore.analytics import hierarchy_rollup
from crmcore.customers import CustomerMerged, PersonName, normalize_phone
from crmcore.parties import find_duplicates
from crmcore.sales import STANDARD_PIPELINE

#: The demo builds a synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow

SEED = 17


@pytest.fixture(scope="module")
def customers():
    return build_customers(60)


@pytest.fixture(scope="module")
def data(customers):
    return demo_accounts(customers, seed=SEED, at=REFERENCE_TIME)


@pytest.fixture(scope="module")
def text(customers, data):
    return demo_section(customers, seed=SEED, at=REFERENCE_TIME, data=data)


def _lines(text):
    return text.splitlines()


def test_the_section_is_deterministic(customers, data, text):
    """The same inputs give equal data and the same text, with or without the data passed."""
    again = demo_accounts(customers, seed=SEED, at=REFERENCE_TIME)
    assert data.relationships == again.relationships
    assert data.orders == again.orders
    assert data.survivor == again.survivor
    assert data.rollup == again.rollup
    assert text == demo_section(customers, seed=SEED, at=REFERENCE_TIME)
    assert text == demo_section(customers, seed=SEED, at=REFERENCE_TIME, data=again)


def test_the_seed_only_moves_the_generated_orders(customers, data):
    """Another seed draws other orders; the account world stays the same."""
    other = demo_accounts(customers, seed=SEED + 1, at=REFERENCE_TIME)
    assert other.orders != data.orders
    assert other.relationships == data.relationships


def test_contacts_are_listed_with_their_roles(data, text):
    """Each contact in force is printed with its roles, the primary one first and marked."""
    contacts = data.view(REFERENCE_TIME).contacts(ACCOUNT_ID)
    assert len(contacts) == 3
    assert contacts[0].primary
    assert sum(c.primary for c in contacts) == 1
    roles = {role for c in contacts for role in c.roles}
    assert {"decision_maker", "billing", "champion"} <= roles
    lines = _lines(text)
    start = lines.index(f"contacts on {REFERENCE_TIME.date().isoformat()} (primary first):")
    for offset, contact in enumerate(contacts, start=1):
        row = lines[start + offset].split()
        assert row[0] == contact.party_id.value
        assert " ".join(row[1:]).replace(",", "").split()[: len(contact.roles)] == list(
            contact.roles
        )
        assert ("(primary)" in row) == contact.primary


def test_the_hierarchy_and_a_year_earlier(data, text):
    """The account has a parent and a branch now; a year earlier no branch, fewer contacts."""
    now = data.view(REFERENCE_TIME)
    ancestors, descendants = now.ancestors(ACCOUNT_ID), now.descendants(ACCOUNT_ID)
    assert ancestors
    assert descendants
    earlier = data.view(REFERENCE_TIME.replace(year=REFERENCE_TIME.year - 1))
    assert len(earlier.contacts(ACCOUNT_ID)) < len(now.contacts(ACCOUNT_ID))
    assert not earlier.descendants(ACCOUNT_ID)
    line = next(row for row in _lines(text) if row.startswith("hierarchy: "))
    assert f"ancestors {', '.join(a.value for a in ancestors)};" in line
    assert f"descendants {', '.join(d.value for d in descendants)} " in line


def test_the_rollup_covers_the_whole_group(data, text):
    """The roll-up is over the root's subtree, agrees with a direct call, and is printed."""
    view = data.view(REFERENCE_TIME)
    root = view.ancestors(ACCOUNT_ID)[-1]
    assert data.rollup.accounts == view.subtree(root)
    assert {o.customer_id for o in data.orders} <= set(data.rollup.accounts)
    direct = hierarchy_rollup(
        view.subtree(root),
        orders=data.orders,
        since=data.since,
        opportunities=data.opportunities,
        pipeline=STANDARD_PIPELINE,
        cases=data.cases,
        at=REFERENCE_TIME,
    )
    assert direct == data.rollup
    counted = [o for o in data.orders if o.is_purchase and o.placed_at >= data.since]
    assert data.rollup.purchases.orders == len(counted)
    line = next(row for row in _lines(text) if row.startswith("roll-up of "))
    assert f"in {len(counted)} orders" in line
    assert f"open cases {len(data.rollup.open_cases)}" in line


def test_owner_team_and_the_opportunity_contacts(data, text):
    """The account was reassigned within its team; the opportunity names account contacts."""
    account = next(p for p in data.parties if p.id == ACCOUNT_ID)
    assert account.owner in data.team.members
    assert account.team == data.team.id
    assigned = account.pending_events[-1]
    assert assigned.type == "CustomerAssigned"
    assert assigned.previous_owner != account.owner
    assert f"owner {account.owner} (team {account.team}" in text
    deal = data.opportunities[0]
    assert deal.customer_id == ACCOUNT_ID
    in_force = {c.party_id for c in data.view(REFERENCE_TIME).contacts(ACCOUNT_ID)}
    assert deal.contacts
    assert {c.contact_id for c in deal.contacts} <= in_force
    assert deal.primary_contact is not None
    line = next(row for row in _lines(text) if row.startswith(f"opportunity {deal.id} "))
    for involved in deal.contacts:
        assert f"{involved.role} {involved.contact_id}" in line


def test_the_planted_duplicate_is_found_and_explained(customers, data, text):
    """The two records of one person are a candidate pair, printed with its explanation."""
    kept, absorbed = data.pair
    assert (kept.id, absorbed.id) == (SURVIVOR_ID, ABSORBED_ID)
    assert data.duplicates.parties == len(customers) + 2
    pairs = {frozenset((c.left, c.right)): c for c in data.duplicates.candidates}
    candidate = pairs[frozenset((SURVIVOR_ID, ABSORBED_ID))]
    assert candidate.rule == "phone_and_name"
    assert candidate.explain() in text
    # The pair alone is found too: the base does not hide it.
    assert len(find_duplicates(data.pair).candidates) == 1


def test_the_merge_keeps_both_contact_points_and_tombstones_the_absorbed(data, text):
    """The survivor holds both contact points; the absorbed one points at it and refuses commands."""
    kept, absorbed = data.pair
    survivor, tombstone = data.survivor, data.absorbed
    assert survivor.id == SURVIVOR_ID
    expected = {(p.channel, p.value) for p in (*kept.contact_points, *absorbed.contact_points)}
    assert {(p.channel, p.value) for p in survivor.contact_points} == expected
    assert {"phone", "whatsapp"} == {p.channel.value for p in survivor.contact_points}
    assert len({normalize_phone(p.value) for p in survivor.contact_points}) == 1
    assert tombstone.merged_into == survivor.id
    assert survivor.pending_events[-1].absorbed_ids == (ABSORBED_ID,)
    with pytest.raises(CustomerMerged):
        tombstone.add_tag("vip", at=REFERENCE_TIME)
    # The preview said what the merge did.
    assert data.preview.profile == survivor.profile
    assert data.preview.consents == survivor.consents
    assert "contact_points" in data.preview.changed
    # The consent given on WhatsApp by the absorbed record still holds for the survivor.
    assert survivor.may_contact("whatsapp", "marketing", at=REFERENCE_TIME)
    assert f"{tombstone.id} is merged into {survivor.id}" in text


def test_the_merge_service_repoints_the_absorbed_customers_orders(data, text):
    """In the unit of work, every order of the absorbed customer now names the survivor."""
    assert data.repointed
    assert all(order.customer_id == SURVIVOR_ID for order in data.repointed)
    assert {order.id for order in data.repointed} == set(data.merge.preview.by_repository["orders"])
    assert len(data.merge.records) == len(data.repointed)
    assert data.merge.survivor.contact_points == data.survivor.contact_points
    assert data.merge.absorbed.merged_into == SURVIVOR_ID
    assert data.resolved == SURVIVOR_ID
    line = _lines(text)[-1]
    assert all(str(order.id) in line for order in data.repointed)
    assert line.endswith(f"loading {ABSORBED_ID} resolves to {SURVIVOR_ID}")


def test_the_section_prints_no_personal_data(customers, data, text):
    """No name, contact point or job title of the planted or generated parties is printed."""
    for party in (*data.parties, *data.pair, *customers):
        assert all(point.value not in text for point in party.contact_points)
        name = party.name
        if isinstance(name, PersonName):
            assert name.given not in text
        else:
            assert name.legal not in text
    assert "Rahayu" not in text
    assert "Manager" not in text


def test_the_report_includes_the_section():
    """The whole report carries the section, built from the demo's own seed and time."""
    customers = build_customers(20)
    section = demo_section(customers, seed=DEMO_SEED, at=REFERENCE_TIME)
    assert f"== Accounts, contacts and duplicates ==\n{section}\n" in report(20)


def test_bad_arguments_are_refused(customers):
    """Seeds are ints, customers a sequence, times aware."""
    with pytest.raises(InvalidType):
        demo_section(customers, seed="1", at=REFERENCE_TIME)
    with pytest.raises(InvalidType):
        demo_section(iter(customers), seed=1, at=REFERENCE_TIME)
    with pytest.raises(ValidationError):
        demo_section(customers, seed=1, at=REFERENCE_TIME.replace(tzinfo=None))

"""Tests for the built-in demonstration (`python -m crmcore demo`)."""

import subprocess
import sys
from collections import Counter

import pytest

from crmcore import Customer
from crmcore.__main__ import main
from crmcore._demo._commerce import demo_commerce
from crmcore._demo._ladder import demo_relationships
from crmcore._demo._loyalty import demo_loyalty
from crmcore._demo._report import (
    DEMO_SEED,
    REFERENCE_TIME,
    build_customers,
    progress_monthly,
    report,
)
from crmcore.lifecycle import RELATIONSHIP_LADDER

#: The demo builds a whole synthetic customer base: seconds per test.
pytestmark = pytest.mark.slow


def test_demo_data_is_deterministic():
    """The same count gives the same customers and the same report."""
    assert build_customers(40) == build_customers(40)
    assert report(40) == report(40)


def test_demo_customers_are_valid_and_carry_events():
    """Every synthetic customer is a real aggregate with its history of events."""
    customers = build_customers(60)
    assert 60 == len({c.id for c in customers})
    assert all(isinstance(c, Customer) for c in customers)
    assert all(c.pending_events[0].type == "CustomerRegistered" for c in customers)
    assert all(c.created_at <= REFERENCE_TIME for c in customers)


def test_report_has_every_section_with_consistent_counts():
    """Each section is present and the counts agree with the data."""
    customers = build_customers(120)
    text = report(120)
    for title in (
        "Customers",
        "Consent",
        "Domain events",
        "Serialization",
        "Money",
        "Persistence",
        "Commerce",
        "Service and feedback",
        "Loyalty and sales pipeline",
        "Lifecycle",
        "Customer lifetime value",
        "Segments and analytics",
    ):
        assert f"== {title} ==" in text
    assert f"JSON round trip: {len(customers)}/{len(customers)} customers identical" in text
    total = sum(len(c.pending_events) for c in customers)
    assert f"{total} domain events recorded" in text
    allowed = sum(c.may_contact("email", "marketing", at=REFERENCE_TIME) for c in customers)
    assert f"email     marketing  {allowed:>4} may" in text


def test_main_prints_the_report(capsys):
    """main() prints the report and exits 0."""
    assert 0 == main(["demo", "--customers", "25"])
    assert report(25) == capsys.readouterr().out.rstrip("\n")


def test_main_refuses_a_silly_count(capsys):
    """A customer count out of range is a usage error."""
    with pytest.raises(SystemExit) as info:
        main(["demo", "--customers", "0"])
    assert 2 == info.value.code


def test_module_runs_as_a_program():
    """The module runs as `python -m crmcore demo` in a subprocess."""
    result = subprocess.run(
        [sys.executable, "-m", "crmcore", "demo", "--customers", "10"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "== Consent ==" in result.stdout


def test_lifecycle_section_matches_the_progressed_customers():
    """The stage distribution printed is the one of the monthly-progressed customers."""
    customers = build_customers(80)
    commerce = demo_commerce(customers, seed=DEMO_SEED, at=REFERENCE_TIME)
    orders = commerce.orders
    accounts = demo_loyalty(customers, orders, seed=DEMO_SEED, at=REFERENCE_TIME).accounts
    laddered = progress_monthly(
        customers,
        orders,
        REFERENCE_TIME,
        accounts=accounts,
        interactions=commerce.interactions,
        relationships=demo_relationships(customers, orders, seed=DEMO_SEED, at=REFERENCE_TIME),
    )
    stages = Counter(c.lifecycle_of(RELATIONSHIP_LADDER).stage for c in laddered if c.lifecycles)
    untracked = sum(1 for c in laddered if not c.lifecycles)
    text = report(80)
    assert stages
    for stage, count in stages.items():
        expected = count + (untracked if stage == "suspect" else 0)
        assert f"  {stage:<20} {expected:>5}" in text


def test_clv_section_reports_the_gift_shop_example_and_tiers():
    """The formula example is the source documents' figure; tiers add up to the buyers."""
    text = report(60)
    assert "(Rp 275.000 x 24 purchases a year x 3 years): Rp 19.800.000" in text
    line = next(row for row in text.splitlines() if row.startswith("CLV tiers of the "))
    buyers = int(line.split()[4])
    counts = [int(word.rstrip(",")) for word in line.split(":")[1].split()[1::2]]
    assert buyers == sum(counts)

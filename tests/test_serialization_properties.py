"""Property tests for `crmcore.serialization`, drawing every input from `crmcore.testing.strategies`."""

import json

import pytest
from hypothesis import given

from crmcore import (
    ContactPoint,
    Currency,
    Customer,
    DomainEvent,
    Money,
    OrganizationName,
    PersonName,
)
from crmcore.customers import ConsentRecord, PostalAddress, Profile
from crmcore.serialization import SCHEMA_VERSION, from_dict, to_dict
from crmcore.testing import strategies as crm

# name: (strategy, the class to rebuild with). Events rebuild through their base class.
CASES = {
    "moneys": (crm.moneys(), Money),
    "moneys-places": (crm.moneys(places=8), Money),
    "currencies": (crm.currencies(), Currency),
    "person_names": (crm.person_names(), PersonName),
    "organization_names": (crm.organization_names(), OrganizationName),
    "postal_addresses": (crm.postal_addresses(), PostalAddress),
    "contact_points": (crm.contact_points(), ContactPoint),
    "consent_records": (crm.consent_records(), ConsentRecord),
    "profiles": (crm.profiles(), Profile),
    "domain_events": (crm.domain_events(), DomainEvent),
    "customers": (crm.customers(), Customer),
    "customers-stored": (crm.customers(pending_events=False), Customer),
}

every_strategy = pytest.mark.parametrize(("strategy", "cls"), CASES.values(), ids=list(CASES))


def assert_same(expected, actual):
    """Equal as values, of the same class, and (for customers) with the same pending events."""
    assert expected == actual
    assert type(expected) is type(actual)
    if isinstance(expected, Customer):
        assert expected.pending_events == actual.pending_events


def leaves(node, path="$"):
    """Every scalar in a document with its path, checking that keys are strings."""
    if isinstance(node, dict):
        for key, value in node.items():
            assert isinstance(key, str), path
            yield from leaves(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, f"{path}[{index}]")
    else:
        yield path, node


@every_strategy
def test_values_round_trip_through_dicts_and_json_text(strategy, cls):
    """to_dict is JSON-ready (no floats); from_dict(type, to_dict(x)) == x, also through JSON text."""

    @given(strategy)
    def check(value):
        document = to_dict(value)
        assert SCHEMA_VERSION == document["schema_version"]
        odd = [
            (path, type(leaf).__name__)
            for path, leaf in leaves(document)
            if type(leaf) not in {str, int, bool, type(None)}
        ]
        assert [] == odd
        assert_same(value, from_dict(cls, document))
        restored = from_dict(cls, json.loads(json.dumps(document, allow_nan=False)))
        assert_same(value, restored)
        assert document == to_dict(restored)

    check()


@given(crm.domain_events())
def test_events_rebuild_through_their_own_class(event):
    """An event document names its class and rebuilds through it as well as through DomainEvent."""
    document = to_dict(event)
    assert type(event).__name__ == document["type"]
    assert_same(event, from_dict(type(event), document))

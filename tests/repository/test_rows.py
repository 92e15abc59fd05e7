"""Tests for `crmcore.repository._rows`: the row checks and encodings SQL document stores share."""

import json
from datetime import UTC, datetime

import pytest

from crmcore import ContactPoint, Customer, CustomerId, Money, PersonName
from crmcore.commerce import Order, OrderId, OrderLine, ProductId
from crmcore.errors import ConcurrencyConflict, DuplicateId, InvalidType, ValidationError
from crmcore.parties import Relationship, RelationshipId
from crmcore.repository import (
    CUSTOMERS,
    MAX_VERSION,
    ORDERS,
    RELATIONSHIPS,
    Change,
    ChangeSet,
    RowWrite,
    UniquenessPolicy,
    check_expected_versions,
    check_row_version,
    check_stored_versions,
    decode_document,
    decode_event_row,
    encode_document,
    encode_event,
    index_column,
    load_document,
    reference_column,
    referenced_elsewhere,
    row_columns,
    spec_signature,
    with_uniqueness,
    writes_by_spec,
)

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def customer(number):
    return Customer.register(CustomerId(f"c-{number}"), name=PersonName("Ana"), at=AT)


def order(number, customer_number):
    line = OrderLine(ProductId("sku-1"), 1, Money("10.00", "USD"), category="books")
    return Order.place(
        OrderId(f"o-{number}"), customer_id=CustomerId(f"c-{customer_number}"), lines=[line], at=AT
    )


def relationship(number, party, related):
    return Relationship.establish(
        RelationshipId(f"r-{number}"),
        kind="partner",
        party_id=CustomerId(f"c-{party}"),
        related_id=CustomerId(f"c-{related}"),
        at=AT,
    )


def added(spec, aggregate):
    return Change(spec, aggregate.id, None, aggregate)


def saved(spec, aggregate, expected):
    return Change(spec, aggregate.id, expected, aggregate)


def removed(spec, ident, expected):
    return Change(spec, ident, expected, None)


def codes(error):
    return [(problem.path, problem.code) for problem in error.problems]


# -- documents ------------------------------------------------------------------------------


def test_encode_document_is_compact_sorted_and_keeps_text():
    text = encode_document({"b": [1, 2], "a": "Ünal"})
    assert '{"a":"Ünal","b":[1,2]}' == text
    assert {"a": "Ünal", "b": [1, 2]} == json.loads(text)


@pytest.mark.parametrize("text", ['{"a": 1}', b'{"a": 1}'])
def test_load_document_reads_str_and_bytes(text):
    assert {"a": 1} == load_document(text, "$.t[x].document")


@pytest.mark.parametrize(
    "text", [None, 3, 1.5, ["{}"], {"a": 1}, bytearray(b"{}"), memoryview(b"{}")]
)
def test_load_document_refuses_what_is_not_text(text):
    with pytest.raises(ValidationError) as caught:
        load_document(text, "$.t[x].document")
    assert [("$.t[x].document", "corrupt_document")] == codes(caught.value)
    assert "must be a JSON text" in str(caught.value)


@pytest.mark.parametrize("text", ["", "{", "{'a': 1}", "[1,]", b"\xff\xfe{", "[" * 100_000])
def test_load_document_refuses_broken_json_without_quoting_it(text):
    with pytest.raises(ValidationError) as caught:
        load_document(text, "$.t[x].document")
    assert [("$.t[x].document", "corrupt_document")] == codes(caught.value)
    assert "must be a valid JSON document" in str(caught.value)


# -- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1, MAX_VERSION])
def test_check_row_version_takes_versions_crmcore_makes(version):
    assert version == check_row_version("customers", "c-1", version)


@pytest.mark.parametrize(
    ("version", "rule"),
    [
        (True, "must be an integer"),
        ("1", "must be an integer"),
        (1.0, "must be an integer"),
        (None, "must be an integer"),
        (-1, "must be from 0 to 2**53 - 1"),
        (MAX_VERSION + 1, "must be from 0 to 2**53 - 1"),
    ],
)
def test_check_row_version_names_the_row(version, rule):
    with pytest.raises(ValidationError) as caught:
        check_row_version("orders", "o-9", version)
    assert [("$.orders[o-9].version", "corrupt_document")] == codes(caught.value)
    assert rule in str(caught.value)


def test_max_version_is_the_largest_exact_float_integer():
    assert 2**53 - 1 == MAX_VERSION


def test_check_expected_versions_takes_none_and_the_range():
    ana = customer(1)
    changes = ChangeSet(
        changes=(
            added(CUSTOMERS, ana),
            saved(CUSTOMERS, customer(2), 0),
            removed(CUSTOMERS, CustomerId("c-3"), MAX_VERSION),
        )
    )
    assert check_expected_versions(changes) is None


@pytest.mark.parametrize("expected", [-1, MAX_VERSION + 1, True, 1.0, "0"])
def test_check_expected_versions_names_the_change(expected):
    changes = ChangeSet(
        changes=(
            saved(CUSTOMERS, customer(1), 0),
            removed(CUSTOMERS, CustomerId("c-2"), expected),
        )
    )
    with pytest.raises(ValidationError) as caught:
        check_expected_versions(changes)
    assert [("$.changes[1].expected_version", "range")] == codes(caught.value)


# -- rows back to aggregates and events -------------------------------------------------------


def test_decode_document_reads_what_the_spec_wrote():
    placed = order(1, 1)
    text = encode_document(ORDERS.to_document(placed))
    assert placed == decode_document(ORDERS, "o-1", placed.version, text)
    assert placed == decode_document(ORDERS, "o-1", placed.version, text.encode())


def test_decode_document_checks_the_version_before_the_document():
    with pytest.raises(ValidationError) as caught:
        decode_document(CUSTOMERS, "c-1", -1, "{")
    assert [("$.customers[c-1].version", "corrupt_document")] == codes(caught.value)


@pytest.mark.parametrize(
    ("ident", "version"),
    [("c-2", 0), ("c-1", 1)],
)
def test_decode_document_refuses_a_document_of_another_row(ident, version):
    text = encode_document(CUSTOMERS.to_document(customer(1)))
    with pytest.raises(ValidationError) as caught:
        decode_document(CUSTOMERS, ident, version, text)
    assert [(f"$.customers[{ident}].document", "corrupt_document")] == codes(caught.value)
    assert "must hold the id and version of its row" in str(caught.value)


def test_decode_document_nests_the_spec_errors_under_the_row():
    document = CUSTOMERS.to_document(customer(1))
    document["version"] = "zero"
    with pytest.raises(ValidationError) as caught:
        decode_document(CUSTOMERS, "c-1", 0, encode_document(document))
    assert caught.value.path.startswith("$.customers[c-1].document")
    assert caught.value.path != "$.customers[c-1].document"
    assert all(path.startswith("$.customers[c-1].document") for path, _ in codes(caught.value))


def test_decode_document_refuses_broken_json_at_the_document():
    with pytest.raises(ValidationError) as caught:
        decode_document(CUSTOMERS, "c-1", 0, "not json")
    assert [("$.customers[c-1].document", "corrupt_document")] == codes(caught.value)


def test_event_rows_round_trip():
    events = customer(1).pending_events + order(1, 1).pending_events
    assert events
    for seq, event in enumerate(events, start=1):
        assert event == decode_event_row(seq, encode_event(event))


def test_decode_event_row_names_the_outbox_row():
    with pytest.raises(ValidationError) as caught:
        decode_event_row(7, "{")
    assert [("$.outbox[7].event", "corrupt_document")] == codes(caught.value)
    with pytest.raises(InvalidType) as wrong:
        decode_event_row(8, "[]")
    assert wrong.value.path == "$.outbox[8].event"
    with pytest.raises(ValidationError) as unknown:
        decode_event_row(9, '{"type": "no_such_event"}')
    assert unknown.value.path.startswith("$.outbox[9].event")


# -- columns and signatures -------------------------------------------------------------------


def test_column_names():
    assert "ref_customer_id" == reference_column("customer_id")
    assert "ix_status" == index_column("status")


def test_row_columns_are_references_then_indexes_in_spec_order():
    assert [] == row_columns(CUSTOMERS)
    expected = [f"ref_{field}" for field, _ in ORDERS.references]
    expected += [f"ix_{name}" for name in ORDERS.index_names]
    assert expected == row_columns(ORDERS)
    assert ["ref_party_id", "ref_related_id", "ix_party", "ix_kind"] == row_columns(RELATIONSHIPS)


def test_spec_signature_names_keys_indexes_and_references():
    assert "keys=email,phone;indexes=;references=" == spec_signature(CUSTOMERS)
    assert (
        "keys=;indexes=party,kind;references=party_id>customers,related_id>customers"
        == spec_signature(RELATIONSHIPS)
    )


def test_spec_signature_changes_with_the_keys():
    (shared,) = with_uniqueness([CUSTOMERS], UniquenessPolicy(email="shared"))
    assert "keys=phone;indexes=email;references=" == spec_signature(shared)


# -- writes -----------------------------------------------------------------------------------


def test_row_write_of_an_order_binds_the_single_values_as_columns():
    placed = order(1, 7)
    write = RowWrite(added(ORDERS, placed))
    assert "o-1" == write.ident
    assert placed.version == write.version
    assert placed == decode_document(ORDERS, "o-1", write.version, write.document)
    assert [] == write.keys
    assert [] == write.index
    single = dict(ORDERS.index_values(placed))
    columns = dict(zip(row_columns(ORDERS), write.columns, strict=True))
    assert "c-7" == columns["ref_customer_id"]
    assert {f"ix_{name}": value for name, value in single.items()} == {
        name: value for name, value in columns.items() if name.startswith("ix_")
    }


def test_row_write_puts_an_index_of_several_values_in_the_side_entries():
    link = relationship(1, 3, 2)
    write = RowWrite(added(RELATIONSHIPS, link))
    assert ("c-3", "c-2", None, "partner") == write.columns
    assert [("party", "c-2"), ("party", "c-3")] == write.index


def test_row_write_keeps_natural_keys_sorted():
    ana = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana"),
        at=AT,
        contact_points=[ContactPoint("email", "Ana@Example.com")],
    )
    write = RowWrite(saved(CUSTOMERS, ana, 0))
    assert write.keys == sorted(CUSTOMERS.keys_of(ana))
    assert ("email", "ana@example.com") in write.keys


def test_row_write_of_a_removal_binds_nothing_but_the_id():
    write = RowWrite(removed(ORDERS, OrderId("o-1"), 3))
    assert ("o-1", None, None, (), [], []) == (
        write.ident,
        write.document,
        write.version,
        write.columns,
        write.keys,
        write.index,
    )


def test_writes_by_spec_keeps_first_appearance_order():
    writes = [
        RowWrite(added(ORDERS, order(1, 1))),
        RowWrite(added(CUSTOMERS, customer(1))),
        RowWrite(added(ORDERS, order(2, 1))),
    ]
    groups = writes_by_spec(writes)
    assert ["orders", "customers"] == list(groups)
    assert [writes[0], writes[2]] == groups["orders"]
    assert [writes[1]] == groups["customers"]
    assert {} == writes_by_spec([])


# -- versions read back -----------------------------------------------------------------------


def test_check_stored_versions_passes_when_every_version_matches():
    writes = [
        RowWrite(saved(CUSTOMERS, customer(1), 2)),
        RowWrite(removed(ORDERS, OrderId("o-1"), 0)),
        RowWrite(added(CUSTOMERS, customer(2))),
    ]
    stored = {("customers", "c-1"): 2, ("orders", "o-1"): 0}
    assert check_stored_versions(writes, stored) is None


def test_check_stored_versions_reports_a_changed_row():
    writes = [RowWrite(saved(CUSTOMERS, customer(1), 2))]
    with pytest.raises(ConcurrencyConflict) as caught:
        check_stored_versions(writes, {("customers", "c-1"): 5})
    assert (2, 5) == (caught.value.expected_version, caught.value.actual_version)


def test_check_stored_versions_reports_a_removed_row():
    writes = [RowWrite(removed(ORDERS, OrderId("o-1"), 0))]
    with pytest.raises(ConcurrencyConflict) as caught:
        check_stored_versions(writes, {})
    assert (0, None) == (caught.value.expected_version, caught.value.actual_version)


def test_check_stored_versions_names_a_corrupt_stored_version():
    writes = [RowWrite(saved(CUSTOMERS, customer(1), 2))]
    with pytest.raises(ValidationError) as caught:
        check_stored_versions(writes, {("customers", "c-1"): "2"})
    assert [("$.customers[c-1].version", "corrupt_document")] == codes(caught.value)


def test_check_stored_versions_reports_conflicts_before_duplicates():
    writes = [
        RowWrite(added(CUSTOMERS, customer(2))),
        RowWrite(saved(CUSTOMERS, customer(1), 0)),
    ]
    stored = {("customers", "c-1"): 1, ("customers", "c-2"): 0}
    with pytest.raises(ConcurrencyConflict):
        check_stored_versions(writes, stored)
    stored[("customers", "c-1")] = 0
    with pytest.raises(DuplicateId):
        check_stored_versions(writes, stored)
    # A stored id of another spec is not a duplicate.
    assert check_stored_versions(writes[:1], {("orders", "c-2"): 0}) is None


# -- references -------------------------------------------------------------------------------


def test_referenced_elsewhere_lists_the_ids_named_and_not_changed():
    changes = ChangeSet(
        changes=(
            added(CUSTOMERS, customer(1)),
            added(ORDERS, order(1, 1)),  # names a customer of the change set
            added(ORDERS, order(2, 2)),
            saved(ORDERS, order(3, 2), 0),
            added(RELATIONSHIPS, relationship(1, 3, 4)),
            removed(ORDERS, OrderId("o-9"), 0),
        )
    )
    assert {"customers": {"c-2", "c-3", "c-4"}} == referenced_elsewhere(
        [CUSTOMERS, ORDERS, RELATIONSHIPS], changes
    )
    # Targets the store does not keep are left to verify_references.
    assert {} == referenced_elsewhere([ORDERS, RELATIONSHIPS], changes)

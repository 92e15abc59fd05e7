"""Tests for `crmcore.serialization`."""

import json
import tracemalloc
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from crmcore import (
    ContactPoint,
    Customer,
    CustomerId,
    DomainEvent,
    InvalidType,
    Money,
    OrganizationName,
    PersonName,
    ValidationError,
)
from crmcore.customers import (
    ConsentRecord,
    CustomerContactPointAdded,
    CustomerTagAdded,
    PostalAddress,
)
from crmcore.errors import SchemaVersionError
from crmcore.segmentation import Rule, all_of, field, not_
from crmcore.serialization import MAX_DEPTH, MAX_PROBLEMS, from_dict, make_converter, to_dict

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=7)))


@pytest.fixture
def customer() -> Customer:
    built = Customer.register(
        CustomerId("c-1"),
        name=PersonName("Ana", family="Putri", preferred="Ana"),
        at=T0,
        birth_date=date(1990, 4, 17),
        addresses=[PostalAddress(lines=["Jl. Merdeka 10"], country="ID", locality="Bandung")],
        preferred_language="id",
        attributes={
            "card": "LC-1",
            "visits": 3,
            "opted_paper": False,
            "score": Decimal("4.75"),
            "since": date(2020, 1, 1),
            "last_seen": T0,
        },
        contact_points=[
            ContactPoint("email", "ana@example.com"),
            ContactPoint("whatsapp", "+6281234567890", label="personal"),
        ],
        tags=["vip"],
    )
    built = built.give_consent(
        "email", "marketing", at=T0, source="form", expires_at=T0 + timedelta(days=365)
    )
    return built.withdraw_consent(None, "profiling", at=T0 + timedelta(days=1), source="centre")


def roundtrip(obj):
    return from_dict(type(obj), json.loads(json.dumps(to_dict(obj))))


def test_customer_round_trips_through_json(customer):
    """Every field and every pending event survives JSON."""
    back = roundtrip(customer)
    assert customer == back
    assert customer.pending_events == back.pending_events
    assert customer.profile.attributes == back.profile.attributes
    assert [type(v) for v in customer.profile.attributes.values()] == [
        type(v) for v in back.profile.attributes.values()
    ]


def test_output_is_json_ready_with_strings_for_decimals_and_offsets_for_times(customer):
    """Decimals are strings, datetimes ISO 8601 with offset, enums plain values."""
    data = to_dict(customer)
    assert 2 == data["schema_version"]
    assert "2026-01-05T09:00:00+07:00" == data["created_at"]
    assert {"type": "decimal", "value": "4.75"} == data["profile"]["attributes"]["score"]
    assert "email" == data["contact_points"][0]["channel"]
    assert type(data["contact_points"][0]["channel"]) is str
    assert ["vip"] == data["tags"]
    assert {"amount": "12.50", "currency": "USD", "schema_version": 2} == to_dict(
        Money("12.50", "USD")
    )

    def no_floats(value):
        if isinstance(value, dict):
            return all(no_floats(v) for v in value.values())
        if isinstance(value, list):
            return all(no_floats(v) for v in value)
        return not isinstance(value, float)

    assert no_floats(data)


def test_values_and_events_round_trip(customer):
    """Value objects and events round-trip on their own."""
    values = [
        Money("0.001", "KWD"),
        PersonName("Sukarno"),
        OrganizationName("PT Maju", trading="Maju"),
        PostalAddress(lines=["a", "b"], country="SG", postal_code="018956"),
        ContactPoint("social", "instagram:@toko"),
        customer.consents[0],
        customer.profile,
    ]
    for value in values:
        assert value == roundtrip(value)
    for event in customer.pending_events:
        assert event == from_dict(DomainEvent, json.loads(json.dumps(to_dict(event))))
        assert event == from_dict(type(event), to_dict(event))


def test_event_documents_name_their_type(customer):
    """Events carry a type tag; the wrong class or an unknown type is refused."""
    event = next(e for e in customer.pending_events if isinstance(e, CustomerContactPointAdded))
    data = to_dict(event)
    assert "CustomerContactPointAdded" == data["type"]
    with pytest.raises(ValidationError) as info:
        from_dict(CustomerTagAdded, data)
    assert "$.type" == info.value.path
    with pytest.raises(ValidationError) as info:
        from_dict(DomainEvent, {**data, "type": "NoSuchEvent"})
    assert "$.type" == info.value.path


@pytest.mark.parametrize(
    ("mutate", "path", "code"),
    [
        (lambda d: d.pop("id"), "$.id", "required"),
        (lambda d: d.update(extra=1), "$", "unknown_keys"),
        (lambda d: d.update(created_at="2026-01-05T09:00:00"), "$.created_at", "naive_datetime"),
        (lambda d: d.update(created_at="yesterday"), "$.created_at", "datetime"),
        (lambda d: d.update(version="1"), "$.version", "type"),
        (lambda d: d.update(version=True), "$.version", "type"),
        (lambda d: d.update(tags="vip"), "$.tags", "type"),
        (lambda d: d.update(kind="alien"), "$.kind", "choice"),
        (lambda d: d["consents"][0].update(status="maybe"), "$.consents[0].status", "choice"),
        (
            lambda d: d["contact_points"][1].update(value="nope"),
            "$.contact_points[1].value",
            "phone",
        ),
        (lambda d: d["contact_points"][0].update(channel=7), "$.contact_points[0].channel", "type"),
        (
            lambda d: d["contact_points"].append(d["contact_points"][0]),
            "$.contact_points[2]",
            "duplicate",
        ),
        (lambda d: d["profile"].update(birth_date="17-04-1990"), "$.profile.birth_date", "date"),
        (lambda d: d["profile"]["name"].update(given=None), "$.profile.name.given", "type"),
        (
            lambda d: d["profile"]["attributes"].update(x={"type": "float", "value": 1.5}),
            "$.profile.attributes[*].type",
            "choice",
        ),
        (
            lambda d: d["profile"]["attributes"].update(x={"type": "decimal", "value": 1.5}),
            "$.profile.attributes[*].value",
            "float",
        ),
        (
            lambda d: d["consents"][0].update(captured_at="2020-01-01T00:00:00+00:00"),
            "$.consents[0].captured_at",
            "before_registration",
        ),
        (lambda d: d["consents"][0].update(purpose=None), "$.consents[0].purpose", "type"),
        (
            lambda d: d["pending_events"][0].update(type="Bogus"),
            "$.pending_events[0].type",
            "event_type",
        ),
        (lambda d: d.update(id="bad id"), "$.id", "id_format"),
        (lambda d: d.update(profile=[]), "$.profile", "type"),
    ],
)
def test_malformed_documents_name_the_path(customer, mutate, path, code):
    """Each kind of damage is a ValidationError at the damaged path."""
    data = json.loads(json.dumps(to_dict(customer)))
    mutate(data)
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert (path, code) in [(p.path, p.code) for p in info.value.problems]


def test_every_problem_is_reported_at_once(customer):
    """Several faults give one error listing all of them."""
    data = to_dict(customer)
    data["version"] = "x"
    data["kind"] = "alien"
    del data["created_at"]
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    paths = {p.path for p in info.value.problems}
    assert {"$.version", "$.kind", "$.created_at"} <= paths


def test_money_input_errors():
    """Unknown currencies and float amounts are refused with paths."""
    with pytest.raises(ValidationError) as info:
        from_dict(Money, {"amount": "1", "currency": "XYZ", "schema_version": 1})
    assert "$.currency" == info.value.path
    with pytest.raises(InvalidType) as info:
        from_dict(Money, {"amount": 1.5, "currency": "USD", "schema_version": 1})
    assert "$.amount" == info.value.path


@pytest.mark.parametrize("version", [None, 0, 3, "1", "2", True, 2.0])
def test_unknown_schema_versions_are_refused(version):
    """schema_version must be one this release reads."""
    data = {"amount": "1", "currency": "USD"}
    if version is not None:
        data["schema_version"] = version
    with pytest.raises(SchemaVersionError):
        from_dict(Money, data)


@pytest.mark.parametrize("junk", [None, [], "text", 3, [{"a": 1}]])
def test_non_object_documents_are_type_errors(junk):
    """The top level must be a JSON object."""
    with pytest.raises(InvalidType):
        from_dict(Customer, junk)


def test_deeply_nested_junk_is_refused_without_recursion_error(customer):
    """A nesting bomb is refused by an iterative depth check."""
    bomb: list = []
    cursor = bomb
    for _ in range(100_000):
        cursor.append([])
        cursor = cursor[0]
    data = to_dict(customer)
    data["tags"] = bomb
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert "too_deep" == info.value.code
    assert MAX_DEPTH < 100_000


def test_junk_of_every_shape_is_a_validation_error(customer):
    """Replacing any one value by junk never escapes as a bare builtin error."""
    junk_values = [None, 0, -1, 1.5, "", "x" * 5000, [], {}, [1, 2], {"a": {}}, True]
    base = to_dict(customer)

    def walk(value, path):
        yield path
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*path, index))

    def replace(data, path, new):
        if not path:
            return new
        copy = json.loads(json.dumps(data))
        target = copy
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = new
        return copy

    paths = [p for p in walk(base, ()) if p and p[-1] != "schema_version"]
    checked = 0
    for path in paths[::3]:
        for junk in junk_values:
            try:
                from_dict(Customer, replace(base, path, junk))
            except ValidationError:
                checked += 1
    assert checked > len(paths) // 3


def test_to_dict_refuses_non_crmcore_objects():
    """Plain objects are not serialized by accident."""
    with pytest.raises(InvalidType):
        to_dict({"a": 1})
    with pytest.raises(InvalidType):
        from_dict(dict, {})


def test_make_converter_gives_an_independent_converter():
    """Users can extend their own converter without touching crmcore's."""
    conv = make_converter()
    assert conv.unstructure(Money("1.00", "EUR")) == {"amount": "1.00", "currency": "EUR"}
    assert Money("1.00", "EUR") == conv.structure({"amount": "1.00", "currency": "EUR"}, Money)


def test_consent_record_round_trip_with_channel_none():
    """A record for every channel keeps channel None."""
    record = ConsentRecord(
        channel=None,
        purpose="marketing",
        status="withdrawn",
        captured_at=datetime(2026, 1, 1, tzinfo=UTC),
        source="x",
    )
    assert record == roundtrip(record)


# -- strict loading of hostile documents -----------------------------------------------------


@pytest.mark.parametrize(
    "text", ["١٢", "1_000", " 12", "12 ", "1e2", "1E-2", "+1", "1.", ".5", "NaN", "Infinity", ""]
)
def test_decimal_strings_are_plain_ascii_numbers(text):
    """Amounts are plain ASCII numbers: no other scripts' digits, _, padding or exponents."""
    with pytest.raises(ValidationError) as info:
        from_dict(Money, {"amount": text, "currency": "USD", "schema_version": 2})
    assert ("$.amount", "decimal") == (info.value.path, info.value.code)


@pytest.mark.parametrize("text", ["12", "-0.50", "0", "1234567890.123456"])
def test_plain_decimal_strings_load(text):
    """The plain form loads exactly."""
    assert Decimal(text) == from_dict(Money, {"amount": text, "currency": "USD"} | _V2).amount


_V2 = {"schema_version": 2}


def test_huge_and_tiny_decimals_are_written_without_exponents():
    """to_dict writes every Decimal in plain notation, so that it loads back."""
    for amount in (Decimal("1E+20"), Decimal("1E-8"), Decimal("0E-10")):
        data = to_dict(Money(amount, "USD"))
        assert "E" not in data["amount"].upper()
        assert amount == from_dict(Money, data).amount


@pytest.mark.parametrize("field", ["contact_points", "tags", "consents", "pending_events"])
@pytest.mark.parametrize("junk", [{}, {"0": "x"}, "abc", "", 7])
def test_lists_are_lists(customer, field, junk):
    """An object or a string where a list belongs is refused, never iterated."""
    data = to_dict(customer)
    data[field] = junk
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert f"$.{field}" in [p.path for p in info.value.problems]


@pytest.mark.parametrize("version", [[1], {"a": 1}, [], {}])
def test_unhashable_schema_versions_are_refused(customer, version):
    """A list or object as schema_version is a SchemaVersionError, not a TypeError."""
    data = to_dict(customer)
    data["schema_version"] = version
    with pytest.raises(SchemaVersionError):
        from_dict(Customer, data)


@pytest.mark.parametrize("version", [2**63, -1, 10**5000], ids=["2**63", "-1", "10**5000"])
def test_versions_are_bounded(customer, version):
    """Versions that storage cannot hold (or repr cannot print) are refused on load."""
    data = to_dict(customer)
    data["version"] = version
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert "$.version" in [p.path for p in info.value.problems]
    assert len(str(info.value)) < 500


def test_a_million_items_are_refused_before_any_is_converted(customer):
    """A list past the limit is refused by its length, without converting or copying it."""
    data = to_dict(customer)
    data["tags"] = ["vip"] * 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as info:
            from_dict(Customer, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "too_many" == info.value.code
    assert peak < 1_000_000  # bytes: far less than one pointer per item


def test_many_bad_items_give_a_bounded_list_of_problems(customer):
    """Bad items are reported up to a bound, never one exception object per item kept."""
    data = to_dict(customer)
    data["contact_points"] = [{"kind": 1}] * 5_000
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert len(info.value.problems) <= MAX_PROBLEMS


def test_unknown_keys_are_counted_not_echoed(customer):
    """Key names of a document may be personal data: errors count them instead."""
    data = to_dict(customer)
    data["ana@example.com"] = 1
    with pytest.raises(ValidationError) as info:
        from_dict(Customer, data)
    assert "ana@example.com" not in str(info.value)
    assert "ana@example.com" not in repr(info.value.problems)


def test_rules_load_through_the_one_converter():
    """from_dict reads the abstract Rule too: the document picks the class."""
    for rule in (
        field("frequency") >= 3,
        all_of(field("frequency") >= 3, field("country") == "ID"),
        not_(field("tags").has("vip")),
    ):
        assert rule == from_dict(Rule, json.loads(json.dumps(to_dict(rule))))
    with pytest.raises(InvalidType) as info:
        from_dict(dict, {"schema_version": 2})
    assert "not dict" in str(info.value)

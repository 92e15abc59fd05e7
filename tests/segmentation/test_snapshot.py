"""Tests for `crmcore.segmentation._snapshot`: purchase facts, consent flags, snapshots of some fields."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, InvalidType, Money, PersonName, ValidationError
from crmcore.customers import Channel, Purpose
from crmcore.lifecycle import CRM_STAGES, RELATIONSHIP_LADDER
from crmcore.segmentation import all_of, any_of, field, not_, purchase_facts, snapshot
from crmcore.segmentation._snapshot import LADDER
from crmcore.testing.strategies import aware_datetimes, customers, moneys

AT = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_customer_without_orders_has_zero_facts():
    """Looking up a customer without orders gives orders_count 0, never a bare KeyError."""
    facts = purchase_facts([("c-1", AT, Money("10", "USD"))], at=AT)
    assert 1 == facts["c-1"]["orders_count"]
    assert {
        "orders_count": 0,
        "first_purchase_at": None,
        "last_purchase_at": None,
        "total_spent": None,
        "average_order_value": None,
    } == facts["c-9"]
    assert "c-9" not in facts
    assert facts.get("c-9") is None
    assert 0 == purchase_facts([], at=AT)["anyone"]["orders_count"]


def test_an_unhashable_lookup_is_an_invalid_type():
    """D15: a signalling NaN (or a list) as the key is refused with a crmcore error."""
    facts = purchase_facts([], at=AT)
    with pytest.raises(InvalidType):
        facts[Decimal("sNaN")]
    with pytest.raises(InvalidType):
        facts[[]]


@pytest.mark.parametrize("customer_id", [Decimal("sNaN"), 1.5, None, True])
def test_order_ids_must_be_ids(customer_id):
    """D15: order rows name their customer by an id (a signalling NaN was hashed blindly)."""
    with pytest.raises(InvalidType) as info:
        purchase_facts([(customer_id, AT, Money("10", "USD"))], at=AT)
    assert "$.orders[0].customer_id" == info.value.path


# -- snapshots of some fields ---------------------------------------------------------------

SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PAIRS = [(channel, purpose) for channel in Channel for purpose in Purpose]
EXTRA_PATHS = [
    "created_at.year",
    "tags.x",
    "attributes",
    "lifecycle",
    "lifecycle.relationship_ladder",
    "lifecycle.crm_stages",
    "frequency",
    "clv_tier",
    "custom.score",
    "nothing_here",
]
fact_values = st.one_of(
    st.integers(-5, 5),
    moneys(currencies=["USD"]),
    aware_datetimes(),
    st.sampled_from(["high", "Cafe\u0301", None, True, 2.5]),
    st.frozensets(st.sampled_from(["a", "b"]), max_size=2),
)
facts_maps = st.dictionaries(
    st.sampled_from(["frequency", "clv_tier", "orders_count", "custom.score", "recency_days"]),
    fact_values,
    max_size=4,
)


def outcome(function):
    """("ok", answer) or the error's class, path and code."""
    try:
        return ("ok", function())
    except ValidationError as exc:
        return ("error", type(exc).__name__, exc.path, exc.code)


@st.composite
def customers_at(draw):
    """A customer with a history (consents, lifecycle moves) and an instant after registration."""
    customer = draw(customers(with_lifecycle=True, max_consents=8, pending_events=False))
    later = customer.created_at + timedelta(days=draw(st.integers(0, 4 * 365)))
    return customer, draw(st.sampled_from([customer.updated_at, later, customer.created_at]))


@SLOW
@given(customers_at(), facts_maps, st.data())
def test_a_snapshot_of_some_fields_equals_the_full_one_on_them(case, facts, data):
    """Every key computed for a field list is the full snapshot's, and nothing a path reads is left out."""
    customer, at = case
    full = snapshot(customer, at=at, facts=facts)
    fields = data.draw(st.frozensets(st.sampled_from(sorted(full) + EXTRA_PATHS), max_size=8))
    small = snapshot(customer, at=at, facts=facts, fields=fields)
    reads = {".".join(p.split(".")[: n + 1]) for p in fields for n in range(p.count(".") + 1)}
    assert {key: full[key] for key in full if key in reads} == small
    assert [key for key in full if key in small] == list(small)  # in the full snapshot's order


@SLOW
@given(customers_at(), facts_maps, st.data())
def test_rules_answer_the_same_on_a_snapshot_of_their_fields(case, facts, data):
    """A rule on snapshot(fields=rule.fields()) answers as on the full snapshot."""
    customer, at = case
    full = snapshot(customer, at=at, facts=facts)
    pick = data.draw(st.sampled_from(sorted(full)))
    rule = data.draw(
        st.sampled_from(
            [
                field(pick).is_empty(),
                all_of(field("may_email_marketing").is_true(), field("tags").has("vip")),
                any_of(field("stage") == "client", field("created_at.year") >= 2030),
                not_(field("frequency") >= 2),
                field("lifecycle.relationship_ladder").is_in({"prospect", "client"}),
            ]
        )
    )
    small = snapshot(customer, at=at, facts=facts, fields=rule.fields())
    assert outcome(lambda: rule.matches(full, at=at)) == outcome(lambda: rule.matches(small, at=at))


@SLOW
@given(customers_at())
def test_consent_flags_are_the_customers_decisions(case):
    """Every may_<channel>_<purpose> flag is Customer.may_contact at that instant."""
    customer, at = case
    taken = snapshot(customer, at=at)
    flags = [taken[f"may_{c.value}_{p.value}"] for c, p in PAIRS]
    assert [customer.may_contact(c, p, at=at) for c, p in PAIRS] == flags


def ana():
    return Customer.register(CustomerId("c-1"), name=PersonName("Ana"), at=AT, tags=["vip"])


def test_every_fact_is_checked_even_when_not_read():
    """A bad fact fails a snapshot of other fields exactly as the full one."""
    for facts, code in [
        ({"score": float("nan")}, "not_finite"),
        ({"stage": "client"}, "duplicate"),
        ({"may_email_marketing": True}, "duplicate"),
        ({"bad key": 1}, "field_path"),
    ]:
        with pytest.raises(ValidationError) as full:
            snapshot(ana(), at=AT, facts=facts)
        with pytest.raises(ValidationError) as small:
            snapshot(ana(), at=AT, facts=facts, fields=["tags"])
        assert (code, full.value.path) == (small.value.code, small.value.path)


@pytest.mark.parametrize(
    ("fields", "error", "code"),
    [
        ("tags", InvalidType, "type"),
        ({"tags": 1}, InvalidType, "type"),
        (3, InvalidType, "type"),
        ([3], InvalidType, "type"),
        ([["tags"]], InvalidType, "type"),
        (["__class__"], ValidationError, "field_path"),
        ([f"f{n}" for n in range(10_001)], ValidationError, "too_many"),
    ],
)
def test_fields_must_be_field_paths(fields, error, code):
    """The fields are a collection of field paths; a bad one is never echoed."""
    with pytest.raises(error) as info:
        snapshot(ana(), at=AT, fields=fields)
    assert code == info.value.code
    assert info.value.path.startswith("$.fields")


def test_fields_from_lists_sets_and_rules_agree():
    """A list, a set or rule.fields() of the same paths give the same snapshot."""
    rule = field("tags").has("vip") & (field("frequency") >= 3)
    expected = {"tags": frozenset({"vip"}), "frequency": 4}
    for fields in (rule.fields(), set(rule.fields()), sorted(rule.fields())):
        assert expected == snapshot(ana(), at=AT, facts={"frequency": 4}, fields=fields)


def test_facts_may_not_repeat_attributes_or_lifecycles():
    """A fact named like a custom attribute or a tracked lifecycle is a duplicate; others are not."""
    tracked = RELATIONSHIP_LADDER.fire(
        ana().set_attribute("tier", "gold", at=AT), "qualify", at=AT + timedelta(days=1)
    )
    later = AT + timedelta(days=2)
    for name in ("attributes.tier", "lifecycle.relationship_ladder"):
        for fields in (None, ["tags"]):
            with pytest.raises(ValidationError) as info:
                snapshot(tracked, at=later, facts={name: "x"}, fields=fields)
            assert "duplicate" == info.value.code
    facts = {"attributes.size": "m", "lifecycle.other": "x"}
    small = snapshot(tracked, at=later, facts=facts, fields=["attributes.size", "lifecycle.other"])
    assert facts == small
    assert "gold" == snapshot(tracked, at=later, fields=["attributes.tier"])["attributes.tier"]


def test_stage_is_always_the_ladder_stage():
    """``stage`` follows the relationship ladder even when the CRM stages changed last."""
    assert RELATIONSHIP_LADDER.name == LADDER
    untracked = ana()
    on_crm_only = CRM_STAGES.fire(untracked, "qualify", at=AT + timedelta(days=1))
    on_ladder = RELATIONSHIP_LADDER.fire(on_crm_only, "qualify", at=AT + timedelta(days=2))
    both = CRM_STAGES.fire(on_ladder, "convert", at=AT + timedelta(days=3))
    later = AT + timedelta(days=4)
    assert "enhancement" == both.lifecycle.stage  # the CRM stages changed last
    ladder = both.lifecycle_of(RELATIONSHIP_LADDER)
    assert ladder is not None
    wanted = ["stage", "stage_entered_at", "lifecycle.crm_stages"]
    for customer, stage, entered, crm in (
        (untracked, None, None, None),
        (on_crm_only, None, None, "acquisition"),
        (both, ladder.stage, ladder.entered_at, "enhancement"),
    ):
        full = snapshot(customer, at=later)
        small = snapshot(customer, at=later, fields=wanted)
        for snap in (full, small):
            assert (stage, entered) == (snap["stage"], snap["stage_entered_at"])
            assert crm == snap.get("lifecycle.crm_stages")


def test_customers_without_consent_records_get_each_purposes_default():
    """Without a record, every flag is the customer's own decision (service only), in any snapshot."""
    customer = ana()
    assert () == customer.consents
    expected = customer.consent_flags(PAIRS, at=AT)
    keys = [f"may_{c.value}_{p.value}" for c, p in PAIRS]
    full = snapshot(customer, at=AT)
    small = snapshot(customer, at=AT, fields=frozenset(keys[:3]))
    assert list(expected) == [full[key] for key in keys]
    assert dict(zip(keys[:3], expected[:3], strict=True)) == small
    assert any(expected)  # service messages are allowed by default
    assert not all(expected)


def test_a_customer_subclass_decides_its_own_flags():
    """A subclass overriding consent_flags is asked, with or without records."""

    class Lenient(Customer):
        __slots__ = ()

        def consent_flags(self, pairs, *, at):
            return tuple(True for _ in pairs)

    lenient = Lenient.register(CustomerId("c-1"), name=PersonName("Ana"), at=AT)
    assert snapshot(lenient, at=AT, fields=["may_email_marketing"])["may_email_marketing"]
    assert snapshot(lenient, at=AT)["may_sms_profiling"]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 5, 1, 9, tzinfo=ZoneInfo("Asia/Jakarta")),
        datetime(2026, 5, 1, 9, tzinfo=timezone(timedelta(hours=7))),
        datetime(2026, 5, 1, 9, tzinfo=UTC),
    ],
)
def test_aware_instants_in_every_zone_kind_agree(at):
    """`at` in a ZoneInfo, a fixed offset or UTC: the same snapshot for the same instant."""
    customer = ana()
    taken = snapshot(customer, at=at, facts={"frequency": 1})
    again = snapshot(customer, at=at.astimezone(UTC), facts={"frequency": 1})
    assert taken == again


def test_naive_and_odd_instants_are_refused_as_before():
    """A naive datetime or a date is refused with the checks' own errors."""
    with pytest.raises(ValidationError) as naive:
        snapshot(ana(), at=datetime(2026, 5, 1, 9), fields=["tags"])  # noqa: DTZ001 - naive on purpose
    assert "naive_datetime" == naive.value.code
    with pytest.raises(InvalidType):
        snapshot(ana(), at=AT.date(), fields=["tags"])

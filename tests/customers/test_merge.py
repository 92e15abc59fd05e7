"""Tests for `crmcore.customers._merge`: survivorship, unions, consent, events, tombstones, refusals."""

import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from crmcore import DomainEvent, InvalidType, StaffId, ValidationError
from crmcore.customers import (
    MERGE_SOURCE,
    ConsentRecord,
    ContactPoint,
    Customer,
    CustomerAbsorbed,
    CustomerId,
    CustomerMerged,
    CustomerMergePreview,
    CustomersMerged,
    FieldChoice,
    MergeRule,
    OrganizationName,
    PersonName,
    PostalAddress,
    SurvivorshipRules,
    _merge,
    decide_consent,
    merge_customers,
    preview_merge,
)
from crmcore.customers._customer import MAX_CONTACT_POINTS, MAX_TAGS
from crmcore.errors import CrmcoreError
from crmcore.serialization import from_dict, to_dict
from crmcore.teams import TeamId

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=WIB)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
META = {"actor": "ops-7", "correlation_id": "corr-1", "causation_id": "cmd-9"}
BANDUNG = PostalAddress(lines=["Jl. Merdeka 10"], locality="Bandung", country="ID")
JAKARTA = PostalAddress(lines=["Jl. Sudirman 1"], locality="Jakarta", country="ID")
PREDICTED = (
    "profile",
    "contact_points",
    "consents",
    "tags",
    "owner",
    "team",
    "lifecycles",
    "created_at",
)


def person(cid: str, at: datetime = T0, **options) -> Customer:
    options.setdefault("name", PersonName("Ana", family="Putri"))
    return Customer.register(CustomerId(cid), at=at, **options)


def pair() -> tuple[Customer, Customer]:
    """A survivor and an absorbed customer, the absorbed changed last."""
    survivor = person(
        "c-1",
        contact_points=[ContactPoint("email", "ana@example.com")],
        tags=["vip"],
        birth_date=date(1990, 4, 1),
        addresses=[BANDUNG],
        attributes={"store": "BDG-01", "shoe_size": 38},
    )
    absorbed = person(
        "c-2",
        at=T0 + HOUR,
        name=PersonName("Ana", family="Putri", preferred="Ana P."),
        contact_points=[
            ContactPoint("email", "ANA@example.com", verified=True, label="home"),
            ContactPoint("phone", "+6281234567890"),
        ],
        tags=["newsletter", "vip"],
        birth_date=date(1990, 4, 2),
        preferred_language="id",
        addresses=[JAKARTA, BANDUNG],
        attributes={"store": "JKT-02", "loyalty_card": "LC-1"},
    )
    return survivor, absorbed


# -- survivorship ---------------------------------------------------------------------------


def test_the_default_rules_keep_the_survivors_name_and_take_the_newer_other_fields():
    """Name: survivor; birth date, language, attributes: most recent; addresses: union."""
    survivor, absorbed = pair()
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    profile = merged.profile
    assert survivor.profile.name == profile.name
    assert date(1990, 4, 2) == profile.birth_date  # the absorbed changed last
    assert "id" == profile.preferred_language  # the survivor had none
    assert (BANDUNG, JAKARTA) == profile.addresses
    assert {"store": "JKT-02", "shoe_size": 38, "loyalty_card": "LC-1"} == dict(profile.attributes)


def test_the_defaults_are_documented_values():
    """Every default named in SurvivorshipRules' docstring."""
    rules = SurvivorshipRules()
    assert (
        MergeRule.SURVIVOR,
        MergeRule.MOST_RECENT,
        MergeRule.MOST_RECENT,
        MergeRule.UNION,
        MergeRule.MOST_RECENT,
        MergeRule.SURVIVOR,
    ) == (
        rules.name,
        rules.birth_date,
        rules.preferred_language,
        rules.addresses,
        rules.attributes,
        rules.owner,
    )


def test_most_recent_takes_the_survivor_when_it_changed_last():
    """The customer changed last wins; the survivor on a tie."""
    survivor, absorbed = pair()
    survivor = survivor.add_tag("late", at=T0 + 2 * HOUR)
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert date(1990, 4, 1) == merged.profile.birth_date
    assert "BDG-01" == merged.profile.attributes["store"]
    assert "loyalty_card" in merged.profile.attributes  # a key only one holds is kept
    tied = attrs.evolve(absorbed, updated_at=survivor.updated_at, pending_events=())
    merged, _ = merge_customers(survivor, tied, at=T0 + DAY)
    assert date(1990, 4, 1) == merged.profile.birth_date


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("survivor", date(1990, 4, 1)), ("absorbed", date(1990, 4, 2))],
)
def test_a_preferred_source_wins_whatever_the_times(rule, expected):
    """``survivor`` and ``absorbed`` choose the source of a field."""
    survivor, absorbed = pair()
    rules = SurvivorshipRules(birth_date=rule, attributes=rule, name=rule)
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY, rules=rules)
    assert expected == merged.profile.birth_date
    source = survivor if rule == "survivor" else absorbed
    assert source.profile.name == merged.profile.name
    assert source.profile.attributes["store"] == merged.profile.attributes["store"]


def test_a_value_beats_an_empty_one_whatever_the_rule():
    """The preferred source's empty value falls back to the other's value."""
    survivor, absorbed = pair()
    rules = SurvivorshipRules(preferred_language="survivor")
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY, rules=rules)
    assert "id" == merged.profile.preferred_language
    preview = preview_merge(survivor, absorbed, at=T0 + DAY, rules=rules)
    assert FieldChoice("preferred_language", "absorbed", "only_value", changed=True) == (
        preview.choice("preferred_language")
    )


def test_an_attribute_compares_by_type_too():
    """``True`` and ``1`` are different attribute values (``True == 1`` in Python)."""
    survivor = person("c-1", attributes={"flag": 1})
    absorbed = person("c-2", at=T0 + HOUR, attributes={"flag": True})
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert merged.profile.attributes["flag"] is True


@pytest.mark.parametrize("rule", ["most_recent", "survivor", "absorbed"])
def test_addresses_can_follow_a_single_value_rule(rule):
    """Addresses taken whole from one customer instead of the union."""
    survivor, absorbed = pair()
    merged, _ = merge_customers(
        survivor, absorbed, at=T0 + DAY, rules=SurvivorshipRules(addresses=rule)
    )
    expected = survivor if rule == "survivor" else absorbed
    assert expected.profile.addresses == merged.profile.addresses


def test_owner_and_team_follow_the_survivor_unless_it_has_none():
    """The owner rule takes the pair; an empty pair takes the other's."""
    survivor, absorbed = pair()
    owned = absorbed.assign(StaffId("rep-2"), TeamId("team-jkt"), at=T0 + 2 * HOUR)
    merged, _ = merge_customers(survivor, owned, at=T0 + DAY)
    assert (StaffId("rep-2"), TeamId("team-jkt")) == (merged.owner, merged.team)
    mine = survivor.assign(StaffId("rep-1"), at=T0 + 3 * HOUR)
    merged, _ = merge_customers(mine, owned, at=T0 + DAY)
    assert (StaffId("rep-1"), None) == (merged.owner, merged.team)


def test_rules_refuse_a_union_of_a_single_value_and_round_trip():
    """``union`` applies to addresses only; the rules are a document like other config values."""
    with pytest.raises(ValidationError) as raised:
        SurvivorshipRules(name="union")
    assert ("$.name", "choice") == (raised.value.path, raised.value.code)
    with pytest.raises(ValidationError) as raised:
        SurvivorshipRules(owner="newest")
    assert "$.owner" == raised.value.path
    rules = SurvivorshipRules(addresses="absorbed", owner="most_recent")
    assert rules == from_dict(SurvivorshipRules, to_dict(rules))
    document = to_dict(rules)
    document["attributes"] = "union"
    with pytest.raises(ValidationError) as raised:
        from_dict(SurvivorshipRules, document)
    assert any(problem.path == "$.attributes" for problem in raised.value.problems)


# -- contact points and tags ------------------------------------------------------------------


def test_contact_points_are_unioned_by_normalized_value():
    """A point both hold is kept once, verified if either verified it, with a label if either had one."""
    survivor, absorbed = pair()
    merged, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert [("email", "ana@example.com"), ("phone", "+6281234567890")] == [
        (p.channel.value, p.value) for p in merged.contact_points
    ]
    email = merged.contact_point("email", "ana@example.com")
    assert (True, True, "home") == (email.primary, email.verified, email.label)
    assert () == tombstone.contact_points  # a natural key belongs to one customer


def test_each_channel_keeps_the_survivors_primary():
    """An absorbed primary becomes secondary on a channel where the survivor has one."""
    survivor = person("c-1", contact_points=[ContactPoint("email", "a@example.com")])
    absorbed = person(
        "c-2",
        contact_points=[
            ContactPoint("email", "b@example.com", primary=True),
            ContactPoint("sms", "+6281234567890"),
        ],
    )
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert "a@example.com" == merged.primary_contact_point("email").value
    assert not merged.contact_point("email", "b@example.com").primary
    assert merged.contact_point("sms", "+6281234567890").primary  # no survivor primary there
    assert 1 == sum(p.primary for p in merged.contact_points_on("email"))


def test_tags_are_unioned():
    survivor, absorbed = pair()
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert frozenset({"vip", "newsletter"}) == merged.tags


def test_too_many_contact_points_once_merged_are_refused():
    """A union over the bound raises a specific error; neither customer changes."""
    survivor = person(
        "c-1",
        contact_points=[ContactPoint("email", f"a{n}@example.com") for n in range(30)],
    )
    absorbed = person(
        "c-2",
        contact_points=[ContactPoint("email", f"b{n}@example.com") for n in range(30)],
    )
    assert 60 > MAX_CONTACT_POINTS
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=T0 + DAY)
    assert ("$.contact_points", "too_many") == (raised.value.path, raised.value.code)
    with pytest.raises(ValidationError):
        preview_merge(survivor, absorbed, at=T0 + DAY)


def test_too_many_tags_once_merged_are_refused():
    survivor = person("c-1", tags=[f"a{n}" for n in range(150)])
    absorbed = person("c-2", tags=[f"b{n}" for n in range(150)])
    assert 300 > MAX_TAGS
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=T0 + DAY)
    assert ("$.tags", "too_many") == (raised.value.path, raised.value.code)


def test_too_many_addresses_once_merged_are_refused():
    def addresses(prefix):
        return [PostalAddress(lines=[f"{prefix} {n}"], country="ID") for n in range(15)]

    survivor = person("c-1", addresses=addresses("Jl. A"))
    absorbed = person("c-2", addresses=addresses("Jl. B"))
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=T0 + DAY)
    assert ("$.profile.addresses", "too_many") == (raised.value.path, raised.value.code)


def test_too_many_attributes_once_merged_are_refused():
    survivor = person("c-1", attributes={f"a{n}": n for n in range(60)})
    absorbed = person("c-2", attributes={f"b{n}": n for n in range(60)})
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=T0 + DAY)
    assert ("$.profile.attributes", "too_many") == (raised.value.path, raised.value.code)


def test_too_many_consent_records_once_merged_are_refused(monkeypatch):
    """The bound on the history holds for the union (a small bound stands in for 10,000)."""
    survivor = person("c-1").give_consent("email", "marketing", at=T0 + HOUR, source="a")
    absorbed = person("c-2").give_consent("sms", "marketing", at=T0 + HOUR, source="b")
    monkeypatch.setattr(_merge, "MAX_CONSENT_RECORDS", 1)
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=T0 + DAY)
    assert ("$.consents", "too_many") == (raised.value.path, raised.value.code)


# -- consent --------------------------------------------------------------------------------


def test_consent_histories_are_combined_in_time_order_with_their_own_times_and_sources():
    survivor = person("c-1", at=T0).give_consent("email", "marketing", at=T0 + HOUR, source="web")
    absorbed = (
        person("c-2", at=T0 - DAY)
        .give_consent("sms", "marketing", at=T0 - HOUR, source="store")
        .withdraw_consent("email", "marketing", at=T0 + 2 * HOUR, source="call-centre")
    )
    merged, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert [("store", T0 - HOUR), ("web", T0 + HOUR), ("call-centre", T0 + 2 * HOUR)] == [
        (r.source, r.captured_at) for r in merged.consents
    ]
    assert T0 - DAY == merged.created_at  # the absorbed's records predate the survivor
    assert not merged.may_contact("email", "marketing", at=T0 + DAY)  # the latest is a withdrawal
    assert merged.may_contact("sms", "marketing", at=T0 + DAY)
    assert absorbed.consents == tombstone.consents  # the tombstone keeps its own history


def test_a_refusal_never_becomes_a_permission():
    """Neither may be contacted; the raw union would allow it; the merge records a withdrawal."""
    survivor = (
        person("c-1")
        .give_consent("email", "marketing", at=T0 + HOUR, source="web")  # email: yes
        .withdraw_consent(None, "marketing", at=T0 + 2 * HOUR, source="unsubscribe")  # all: no
    )
    absorbed = (
        person("c-2")
        .withdraw_consent("email", "marketing", at=T0, source="web")  # email: no
        .give_consent(None, "marketing", at=T0 + 3 * HOUR, source="store")  # all: yes
    )
    at = T0 + DAY
    assert not survivor.may_contact("email", "marketing", at=at)
    assert not absorbed.may_contact("email", "marketing", at=at)
    union = survivor.consents + absorbed.consents
    assert decide_consent(union, "email", "marketing", at)  # the raw union would say yes
    preview = preview_merge(survivor, absorbed, at=at)
    assert [("email", "marketing", "withdrawn", MERGE_SOURCE, at)] == [
        (g.channel.value, g.purpose.value, g.status.value, g.source, g.captured_at)
        for g in preview.consent_guards
    ]
    merged, _ = merge_customers(survivor, absorbed, at=at)
    assert not merged.may_contact("email", "marketing", at=at)
    assert not merged.may_contact("email", "marketing", at=at + 1000 * DAY)
    assert merged.may_contact("sms", "marketing", at=at)  # both records allow other channels


def test_a_refusal_that_only_comes_with_an_expiry_is_guarded_too():
    """The union opens only after a grant expires: checked at every expiry after the merge."""
    survivor = (
        person("c-1")
        .give_consent("email", "marketing", at=T0 + HOUR, source="web")
        .withdraw_consent(None, "marketing", at=T0 + 2 * HOUR, source="unsubscribe")
    )
    absorbed = person("c-2").give_consent(
        None, "marketing", at=T0 + 3 * HOUR, source="store", expires_at=T0 + 30 * DAY
    )
    at = T0 + DAY
    assert absorbed.may_contact("email", "marketing", at=at)  # yes until the grant expires
    later = T0 + 31 * DAY
    assert not survivor.may_contact("email", "marketing", at=later)
    assert not absorbed.may_contact("email", "marketing", at=later)
    merged, _ = merge_customers(survivor, absorbed, at=at)
    assert not merged.may_contact("email", "marketing", at=later)


def test_records_both_hold_are_kept_once():
    record = ConsentRecord("email", "marketing", "granted", T0 + HOUR, source="import")
    survivor = person("c-1").record_consent(record)
    absorbed = person("c-2").record_consent(record)
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert (record,) == merged.consents


# -- events, tombstone, preview ---------------------------------------------------------------


def test_the_survivor_records_customers_merged_with_ids_and_field_names_only():
    survivor, absorbed = pair()
    merged, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY, **META)
    event = merged.pending_events[-1]
    assert isinstance(event, CustomersMerged)
    assert (CustomerId("c-2"),) == event.absorbed_ids
    assert (
        "addresses",
        "attributes",
        "birth_date",
        "contact_points",
        "preferred_language",
        "tags",
    ) == event.changed
    assert (1, 1, 0) == (event.contact_points_added, event.tags_added, event.consents_added)
    assert (T0 + DAY, "ops-7", "corr-1", "cmd-9") == (
        event.occurred_at,
        event.actor,
        event.correlation_id,
        event.causation_id,
    )
    assert survivor.sequence + 1 == event.sequence
    absorbed_event = tombstone.pending_events[-1]
    assert isinstance(absorbed_event, CustomerAbsorbed)
    assert (CustomerId("c-1"), 2) == (
        absorbed_event.survivor_id,
        absorbed_event.contact_points_moved,
    )
    text = repr(event) + repr(absorbed_event) + str(to_dict(event)) + str(to_dict(absorbed_event))
    for secret in ("ana@example.com", "6281234567890", "Putri", "Merdeka", "JKT-02", "LC-1"):
        assert secret not in text


def test_the_tombstone_refuses_every_command_and_names_the_survivor():
    survivor, absorbed = pair()
    _, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert CustomerId("c-1") == tombstone.merged_into
    commands = [
        lambda c: c.add_tag("x", at=T0 + 2 * DAY),
        lambda c: c.rename(PersonName("Budi"), at=T0 + 2 * DAY),
        lambda c: c.give_consent("email", "marketing", at=T0 + 2 * DAY, source="x"),
        lambda c: c.add_contact_point(ContactPoint("email", "x@example.com"), at=T0 + 2 * DAY),
        lambda c: c.assign(StaffId("rep-1"), at=T0 + 2 * DAY),
    ]
    for command in commands:
        with pytest.raises(CustomerMerged) as raised:
            command(tombstone)
        error = raised.value
        assert (CustomerId("c-1"), CustomerId("c-2")) == (error.survivor_id, error.customer_id)
        assert ("$.merged_into", "merged") == (error.path, error.code)
        assert isinstance(error, ValidationError)
        assert isinstance(error, CrmcoreError)
    copy = pickle.loads(pickle.dumps(raised.value))  # noqa: S301 - our own bytes
    assert (copy.survivor_id, copy.path) == (raised.value.survivor_id, raised.value.path)
    assert "merged_into=CustomerId('c-1')" in repr(tombstone)
    assert tombstone.may_contact("email", "service", at=T0 + 2 * DAY)  # queries still answer


def test_the_preview_predicts_the_merged_survivor_and_changes_nothing():
    survivor, absorbed = pair()
    before = (to_dict(survivor), to_dict(absorbed))
    preview = preview_merge(survivor, absorbed, at=T0 + DAY)
    assert before == (to_dict(survivor), to_dict(absorbed))
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    for name in PREDICTED:
        assert getattr(merged, name) == getattr(preview, name), name
    assert preview.changed == merged.pending_events[-1].changed
    assert [("phone", "+6281234567890")] == [
        (p.channel.value, p.value) for p in preview.contact_points_added
    ]
    assert frozenset({"newsletter"}) == preview.tags_added
    assert FieldChoice("birth_date", "absorbed", "most_recent", changed=True) == (
        preview.choice("birth_date")
    )
    assert FieldChoice("name", "survivor", "preferred_source", changed=False) == (
        preview.choice("name")
    )
    assert FieldChoice("addresses", "both", "union", changed=True) == preview.choice("addresses")
    assert FieldChoice("attributes.loyalty_card", "absorbed", "only_value", changed=True) == (
        preview.choice("attributes.loyalty_card")
    )
    assert preview.choice("attributes.shoe_size") is None  # only the absorbed's keys are listed
    text = repr(preview)
    assert "ana@example.com" not in text
    assert "Putri" not in text
    assert preview == from_dict(CustomerMergePreview, to_dict(preview))


# -- documents ------------------------------------------------------------------------------


def test_both_results_and_their_events_round_trip():
    survivor, absorbed = pair()
    merged, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY, **META)
    for customer in (merged, tombstone):
        loaded = from_dict(Customer, to_dict(customer))
        assert customer == loaded
        assert customer.pending_events == loaded.pending_events
        assert customer.merged_into == loaded.merged_into
    for event in (merged.pending_events[-1], tombstone.pending_events[-1]):
        assert event == from_dict(DomainEvent, to_dict(event))
    stored = from_dict(Customer, to_dict(tombstone.without_pending_events()))
    with pytest.raises(CustomerMerged) as raised:
        stored.add_tag("x", at=T0 + 2 * DAY)
    assert CustomerId("c-1") == raised.value.survivor_id


def test_documents_written_before_merging_existed_still_load():
    survivor, _ = pair()
    document = to_dict(survivor)
    assert document.pop("merged_into") is None
    loaded = from_dict(Customer, document)
    assert survivor == loaded
    assert loaded.merged_into is None


def test_a_stored_document_merged_into_itself_or_a_bad_id_is_refused():
    survivor, _ = pair()
    document = to_dict(survivor)
    document["merged_into"] = "c-1"
    with pytest.raises(ValidationError) as raised:
        from_dict(Customer, document)
    assert any(p.path == "$.merged_into" for p in raised.value.problems)
    with pytest.raises(InvalidType):
        attrs.evolve(survivor, merged_into="c-9")


def test_events_with_bad_fields_are_refused():
    with pytest.raises(ValidationError):
        CustomersMerged(customer_id=CustomerId("c-1"), sequence=1, occurred_at=T0, absorbed_ids=())
    with pytest.raises(ValidationError):
        CustomersMerged(
            customer_id=CustomerId("c-1"),
            sequence=1,
            occurred_at=T0,
            absorbed_ids=(CustomerId("c-1"),),
        )
    with pytest.raises(ValidationError):
        CustomerAbsorbed(
            customer_id=CustomerId("c-1"),
            sequence=1,
            occurred_at=T0,
            survivor_id=CustomerId("c-1"),
        )


# -- refusals -------------------------------------------------------------------------------


def refused(survivor, absorbed, at=T0 + DAY, **options):
    both = isinstance(survivor, Customer) and isinstance(absorbed, Customer)
    before = (to_dict(survivor), to_dict(absorbed)) if both else None
    with pytest.raises(ValidationError) as raised:
        merge_customers(survivor, absorbed, at=at, **options)
    with pytest.raises(type(raised.value)):
        preview_merge(survivor, absorbed, at=at, **options)
    if before is not None:
        assert before == (to_dict(survivor), to_dict(absorbed))
    return raised.value


def test_a_customer_is_not_merged_into_itself():
    survivor, _ = pair()
    error = refused(survivor, survivor)
    assert ("$.absorbed.id", "same_customer") == (error.path, error.code)


def test_nothing_is_merged_into_or_out_of_an_absorbed_customer():
    survivor, absorbed = pair()
    merged, tombstone = merge_customers(survivor, absorbed, at=T0 + DAY)
    third = person("c-3")
    error = refused(tombstone, third, at=T0 + 2 * DAY)
    assert isinstance(error, CustomerMerged)
    assert ("$.survivor.merged_into", CustomerId("c-1")) == (error.path, error.survivor_id)
    error = refused(merged, tombstone, at=T0 + 2 * DAY)
    assert isinstance(error, CustomerMerged)
    assert ("$.absorbed.merged_into", CustomerId("c-1")) == (error.path, error.survivor_id)


def test_a_person_and_an_organization_are_not_merged():
    survivor, _ = pair()
    shop = Customer.register(CustomerId("c-9"), name=OrganizationName("PT Maju"), at=T0)
    for left, right in ((survivor, shop), (shop, survivor)):
        error = refused(left, right)
        assert ("$.absorbed.kind", "kind_mismatch") == (error.path, error.code)


def test_a_merge_dated_before_either_last_change_is_refused():
    survivor, absorbed = pair()
    for at in (T0 - HOUR, T0 + HOUR - timedelta(microseconds=1)):
        error = refused(survivor, absorbed, at=at)
        assert ("$.at", "time_backwards") == (error.path, error.code)


def test_bad_argument_types_are_refused():
    survivor, absorbed = pair()
    assert "$.survivor" == refused("c-1", absorbed).path
    assert "$.absorbed" == refused(survivor, None).path
    assert "$.rules" == refused(survivor, absorbed, rules={"name": "survivor"}).path
    assert "$.at" == refused(survivor, absorbed, at=datetime(2026, 2, 1)).path  # noqa: DTZ001
    with pytest.raises(InvalidType):
        merge_customers(survivor, absorbed, at=T0 + DAY, actors="ops-1")


def test_a_birth_date_after_the_earlier_registration_is_refused():
    """The merged customer is known since the earlier registration: a birth date after it is refused."""
    survivor = person("c-1", at=T0, birth_date=date(2025, 6, 1))
    absorbed = person("c-2", at=T0 - 1000 * DAY)
    error = refused(survivor, absorbed)
    assert ("$.profile.birth_date", "future_birth_date") == (error.path, error.code)


def test_attribute_values_keep_their_types():
    survivor = person("c-1", attributes={"credit": Decimal("1.50")})
    absorbed = person("c-2", at=T0 + HOUR, attributes={"credit": Decimal("2.00")})
    merged, _ = merge_customers(survivor, absorbed, at=T0 + DAY)
    assert Decimal("2.00") == merged.profile.attributes["credit"]

"""Tests for `crmcore.privacy._screening`: screening customers for a processing purpose."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, InvalidType, NotFound, PersonName, ValidationError
from crmcore.customers import ProcessingDecision, ProcessingPurpose
from crmcore.privacy import MAX_SCREENED, Exclusion, Screening, screen
from crmcore.privacy import _screening as screening_module
from crmcore.testing.strategies import customers

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: What may happen to a drawn customer's privacy state, in the order it is applied.
_CHANGES = ("restricted", "profiling", "direct_marketing", "erased")


def _changed(customer: Customer, change: str, at: datetime) -> Customer:
    if change == "restricted":
        return customer.restrict_processing(at=at, reason="accuracy_contested")
    if change == "erased":
        return customer.anonymise(at=at)
    return customer.object_to(change, at=at)


@st.composite
def privacy_customers(draw: st.DrawFn) -> Customer:
    """A shipped customer (its history may hold privacy commands), then maybe restricted, objecting and/or erased at later times."""
    customer = draw(customers(max_created_at=T0, pending_events=False))
    changes = draw(st.lists(st.sampled_from(_CHANGES), unique=True, max_size=3))
    when = customer.updated_at
    for change in sorted(changes, key=_CHANGES.index):
        if change == "erased" and customer.privacy.legal_holds:
            continue  # a legal hold blocks erasure
        when += timedelta(hours=draw(st.integers(0, 72)))
        customer = _changed(customer, change, when)
    return customer


_crowds = st.lists(privacy_customers(), max_size=6, unique_by=lambda c: c.id)


def _latest(people: list[Customer]) -> datetime:
    return max((c.updated_at for c in people), default=T0)


@given(_crowds, st.sampled_from(ProcessingPurpose), st.integers(-100, 100))
def test_every_customer_is_included_or_excluded_once_with_its_decision(
    people: list[Customer], purpose: ProcessingPurpose, hours: int
) -> None:
    """Included and excluded partition the input; each exclusion carries its decision's reason."""
    at = _latest(people) + timedelta(hours=hours)
    result = screen(people, purpose, at=at)
    decisions = {c.id: c.processing_decision(purpose, at=at) for c in people}
    assert [c.id for c in people if decisions[c.id].allowed] == list(result.included)
    assert [c.id for c in people if not decisions[c.id].allowed] == [
        e.customer_id for e in result.excluded
    ]
    for exclusion in result.excluded:
        assert purpose == exclusion.purpose
        assert decisions[exclusion.customer_id].reason == exclusion.reason
        assert "allowed" != exclusion.reason
        assert decisions[exclusion.customer_id] == result.explain(exclusion.customer_id)
    for customer_id in result.included:
        assert result.explain(customer_id).allowed
        assert customer_id in result
    assert not set(result.included) & result.excluded_ids
    assert len(result.excluded) == len(result.excluded_ids)
    assert sum(result.reasons().values()) == len(result.excluded)


@given(_crowds, st.sampled_from(ProcessingPurpose))
def test_a_customer_with_no_restriction_is_always_included(
    people: list[Customer], purpose: ProcessingPurpose
) -> None:
    """Customers whose privacy state is empty are screened in, whatever the others are."""
    at = _latest(people)
    result = screen(people, purpose, at=at)
    untouched = [c.id for c in people if c.privacy == type(c.privacy)()]
    assert set(untouched) <= set(result.included)


@given(privacy_customers(), st.sampled_from(ProcessingPurpose))
def test_screening_is_deterministic_and_holds_no_personal_data(
    customer: Customer, purpose: ProcessingPurpose
) -> None:
    """The same input gives the same screening; its repr shows ids and codes only."""
    at = customer.updated_at
    first = screen([customer], purpose, at=at)
    assert first == screen(iter([customer]), purpose.value, at=at)
    text = repr(first)
    name = customer.profile.name
    for part in (getattr(name, "given", None), getattr(name, "legal_name", None)):
        if part and len(part) > 3 and part not in customer.id.value:
            assert part not in text


def _ana() -> Customer:
    return Customer.register(CustomerId("c-ana"), name=PersonName("Ana"), at=T0)


def test_each_denial_gives_its_reason() -> None:
    """Restriction, both objections and erasure each exclude with their own code."""
    ana = _ana()
    at = T0 + timedelta(days=1)
    cases = {
        "processing_restricted": ana.restrict_processing(at=T0, reason="accuracy_contested"),
        "objected_to_direct_marketing": ana.object_to("direct_marketing", at=T0),
        "erased": ana.anonymise(at=T0),
    }
    for reason, customer in cases.items():
        result = screen([customer], ProcessingPurpose.MARKETING, at=at)
        assert [Exclusion(customer.id, ProcessingPurpose.MARKETING, reason)] == list(
            result.excluded
        )
    profiled = screen([ana.object_to("profiling", at=T0)], "profiling", at=at)
    assert ["objected_to_profiling"] == [e.reason for e in profiled.excluded]
    assert screen([ana.object_to("profiling", at=T0)], "marketing", at=at).included == (ana.id,)


def test_a_restriction_counts_from_its_time() -> None:
    """Screened before the restriction began, the customer is still included."""
    restricted = _ana().restrict_processing(at=T0 + timedelta(days=2), reason="accuracy_contested")
    assert (restricted.id,) == screen([restricted], "automation", at=T0).included
    assert () == screen([restricted], "automation", at=T0 + timedelta(days=2)).included


def test_explain_refuses_unknown_and_wrong_ids() -> None:
    """An id not screened is NotFound (not echoed); a str is refused."""
    result = screen([_ana()], "marketing", at=T0)
    with pytest.raises(NotFound) as found:
        result.explain(CustomerId("c-secret-id"))
    assert "c-secret-id" not in str(found.value)
    with pytest.raises(InvalidType):
        result.explain("c-ana")  # type: ignore[arg-type]
    assert ProcessingDecision(
        allowed=True, purpose="marketing", reason="allowed"
    ) == result.explain(CustomerId("c-ana"))


@pytest.mark.parametrize(
    ("customers_arg", "purpose", "at", "error", "path"),
    [
        ([], "selling", T0, ValidationError, "$.purpose"),
        ([], "marketing", T0.replace(tzinfo=None), ValidationError, "$.at"),
        ("c-ana", "marketing", T0, InvalidType, "$.customers"),
        ({"c": 1}, "marketing", T0, InvalidType, "$.customers"),
        (42, "marketing", T0, InvalidType, "$.customers"),
        (["c-ana"], "marketing", T0, InvalidType, "$.customers[0]"),
    ],
)
def test_bad_arguments_are_refused(customers_arg, purpose, at, error, path) -> None:
    """Each bad argument raises its crmcore error at its path."""
    with pytest.raises(error) as raised:
        screen(customers_arg, purpose, at=at)
    assert path == raised.value.path


def test_a_customer_given_twice_is_refused() -> None:
    """Screening holds each id once."""
    with pytest.raises(ValidationError) as raised:
        screen([_ana(), _ana()], "marketing", at=T0)
    assert ("duplicate", "$.customers[1]") == (raised.value.code, raised.value.path)


def test_too_many_customers_are_refused_before_any_is_asked(monkeypatch) -> None:
    """More than MAX_SCREENED customers raise too_many, whatever the iterable's length."""
    monkeypatch.setattr(screening_module, "MAX_SCREENED", 2)
    ana = _ana()
    endless = (ana for _ in iter(int, 1))
    with pytest.raises(ValidationError) as raised:
        screen(endless, "marketing", at=T0)
    assert "too_many" == raised.value.code
    assert MAX_SCREENED >= 100_000


def test_results_check_their_fields() -> None:
    """A hand-built screening or exclusion with a wrong field type is refused."""
    with pytest.raises(InvalidType):
        Exclusion("c-ana", ProcessingPurpose.MARKETING, "erased")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Screening(ProcessingPurpose.MARKETING, T0.replace(tzinfo=None), (), ())

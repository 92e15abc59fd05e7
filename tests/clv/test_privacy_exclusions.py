"""Tests for `crmcore.clv._screening`: customers denied profiling are not scored."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, InvalidType, NotFound, PersonName, ValidationError
from crmcore._kernel._frozen import FrozenMap
from crmcore.clv import (
    MAX_SCREENED_SUMMARIES,
    BetaGeo,
    ScreenedSummaries,
    predict,
    screen_summaries,
    summarize,
)
from crmcore.clv import _screening as screening_module
from crmcore.customers import ProcessingPurpose
from crmcore.testing.strategies import customers

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
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


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Customer], list[tuple[object, datetime, Decimal]]]:
    """Customers and their orders (keyed by id text or by id), days before the last change."""
    people = draw(st.lists(privacy_customers(), max_size=6, unique_by=lambda c: c.id))
    by_text = draw(st.booleans())
    orders = []
    for customer in people:
        key = customer.id.value if by_text else customer.id
        for days in draw(st.lists(st.integers(0, 400), min_size=1, max_size=4)):
            amount = Decimal(draw(st.integers(1, 10_000)))
            orders.append((key, T0 - timedelta(days=days), amount))
    return people, orders


@given(histories(), st.integers(0, 500))
def test_no_customer_denied_profiling_is_scored_and_each_says_why(drawn, hours: int) -> None:
    """The table keeps exactly the allowed customers, unchanged; the others carry their reason."""
    people, orders = drawn
    at = max((c.updated_at for c in people), default=T0) + timedelta(hours=hours)
    table = summarize(orders, period="day", observation_end=T0 + timedelta(days=30))
    screened = screen_summaries(table, reversed(people), at=at)
    decisions = {c.id: c.processing_decision("profiling", at=at) for c in people}

    def decision(key):
        return decisions[key if isinstance(key, CustomerId) else CustomerId(key)]

    assert [k for k in table if decision(k)] == list(screened.table)
    assert {k for k in table if not decision(k)} == set(screened.excluded)
    for key in screened.table:
        assert table[key] == screened.table[key]
        assert screened.explain(key).allowed
    for key, reason in screened.excluded.items():
        assert decision(key).reason == reason
        assert decision(key) == screened.explain(key)
    assert (table.period, table.unit, table.observation_end, table.currency) == (
        screened.table.period,
        screened.table.unit,
        screened.table.observation_end,
        screened.table.currency,
    )
    scores = predict(
        BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}), screened.table
    )
    assert not set(scores.get("customer_id", [])) & set(screened.excluded)


def _ana() -> Customer:
    return Customer.register(CustomerId("c-ana"), name=PersonName("Ana"), at=T0)


def _table(*keys: object):
    return summarize(
        [(key, T0, "10") for key in keys], period="day", observation_end=T0 + timedelta(days=3)
    )


def test_only_an_objection_to_profiling_or_a_restriction_counts() -> None:
    """Objecting to direct marketing leaves CLV scoring alone."""
    at = T0 + timedelta(days=1)
    table = _table("c-ana")
    assert ["c-ana"] == list(
        screen_summaries(table, [_ana().object_to("direct_marketing", at=T0)], at=at).table
    )
    for customer, reason in (
        (_ana().object_to("profiling", at=T0), "objected_to_profiling"),
        (_ana().restrict_processing(at=T0, reason="accuracy_contested"), "processing_restricted"),
        (_ana().anonymise(at=T0), "erased"),
    ):
        screened = screen_summaries(table, [customer], at=at)
        assert {"c-ana": reason} == dict(screened.excluded)
        assert ProcessingPurpose.PROFILING == screened.purpose


def test_every_customer_of_the_table_must_be_given() -> None:
    """A row with no customer (or a key no customer can have) is refused, never echoed."""
    for table in (_table("c-secret"), _table(42)):
        with pytest.raises(ValidationError) as raised:
            screen_summaries(table, [_ana()], at=T0)
        assert ("missing_customer", "$.customers") == (raised.value.code, raised.value.path)
        assert "secret" not in str(raised.value)


def test_explain_refuses_a_customer_not_in_the_table() -> None:
    """An id that was not in the table is NotFound."""
    screened = screen_summaries(_table("c-ana"), [_ana()], at=T0)
    with pytest.raises(NotFound):
        screened.explain("c-other")
    with pytest.raises(NotFound):
        screened.explain(["unhashable"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("table", "people", "at", "error", "path"),
    [
        ({}, [], T0, InvalidType, "$.table"),
        (None, "c-ana", T0, InvalidType, "$.customers"),
        (None, ["c-ana"], T0, InvalidType, "$.customers[0]"),
        (None, [], T0.replace(tzinfo=None), ValidationError, "$.at"),
    ],
)
def test_bad_arguments_are_refused(table, people, at, error, path) -> None:
    """Each bad argument raises its crmcore error at its path."""
    with pytest.raises(error) as raised:
        screen_summaries(_table() if table is None else table, people, at=at)
    assert path == raised.value.path


def test_duplicates_and_too_many_are_refused(monkeypatch) -> None:
    """Each customer once; at most MAX_SCREENED_SUMMARIES."""
    with pytest.raises(ValidationError) as raised:
        screen_summaries(_table(), [_ana(), _ana()], at=T0)
    assert "duplicate" == raised.value.code
    monkeypatch.setattr(screening_module, "MAX_SCREENED_SUMMARIES", 1)
    with pytest.raises(ValidationError) as raised:
        screen_summaries(_table(), iter([_ana(), _ana()]), at=T0)
    assert "too_many" == raised.value.code
    assert MAX_SCREENED_SUMMARIES >= 100_000


def test_a_result_checks_its_fields() -> None:
    """A hand-built result with a wrong field is refused."""
    with pytest.raises(InvalidType):
        ScreenedSummaries(_table(), T0, [1])
    with pytest.raises(InvalidType):
        ScreenedSummaries({}, T0, {})  # type: ignore[arg-type]
    kept = ScreenedSummaries(_table(), T0, FrozenMap({"c-1": "erased"}))
    assert {"c-1": "erased"} == kept.excluded

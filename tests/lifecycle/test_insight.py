"""Tests for `crmcore.lifecycle._insight`: time in stage, stage distribution, funnel."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Customer, CustomerId, PersonName, ValidationError
from crmcore.customers import LifecycleState, StageChange
from crmcore.errors import InvalidType
from crmcore.lifecycle import (
    CRM_STAGES,
    RELATIONSHIP_LADDER,
    funnel,
    stage_at,
    stage_distribution,
    time_in_stages,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LADDER = RELATIONSHIP_LADDER
NAIVE = datetime(2026, 2, 1)  # noqa: DTZ001 - a naive time on purpose


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def customer(number: int = 1, created: float = 0) -> Customer:
    return Customer.register(CustomerId(f"c-{number}"), name=PersonName("Ana"), at=at(created))


def walk(number, moves, created=0):
    """A customer who fired each (trigger, day) in turn."""
    current = customer(number, created)
    for trigger, day in moves:
        current = LADDER.fire(current, trigger, at=at(day))
    return current


# -- time in stage ---------------------------------------------------------------------------


def test_time_in_stages_adds_up_every_visit_until_at():
    """Each stage's total is the sum of its visits; the current one runs to `at`."""
    ana = walk(
        1,
        [
            ("first_purchase", 10),
            ("repeat_purchase", 15),
            ("lapse", 40),
            ("win_back_to_repeat_customer", 50),
        ],
    )
    spent = time_in_stages(ana, LADDER, at=at(60))
    assert timedelta(days=10) == spent["suspect"]
    assert timedelta(days=5) == spent["first_time_customer"]
    assert timedelta(days=25 + 10) == spent["repeat_customer"]
    assert timedelta(days=10) == spent["lapsed"]
    assert timedelta(0) == spent["partner"]
    assert list(LADDER.stage_names) == list(spent)
    assert at(60) - T0 == sum(spent.values(), timedelta(0))


def test_time_in_stages_ignores_what_happens_after_at():
    """Asking about an earlier moment cuts the history there."""
    ana = walk(1, [("first_purchase", 10), ("repeat_purchase", 15)])
    spent = time_in_stages(ana, LADDER, at=at(12))
    assert (timedelta(days=10), timedelta(days=2), timedelta(0)) == (
        spent["suspect"],
        spent["first_time_customer"],
        spent["repeat_customer"],
    )
    assert timedelta(0) == sum(
        time_in_stages(ana, LADDER, at=T0 - timedelta(days=1)).values(), timedelta(0)
    )


def test_untracked_customers_have_spent_their_time_in_the_initial_stage():
    """No lifecycle yet means the initial stage since registration."""
    spent = time_in_stages(customer(created=3), CRM_STAGES, at=at(10))
    assert timedelta(days=7) == spent["lead_generation"]


def test_stage_at_answers_for_any_instant():
    """Before registration there is no stage; after, the stage then."""
    ana = walk(1, [("qualify", 5)], created=2)
    assert [None, "suspect", "prospect"] == [stage_at(ana, LADDER, at=at(d)) for d in (1, 3, 5)]


# -- distribution ----------------------------------------------------------------------------


def population():
    return [
        walk(1, [("qualify", 1)]),
        walk(2, [("first_purchase", 2), ("repeat_purchase", 3)]),
        walk(3, [("first_purchase", 2), ("lapse", 30)]),
        walk(4, []),
        walk(5, [("qualify", 25)], created=20),
    ]


def test_stage_distribution_counts_each_customer_where_they_stood():
    """Counts follow each history at `at`; later registrations are left out."""
    early = stage_distribution(population(), LADDER, at=at(10))
    assert 4 == early.total
    assert {"suspect": 1, "prospect": 1, "first_time_customer": 1, "repeat_customer": 1} == {
        k: v for k, v in early.as_dict().items() if v
    }
    late = stage_distribution(population(), LADDER, at=at(40))
    assert (5, 2, 1) == (late.total, late.count("prospect"), late.count("lapsed"))
    assert 2 / 5 == late.share("prospect")
    assert 1.0 == pytest.approx(sum(entry.share for entry in late.counts))
    assert list(LADDER.stage_names) == [entry.stage for entry in late.counts]
    with pytest.raises(ValidationError) as info:  # a mistyped stage is no count of 0
        late.count("no_such_stage")
    assert ("$.stage", "unknown_stage") == (info.value.path, info.value.code)


def test_an_empty_population_has_no_shares_and_no_division_by_zero():
    """Totals are zero and shares None."""
    empty = stage_distribution([], LADDER, at=at(1))
    assert 0 == empty.total
    assert {None} == {entry.share for entry in empty.counts}
    assert empty.share("suspect") is None
    assert stage_distribution([customer(created=5)], LADDER, at=at(1)).share("suspect") is None


def test_distribution_input_is_checked():
    """Non-customers, naive times and stages foreign to the definition are named."""
    with pytest.raises(InvalidType) as info:
        stage_distribution([customer(), "c-2"], LADDER, at=at(1))
    assert "$.customers[1]" == info.value.path
    with pytest.raises(ValidationError):
        stage_distribution([customer()], LADDER, at=NAIVE)
    with pytest.raises(InvalidType):
        stage_distribution([customer()], "relationship_ladder", at=at(1))
    foreign = attrs.evolve(
        customer(),
        lifecycles=(
            LifecycleState("relationship_ladder", "vip", (StageChange(None, "vip", "start", T0),)),
        ),
    )
    with pytest.raises(ValidationError) as info:
        stage_distribution([foreign], LADDER, at=at(1))
    assert ("$.customers[0].lifecycle", "unknown_stage") == (info.value.path, info.value.code)


# -- funnel ----------------------------------------------------------------------------------


def test_funnel_counts_reach_advancement_and_flows_over_the_period():
    """Reach, advancement to any later funnel stage, and moves between stages."""
    people = population()
    result = funnel(people, LADDER, start=at(0), end=at(10))
    steps = {step.stage: step for step in result.steps}
    assert 4 == steps["suspect"].reached
    assert 3 == steps["suspect"].advanced
    assert 3 / 4 == steps["suspect"].conversion
    assert (1, 0, 0.0) == (
        steps["prospect"].reached,
        steps["prospect"].advanced,
        steps["prospect"].conversion,
    )
    assert (2, 1) == (steps["first_time_customer"].reached, steps["first_time_customer"].advanced)
    assert (0, None) == (steps["client"].reached, steps["client"].conversion)
    assert steps["partner"].conversion is None
    assert 2 == result.flow("suspect", "first_time_customer")
    assert 4 == result.flow(None, "suspect")
    assert 0 == result.flow("first_time_customer", "lapsed")
    assert 2 / 4 == result.rate("suspect", "first_time_customer")
    assert result.rate("client", "member") is None


def test_funnel_periods_are_half_open():
    """A move at `end` belongs to the next period; the stage at `start` counts as reached."""
    people = population()
    later = funnel(people, LADDER, start=at(3), end=at(30))
    assert 0 == later.flow("first_time_customer", "lapsed")
    assert 1 == later.flow("first_time_customer", "repeat_customer")
    steps = {step.stage: step for step in later.steps}
    assert 2 == steps["first_time_customer"].reached
    assert 1 == steps["repeat_customer"].reached
    closing = funnel(people, LADDER, start=at(30), end=at(31))
    assert 1 == closing.flow("first_time_customer", "lapsed")
    assert 1 == closing.present["lapsed"]


def test_funnel_over_chosen_stages_counts_skips_as_advancing():
    """With custom stages, reaching a later one counts as advancing past the stages between."""
    result = funnel(
        population(), LADDER, start=at(0), end=at(10), stages=["suspect", "repeat_customer"]
    )
    assert ["suspect", "repeat_customer"] == [step.stage for step in result.steps]
    assert (4, 1) == (result.steps[0].reached, result.steps[0].advanced)


def test_an_empty_funnel_is_defined():
    """No customers: zero counts, no flows, conversions None."""
    result = funnel([], CRM_STAGES, start=at(0), end=at(1))
    assert {0} == {step.reached for step in result.steps}
    assert {None} == {step.conversion for step in result.steps}
    assert () == result.flows
    assert result.rate("lead_generation", "acquisition") is None


def test_funnel_input_is_checked():
    """Periods run forward; funnel stages are known and distinct."""
    with pytest.raises(ValidationError) as info:
        funnel([], LADDER, start=at(1), end=at(1))
    assert ("$.end", "order") == (info.value.path, info.value.code)
    for stages, path, code in (
        (["suspect", "vip"], "$.stages[1]", "unknown_stage"),
        (["suspect", "suspect"], "$.stages[1]", "duplicate"),
        ([], "$.stages", "empty"),
    ):
        with pytest.raises(ValidationError) as info:
            funnel([], LADDER, start=at(0), end=at(1), stages=stages)
        assert (path, code) == (info.value.path, info.value.code)
    with pytest.raises(InvalidType):
        funnel([], LADDER, start=at(0), end=at(1), stages="suspect")
    with pytest.raises(InvalidType):
        funnel([], LADDER, start=at(0), end=at(1), stages=[3])


# -- properties ------------------------------------------------------------------------------

MOVES = st.lists(
    st.tuples(st.sampled_from(LADDER.triggers), st.integers(min_value=0, max_value=20)), max_size=12
)


def random_walk(number, moves):
    current = customer(number)
    day = 0
    for trigger, gap in moves:
        day += gap
        if LADDER.target_of(LADDER.stage_of(current), trigger) is not None:
            current = LADDER.fire(current, trigger, at=at(day))
    return current


@given(st.lists(MOVES, max_size=6), st.integers(min_value=0, max_value=200))
def test_distribution_and_time_in_stage_agree_with_the_histories(walks, day):
    """Totals match the population; each customer's times add up to their time tracked."""
    people = [random_walk(number, moves) for number, moves in enumerate(walks)]
    when = at(day)
    distribution = stage_distribution(people, LADDER, at=when)
    assert len(people) == distribution.total
    for person in people:
        spent = time_in_stages(person, LADDER, at=when)
        assert when - T0 == sum(spent.values(), timedelta(0))
        current = stage_at(person, LADDER, at=when)
        assert distribution.count(current) >= 1
    result = funnel(people, LADDER, start=T0, end=when + timedelta(days=1))
    for step in result.steps:
        assert 0 <= step.advanced <= step.reached <= len(people)
    for flow in result.flows:
        assert flow.customers <= flow.moves
        if flow.source is not None:
            assert 0 < result.rate(flow.source, flow.target) <= 1


@pytest.mark.parametrize("customers", [None, 5, "ana", {"c-1": 1}])
def test_populations_must_be_iterables_of_customers(customers):
    """D16: funnel and stage_distribution check the population (they raised a bare TypeError)."""
    with pytest.raises(InvalidType) as info:
        stage_distribution(customers, LADDER, at=at(1))
    assert "$.customers" == info.value.path
    with pytest.raises(InvalidType) as info:
        funnel(customers, LADDER, start=at(0), end=at(1))
    assert "$.customers" == info.value.path


@pytest.mark.parametrize("stage", ["vip", "Prospect", None, 3])
def test_distribution_queries_refuse_stages_the_lifecycle_does_not_have(stage):
    """A mistyped stage is an error naming the path, never a share of 0."""
    distribution = stage_distribution([walk(1, [("qualify", 1)])], LADDER, at=at(2))
    for query in (distribution.count, distribution.share):
        with pytest.raises(ValidationError) as info:
            query(stage)
        assert "$.stage" == info.value.path


def test_funnel_queries_refuse_stages_the_lifecycle_does_not_have():
    """D15: Funnel.flow and Funnel.rate name the bad argument (an unhashable one raised TypeError)."""
    result = funnel([walk(1, [("qualify", 1)])], LADDER, start=at(0), end=at(5))
    assert 1 == result.flow("suspect", "prospect")
    assert 1.0 == result.rate("suspect", "prospect")
    for source, target, path in [
        ("vip", "prospect", "$.source"),
        ("suspect", "vip", "$.target"),
        (Decimal("sNaN"), "prospect", "$.source"),
        ("suspect", [], "$.target"),
    ]:
        with pytest.raises(ValidationError) as info:
            result.rate(source, target)
        assert path == info.value.path

"""Regressions for the defects the nightly fuzz profile found at stop 34.

Pareto/NBD's new-customer PMF (and so the conditional PMF after a history)
computed ``lgamma(r + k) - lgamma(r)`` directly: after a frequency near the
float limit the posterior's ``r`` overflowed ``lgamma`` (``OverflowError``);
well before it (``r`` of 1e15 and more) its integrand met ``r log(alpha)`` and
lost its digits. ``alpha^-(r+k)`` now leaves the integrand analytically.

``FieldChange.from_dict`` (and every audit document holding changes) copied a
change's ``old`` and ``new`` values, recursively, before checking them: a value
nested 10,000 levels deep raised ``RecursionError``. Each value is now checked
(iteratively, with its depth and size bounds) before it is copied.
"""

from __future__ import annotations

import itertools

import pytest
from tests.robustness import _corpus  # noqa: F401 - imported first: the corpus modules need it.
from tests.robustness._corpus_privacy import AUDIT_LOG

from crmcore.audit import AuditEntry, FieldChange
from crmcore.audit._documents import MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_NODES
from crmcore.clv import ParetoNBD
from crmcore.clv.models import ParameterSummary, conditional_probability_of_purchases
from crmcore.errors import InvalidType, ValidationError
from crmcore.lifecycle import (
    MAX_STATES,
    MAX_TRANSITIONS,
    InvalidDefinition,
    LifecycleDefinition,
    Transition,
)


def nested(depth: int, *, in_dicts: bool = False) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value} if in_dicts else [value]
    return value


@pytest.mark.parametrize("in_dicts", [False, True])
@pytest.mark.parametrize("where", ["old", "new"])
def test_a_deeply_nested_value_is_refused_not_recursed_into(where: str, in_dicts: bool) -> None:
    document = {"path": "profile.name", "old": "Ana", where: nested(10_000, in_dicts=in_dicts)}
    with pytest.raises(ValidationError) as caught:
        FieldChange.from_dict(document)
    assert (caught.value.path, caught.value.code) == (f"$.{where}", "too_deep")


def test_the_depth_bound_itself_is_accepted_and_round_trips() -> None:
    # The root is at depth 0: MAX_DOCUMENT_DEPTH levels of lists around a leaf load.
    deepest = nested(MAX_DOCUMENT_DEPTH)
    change = FieldChange.from_dict({"path": "a", "new": deepest})
    assert change.new == deepest
    assert FieldChange.from_dict(change.to_dict()) == change
    with pytest.raises(ValidationError, match="deep"):
        FieldChange.from_dict({"path": "a", "new": nested(MAX_DOCUMENT_DEPTH + 1)})


def test_a_huge_value_is_refused_by_its_size() -> None:
    with pytest.raises(ValidationError) as caught:
        FieldChange.from_dict({"path": "a", "old": [0] * MAX_DOCUMENT_NODES})
    assert (caught.value.path, caught.value.code) == ("$.old", "too_large")


def test_the_checks_keep_their_order_path_then_old_then_new() -> None:
    bad_everywhere = {"path": "", "old": nested(10_000), "new": {1: "x"}}
    with pytest.raises(ValidationError) as caught:
        FieldChange.from_dict(bad_everywhere)
    assert caught.value.path == "$.path"
    with pytest.raises(ValidationError) as caught:
        FieldChange.from_dict({"path": "a", "old": nested(10_000), "new": {1: "x"}})
    assert caught.value.path == "$.old"
    with pytest.raises(InvalidType) as caught:
        FieldChange.from_dict({"path": "a", "old": 1, "new": {1: "x"}})
    assert caught.value.path == "$.new"


def test_an_audit_entry_holding_a_deep_change_is_refused_under_its_change() -> None:
    entry = AUDIT_LOG.entries[1].to_dict()
    assert isinstance(entry, dict)
    entry["changes"][1]["old"] = nested(10_000, in_dicts=True)
    with pytest.raises(ValidationError) as caught:
        AuditEntry.from_dict(entry)
    assert (caught.value.path, caught.value.code) == ("$.changes[1].old", "too_deep")


# -- Pareto/NBD after a huge frequency ------------------------------------------------------------

PARETO = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.66}


@pytest.mark.parametrize("frequency", [1e15, 1e200])
def test_pareto_conditional_pmf_after_a_huge_frequency_is_a_probability(frequency: float) -> None:
    model = ParetoNBD(params=PARETO)
    for recency in (10.0, 30.0):
        # A customer that fast is certain to buy in the next 10 periods if alive: no
        # purchase is the chance of having died (an independent route: P(alive) itself).
        none = conditional_probability_of_purchases(model, 0, 10, frequency, recency, 30.0)
        died = 1.0 - model.probability_alive(frequency, recency, 30.0)
        assert none == pytest.approx(died, rel=1e-9, abs=1e-12)


def test_pareto_conditional_pmf_at_the_float_limit_raises_no_overflow() -> None:
    # Found by the nightly fuzz: frequency 1e308 raised OverflowError from lgamma.
    model = ParetoNBD(params=PARETO)
    for n in (0, 2):
        value = conditional_probability_of_purchases(model, n, 10, 1e308, 10.0, 30.0)
        assert 0.0 <= value <= 1.0


@pytest.mark.parametrize("r", [1e8, 1e50, 1e200, 1e307, 1e308])
def test_pareto_new_customer_pmf_with_a_huge_r_follows_its_limit(r: float) -> None:
    # With purchases ever faster (rate about r / alpha), exactly k of them in (0, t] means
    # dying within one gap of about alpha / r: P(k) r tends to s alpha / beta for every k.
    # The former integrand met r log(alpha) and lost every digit (1.0 for r = 1e200).
    alpha, s, beta = 40.58, 0.61, 41.66
    fresh = ParetoNBD(params={"r": r, "alpha": alpha, "s": s, "beta": beta})
    for k in range(3):
        assert fresh.probability_of_purchases(k, 10.0) * r == pytest.approx(
            s * alpha / beta, rel=1e-6
        )


# -- a posterior summary of a huge int --------------------------------------------------------------


@pytest.mark.parametrize("field", ["mean", "sd", "lower", "upper", "effective_sample_size"])
def test_a_parameter_summary_refuses_an_int_beyond_the_float_range(field: str) -> None:
    # Found by the nightly fuzz: float(10**400) raised OverflowError in the constructor.
    values = dict.fromkeys(("mean", "sd", "lower", "upper", "effective_sample_size"), 1)
    values.update(level=0.95, r_hat=1.0)
    values[field] = 10**400
    with pytest.raises(ValidationError) as caught:
        ParameterSummary(**values)
    assert (caught.value.path, caught.value.code) == (f"$.{field}", "range")
    values[field] = -(10**400)
    with pytest.raises(ValidationError):
        ParameterSummary(**values)
    values[field] = 2**1023  # the largest power of two a float holds: accepted, as a float
    assert getattr(ParameterSummary(**values), field) == float(2**1023)


# -- a lifecycle definition over a huge iterable ------------------------------------------------


def _codes_at(error: InvalidDefinition, path: str) -> list[str]:
    return [problem.code for problem in error.problems if problem.path == path]


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"states": range(2**62)}, "$.states"),
        ({"states": ["a", "b"], "transitions": range(2**62)}, "$.transitions"),
        ({"states": ["a", "b"], "funnel": (f"s{i}" for i in itertools.count())}, "$.funnel"),
    ],
)
def test_a_lifecycle_definition_reads_a_bounded_part_of_a_huge_iterable(
    arguments: dict[str, object], path: str
) -> None:
    # Found by the nightly fuzz: states=range(2**62) collected a problem per item until the
    # process ran out of memory; a definition now reads at most its bound + 1 items.
    with pytest.raises(InvalidDefinition) as caught:
        LifecycleDefinition("huge", **arguments)  # type: ignore[arg-type]
    assert "too_many" in _codes_at(caught.value, path)
    assert len(caught.value.problems) <= MAX_TRANSITIONS + 8


def test_the_state_bound_itself_is_not_too_many() -> None:
    names = [f"s{i}" for i in range(MAX_STATES + 1)]
    with pytest.raises(InvalidDefinition) as caught:
        LifecycleDefinition("many", states=names)
    assert _codes_at(caught.value, "$.states") == ["too_many"]
    with pytest.raises(InvalidDefinition) as caught:
        LifecycleDefinition("enough", states=names[:MAX_STATES])
    assert _codes_at(caught.value, "$.states") == []


def test_a_transition_names_a_bounded_number_of_sources() -> None:
    with pytest.raises(ValidationError) as caught:
        Transition("go", (f"s{i}" for i in itertools.count()), "b")
    assert (caught.value.path, caught.value.code) == ("$.sources", "too_many")
    assert len(Transition("go", [f"s{i}" for i in range(MAX_STATES)], "b").sources) == MAX_STATES

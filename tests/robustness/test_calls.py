"""Wrong-typed arguments for every public callable: junk in, only crmcore errors out.

Every public constructor, factory, command and function is called with valid
arguments in which one argument at a time is replaced by junk (wrong types,
NaN and infinities, huge ints such as 2**63, naive and extreme datetimes,
control characters, Money of other currencies, deep and huge containers, ...).
Only crmcore errors may escape, within :data:`_fuzz.CALL_BUDGET` seconds, and
the object a failed command was called on must be unchanged (see ``_fuzz``).

The tables of targets (``_targets.py``) and the samples of every public attrs
type (``_corpus.py``) are checked against the packages' ``__all__`` at the end
of this module, so a new public callable cannot be forgotten.
"""

import enum
import inspect
from collections.abc import Mapping
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import (
    feedback,
)
from crmcore.errors import CrmcoreError

from . import _targets  # noqa: F401 - importing it registers every target.
from ._corpus import DAY, FUZZED_MODULES, PURCHASES, SAMPLES, T0, accumulator, public_attrs_types
from ._fuzz import (
    JUNK,
    STATS,
    TARGETS,
    Target,
    attempt,
    check_error,
    fingerprint,
    fuzz_settings,
    junk_variant,
    outcome_of,
    run_target,
)

# -- 1. junk in every argument of every public callable --------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@fuzz_settings(0.1)
@given(data=st.data())
def test_junk_arguments_raise_only_crmcore_errors(target, data):
    """Junk in any one argument raises a well-formed CrmcoreError and leaves the subject alone."""
    run_target(target, data)


# -- 2. junk in every field of every public attrs type ---------------------------------------

CONSTRUCTED = sorted(SAMPLES, key=lambda cls: (cls.__module__, cls.__qualname__))


def init_kwargs(sample: object) -> dict[str, object]:
    """The keyword arguments that rebuild ``sample`` through its class."""
    return {a.alias: getattr(sample, a.name) for a in attrs.fields(type(sample)) if a.init}


@pytest.mark.parametrize("cls", CONSTRUCTED, ids=lambda c: c.__qualname__)
@fuzz_settings(0.1)
@given(data=st.data())
def test_constructors_refuse_junk_fields(cls, data):
    """Replacing one constructor argument of a valid value by junk raises only a CrmcoreError."""
    kwargs = init_kwargs(SAMPLES[cls])
    target = Target(
        name=cls.__qualname__,
        call=lambda _: cls,
        args=lambda _: kwargs,
        category="constructors",
    )
    for name in kwargs:
        value, what = junk_variant(data, kwargs[name], name)
        attempt(target, None, name, value, what)


# -- 3. mutable helpers are all-or-nothing ---------------------------------------------------


@fuzz_settings(0.4)
@given(
    index=st.integers(0, len(PURCHASES)),
    column=st.integers(0, 3),
    junk=JUNK,
)
def test_summary_accumulator_extend_is_all_or_nothing(index, column, junk):
    """A batch with one bad transaction adds none of the batch."""
    acc = accumulator()
    before = fingerprint(acc)
    batch: list[object] = [(f"z-{i}", T0 + i * DAY, Decimal(i + 1)) for i in range(len(PURCHASES))]
    if column == 3:
        batch.insert(index, junk)
    else:
        row = list(batch[min(index, len(batch) - 1)])  # type: ignore[call-overload]
        row[column] = junk
        batch[min(index, len(batch) - 1)] = tuple(row)
    error = None
    try:
        acc.extend(batch)
    except CrmcoreError as exc:
        error = exc
        check_error(exc, "extend")
        assert before == fingerprint(acc)
    except Exception as exc:
        error = exc
        raise
    finally:
        STATS.record("calls", outcome_of(error))


# -- 4. the tables above cover the public API ------------------------------------------------

#: Public callables not fuzzed here, each with the reason.
NOT_TARGETED: Mapping[str, str] = {
    "event_types": "takes no arguments",
    "register_rule_hooks": "configures a cattrs converter supplied by the caller",
    "structure_rule": "the cattrs hook of rule_from_dict, fuzzed through from_dict",
    "is_rule_type": "a type predicate for cattrs, never raises",
    "make_converter": "takes no arguments",
    "to_dict": "fuzzed through every round trip",
    "from_dict": "fuzzed with mutated documents",
    "ppn_indonesia": "takes no arguments",
    "sample_posterior": (
        "its cost is the draws the caller asks for (bounded by MAX_SAMPLER_WORK, beyond the "
        "fuzz's per-call budget); its bad arguments are tested in tests/clv/models/test_posterior.py"
    ),
}


def public_functions() -> list[str]:
    """The names of every public function of the fuzzed packages."""
    names = []
    for module in FUZZED_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                names.append(name)
    return names


def test_every_public_function_is_fuzzed():
    """Each public function is a target (or excluded with a reason)."""
    targeted = {t.name.rsplit(".", 1)[-1] for t in TARGETS}
    missing = [n for n in public_functions() if n not in targeted and n not in NOT_TARGETED]
    assert [] == missing


def test_every_public_attrs_type_has_a_sample():
    """Each public attrs type has a valid sample, so its constructor is fuzzed."""
    abstract = {feedback.SurveyResponse}
    missing = [
        c.__qualname__ for c in public_attrs_types() if c not in SAMPLES and c not in abstract
    ]
    assert [] == missing


#: Public methods not fuzzed directly, each with the reason.
NOT_TARGETED_METHODS: Mapping[str, str] = {
    "PurchaseModel.expected_purchases": "a Protocol; every model's own method is fuzzed",
    "SurveyResponse.record": "fuzzed through NpsResponse, CsatResponse and CesResponse",
    "Identifier.new": "fuzzed through CustomerId.new",
    "ConsentHolder.consent_decision": "a mixin; fuzzed through Customer.consent_decision and Lead.consent_decision",
    "ConsentHolder.may_contact": "a mixin; fuzzed through Customer.may_contact and Lead.may_contact",
    "ConsentHolder.give_consent": "a mixin; fuzzed through Customer.give_consent and Lead.give_consent",
    "ConsentHolder.withdraw_consent": "a mixin; fuzzed through Customer.withdraw_consent and Lead.withdraw_consent",
    "AuditSink.record_denied": "a Protocol; fuzzed through AuditLog.record_denied",
    "AuditSink.record_commit": "a Protocol; fuzzed through AuditLog.record_commit",
    "DomainEvent.draft": "takes the event's fields as **keywords only; they are checked when "
    "an aggregate records the event, which every command target exercises",
    "EngagementEvent.facts": "takes no arguments",
    "LeadModel.raw_coefficients": "takes no arguments",
}


def public_methods() -> list[tuple[type, str]]:
    """(class, method) for every public method and classmethod of every public class."""
    found = []
    for module in FUZZED_MODULES:
        for name in module.__all__:
            cls = getattr(module, name)
            if (
                not isinstance(cls, type)
                or issubclass(cls, (BaseException, enum.Enum))
                or cls.__module__.startswith("crmcore.repository")
            ):
                continue  # the repository is fuzzed by test_units_of_work.py
            found.extend(
                (cls, member)
                for member, value in vars(cls).items()
                if not member.startswith("_")
                and (inspect.isfunction(value) or isinstance(value, (classmethod, staticmethod)))
            )
    return found


def test_every_public_method_is_fuzzed():
    """Each public method is a target, on its class or a base (or is excluded with a reason)."""
    targeted = {t.name for t in TARGETS}
    missing = [
        f"{cls.__qualname__}.{name}"
        for cls, name in public_methods()
        if f"{cls.__qualname__}.{name}" not in NOT_TARGETED_METHODS
        and not any(f"{base.__qualname__}.{name}" in targeted for base in cls.__mro__)
    ]
    assert [] == missing

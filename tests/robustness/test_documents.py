"""Document fuzzing: every kind of document, mutated, loads into a valid object or is refused.

For every document kind (every aggregate, value and event type that
:func:`crmcore.serialization.to_dict` writes), a valid object is drawn from
:mod:`crmcore.testing.strategies` (or taken from the corpus where no strategy
makes one), written with ``to_dict`` and mutated: keys deleted, unknown keys
added, values of the wrong type, an object or a string where a list belongs,
huge and deep values, control characters, boundary dates and numbers (2**63,
-1, a 5,000-digit number, years 1 and 9999) and amounts such as ``"١٢"``,
``"1_000"``, ``" 12 "`` or ``"1e2"``. ``from_dict`` must then either load a
valid object (one whose own document round-trips) or raise a
:class:`~crmcore.CrmcoreError`, within :data:`_fuzz.DOCUMENT_BUDGET` seconds.
Stored segmentation rules get the same treatment through ``rule_from_dict``.
"""

import copy
import math
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import Currency, DomainEvent, Money, segmentation
from crmcore.access import AccessPolicy, Principal
from crmcore.audit import AuditEntry, AuditLog, AuditPolicy, Disclosure, FieldChange
from crmcore.clv import summaries
from crmcore.commerce import Order, OrderLine, Period, Plan, Subscription
from crmcore.customers import (
    ConsentRecord,
    ContactPoint,
    Customer,
    LifecycleState,
    OrganizationName,
    PersonName,
    PostalAddress,
    Profile,
)
from crmcore.errors import CrmcoreError, ValidationError
from crmcore.feedback import Review, SurveyResponse
from crmcore.interactions import Interaction
from crmcore.lifecycle import LifecycleDefinition
from crmcore.loyalty import LoyaltyAccount, LoyaltyProgram
from crmcore.privacy import (
    DataSubjectRequest,
    ExtensionRule,
    Jurisdiction,
    RetentionPolicy,
    RetentionRule,
)
from crmcore.sales import Lead, Opportunity, PipelineDefinition
from crmcore.serialization import from_dict, to_dict
from crmcore.service import BusinessCalendar, Case, SlaPolicy
from crmcore.testing import strategies as crm

from ._corpus import DAY, LATER, RULE, SAMPLES, T0, idr
from ._corpus_privacy import ACCESS_POLICY, AUDIT_LOG, AUDIT_POLICY
from ._corpus_scale import COLUMN_DOCUMENTS
from ._fuzz import (
    DEEPER_LIST,
    DOCUMENT_BUDGET,
    MARKER,
    ROUND_TRIP_TYPES,
    STATS,
    TookTooLong,
    check_error,
    deep_dict,
    deep_list,
    fuzz_settings,
    outcome_of,
    same_document,
    time_limit,
)

#: JSON-shaped junk: what a corrupted or hostile stored document may hold.
JSON_JUNK = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            False,
            0,
            -1,
            2**53,
            2**63,
            -(2**63),
            10**400,
            10**5000,
            1.5,
            1e308,
            math.nan,
            math.inf,
            "",
            " ",
            MARKER,
            f"{MARKER}\x00",
            f"{MARKER}\u202e",
            f"{MARKER}\n\t",
            f"{MARKER}@example.com",
            "\ud800",
            "NaN",
            "-Infinity",
            "1E+999999",
            "1E-999999",
            "1e2",
            "١٢",
            "1_000",
            " 12 ",
            "12.",
            ".5",
            "+1",
            "-0",
            "0" * 200,
            "9" * 5000,
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "2024-02-30",
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59.999999-12:00",
            "9999-12-31T23:59:59.999999+00:00",
            "2024-01-08T09:00:00",
            "2024-01-08T09:00:00+99:00",
            "2024-01-08T09:00:00Z",
            "P1D",
            [],
            [MARKER],
            [None],
            {},
            {MARKER: MARKER},
            {"type": MARKER},
            {"type": "CustomerRegistered"},
            {"amount": "1", "currency": "XXX"},
            {"amount": "1", "currency": "IDR"},
            {"schema_version": 1},
            {"value": 1, "type": "int"},
            {"count": 2**63, "unit": "day"},
            "x" * 1_000_001,
            [0] * 100_001,
            deep_list(70),
            deep_dict(70),
            DEEPER_LIST,
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=10).map(lambda text: MARKER + text),
    st.recursive(
        st.none() | st.integers() | st.text(max_size=3),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    ),
)

#: The strategies of crmcore.testing.strategies, by the document kind they make.
STRATEGIES: dict[type, st.SearchStrategy[Any]] = {
    AccessPolicy: crm.access_policies(max_grants=4),
    DataSubjectRequest: crm.data_subject_requests(max_steps=3),
    ExtensionRule: crm.extension_rules(),
    FieldChange: crm.field_changes(),
    Jurisdiction: crm.jurisdictions(),
    Principal: crm.principals(),
    RetentionPolicy: crm.retention_policies(max_rules=3),
    RetentionRule: crm.retention_rules(),
    BusinessCalendar: crm.business_calendars(max_holidays=2),
    Case: crm.cases(max_steps=3),
    ConsentRecord: crm.consent_records(),
    ContactPoint: crm.contact_points(),
    Currency: crm.currencies(),
    Customer: crm.customers(max_contact_points=2, max_consents=2, max_tags=2, with_lifecycle=True),
    DomainEvent: crm.domain_events(),
    Interaction: crm.interactions(),
    Lead: crm.leads(max_steps=3),
    LifecycleDefinition: crm.lifecycle_definitions(max_states=4),
    LifecycleState: crm.lifecycle_states(max_changes=3),
    LoyaltyAccount: crm.loyalty_accounts(max_steps=3),
    LoyaltyProgram: crm.loyalty_programs(max_tiers=3),
    Money: crm.moneys(),
    Opportunity: crm.opportunities(max_steps=3),
    OrderLine: crm.order_lines(),
    Order: crm.orders(max_lines=2, max_steps=3),
    OrganizationName: crm.organization_names(),
    Period: crm.periods(),
    PersonName: crm.person_names(),
    PipelineDefinition: crm.pipeline_definitions(max_stages=4),
    Plan: crm.plans(),
    PostalAddress: crm.postal_addresses(),
    Profile: crm.profiles(),
    Review: crm.reviews(),
    SlaPolicy: crm.sla_policies(max_rules=2),
    Subscription: crm.subscriptions(max_steps=3),
    SurveyResponse: crm.survey_responses(),
}


def _kinds() -> dict[str, tuple[type, st.SearchStrategy[Any]]]:
    """Every document kind: the strategies' kinds, the column documents, then the corpus's types.

    An event is loaded as a DomainEvent (its ``type`` names the class); a
    survey response as a SurveyResponse.
    """
    kinds = {cls.__qualname__: (cls, strategy) for cls, strategy in STRATEGIES.items()}
    kinds.update({cls.__qualname__: (cls, values) for cls, values in COLUMN_DOCUMENTS.items()})
    for cls, sample in SAMPLES.items():
        if cls not in ROUND_TRIP_TYPES or any(issubclass(cls, known) for known in STRATEGIES):
            continue
        kinds.setdefault(cls.__qualname__, (cls, st.just(sample)))
    return dict(sorted(kinds.items()))


KINDS = _kinds()

#: How a document is mutated (see :func:`mutate`).
MUTATIONS = (
    "replace",
    "replace",
    "delete",
    "unknown_key",
    "wrap",
    "object_for_list",
    "string_for_list",
    "append",
    "control_characters",
)


def document_paths(doc: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every path (keys and indices) inside a JSON document."""
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from document_paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from document_paths(value, (*prefix, index))


def mutate(doc: object, path: tuple[object, ...], how: str, junk: object) -> object:
    """A copy of ``doc`` with the value at ``path`` changed ``how``.

    ``replace`` puts ``junk`` there; ``delete`` removes it (a key or an
    item); ``unknown_key`` adds a key its parent object does not have;
    ``wrap`` puts the value in a list; ``object_for_list`` and
    ``string_for_list`` put an object or a string where a list is (anywhere
    else: ``junk``); ``append`` adds ``junk`` to a list or object;
    ``control_characters`` adds a control character to a string.
    """
    if not path:
        holder: list[object] = [copy.deepcopy(doc)]
        mutate_in(holder, 0, "replace" if how == "delete" else how, junk)
        return holder[0]
    copied = copy.deepcopy(doc)
    parent: Any = copied
    for step in path[:-1]:
        parent = parent[step]
    mutate_in(parent, path[-1], how, junk)
    return copied


def mutate_in(parent: Any, key: Any, how: str, junk: object) -> None:
    """Apply one mutation to ``parent[key]`` in place."""
    value = parent[key]
    if how == "delete":
        del parent[key]
    elif how == "unknown_key":
        target = value if isinstance(value, dict) else parent
        if isinstance(target, dict):
            target[f"{MARKER}_key"] = junk
        else:
            parent[key] = junk
    elif how == "wrap":
        parent[key] = [value]
    elif how == "object_for_list":
        parent[key] = dict(enumerate(value)) if isinstance(value, list) else {MARKER: junk}
    elif how == "string_for_list":
        parent[key] = f"{MARKER}{value!r}"[:40] if isinstance(value, list) else junk
    elif how == "append" and isinstance(value, list):
        value.append(junk)
    elif how == "append" and isinstance(value, dict):
        value["extra"] = junk
    elif how == "control_characters" and isinstance(value, str):
        parent[key] = f"{value}\x00{MARKER}\x1b"
    else:
        parent[key] = junk


def load(cls: type, document: object, where: str) -> None:
    """Load ``document``: a valid object whose own document round-trips, or a CrmcoreError."""
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        with time_limit(DOCUMENT_BUDGET):
            rebuilt = from_dict(cls, document)
    except CrmcoreError as exc:
        error = exc
        check_error(exc, where)
    except (Exception, TookTooLong) as exc:
        error = exc
        raise AssertionError(f"{where} raised {type(exc).__name__}") from exc
    else:
        assert isinstance(rebuilt, cls), where
        assert same_document(rebuilt, from_dict(cls, to_dict(rebuilt))), where
    finally:
        STATS.record("documents", outcome_of(error), time.perf_counter() - started)


@pytest.mark.parametrize("kind", KINDS, ids=str)
@fuzz_settings(0.2, minimum=3)
@given(data=st.data())
def test_mutated_documents_load_or_are_refused(kind, data):
    """A mutated document loads into a valid object or is refused with a CrmcoreError."""
    cls, strategy = KINDS[kind]
    doc = to_dict(data.draw(strategy, label="value"))
    paths = list(document_paths(doc))
    for index in range(3):
        path = data.draw(st.sampled_from(paths), label=f"path {index}")
        how = data.draw(st.sampled_from(MUTATIONS), label=f"how {index}")
        junk = data.draw(JSON_JUNK, label=f"junk {index}")
        load(cls, mutate(doc, path, how, junk), f"from_dict({kind}, <{how} at {path!r}>)")


@fuzz_settings(0.6, minimum=20)
@given(kind=st.sampled_from(sorted(KINDS)), junk=JSON_JUNK)
def test_junk_documents_are_refused(kind, junk):
    """A document that is not an object of the kind's fields is refused with a CrmcoreError."""
    cls, _ = KINDS[kind]
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        with time_limit(DOCUMENT_BUDGET):
            from_dict(cls, junk)
    except CrmcoreError as exc:
        error = exc
        check_error(exc, f"from_dict({kind}, junk)")
    else:
        assert isinstance(junk, dict), "only a mapping may be read"
    finally:
        STATS.record("documents", outcome_of(error), time.perf_counter() - started)


# -- documents in their own format: access policies and the audit trail ----------------------

#: Each reader of a document format of its own, and a valid document for it.
OWN_FORMATS = {
    "AccessPolicy.from_dict": (AccessPolicy.from_dict, ACCESS_POLICY.to_dict()),
    "AuditLog.from_dict": (
        lambda doc: AuditLog.from_dict(doc, policy=AUDIT_POLICY),
        AUDIT_LOG.to_dict(),
    ),
    "AuditEntry.from_dict": (AuditEntry.from_dict, AUDIT_LOG.entries[1].to_dict()),
    "AuditPolicy.from_dict": (AuditPolicy.from_dict, AUDIT_POLICY.to_dict()),
    "Disclosure.from_dict": (Disclosure.from_dict, AUDIT_LOG.disclosures()[0].to_dict()),
    "FieldChange.from_dict": (FieldChange.from_dict, AUDIT_LOG.entries[1].changes[0].to_dict()),
}


@pytest.mark.parametrize("reader", OWN_FORMATS, ids=str)
@fuzz_settings(0.2, minimum=3)
@given(data=st.data())
def test_mutated_own_format_documents_load_or_are_refused(reader, data):
    """A mutated access-policy or audit document loads, or is refused with a CrmcoreError."""
    read, doc = OWN_FORMATS[reader]
    paths = list(document_paths(doc))
    for index in range(3):
        path = data.draw(st.sampled_from(paths), label=f"path {index}")
        how = data.draw(st.sampled_from(MUTATIONS), label=f"how {index}")
        mutated = mutate(doc, path, how, data.draw(JSON_JUNK, label=f"junk {index}"))
        where = f"{reader}(<{how} at {path!r}>)"
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            with time_limit(DOCUMENT_BUDGET):
                read(mutated)
        except CrmcoreError as exc:
            error = exc
            check_error(exc, where)
        except (Exception, TookTooLong) as exc:
            error = exc
            raise AssertionError(f"{where} raised {type(exc).__name__}") from exc
        finally:
            STATS.record("own-format documents", outcome_of(error), time.perf_counter() - started)


# -- stored rules ----------------------------------------------------------------------------

RULE_DOCUMENTS = [
    segmentation.rule_to_dict(rule)
    for rule in (
        RULE,
        segmentation.field("last_purchase_at").within_last(days=30, months=1),
        segmentation.field("clv") >= idr(1_000_000),
        segmentation.field("birth_date").birthday_within(days=7),
        segmentation.field("stage").is_in({"client", "member"}),
        segmentation.field("first_purchase_at").between(T0, LATER),
        segmentation.field("email").ends_with("@example.com"),
        segmentation.field("birth_date").before(T0.date() - 9000 * DAY),
        segmentation.any_of(
            segmentation.field("tags").has_any(["vip", "gold"]),
            segmentation.not_(segmentation.field("attributes.store").is_empty()),
        ),
    )
]


@fuzz_settings(1.0, minimum=30)
@given(
    doc=st.sampled_from(RULE_DOCUMENTS),
    data=st.data(),
    schema=st.sampled_from([None, segmentation.SNAPSHOT_FIELDS]),
)
def test_mutated_rule_documents_load_or_are_refused(doc, data, schema):
    """A mutated rule document becomes a rule that round-trips, or a CrmcoreError."""
    path = data.draw(st.sampled_from(list(document_paths(doc))), label="path")
    how = data.draw(st.sampled_from(MUTATIONS), label="how")
    mutated = mutate(doc, path, how, data.draw(JSON_JUNK, label="junk"))
    where = f"rule_from_dict(<{how} at {path!r}>)"
    started = time.perf_counter()
    error: BaseException | None = None
    try:
        with time_limit(DOCUMENT_BUDGET):
            rule = segmentation.rule_from_dict(mutated, schema=schema)
    except CrmcoreError as exc:
        error = exc
        check_error(exc, where)
    except (Exception, TookTooLong) as exc:
        error = exc
        raise AssertionError(f"{where} raised {type(exc).__name__}") from exc
    else:
        assert rule == segmentation.rule_from_dict(segmentation.rule_to_dict(rule)), where
    finally:
        STATS.record("rule documents", outcome_of(error), time.perf_counter() - started)


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"all": None},
        {"not": [{"field": "email", "op": "is_empty"}]},
        {"all": [], "any": []},
        {"field": "email"},
        {"field": "orders_count", "op": "eq", "kind": "number"},
        {"field": "orders_count", "op": "between", "kind": "number", "value": [1]},
        {"field": "last_purchase_at", "op": "within_last", "value": {"days": 10**400}},
        {"field": "last_purchase_at", "op": "within_last", "value": {"days": 2**63}},
        {"field": "last_purchase_at", "op": "within_last", "value": {"fortnights": 1}},
        {"field": "birth_date", "op": "eq", "kind": "date", "value": "0000-00-00"},
        {"field": "last_purchase_at", "op": "eq", "kind": "datetime", "value": "2024-01-08T09:00"},
        {
            "field": "clv",
            "op": "eq",
            "kind": "money",
            "value": {"amount": "NaN", "currency": "IDR"},
        },
        {
            "field": "clv",
            "op": "eq",
            "kind": "money",
            "value": {"amount": "1e2", "currency": "IDR"},
        },
        {"field": "clv", "op": "eq", "kind": "money", "value": {"amount": "١٢", "currency": "IDR"}},
        {"field": "tags", "op": "in", "kind": "text", "value": [[1]]},
        {"field": "", "op": "eq", "kind": "text", "value": "a"},
        {"field": "a..b", "op": "eq", "kind": "text", "value": "a"},
        {"field": "emial", "op": "is_empty"},
        {"field": f"{MARKER}", "op": "is_empty"},
    ],
    ids=repr,
)
def test_malformed_rule_documents_are_refused(doc):
    """Each malformed rule document is refused with a ValidationError naming a path."""
    with pytest.raises(ValidationError) as caught:
        segmentation.rule_from_dict(doc)
    check_error(caught.value, repr(doc))


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_documents_are_refused_without_recursion_errors(depth):
    """Hostile nesting is a ValidationError from rule_from_dict and from_dict, never RecursionError."""
    leaf: object = {"field": "email", "op": "is_empty"}
    rule_doc = leaf
    for _ in range(depth):
        rule_doc = {"not": rule_doc}
    with pytest.raises(ValidationError):
        segmentation.rule_from_dict(rule_doc)
    with pytest.raises(ValidationError):
        from_dict(Money, {"amount": deep_list(depth), "currency": "IDR", "schema_version": 2})


def test_every_document_kind_is_fuzzed():
    """Every attrs type of the corpus that round-trips is a document kind here."""
    missing = [
        cls.__qualname__
        for cls in ROUND_TRIP_TYPES
        if attrs.has(cls) and not any(issubclass(cls, known) for known, _ in KINDS.values())
    ]
    assert [] == missing


def test_every_column_document_kind_is_fuzzed():
    """The summaries whose documents are columns (no attrs classes) are document kinds too."""
    missing = [
        cls.__qualname__ for cls in summaries.column_documents() if cls.__qualname__ not in KINDS
    ]
    assert [] == missing

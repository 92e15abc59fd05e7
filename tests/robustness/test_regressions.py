"""Reproductions of the defects the fuzz suite found in its first runs, kept as regression tests.

Each one raised a builtin error, accepted junk, wrote a document JSON cannot
hold, or repeated a planted personal value; each now returns, or raises a
well-formed CrmcoreError that repeats nothing it was given.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from crmcore import Money, lifecycle, repository
from crmcore.clv import GammaGamma, delta_method
from crmcore.commerce import PaymentDue
from crmcore.customers import Customer, CustomerId, PersonName, Profile
from crmcore.errors import CrmcoreError
from crmcore.segmentation import field
from crmcore.serialization import from_dict, to_dict

from ._corpus import ANA, SUBSCRIPTION, SUMMARY_TABLE, T0, accumulator
from ._corpus_clv import BG_FIT, BGBB_FIT
from ._fuzz import CALL_BUDGET, MARKER, TookTooLong, check_error, time_limit

YEAR_ONE_EAST = datetime.min.replace(tzinfo=timezone(timedelta(hours=14)))


def _pinned(defect_id: str, was: str, call: Callable[[], object]) -> Any:
    """One reproduction; ``was`` says what went wrong before the fix."""
    del was
    return pytest.param(call, id=defect_id)


def _refused(call: Callable[[], object]) -> Callable[[], None]:
    """A reproduction that fails while ``call`` accepts its junk."""

    def run() -> None:
        try:
            call()
        except CrmcoreError:
            return
        pytest.fail("accepted", pytrace=False)

    return run


def _not_echoed(call: Callable[[], object]) -> Callable[[], None]:
    """A reproduction that fails while ``call``'s error repeats the marker it was given."""

    def run() -> None:
        try:
            call()
        except CrmcoreError as exc:
            if MARKER.lower() in str(exc).lower():
                pytest.fail("the message repeats the offending value", pytrace=False)

    return run


def _json_ready(value: object) -> Callable[[], None]:
    """A reproduction that fails while ``to_dict(value)`` is not JSON-ready."""

    def run() -> None:
        try:
            json.dumps(to_dict(value))
        except TypeError as exc:
            pytest.fail(f"not JSON-ready: {exc}", pytrace=False)

    return run


def _profile_document() -> dict[str, Any]:
    document = to_dict(Profile(name=PersonName("Ana")))
    document["attributes"] = {MARKER: "x"}
    return document


def _model_document() -> dict[str, Any]:
    document = to_dict(GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44}))
    document["params"] = {MARKER: None}
    return document


PINNED = [
    _pinned(
        "S1a",
        "serialization.py (Hooks.structure_attributes) names a custom attribute's key in the "
        "error path ($.attributes.<key>): document keys may be personal data",
        _not_echoed(lambda: from_dict(Profile, _profile_document())),
    ),
    _pinned(
        "S1b",
        "serialization.py (_problems) renders the keys of a mapping field into error paths "
        "($.params[<key>]) from cattrs' IterableValidationError notes",
        _not_echoed(lambda: from_dict(GammaGamma, _model_document())),
    ),
    _pinned(
        "S2",
        "_kernel/_events.py (check_meta) names an unknown keyword in the error path ($.<key>)",
        _not_echoed(lambda: ANA.add_tag("new", at=T0 + timedelta(days=9), **{MARKER.lower(): 1})),
    ),
    _pinned(
        "S5",
        "_kernel/_events.py (_REFERENCE) accepts '@' in an event-id reference, so an email "
        "address followed by '#1' passes as a causation_id and is copied into every event",
        _refused(
            lambda: Customer.register(
                CustomerId("c-9"),
                name=PersonName("Ana"),
                at=T0,
                causation_id="zqx.marker@example.com#1",
            )
        ),
    ),
    _pinned(
        "S3a",
        "commerce/_plans.py (_estimate) converts the time to the anchor's offset unchecked: "
        "OverflowError near year 1 or 9999 from due_dates, next_due_date, payment_history and "
        "outstanding (is_overdue is fixed in commerce/_subscriptions.py)",
        lambda: SUBSCRIPTION.due_dates(until=YEAR_ONE_EAST),
    ),
    _pinned(
        "S3b",
        "commerce/_plans.py (_estimate): payment_history at 9999-12-31T23:00Z with a UTC+7 "
        "anchor overflows",
        lambda: SUBSCRIPTION.payment_history(at=datetime(9999, 12, 31, 23, tzinfo=UTC)),
    ),
    _pinned(
        "S4",
        "commerce/_plans.py: PaymentDue declares no converter or validator, so it accepts "
        "junk that from_dict then refuses (D33 for this class)",
        _refused(
            lambda: PaymentDue(
                number=None,  # type: ignore[arg-type]
                due_at=T0,
                amount=Money("1", "IDR"),
                status="due",  # type: ignore[arg-type]
                grace_ends_at=T0,
            )
        ),
    ),
    _pinned(
        "D31",
        "serialization.py (to_dict) lets an unstructuring error escape: to_dict of a "
        "repository ChangeSet raises NameError (AggregateSpec, repository/_store.py)",
        lambda: to_dict(repository.ChangeSet(changes=(), events=())),
    ),
    _pinned(
        "D39a",
        "serialization.py (make_converter) has no hook for relativedelta: to_dict of a "
        "ProgressionPolicy is not JSON-ready",
        _json_ready(lifecycle.ProgressionPolicy()),
    ),
    _pinned(
        "D39b",
        "serialization.py has no hook for NamedTuple items: a CustomerState's PeriodTotal rows "
        "keep their Decimals, so the document is not JSON-ready",
        _json_ready(accumulator().state("ana")),
    ),
    _pinned(
        "D39c",
        "serialization.py writes an Any field as it is: an Explanation of a set field holds a "
        "frozenset, so the document is not JSON-ready",
        _json_ready(field("tags").has("vip").explain({"tags": frozenset({"vip"})})),
    ),
    # Found by the nightly profile (2,000 examples a target), stop 32.
    _pinned(
        "N32a",
        "SummaryTable.to_columns compared its monetary argument with a str before checking "
        "its type: a relativedelta warned (NotImplemented in a boolean context)",
        lambda: SUMMARY_TABLE.to_columns(monetary=relativedelta(months=-1)),  # type: ignore[arg-type]
    ),
    _pinned(
        "N32b",
        "delta_method looked its scale up in a set before checking its type: a list raised "
        "TypeError (unhashable)",
        lambda: delta_method(lambda m: m.expected_purchases_new(52), BG_FIT, scale=[]),
    ),
    _pinned(
        "N32c",
        "expected_purchases_new walked any iterable of horizons, one forecast each, without a "
        "bound: range(0, 2**62) never returned (and filled the memory)",
        lambda: BGBB_FIT.expected_purchases_new(range(2**62)),
    ),
]


def expect_crmcore_error(call: Callable[[], object], seconds: float = CALL_BUDGET) -> None:
    """Fail unless ``call`` returns or raises a well-formed CrmcoreError within ``seconds``."""
    try:
        with time_limit(seconds):
            call()
    except CrmcoreError as exc:
        try:
            check_error(exc, "pinned")
        except AssertionError as bad:
            pytest.fail(str(bad), pytrace=False)
    except TookTooLong:
        pytest.fail(f"still running after {seconds} s", pytrace=False)
    except Exception as exc:  # noqa: BLE001 - any other exception is the defect.
        pytest.fail(f"{type(exc).__name__} escaped: {exc}", pytrace=False)


@pytest.mark.parametrize("call", PINNED)
def test_pinned_defect(call):
    """Each pinned reproduction raises a well-formed CrmcoreError (or nothing)."""
    expect_crmcore_error(call)

"""Tests for `crmcore.quotes._quote`: a loaded quote document satisfies the commands' invariants."""

from __future__ import annotations

from typing import Any

import pytest

from crmcore import Money
from crmcore.errors import ValidationError
from crmcore.quotes import OrderId, Quote
from crmcore.serialization import from_dict, to_dict

from ._helpers import DAY, HOUR, T0, draft, flat_table, line


def document(quote: Quote) -> dict[str, Any]:
    """The stored document of ``quote``."""
    return to_dict(quote.without_pending_events())


def sent() -> Quote:
    """A sent USD quote."""
    return draft([line("10.00", "USD")], "USD", flat_table("0.1")).send(at=T0 + HOUR)


def _at(hours: float) -> str:
    return (T0 + hours * HOUR).isoformat()


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (lambda d: d.update(currency=7), "$.currency", "type"),
        (lambda d: d.update(currency="XQZ"), "$.currency", "currency"),
        (lambda d: d.update(revision=True), "$.revision", "type"),
        (lambda d: d.update(revision=0), "$.revision", "range"),
        (lambda d: d.update(revision=2), "$.revision", "revision_mismatch"),
        (lambda d: d.update(order_id="o-1"), "$.order_id", "status_mismatch"),
        (lambda d: d.update(lines=[]), "$.lines", "empty"),
        (
            lambda d: d.update(discount={"amount": "0.005", "currency": "USD"}),
            "$.discount",
            "precision",
        ),
        (
            lambda d: d.update(discount={"amount": "-1", "currency": "USD"}),
            "$.discount",
            "negative",
        ),
        (
            lambda d: d["history"][1].update(at=(T0 + 31 * DAY).isoformat()),
            "$.history[1].at",
            "expired",
        ),
    ],
)
def test_sent_document_refusals(change: Any, path: str, code: str) -> None:
    """Each broken rule of a stored sent quote is refused at its path."""
    data = document(sent())
    change(data)
    with pytest.raises(ValidationError) as caught:
        from_dict(Quote, data)
    assert (caught.value.path, caught.value.code) == (path, code)


def test_accepted_and_expired_documents_check_their_times() -> None:
    """An acceptance after the validity, or an expiry before it, is refused on load."""
    accepted = document(sent().accept(order_id=OrderId("o-1"), at=T0 + 2 * HOUR))
    accepted["history"][2]["at"] = (T0 + 40 * DAY).isoformat()
    accepted["updated_at"] = accepted["history"][2]["at"]
    with pytest.raises(ValidationError) as late:
        from_dict(Quote, accepted)
    assert (late.value.path, late.value.code) == ("$.history[2].at", "expired")
    quote = sent()
    expired = document(quote.expire(at=quote.valid_until))
    expired["history"][2]["at"] = _at(3)
    with pytest.raises(ValidationError) as early:
        from_dict(Quote, expired)
    assert (early.value.path, early.value.code) == ("$.history[2].at", "not_expired")


def test_discount_type_is_checked() -> None:
    """A quote discount that is not Money is refused."""
    with pytest.raises(ValidationError) as caught:
        draft([line("10.00", "USD")], "USD", flat_table("0.1"), discount="1.00")
    assert caught.value.path == "$.discount"
    ok = draft([line("10.00", "USD")], "USD", flat_table("0.1"), discount=Money("1.00", "USD"))
    assert ok.total == Money("9.90", "USD")

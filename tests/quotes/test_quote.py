"""Tests for `crmcore.quotes._quote`: the quote aggregate, its statuses, revisions and events."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given

from crmcore import Money
from crmcore.errors import CurrencyMismatch, InvalidType, TransitionNotAllowed, ValidationError
from crmcore.quotes import (
    MAX_QUOTE_LINES,
    MAX_REVISIONS,
    CustomerId,
    OrderId,
    PriceBookId,
    PriceSource,
    Quote,
    QuoteId,
    QuoteLine,
    QuoteStatus,
    ppn_indonesia,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing.strategies._quotes import quotes

from ._helpers import DAY, HOUR, T0, draft, flat_table, line

REASON = "matched Budi Santoso's competing offer"


def sent_quote() -> Quote:
    """A USD quote with an overridden line, sent an hour after creation."""
    quote = draft(
        [
            line("100.00", "USD", 2),
            line("50.00", "USD", price_source="override", override_reason=REASON),
        ],
        "USD",
        flat_table("0.1"),
    )
    return quote.send(at=T0 + HOUR)


@given(quotes())
def test_generated_quotes_keep_every_invariant(quote: Quote) -> None:
    """Quotes built by their commands: totals identity, revision count, order id iff accepted."""
    totals = quote.totals
    assert quote.total == totals.net + totals.tax
    assert quote.revision == sum(1 for c in quote.history if c.status is QuoteStatus.DRAFT)
    assert (quote.order_id is not None) == (quote.status is QuoteStatus.ACCEPTED)
    assert [e.sequence for e in quote.pending_events] == list(range(1, quote.sequence + 1))


@given(quotes())
def test_generated_quotes_round_trip_through_documents(quote: Quote) -> None:
    """A quote written with crmcore.serialization reads back equal."""
    stored = quote.without_pending_events()
    assert from_dict(Quote, to_dict(stored)) == stored


@given(quotes())
def test_events_and_repr_never_hold_override_reasons(quote: Quote) -> None:
    """Free-text override reasons stay in the quote: never in events or the repr."""
    reasons = [r for r in quote.override_reasons if r is not None]
    text = repr(quote) + "".join(repr(to_dict(event)) for event in quote.pending_events)
    for reason in reasons:
        assert reason not in text


def test_status_machine_happy_paths() -> None:
    """Draft -> sent -> rejected -> (revise) draft -> sent -> accepted."""
    quote = sent_quote()
    assert quote.sent_at == T0 + HOUR
    quote = quote.reject(at=T0 + 2 * HOUR)
    assert quote.status is QuoteStatus.REJECTED
    quote = quote.revise(at=T0 + 3 * HOUR)
    assert (quote.status, quote.revision, quote.sent_at) == (QuoteStatus.DRAFT, 2, None)
    quote = quote.set_discount(at=T0 + 3 * HOUR, percent=Decimal(10)).send(at=T0 + 4 * HOUR)
    quote = quote.accept(order_id=OrderId("o-1"), at=T0 + 5 * HOUR)
    assert quote.status is QuoteStatus.ACCEPTED
    assert [e.type for e in quote.pending_events] == [
        "QuoteCreated",
        "QuoteSent",
        "QuoteRejected",
        "QuoteRevised",
        "QuoteDiscountChanged",
        "QuoteSent",
        "QuoteAccepted",
    ]
    first_sent, second_sent = (e for e in quote.pending_events if e.type == "QuoteSent")
    # Each revision's facts stay in its events: 250.00 + 10% tax, then 10% off.
    assert (first_sent.revision, first_sent.total) == (1, Money("275.00", "USD"))  # type: ignore[attr-defined]
    assert (second_sent.revision, second_sent.total) == (2, Money("247.50", "USD"))  # type: ignore[attr-defined]


def test_expire_only_after_validity_and_revise_with_new_validity() -> None:
    """Expiry is refused before valid_until; an expired quote is revised with a new validity."""
    quote = sent_quote()
    with pytest.raises(ValidationError) as caught:
        quote.expire(at=quote.valid_until - HOUR)
    assert (caught.value.path, caught.value.code) == ("$.at", "not_expired")
    expired = quote.expire(at=quote.valid_until)
    assert expired.status is QuoteStatus.EXPIRED
    revised = expired.revise(at=quote.valid_until + HOUR, valid_until=quote.valid_until + 30 * DAY)
    assert revised.send(at=quote.valid_until + 2 * HOUR).status is QuoteStatus.SENT


def test_accepting_an_expired_quote_is_refused() -> None:
    """By status (expired) or by time (past valid_until): code expired, nothing applied."""
    quote = sent_quote()
    with pytest.raises(TransitionNotAllowed) as late:
        quote.accept(order_id=OrderId("o-1"), at=quote.valid_until)
    assert (late.value.path, late.value.code) == ("$.valid_until", "expired")
    expired = quote.expire(at=quote.valid_until)
    with pytest.raises(TransitionNotAllowed) as caught:
        expired.accept(order_id=OrderId("o-1"), at=quote.valid_until + HOUR)
    assert (caught.value.path, caught.value.code) == ("$.status", "expired")
    assert expired.status is QuoteStatus.EXPIRED
    assert expired.order_id is None


@pytest.mark.parametrize(
    "command",
    [
        lambda q, at: q.add_line(line("1.00", "USD"), at=at),
        lambda q, at: q.remove_line(0, at=at),
        lambda q, at: q.replace_lines([], at=at),
        lambda q, at: q.set_discount(at=at, percent=5),
        lambda q, at: q.change_terms(at=at, tax_inclusive=True),
    ],
)
def test_only_drafts_are_edited(command: object) -> None:
    """Edits of a sent quote are refused (not_draft); the quote stays as it was."""
    quote = sent_quote()
    before = to_dict(quote)
    with pytest.raises(TransitionNotAllowed) as caught:
        command(quote, T0 + 2 * HOUR)  # type: ignore[operator]
    assert (caught.value.path, caught.value.code) == ("$.status", "not_draft")
    assert to_dict(quote) == before


@pytest.mark.parametrize(
    ("status_of", "command"),
    [
        (lambda q: q, lambda q, at: q.reject(at=at)),
        (lambda q: q, lambda q, at: q.revise(at=at)),
        (lambda q: q, lambda q, at: q.accept(order_id=OrderId("o"), at=at)),
        (lambda q: q.send(at=T0 + HOUR).reject(at=T0 + HOUR), lambda q, at: q.send(at=at)),
        (
            lambda q: q.send(at=T0 + HOUR).accept(order_id=OrderId("o"), at=T0 + HOUR),
            lambda q, at: q.revise(at=at),
        ),
    ],
)
def test_transitions_the_machine_forbids(status_of: object, command: object) -> None:
    """Commands the status machine forbids raise TransitionNotAllowed, nothing applied."""
    quote = status_of(draft([line("1.00", "USD")], "USD", flat_table("0.1")))  # type: ignore[operator]
    before = to_dict(quote)
    with pytest.raises(TransitionNotAllowed):
        command(quote, T0 + 2 * HOUR)  # type: ignore[operator]
    assert to_dict(quote) == before


def test_sending_needs_lines_and_validity() -> None:
    """An empty draft or one past its validity is not sent."""
    empty = draft([], "USD", flat_table("0.1"))
    with pytest.raises(ValidationError) as caught:
        empty.send(at=T0)
    assert (caught.value.path, caught.value.code) == ("$.lines", "empty")
    late = draft([line("1.00", "USD")], "USD", flat_table("0.1"))
    with pytest.raises(ValidationError) as expired:
        late.send(at=late.valid_until)
    assert (expired.value.path, expired.value.code) == ("$.valid_until", "expired")


def test_draft_edits_recompute_totals() -> None:
    """Adding, removing and replacing lines and changing terms move the total."""
    quote = draft([line("10.00", "USD")], "USD", flat_table("0.1"))
    quote = quote.add_line(line("5.00", "USD", 2), at=T0 + HOUR)
    assert quote.total == Money("22.00", "USD")
    quote = quote.remove_line(0, at=T0 + HOUR)
    assert quote.total == Money("11.00", "USD")
    quote = quote.change_terms(at=T0 + HOUR, tax_inclusive=True)
    assert (quote.total, quote.tax) == (Money("10.00", "USD"), Money("0.91", "USD"))
    quote = quote.replace_lines([line("3.00", "USD")], at=T0 + 2 * HOUR)
    assert quote.totals.lines[0].gross == Money("3.00", "USD")
    event = quote.pending_events[-1]
    assert (event.type, event.line_count) == ("QuoteLinesChanged", 1)  # type: ignore[attr-defined]
    with pytest.raises(ValidationError) as caught:
        quote.remove_line(3, at=T0 + 2 * HOUR)
    assert (caught.value.path, caught.value.code) == ("$.index", "no_such_line")


@pytest.mark.parametrize(
    ("kwargs", "error", "path", "code"),
    [
        ({"currency": "EUR"}, CurrencyMismatch, "$.lines[0].unit_price", "currency_mismatch"),
        ({"valid_until": T0}, ValidationError, "$.valid_until", "before_created"),
        ({"discount_percent": 150}, ValidationError, "$.discount_percent", "over_100"),
        (
            {"priced_on": date(2021, 1, 1)},
            ValidationError,
            "$.lines[0].tax_category",
            "no_tax_rule",
        ),
        ({"customer_id": "c-1"}, InvalidType, "$.customer_id", "type"),
        ({"tax_table": None}, InvalidType, "$.tax_table", "type"),
    ],
)
def test_create_refusals(
    kwargs: dict[str, object], error: type[Exception], path: str, code: str
) -> None:
    """A quote that breaks a rule is not created; the error names the path."""
    base: dict[str, object] = {
        "customer_id": CustomerId("c-1"),
        "currency": "USD",
        "tax_table": ppn_indonesia(),
        "valid_until": T0 + DAY,
        "at": T0,
        "lines": [line("1.00", "USD")],
    }
    with pytest.raises(error) as caught:
        Quote.create(QuoteId("q-1"), **{**base, **kwargs})  # type: ignore[arg-type]
    assert (caught.value.path, caught.value.code) == (path, code)  # type: ignore[attr-defined]


def test_price_book_of_lines_must_be_the_quotes() -> None:
    """A quote tied to one price book refuses lines from another."""
    with pytest.raises(ValidationError) as caught:
        draft(
            [line("1.00", "USD", price_book_id=PriceBookId("pb-2"))],
            "USD",
            flat_table("0.1"),
            price_book_id=PriceBookId("pb-1"),
        )
    assert (caught.value.path, caught.value.code) == ("$.lines[0].price_book_id", "price_book")


def test_anonymise_erases_override_reasons_and_keeps_prices() -> None:
    """Override reasons are personal data to an erasure: replaced, the amounts kept."""
    quote = sent_quote()
    erased = quote.anonymise(at=T0 + 2 * HOUR)
    assert erased.override_reasons == (None, "[erased]")
    assert erased.total == quote.total
    assert erased.lines[1].price_source is PriceSource.OVERRIDE
    assert erased.pending_events[-1].fields == ("override_reasons",)  # type: ignore[attr-defined]
    assert erased.anonymise(at=T0 + 3 * HOUR) is erased
    assert quote.masked(["override_reasons"]).override_reasons == (None, "[erased]")


def test_repoint_customer_moves_the_quote() -> None:
    """A merge re-points the quote to the surviving customer."""
    quote = sent_quote()
    moved = quote.repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=T0 + 2 * HOUR)
    assert moved.customer_id == CustomerId("c-2")
    assert moved.pending_events[-1].type == "QuoteCustomerRepointed"


def test_line_override_helper() -> None:
    """``overridden`` types a price over the book's, with the reason kept out of the repr."""
    item = line("10.00", "USD").overridden(Money("8.00", "USD"), reason=REASON)
    assert (item.unit_price, item.price_source, item.override_reason) == (
        Money("8.00", "USD"),
        PriceSource.OVERRIDE,
        REASON,
    )
    assert REASON not in repr(item)
    assert item.without_reason().override_reason == "[erased]"
    assert line("1.00", "USD").without_reason().override_reason is None


def test_is_valid_at_and_repr() -> None:
    """Validity is before valid_until; the repr names status, revision and total."""
    quote = sent_quote()
    assert quote.is_valid_at(T0)
    assert not quote.is_valid_at(quote.valid_until)
    assert "status='sent'" in repr(quote)
    assert "revision=1" in repr(quote)


def test_lines_hold_at_most_the_limit() -> None:
    """A draft of MAX_QUOTE_LINES lines takes no more."""
    quote = draft([line("1.00", "USD")] * MAX_QUOTE_LINES, "USD", flat_table("0"))
    with pytest.raises(ValidationError) as caught:
        quote.add_line(line("1.00", "USD"), at=T0)
    assert (caught.value.path, caught.value.code) == ("$.lines", "too_many")
    with pytest.raises(InvalidType):
        quote.remove_line("0", at=T0)  # type: ignore[arg-type]


def test_revisions_are_bounded() -> None:
    """A quote stops at MAX_REVISIONS revisions."""
    quote = draft([line("1.00", "USD")], "USD", flat_table("0"))
    at = T0
    for _ in range(MAX_REVISIONS - 1):
        at += HOUR
        quote = quote.send(at=at).revise(at=at)
    assert quote.revision == MAX_REVISIONS
    sent = quote.send(at=at)
    with pytest.raises(ValidationError) as caught:
        sent.revise(at=at)
    assert (caught.value.path, caught.value.code) == ("$.revision", "range")


def test_quote_line_type_checks() -> None:
    """Commands check their arguments' types."""
    quote = draft([line("1.00", "USD")], "USD", flat_table("0"))
    with pytest.raises(InvalidType):
        quote.add_line("sku", at=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        quote.send(at=T0).accept(order_id="o-1", at=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidType):
        QuoteLine(CustomerId("p"), 1, Money("1", "USD"))  # type: ignore[arg-type]

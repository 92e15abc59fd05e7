"""Tests for `crmcore.sales._opportunity_lines` and the lines of an opportunity.

An opportunity holding lines takes its amount from them (the exact sum of their
nets); expected values here are worked out by hand or with exact fractions,
never copied from the code's output.
"""

import json
import pickle
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import CurrencyMismatch, InvalidType, Money, StaffId, ValidationError
from crmcore.customers import CustomerId
from crmcore.sales import (
    MAX_LINE_QUANTITY,
    MAX_OPPORTUNITY_LINES,
    STANDARD_PIPELINE,
    Opportunity,
    OpportunityAmountChanged,
    OpportunityId,
    OpportunityLine,
    OpportunityLinesReplaced,
    OpportunityOpened,
    ProductId,
    pipeline_forecast,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as crm

# The lead registers opportunity_lines in crmcore.testing.strategies; until then, from its module.
from crmcore.testing.strategies import opportunities, opportunity_lines

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
DAY = timedelta(days=1)
P = STANDARD_PIPELINE
GRINDER = ProductId("grinder")
BEANS = ProductId("beans-1kg")


def usd(amount):
    return Money(amount, "USD")


def rp(amount):
    return Money(amount, "IDR")


def deal(**changes):
    number = changes.pop("number", "opp-1")
    fields = {
        "customer_id": CustomerId("c-1"),
        "name": "Coffee machines for three offices",
        "amount": rp(45_000_000),
        "expected_close": date(2026, 4, 30),
        "owner": StaffId("rep-1"),
        "pipeline": P,
        "at": T0,
    }
    fields.update(changes)
    return Opportunity.open(OpportunityId(number), **fields)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


def exact_net(line):
    """The line's net worked out with fractions: quantity x price - discount."""
    discount = Fraction(0) if line.discount is None else Fraction(line.discount.amount)
    return Fraction(line.unit_price.amount) * line.quantity - discount


# -- OpportunityLine ------------------------------------------------------------------------


def test_a_line_is_quantity_times_price_less_its_discount():
    """3 x 1,250.00 = 3,750.00 gross; less 150.00 = 3,600.00 net, in the price's currency."""
    line = OpportunityLine(GRINDER, 3, usd("1250.00"), discount=usd("150.00"))
    assert (usd("3750.00"), usd("3600.00"), "USD") == (line.gross, line.net, line.currency)
    assert usd("2500") == OpportunityLine(GRINDER, 2, usd("1250")).net


def test_a_line_may_be_free_or_discounted_to_nothing():
    """A zero price, or a discount of the whole gross, gives a zero net."""
    assert OpportunityLine(GRINDER, 5, usd(0)).net.is_zero()
    assert OpportunityLine(GRINDER, 2, usd("9.99"), discount=usd("19.98")).net.is_zero()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "path", "code"),
    [
        ((GRINDER, 0, usd(1)), {}, ValidationError, "$.quantity", "range"),
        ((GRINDER, -2, usd(1)), {}, ValidationError, "$.quantity", "range"),
        ((GRINDER, MAX_LINE_QUANTITY + 1, usd(1)), {}, ValidationError, "$.quantity", "range"),
        ((GRINDER, True, usd(1)), {}, InvalidType, "$.quantity", "type"),
        ((GRINDER, 1.0, usd(1)), {}, InvalidType, "$.quantity", "type"),
        ((GRINDER, 1, usd(-1)), {}, ValidationError, "$.unit_price", "negative"),
        ((GRINDER, 1, "12.00"), {}, InvalidType, "$.unit_price", "type"),
        (("grinder", 1, usd(1)), {}, InvalidType, "$.product_id", "type"),
        (
            (GRINDER, 1, usd(1)),
            {"discount": usd("-0.01")},
            ValidationError,
            "$.discount",
            "negative",
        ),
        (
            (GRINDER, 2, usd(5)),
            {"discount": usd("10.01")},
            ValidationError,
            "$.discount",
            "discount_exceeds_line",
        ),
        (
            (GRINDER, 2, usd(5)),
            {"discount": Money(1, "EUR")},
            CurrencyMismatch,
            "$.discount",
            "currency_mismatch",
        ),
        (
            (GRINDER, 10, usd(10**20)),
            {},
            ValidationError,
            "$.unit_price",
            "too_large",
        ),
    ],
)
def test_bad_lines_are_refused_naming_the_field(args, kwargs, error, path, code):
    """Each broken rule raises its own error at the field's path."""
    with pytest.raises(error) as caught:
        OpportunityLine(*args, **kwargs)
    assert (path, code) == (caught.value.path, caught.value.code)


def test_a_percent_discount_is_that_share_of_the_gross_exactly():
    """10% of 3 x 19.99 = 59.97 is 5.997 (not rounded); 0% and 100% are the ends."""
    line = OpportunityLine.with_discount_percent(GRINDER, 3, usd("19.99"), percent="10")
    assert (usd("5.997"), usd("53.973")) == (line.discount, line.net)
    assert OpportunityLine.with_discount_percent(GRINDER, 3, usd("19.99"), percent=0).net == usd(
        "59.97"
    )
    assert OpportunityLine.with_discount_percent(
        GRINDER, 3, usd("19.99"), percent=Decimal(100)
    ).net.is_zero()
    half = OpportunityLine.with_discount_percent(GRINDER, 1, Money(999, "JPY"), percent="12.5")
    assert Money("124.875", "JPY") == half.discount  # 999 / 8


@pytest.mark.parametrize(
    ("percent", "error", "code"),
    [
        ("100.01", ValidationError, "range"),
        (-1, ValidationError, "range"),
        (12.5, InvalidType, "float"),
        ("ten", ValidationError, "decimal"),
    ],
)
def test_a_percent_discount_outside_0_to_100_is_refused(percent, error, code):
    """Discounts over 100% (or below 0, or a float) name ``$.discount_percent``."""
    with pytest.raises(error) as caught:
        OpportunityLine.with_discount_percent(GRINDER, 1, usd(10), percent=percent)
    assert ("$.discount_percent", code) == (caught.value.path, caught.value.code)


def test_a_percent_discount_checks_the_line_too():
    """The line's own rules still apply (a zero quantity)."""
    with pytest.raises(ValidationError) as caught:
        OpportunityLine.with_discount_percent(GRINDER, 0, usd(10), percent=5)
    assert "$.quantity" == caught.value.path


def test_lines_round_trip_through_documents():
    """A line with and without a discount reads back equal, digit for digit."""
    for line in (
        OpportunityLine(GRINDER, 3, usd("19.99"), discount=usd("5.997")),
        OpportunityLine(BEANS, 1, rp(250_000)),
    ):
        back = roundtrip(line)
        assert line == back
        assert str(line.net.amount) == str(back.net.amount)


# -- opening with lines -----------------------------------------------------------------------


def test_opening_with_lines_derives_the_amount_and_records_them():
    """2 x 1,250 less 100 plus 4 x 18.50 = 2,400 + 74 = 2,474.00 USD."""
    lines = [
        OpportunityLine(GRINDER, 2, usd("1250.00"), discount=usd("100.00")),
        OpportunityLine(BEANS, 4, usd("18.50")),
    ]
    opened = deal(amount=None, lines=lines)
    assert usd("2474.00") == opened.amount
    assert tuple(lines) == opened.lines
    event = opened.pending_events[0]
    assert isinstance(event, OpportunityOpened)
    assert (tuple(lines), usd("2474.00")) == (event.lines, event.amount)


def test_opening_with_lines_and_their_sum_is_allowed():
    """Giving the amount the lines make is accepted; another is refused."""
    lines = [OpportunityLine(GRINDER, 2, usd(10))]
    assert usd(20) == deal(amount=usd("20.00"), lines=lines).amount
    with pytest.raises(ValidationError) as caught:
        deal(amount=usd(21), lines=lines)
    assert ("$.amount", "amount_from_lines") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        deal(amount=rp(20), lines=lines)
    assert ("$.amount", "amount_from_lines") == (caught.value.path, caught.value.code)


def test_opening_needs_an_amount_or_lines():
    """Without lines the amount is required; a negative one is refused as ever."""
    with pytest.raises(ValidationError) as caught:
        deal(amount=None)
    assert ("$.amount", "required") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError) as caught:
        deal(amount=usd(-1), lines=[OpportunityLine(GRINDER, 1, usd(1))])
    assert ("$.amount", "negative") == (caught.value.path, caught.value.code)


def test_opening_with_lines_in_two_currencies_names_the_line():
    """The second line, in IDR after a USD line, is the one refused."""
    with pytest.raises(CurrencyMismatch) as caught:
        deal(
            amount=None,
            lines=[OpportunityLine(GRINDER, 1, usd(1)), OpportunityLine(BEANS, 1, rp(1000))],
        )
    assert "$.lines[1].unit_price" == caught.value.path


# -- replacing lines --------------------------------------------------------------------------


def test_replacing_lines_derives_the_amount_and_records_the_change():
    """The event carries the new lines, the derived amount and the amount before."""
    before = deal()
    lines = [
        OpportunityLine(GRINDER, 3, rp(12_500_000), discount=rp(1_500_000)),
        OpportunityLine(BEANS, 10, rp(250_000)),
    ]
    after = before.replace_lines(lines, at=T0 + DAY, actor="rep-1")
    # 3 x 12.5m - 1.5m = 36m; 10 x 250k = 2.5m; 38.5m in all.
    assert rp(38_500_000) == after.amount
    event = after.pending_events[-1]
    assert isinstance(event, OpportunityLinesReplaced)
    assert (tuple(lines), rp(38_500_000), rp(45_000_000), "rep-1", T0 + DAY) == (
        event.lines,
        event.amount,
        event.previous,
        event.actor,
        event.occurred_at,
    )
    assert (1, T0 + DAY) == (after.version - before.version + 1, after.updated_at)


def test_lines_may_change_the_currency():
    """Lines in USD give a deal that was in IDR an amount in USD."""
    after = deal().replace_lines([OpportunityLine(GRINDER, 2, usd("99.50"))], at=T0)
    assert usd(199) == after.amount


def test_the_amount_cannot_be_changed_while_there_are_lines():
    """change_amount is refused (amount_from_lines) and nothing changes."""
    lined = deal().replace_lines([OpportunityLine(GRINDER, 1, rp(1000))], at=T0)
    with pytest.raises(ValidationError) as caught:
        lined.change_amount(rp(2000), at=T0 + DAY)
    assert ("$.amount", "amount_from_lines") == (caught.value.path, caught.value.code)
    with pytest.raises(ValidationError):
        lined.change_amount(rp(1000), at=T0 + DAY)  # even to the amount it has
    assert rp(1000) == lined.amount


def test_removing_the_lines_keeps_the_amount_and_frees_it():
    """Replacing with no lines keeps the last amount; change_amount works again."""
    lined = deal().replace_lines([OpportunityLine(GRINDER, 4, rp(2500))], at=T0)
    cleared = lined.replace_lines([], at=T0 + DAY)
    assert ((), rp(10_000)) == (cleared.lines, cleared.amount)
    event = cleared.pending_events[-1]
    assert ((), rp(10_000), rp(10_000)) == (event.lines, event.amount, event.previous)
    changed = cleared.change_amount(rp(12_000), at=T0 + DAY)
    assert isinstance(changed.pending_events[-1], OpportunityAmountChanged)
    assert rp(12_000) == changed.amount


def test_the_same_lines_change_nothing():
    """Lines equal to those held, or no lines on a deal without lines, record nothing."""
    lines = [OpportunityLine(GRINDER, 4, rp(2500))]
    lined = deal().replace_lines(lines, at=T0)
    assert lined.replace_lines(tuple(lines), at=T0 + DAY) is lined
    plain = deal()
    assert plain.replace_lines([], at=T0 + DAY) is plain


def test_a_won_deals_lines_are_final_like_its_amount():
    """Replacing the lines of a won deal is refused with the amount's code."""
    won = deal().replace_lines([OpportunityLine(GRINDER, 1, rp(1000))], at=T0).win(P, at=T0 + DAY)
    for lines in ([], [OpportunityLine(GRINDER, 2, rp(1000))]):
        with pytest.raises(ValidationError) as caught:
            won.replace_lines(lines, at=T0 + 2 * DAY)
        assert ("$.lines", "won_frozen") == (caught.value.path, caught.value.code)
    assert (rp(1000), won.pending_events[-1].amount) == (won.amount, rp(1000))


def test_a_lost_deal_may_be_relined():
    """Like its amount, a lost deal's lines may change."""
    lost = deal().lose(P, at=T0, reason="budget")
    assert rp(500) == lost.replace_lines([OpportunityLine(BEANS, 1, rp(500))], at=T0).amount


def state(opportunity):
    return (opportunity, opportunity.version, opportunity.pending_events, opportunity.amount)


@pytest.mark.parametrize(
    ("lines", "error", "path", "code"),
    [
        (
            [OpportunityLine(GRINDER, 1, rp(1)), OpportunityLine(BEANS, 1, usd(1))],
            CurrencyMismatch,
            "$.lines[1].unit_price",
            "currency_mismatch",
        ),
        ([OpportunityLine(GRINDER, 1, rp(1)), "beans"], InvalidType, "$.lines[1]", "type"),
        ("grinder", InvalidType, "$.lines", "type"),
        (
            [OpportunityLine(GRINDER, 1, rp(1))] * (MAX_OPPORTUNITY_LINES + 1),
            ValidationError,
            "$.lines",
            "too_many",
        ),
        (
            (OpportunityLine(GRINDER, 1, rp(1)) for _ in range(10**9)),
            ValidationError,
            "$.lines",
            "too_many",
        ),
        (
            [OpportunityLine(GRINDER, 1_000_000, rp(10**14))] * 20,
            ValidationError,
            "$.lines",
            "too_large",
        ),
    ],
)
def test_bad_lines_change_nothing(lines, error, path, code):
    """Mixed currencies, junk, too many lines (even an endless generator), an overflowing sum."""
    before = deal().replace_lines([OpportunityLine(GRINDER, 1, rp(7))], at=T0)
    kept = state(before)
    with pytest.raises(error) as caught:
        before.replace_lines(lines, at=T0 + DAY)
    assert (path, code) == (caught.value.path, caught.value.code)
    assert kept == state(before)


def test_replacing_lines_back_in_time_is_refused():
    """The time rule holds for lines as for every command."""
    later = deal().move_to("proposal", P, at=T0 + DAY)
    with pytest.raises(ValidationError) as caught:
        later.replace_lines([OpportunityLine(GRINDER, 1, rp(1))], at=T0)
    assert ("$.at", "time_backwards") == (caught.value.path, caught.value.code)


def test_erasure_and_repointing_keep_the_lines():
    """Lines hold no personal data: anonymise and repoint_customer leave them."""
    lines = (OpportunityLine(GRINDER, 1, rp(1)),)
    lined = deal().replace_lines(lines, at=T0)
    erased = lined.anonymise(at=T0 + DAY)
    moved = lined.repoint_customer(CustomerId("c-1"), CustomerId("c-2"), at=T0 + DAY)
    assert (lines, lines, rp(1), rp(1)) == (erased.lines, moved.lines, erased.amount, moved.amount)


# -- stored documents -------------------------------------------------------------------------


def test_documents_stored_before_lines_load_unchanged():
    """An opportunity and its opening event without a ``lines`` key load with no lines."""
    old = deal().move_to("proposal", P, at=T0 + DAY)
    document = to_dict(old)
    del document["lines"]
    del document["pending_events"][0]["lines"]
    loaded = from_dict(Opportunity, document)
    assert (old, (), rp(45_000_000)) == (loaded, loaded.lines, loaded.amount)
    assert old.pending_events == loaded.pending_events
    assert rp(1) == loaded.change_amount(rp(1), at=T0 + DAY).amount


def test_a_stored_amount_must_be_the_lines_sum():
    """A document whose amount is not its lines' sum is refused at ``$.amount``."""
    lined = deal().replace_lines([OpportunityLine(GRINDER, 2, rp(1000))], at=T0)
    document = to_dict(lined.without_pending_events())
    document["amount"]["amount"] = "2001"
    with pytest.raises(ValidationError) as caught:
        from_dict(Opportunity, document)
    assert ("$.amount", "amount_from_lines") == (caught.value.path, caught.value.code)


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (lambda d: d["lines"][1].update(quantity=-3), "$.lines[1].quantity", "range"),
        (
            lambda d: d["lines"][0]["unit_price"].update(amount="-1"),
            "$.lines[0].unit_price",
            "negative",
        ),
        (
            lambda d: d["lines"][1].update(discount={"amount": "1000.01", "currency": "IDR"}),
            "$.lines[1].discount",
            "discount_exceeds_line",
        ),
        (
            lambda d: d["lines"][1]["unit_price"].update(currency="USD"),
            "$.lines[1].unit_price",
            "currency_mismatch",
        ),
        (
            lambda d: d.update(lines=[d["lines"][0]] * (MAX_OPPORTUNITY_LINES + 1)),
            "$.lines",
            "too_many",
        ),
    ],
)
def test_stored_lines_are_checked_with_their_paths(change, path, code):
    """Bad lines in a document name the line and field."""
    lined = deal().replace_lines(
        [OpportunityLine(GRINDER, 2, rp(1000)), OpportunityLine(BEANS, 1, rp(1000))], at=T0
    )
    document = json.loads(json.dumps(to_dict(lined.without_pending_events())))
    change(document)
    with pytest.raises(ValidationError) as caught:
        from_dict(Opportunity, document)
    assert (path, code) == (caught.value.path, caught.value.code)


# -- the forecast -----------------------------------------------------------------------------


def test_the_forecast_uses_the_amounts_the_lines_make():
    """Weighted: 0.5 x (2 x 10m - 1m) + 0.8 x 4 x 2.5m = 9.5m + 8m; the won deal counts 3m."""
    proposal = deal(
        number="opp-1",
        amount=None,
        stage="proposal",
        lines=[OpportunityLine(GRINDER, 2, rp(10_000_000), discount=rp(1_000_000))],
    )
    negotiation = deal(number="opp-2", stage="negotiation").replace_lines(
        [OpportunityLine(BEANS, 4, rp(2_500_000))], at=T0
    )
    won = (
        deal(number="opp-3")
        .replace_lines([OpportunityLine(BEANS, 3, rp(1_000_000))], at=T0)
        .win(P, at=T0 + DAY)
    )
    result = pipeline_forecast([proposal, negotiation, won], P, tz=WIB)
    assert rp(19_000_000 + 10_000_000) == result.open_total("IDR")
    assert rp(9_500_000 + 8_000_000) == result.weighted_total("IDR")
    assert rp(3_000_000) == result.won_total("IDR")


# -- properties -------------------------------------------------------------------------------


@given(
    crm.currency_codes().flatmap(
        lambda code: st.lists(opportunity_lines(currencies=[code], max_quantity=1000), max_size=12)
    )
)
def test_the_amount_is_the_exact_sum_of_the_nets_in_every_currency(lines):
    """The amount is the sum of quantity x price - discount, exactly, in any currency."""
    after = deal().replace_lines(lines, at=T0 + DAY)
    if lines:
        assert Fraction(after.amount.amount) == sum(exact_net(line) for line in lines)
        assert {after.amount.currency} == {line.currency for line in lines}
        assert all(Fraction(line.net.amount) == exact_net(line) for line in lines)
    else:
        assert rp(45_000_000) == after.amount


@given(opportunities(max_lines=4, max_steps=8))
def test_generated_opportunities_with_lines_hold_their_sum(opportunity):
    """Whatever commands made it, a deal with lines has their nets' sum as its amount."""
    if opportunity.lines:
        total = sum(exact_net(line) for line in opportunity.lines)
        assert Fraction(opportunity.amount.amount) == total
        assert {opportunity.amount.currency} == {line.currency for line in opportunity.lines}
    for event in opportunity.pending_events:
        if isinstance(event, OpportunityLinesReplaced) and event.lines:
            assert Fraction(event.amount.amount) == sum(exact_net(x) for x in event.lines)


@given(
    opportunities(max_lines=3, max_steps=4),
    crm.currency_codes().flatmap(
        lambda code: st.lists(opportunity_lines(currencies=[code]), max_size=5)
    ),
)
def test_replace_then_serialise_round_trips(opportunity, lines):
    """An opportunity with replaced lines, and its events, read back equal, digit for digit."""
    if opportunity.is_won:
        with pytest.raises(ValidationError):
            opportunity.replace_lines(lines, at=opportunity.updated_at)
        return
    after = opportunity.replace_lines(lines, at=opportunity.updated_at)
    back = roundtrip(after)
    assert after == back
    assert after.pending_events == back.pending_events
    assert str(after.amount.amount) == str(back.amount.amount)
    stored = roundtrip(after.without_pending_events())
    assert after.lines == stored.lines


@given(
    opportunities(max_lines=3, max_steps=4),
    st.lists(opportunity_lines(currencies=["IDR", "USD", "JPY"]), min_size=2, max_size=6),
)
def test_lines_in_several_currencies_are_refused_and_change_nothing(opportunity, lines):
    """Lines mixing currencies name the first line in another currency; the deal stays as it was."""
    first_other = next((i for i, x in enumerate(lines) if x.currency != lines[0].currency), None)
    if first_other is None or opportunity.is_won:
        return
    kept = state(opportunity)
    with pytest.raises(CurrencyMismatch) as caught:
        opportunity.replace_lines(lines, at=opportunity.updated_at)
    assert f"$.lines[{first_other}].unit_price" == caught.value.path
    assert kept == state(opportunity)


@given(crm.domain_events(types=[OpportunityLinesReplaced, OpportunityOpened]))
def test_generated_line_events_round_trip(event):
    """The strategies' line events read back equal (their lines are valid lines)."""
    assert event == roundtrip(event)
    if event.lines:
        assert Fraction(event.amount.amount) == sum(exact_net(x) for x in event.lines)


# -- the strategies' arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda: opportunity_lines(max_quantity=0), "$.max_quantity"),
        (lambda: opportunity_lines(currencies=[]), "$.currencies"),
        (lambda: opportunities(max_lines=51), "$.max_lines"),
        (lambda: opportunities(max_lines=-1), "$.max_lines"),
    ],
)
def test_strategy_arguments_are_checked(make, path):
    """Bounds out of range are refused eagerly, naming the argument."""
    with pytest.raises(ValidationError) as caught:
        make()
    assert path == caught.value.path


@given(opportunities(max_lines=0, max_steps=10))
def test_max_lines_zero_gives_deals_without_lines(opportunity):
    """``max_lines=0``: never a line, in the deal or its events."""
    assert () == opportunity.lines
    assert not any(getattr(e, "lines", ()) for e in opportunity.pending_events)


def test_lines_are_frozen_values():
    """A line is immutable and hashable like every value."""
    line = OpportunityLine(GRINDER, 1, rp(1))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        line.quantity = 2
    assert hash(line) == hash(OpportunityLine(GRINDER, 1, rp(1)))


def test_a_copied_line_works_out_its_amounts_again():
    """A line rebuilt without its constructor (pickled) computes gross and net as a new one."""
    line = OpportunityLine(GRINDER, 3, usd("19.99"), discount=usd("0.97"))
    copied = pickle.loads(pickle.dumps(line))  # noqa: S301 - our own bytes
    assert (line, usd("59.97"), usd("59.00")) == (copied, copied.gross, copied.net)

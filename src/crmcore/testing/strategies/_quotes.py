"""Strategies for quotes: tax rules and tables, quote lines and quotes built by their commands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from hypothesis import strategies as st

from crmcore._kernel._checks import check_name, instance_of, require_date, tuple_of
from crmcore._kernel._currencies import CURRENCIES
from crmcore._kernel._ids import CustomerId, OrderId, ProductId, QuoteId
from crmcore._kernel._money import Money
from crmcore.errors import ValidationError
from crmcore.quotes import (
    MAX_REVISIONS,
    PriceSource,
    Quote,
    QuoteLine,
    QuoteStatus,
    TaxRule,
    TaxTable,
    ppn_indonesia,
)
from crmcore.testing.strategies._base import (
    _as_drawn,
    _bool_arg,
    _currency_choices,
    _customer_choices,
    _id_texts,
    _int_arg,
    _later,
    _non_empty,
    _window,
)

#: The tax categories drawn by default (those of :func:`~crmcore.quotes.ppn_indonesia`).
DEFAULT_TAX_CATEGORIES: Final = ("standard", "luxury", "exempt")
#: Every drawn tax table's rules start on this day, so they cover every later day.
_TABLE_START: Final = date(1990, 1, 1)
_LATEST: Final = date(2150, 1, 1)
_OVERRIDE_REASONS: Final = (
    "price match with competitor",
    "strategic account",
    "harga khusus distributor",
    "approved by sales director",
)


def _categories_arg(value: object) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_TAX_CATEGORIES
    return _non_empty(tuple_of(value, "$.categories", check_name), "$.categories")


def _rates() -> st.SearchStrategy[Decimal]:
    # Whole hundredths of a percent, 0% to 100%, with the common rates favoured.
    common = st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.11"), Decimal("0.12")])
    return common | st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))


@st.composite
def _bases(draw: st.DrawFn) -> tuple[int, int]:
    if draw(st.booleans()):
        return 1, 1
    denominator = draw(st.integers(min_value=1, max_value=100))
    return draw(st.integers(min_value=1, max_value=denominator)), denominator


def tax_rules(
    *,
    categories: Iterable[str] | None = None,
    min_valid_from: date = _TABLE_START,
    max_valid_from: date = date(2099, 12, 31),
) -> st.SearchStrategy[TaxRule]:
    """Valid :class:`~crmcore.quotes.TaxRule` values (open-ended or with an end day).

    Args:
        categories: the tax categories drawn from (``standard``, ``luxury``,
            ``exempt`` by default).
        min_valid_from: the earliest first day.
        max_valid_from: the latest first day.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an empty or malformed ``categories``, crossed bounds.
    """
    pool = _categories_arg(categories)
    require_date(min_valid_from, "$.min_valid_from")
    require_date(max_valid_from, "$.max_valid_from")
    if max_valid_from < min_valid_from:
        raise ValidationError(
            "must not be before min_valid_from", path="$.max_valid_from", code="range"
        )
    return _rules(pool, min_valid_from, max_valid_from)


@st.composite
def _rules(draw: st.DrawFn, pool: tuple[str, ...], low: date, high: date) -> TaxRule:
    start = draw(st.dates(min_value=low, max_value=high))
    end = draw(st.none() | st.integers(min_value=1, max_value=20 * 366))
    numerator, denominator = draw(_bases())
    return TaxRule(
        draw(st.sampled_from(["vat", "gst", "ppn", "sales_tax", "reduced"])),
        draw(_rates()),
        category=draw(st.sampled_from(pool)),
        valid_from=start,
        valid_until=None if end is None else start + timedelta(days=end),
        base_numerator=numerator,
        base_denominator=denominator,
    )


def tax_tables(
    *,
    categories: Iterable[str] | None = None,
    max_periods: int = 3,
    ppn: bool = True,
) -> st.SearchStrategy[TaxTable]:
    """Valid :class:`~crmcore.quotes.TaxTable` values: every category rated on every day from 1990.

    Each category gets one to ``max_periods`` consecutive rules (the last
    open-ended), so no two overlap and :meth:`~crmcore.quotes.TaxTable.rule_for`
    finds a rule for each category on any day from 1990.

    Args:
        categories: the categories rated (``standard``, ``luxury``, ``exempt`` by default).
        max_periods: the most rules per category (1 to 10).
        ppn: ``False`` to leave :func:`~crmcore.quotes.ppn_indonesia` out (it is
            drawn too when ``categories`` is left as it is; it rates only from 2022).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an empty or malformed ``categories``, ``max_periods`` out of range.
    """
    pool = _categories_arg(categories)
    periods = _int_arg(max_periods, "$.max_periods", minimum=1, maximum=10)
    built = _tables(pool, periods)
    if _bool_arg(ppn, "$.ppn") and categories is None:
        return built | st.just(ppn_indonesia())
    return built


@st.composite
def _tables(draw: st.DrawFn, pool: tuple[str, ...], periods: int) -> TaxTable:
    rules: list[TaxRule] = []
    for category in pool:
        count = draw(st.integers(min_value=1, max_value=periods))
        days = sorted(
            draw(
                st.lists(
                    st.dates(min_value=date(1990, 1, 2), max_value=date(2120, 1, 1)),
                    min_size=count - 1,
                    max_size=count - 1,
                    unique=True,
                )
            )
        )
        starts = [_TABLE_START, *days]
        for index, start in enumerate(starts):
            numerator, denominator = draw(_bases())
            rules.append(
                TaxRule(
                    f"{category}_{index}",
                    draw(_rates()),
                    category=category,
                    valid_from=start,
                    valid_until=starts[index + 1] if index + 1 < len(starts) else None,
                    base_numerator=numerator,
                    base_denominator=denominator,
                )
            )
    order = draw(st.permutations(rules))
    return TaxTable(order)


def quote_lines(
    *,
    currencies: Iterable[str] | None = None,
    tax_categories: Iterable[str] | None = None,
    max_quantity: int = 1000,
    max_price_units: int = 10**7,
) -> st.SearchStrategy[QuoteLine]:
    """Valid :class:`~crmcore.quotes.QuoteLine` values: book-priced or overridden, with discounts.

    Args:
        currencies: ISO 4217 codes drawn from (every active code by default).
        tax_categories: the tax categories drawn from (``standard``,
            ``luxury``, ``exempt`` by default).
        max_quantity: the largest quantity (1 to 1,000,000).
        max_price_units: the largest unit price in minor units (0 to 10**12).

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: an unknown currency, an empty choice, a bound out of range.
    """
    codes = _currency_choices(currencies)
    pool = _categories_arg(tax_categories)
    top = _int_arg(max_quantity, "$.max_quantity", minimum=1, maximum=1_000_000)
    price_top = _int_arg(max_price_units, "$.max_price_units", maximum=10**12)
    return st.sampled_from(codes).flatmap(lambda code: _lines(code, pool, top, price_top))


@st.composite
def _lines(
    draw: st.DrawFn, code: str, pool: tuple[str, ...], top: int, price_top: int
) -> QuoteLine:
    digits = CURRENCIES[code][0]
    quantity = draw(st.integers(min_value=1, max_value=top))
    units = draw(st.integers(min_value=0, max_value=price_top))
    unit_price = Money(Decimal(units).scaleb(-digits), code)
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    percent: Decimal | None = None
    amount: Money | None = None
    if kind == "percent":
        percent = draw(
            st.sampled_from([Decimal(0), Decimal(5), Decimal("12.5"), Decimal(100)])
            | st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))
        )
    elif kind == "amount":
        off = draw(st.integers(min_value=0, max_value=units * quantity))
        amount = Money(Decimal(off).scaleb(-digits), code)
    override = draw(st.booleans())
    return QuoteLine(
        ProductId(draw(_id_texts("sku"))),
        quantity,
        unit_price,
        discount_percent=percent,
        discount=amount,
        tax_category=draw(st.sampled_from(pool)),
        category=draw(st.sampled_from(["hardware", "software", "services", "general"])),
        price_source=PriceSource.OVERRIDE if override else PriceSource.PRICE_BOOK,
        override_reason=draw(st.sampled_from(_OVERRIDE_REASONS)) if override else None,
    )


def quotes(
    *,
    customer_ids: Iterable[CustomerId] | None = None,
    currencies: Iterable[str] | None = None,
    tax_tables: Iterable[TaxTable] | None = None,
    max_lines: int = 4,
    max_steps: int = 4,
    tax_inclusive: bool | None = None,
    min_created_at: datetime | None = None,
    max_created_at: datetime | None = None,
    pending_events: bool = True,
) -> st.SearchStrategy[Quote]:
    """Valid :class:`~crmcore.quotes.Quote` aggregates built by their commands.

    Each is created, then goes through up to ``max_steps`` commands its
    status allows (edits of a draft, sending, acceptance, rejection, expiry,
    revision), at non-decreasing times.

    Args:
        customer_ids: the customers drawn from; any id by default.
        currencies: ISO 4217 codes drawn from (every active code by default).
        tax_tables: the tax tables drawn from; generated ones (every category
            rated from 1990) by default.
        max_lines: the most lines (0 to 20).
        max_steps: the most commands after creation (0 to 20).
        tax_inclusive: ``True`` or ``False`` to fix the tax treatment (drawn by default).
        min_created_at: the earliest creation time (aware; 2000 by default).
        max_created_at: the latest creation time (aware; 2099 by default).
        pending_events: ``False`` to draw quotes as a repository stores them.

    Raises:
        InvalidType: an argument of the wrong type.
        ValidationError: a bound out of range, crossed bounds, an empty choice.
    """
    customers = _customer_choices(customer_ids, "$.customer_ids")
    codes = _currency_choices(currencies)
    if tax_tables is None:
        tables = _tables(DEFAULT_TAX_CATEGORIES, 3)
    else:
        tables = st.sampled_from(
            _non_empty(
                tuple_of(tax_tables, "$.tax_tables", instance_of(TaxTable, "a TaxTable")),
                "$.tax_tables",
            )
        )
    inclusive = (
        st.booleans()
        if tax_inclusive is None
        else st.just(_bool_arg(tax_inclusive, "$.tax_inclusive"))
    )
    built = _quotes(
        customers,
        codes,
        tables,
        _int_arg(max_lines, "$.max_lines", maximum=20),
        _int_arg(max_steps, "$.max_steps", maximum=20),
        inclusive,
        _window(min_created_at, max_created_at),
    )
    return _as_drawn(built, pending_events)


_STEP: Final = st.integers(min_value=0, max_value=20 * 24 * 3600).map(
    lambda seconds: timedelta(seconds=seconds)
)


@st.composite
def _quotes(  # noqa: PLR0917 - the resolved options of quotes()
    draw: st.DrawFn,
    customers: st.SearchStrategy[CustomerId],
    codes: tuple[str, ...],
    tables: st.SearchStrategy[TaxTable],
    max_lines: int,
    max_steps: int,
    inclusive: st.SearchStrategy[bool],
    created: st.SearchStrategy[datetime],
) -> Quote:
    code = draw(st.sampled_from(codes))
    table = draw(tables)
    categories = tuple(sorted(table.categories))
    at = draw(created)
    day = at.date()
    covered = tuple(c for c in categories if _rated(table, c, day))
    line_strategy = _lines(code, covered or categories, 1000, 10**7)
    lines = draw(st.lists(line_strategy, max_size=max_lines if covered else 0))
    header = draw(st.sampled_from(["none", "percent", "amount"]))
    quote = Quote.create(
        QuoteId(draw(_id_texts("q"))),
        customer_id=draw(customers),
        currency=code,
        tax_table=table,
        valid_until=_later(at, timedelta(days=draw(st.integers(min_value=1, max_value=60)))),
        at=at,
        lines=lines,
        tax_inclusive=draw(inclusive),
        discount_percent=(
            draw(st.integers(min_value=0, max_value=100)) if header == "percent" else None
        ),
    )
    if header == "amount" and lines:
        room = sum(int(line.amount.amount.scaleb(line.amount.minor_unit)) for line in quote.lines)
        off = draw(st.integers(min_value=0, max_value=room))
        quote = quote.set_discount(
            at=at, amount=Money(Decimal(off).scaleb(-CURRENCIES[code][0]), code)
        )
    for _ in range(draw(st.integers(min_value=0, max_value=max_steps))):
        at = _later(at, draw(_STEP))
        quote = _step(draw, quote, at, line_strategy if covered else None)
    return quote


def _rated(table: TaxTable, category: str, day: date) -> bool:
    try:
        table.rule_for(category, day)
    except ValidationError:
        return False
    return True


def _step(  # noqa: PLR0911 - one return per command
    draw: st.DrawFn,
    quote: Quote,
    at: datetime,
    lines: st.SearchStrategy[QuoteLine] | None,
) -> Quote:
    status = quote.status
    valid = at < quote.valid_until
    if status is QuoteStatus.DRAFT:
        if lines is not None and draw(st.booleans()):
            chosen = draw(st.lists(lines, max_size=3))
            room = sum(line.amount.amount for line in chosen)
            if quote.discount is None or quote.discount.amount <= room:
                return quote.replace_lines(chosen, at=at)
        if quote.lines and valid:
            return quote.send(at=at)
        return quote.change_terms(at=at, valid_until=_later(at, timedelta(days=30)))
    if status is QuoteStatus.SENT:
        choice = draw(st.sampled_from(["accept", "reject", "revise", "expire"]))
        if choice == "accept" and valid:
            return quote.accept(order_id=OrderId(draw(_id_texts("o"))), at=at)
        if choice == "reject":
            return quote.reject(at=at)
        if choice == "expire" and not valid:
            return quote.expire(at=at)
    if status is not QuoteStatus.ACCEPTED and quote.revision < MAX_REVISIONS:
        return quote.revise(at=at, valid_until=_later(at, timedelta(days=30)))
    return quote

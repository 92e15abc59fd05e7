"""Purchase behaviour: repeat-purchase rate, average order value, purchase frequency, top products.

Orders are ``(customer_id, at, amount)`` tuples or objects with those
attributes (``amount`` is :class:`~crmcore.Money`, all in one currency). For
product counts an order also needs lines: the tuple's fourth item or the
``lines`` attribute, each ``(product_id, category, quantity)`` or an object
with those attributes.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, Final, Literal, overload

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import ProductId, require_id
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import (
    OrderRow,
    amount_currency_code,
    fields_of,
    read_lines,
    read_order_times,
    read_orders,
    require_iterable,
    single_currency,
)
from crmcore.analytics._currency import check_tz, convert_at, day_of, reporting_currency
from crmcore.analytics._profitability import ProductMargin, profitability
from crmcore.catalog import Product
from crmcore.commerce import Order
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.exchange import RateTable
from crmcore.segmentation import ClvTier, tiers_by_percentile


@attrs.frozen(slots=True)
class PurchaseSummary(Checked, Tabular):
    """Purchase measures over a set of orders.

    Attributes:
        orders: how many orders.
        customers: how many distinct customers ordered.
        repeat_customers: how many ordered at least twice.
        revenue: the orders' total (``None`` without orders).
        average_order_value: ``revenue / orders``, unrounded (``None`` without orders).
        purchase_frequency: ``orders / customers`` (``None`` without orders).
        repeat_purchase_rate: ``repeat_customers / customers`` (``None`` without orders).
    """

    orders: int
    customers: int
    repeat_customers: int
    revenue: Money | None
    average_order_value: Money | None
    purchase_frequency: float | None
    repeat_purchase_rate: float | None


def purchase_summary(
    orders: Iterable[object],
    *,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
    amount_currency: str | None = None,
) -> PurchaseSummary:
    """Every purchase measure in one pass, optionally in one corporate currency.

    With ``currency``, each order's amount is converted into it at the rate
    ``rates`` (a :class:`crmcore.exchange.RateTable`) give for the order's
    calendar day in ``tz``, rounded to the minor unit, before anything is
    added up; an amount already in ``currency`` is taken as it is, so
    ``rates`` are needed only for the others. Without ``currency`` the orders
    must all be in one currency, as before.

    Amounts are Money, or plain numbers (Decimals, ints, numeric strings,
    floats at their shortest decimal representation, numpy scalars: a
    DataFrame's rows) read as amounts in ``amount_currency``, which they
    then need; one call takes one kind, never both.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> t = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> orders = [
    ...     ("a", t, Money("10", "USD")),
    ...     ("a", t, Money("20", "USD")),
    ...     ("b", t, Money("30", "USD")),
    ... ]
    >>> s = purchase_summary(orders)
    >>> s.average_order_value, s.purchase_frequency, s.repeat_purchase_rate
    (Money('20', 'USD'), 1.5, 0.5)
    >>> purchase_summary([]).average_order_value is None
    True

    Orders in two currencies, reported in US dollars at each order's day:

    >>> from datetime import date
    >>> from crmcore.exchange import ExchangeRate, RateTable
    >>> rates = RateTable([ExchangeRate("USD", "IDR", "16000", valid_from=date(2026, 1, 1))])
    >>> mixed = [("a", t, Money("10", "USD")), ("b", t, Money("480000", "IDR"))]
    >>> purchase_summary(mixed, currency="USD", rates=rates).revenue
    Money('40.00', 'USD')

    Plain numbers, in the currency named for them:

    >>> purchase_summary([("a", t, 10.5), ("b", t, 2)], amount_currency="EUR").revenue
    Money('12.5', 'EUR')

    Raises:
        CurrencyMismatch: orders in more than one currency without
            ``currency``, an order to convert without ``rates``, or Money
            and plain-number amounts mixed (``$.orders[i].amount``).
        ValidationError: no rate for an order's day (``$.orders[i].amount.on``,
            code ``no_rate``), an unknown ``currency``, plain-number amounts
            without ``amount_currency`` (``$.amount_currency``, code
            ``required``), a NaN or infinite amount (``not_finite``); InvalidType for
            ``rates`` that are not a RateTable or a ``tz`` that is no tzinfo.
    """
    code, table = reporting_currency(currency, rates)
    rows = read_orders(orders, currency=amount_currency_code(amount_currency))
    return summarize_rows(rows, code, table, check_tz(tz))


def summarize_rows(
    rows: list[OrderRow], currency: str | None, rates: RateTable | None, tz: tzinfo
) -> PurchaseSummary:
    """:func:`purchase_summary` of orders already read (their positions name them in errors)."""
    if currency is not None:
        rows = [
            row._replace(
                amount=convert_at(
                    row.amount,
                    currency,
                    on=day_of(row.at, tz, f"$.orders[{row.position}].at"),
                    rates=rates,
                    path=f"$.orders[{row.position}].amount",
                )
            )
            for row in rows
        ]
    found = single_currency(rows)
    counts: dict[Hashable, int] = {}
    total = Decimal(0)
    for row in rows:
        counts[row.customer_id] = counts.get(row.customer_id, 0) + 1
        total += row.amount.amount
    n_orders, n_customers = len(rows), len(counts)
    repeat = sum(1 for n in counts.values() if n >= 2)
    revenue = Money(total, found) if found is not None else None
    return PurchaseSummary(
        orders=n_orders,
        customers=n_customers,
        repeat_customers=repeat,
        revenue=revenue,
        average_order_value=revenue / n_orders if revenue is not None else None,
        purchase_frequency=n_orders / n_customers if n_customers else None,
        repeat_purchase_rate=repeat / n_customers if n_customers else None,
    )


def _orders_per_customer(orders: Iterable[object]) -> dict[Hashable, int]:
    """How many orders each customer placed; amounts checked, not used (need no currency)."""
    counts: dict[Hashable, int] = {}
    for row in read_order_times(orders, one_currency=True):
        counts[row.customer_id] = counts.get(row.customer_id, 0) + 1
    return counts


def repeat_purchase_rate(orders: Iterable[object]) -> float | None:
    """The share of customers who ordered at least twice (``None`` without orders).

    Amounts are not used: Money (of one currency) or plain numbers, which need
    no currency.
    """
    counts = _orders_per_customer(orders)
    return sum(1 for n in counts.values() if n >= 2) / len(counts) if counts else None


def average_order_value(
    orders: Iterable[object],
    *,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
    amount_currency: str | None = None,
) -> Money | None:
    """Revenue per order, unrounded (``None`` without orders; ``.rounded()`` to display).

    ``currency``, ``rates`` and ``tz`` report it in one currency, and
    ``amount_currency`` names the currency of plain-number amounts, as for
    :func:`purchase_summary`.
    """
    return purchase_summary(
        orders, currency=currency, rates=rates, tz=tz, amount_currency=amount_currency
    ).average_order_value


def purchase_frequency(orders: Iterable[object]) -> float | None:
    """Orders per ordering customer (``None`` without orders).

    Amounts are not used: Money (of one currency) or plain numbers, which need
    no currency.
    """
    counts = _orders_per_customer(orders)
    return sum(counts.values()) / len(counts) if counts else None


@attrs.frozen(slots=True)
class ProductCount(Checked, Tabular):
    """How much of one product was bought.

    Attributes:
        product_id: the product.
        category: its category (the first one seen), if any.
        quantity: units bought.
        orders: orders holding it.
        customers: distinct customers who bought it.
    """

    product_id: Hashable
    category: str | None
    quantity: int
    orders: int
    customers: int


def _limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.limit")
    if value < 1:
        raise ValidationError("must be at least 1", path="$.limit", code="out_of_range")
    return value


def top_products(
    orders: Iterable[object], *, customers: Collection[Hashable] | None = None, limit: int = 10
) -> tuple[ProductCount, ...]:
    """The products bought in the largest quantities, optionally by some customers only.

    Ties are broken by the number of customers, then by the product id's text.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> t, usd = datetime(2026, 1, 5, tzinfo=timezone.utc), Money("9", "USD")
    >>> orders = [
    ...     ("a", t, usd, [("tea", "drinks", 3), ("cake", None, 1)]),
    ...     ("b", t, usd, [("cake", None, 2)]),
    ... ]
    >>> [(p.product_id, p.quantity, p.customers) for p in top_products(orders)]
    [('cake', 3, 2), ('tea', 3, 1)]
    """
    wanted = (
        None
        if customers is None
        else frozenset(
            require_id(customer, f"$.customers[{index}]")
            for index, customer in enumerate(require_iterable(customers, "$.customers"))
        )
    )
    most = _limit(limit)
    quantity: dict[Hashable, int] = {}
    in_orders: dict[Hashable, int] = {}
    buyers: dict[Hashable, set[Hashable]] = {}
    category: dict[Hashable, str | None] = {}
    for index, record in enumerate(require_iterable(orders, "$.orders")):
        path = f"$.orders[{index}]"
        (customer_id,) = fields_of(record, ("customer_id",), path)
        require_id(customer_id, f"{path}.customer_id")
        if wanted is not None and customer_id not in wanted:
            continue
        seen: set[Hashable] = set()
        for line in read_lines(record, path):
            product = line.product_id
            quantity[product] = quantity.get(product, 0) + line.quantity
            category.setdefault(product, line.category)
            buyers.setdefault(product, set()).add(customer_id)
            if product not in seen:
                in_orders[product] = in_orders.get(product, 0) + 1
                seen.add(product)
    ranked = sorted(quantity, key=lambda p: (-quantity[p], -len(buyers[p]), str(p)))
    return tuple(
        ProductCount(p, category[p], quantity[p], in_orders[p], len(buyers[p]))
        for p in ranked[:most]
    )


#: What :func:`top_clv_products` ranks by.
ProductRanking = Literal["quantity", "revenue", "margin"]
_RANKINGS: Final = ("quantity", "revenue", "margin")


def _ranking(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.by")
    if value not in _RANKINGS:
        raise ValidationError(
            "must be 'quantity', 'revenue' or 'margin'", path="$.by", code="choice"
        )
    return value


@overload
def top_clv_products(
    orders: Iterable[object],
    clv: Mapping[Hashable, object],
    *,
    top_percent: int | Decimal = 20,
    limit: int = 10,
    by: Literal["quantity"] = "quantity",
) -> tuple[ProductCount, ...]: ...


@overload
def top_clv_products(
    orders: Iterable[Order],
    clv: Mapping[Hashable, object],
    *,
    top_percent: int | Decimal = 20,
    limit: int = 10,
    by: Literal["revenue", "margin"],
    products: Iterable[Product] | Mapping[ProductId, Product] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> tuple[ProductMargin, ...]: ...


def top_clv_products(
    orders: Iterable[Any],
    clv: Mapping[Hashable, object],
    *,
    top_percent: int | Decimal = 20,
    limit: int = 10,
    by: ProductRanking = "quantity",
    products: Iterable[Product] | Mapping[ProductId, Product] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> tuple[ProductCount, ...] | tuple[ProductMargin, ...]:
    """The products the top-CLV customers (the top ``top_percent`` by CLV) buy most, or earn most on.

    ``clv`` maps customer ids to their value (Money, numbers or model
    floats). Customers with equal CLV are kept together, so the top group may
    be slightly larger than the percent.

    ``by="quantity"`` (the default) ranks by units bought, as
    :func:`top_products` does, from any order records. ``by="revenue"`` and
    ``by="margin"`` rank the :class:`ProductMargin` rows of
    :func:`profitability` over those customers' orders (which must be
    :class:`crmcore.commerce.Order` aggregates), with the catalog
    ``products`` giving the standard costs, and the window, currency and
    rates as there: highest revenue (then margin) first, or highest margin
    first with the products of unknown margin last (by revenue among
    themselves). The rows must be in one currency: pass ``currency`` and
    ``rates`` for orders in several.

    Raises:
        ValidationError: an unknown ``by`` (``$.by``), keywords that only
            ranking by revenue or margin uses given with ``by="quantity"``
            (code ``unused``), or what :func:`profitability` refuses.
        CurrencyMismatch: the rows are in several currencies (``$.currency``).
    """
    ranking = _ranking(by)
    tiers = tiers_by_percentile(clv, low_percent=0, high_percent=top_percent)
    top = frozenset(key for key, tier in tiers.items() if tier is ClvTier.HIGH)
    if ranking == "quantity":
        for name, value in (
            ("products", products),
            ("since", since),
            ("until", until),
            ("currency", currency),
            ("rates", rates),
        ):
            if value is not None:
                raise ValidationError(
                    "is used only to rank by revenue or margin", path=f"$.{name}", code="unused"
                )
        return top_products(orders, customers=top, limit=limit)
    most = _limit(limit)
    rows = profitability(
        orders,
        () if products is None else products,
        since=since,
        until=until,
        customers=top,
        currency=currency,
        rates=rates,
        tz=tz,
    ).products
    codes = sorted({row.currency for row in rows})
    if len(codes) > 1:
        raise CurrencyMismatch(
            f"must be given to rank products sold in {', '.join(codes)} together (with rates)",
            path="$.currency",
        )
    if ranking == "revenue":
        # Ranked by margin already (see profitability); a stable sort keeps that order
        # among equal revenues.
        rows = tuple(sorted(rows, key=lambda row: -row.revenue.amount))
    return rows[:most]

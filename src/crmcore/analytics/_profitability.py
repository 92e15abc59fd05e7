"""Product profitability: margin per product, per product family and per customer over a period.

The figures come from :class:`crmcore.commerce.Order` aggregates and the
standard costs of :class:`crmcore.catalog.Product` values:

- **Which orders count.** Purchases only (:attr:`Order.is_purchase
  <crmcore.commerce.Order.is_purchase>`: not cancelled, not refunded in
  full), placed (:attr:`Order.at <crmcore.commerce.Order.at>`) at or after
  ``since`` and before ``until``; optionally only the orders of some
  ``customers``. Every return an order records counts, whenever it happened:
  the figures describe the sales of the period as they stand.
- **Units.** ``units_sold`` is the lines' quantity, ``units_returned`` what
  the order's returns took back (never more than was sold, as the order
  guarantees), so the units kept are never negative.
- **Revenue** is each line's ``net`` (quantity times unit price less the
  line discount; tax is never part of it) less the net of its returned
  units. The returned share follows the rule the order refunds by
  (:meth:`Order.return_items <crmcore.commerce.Order.return_items>`, which
  applies it to what the line charged, tax included), applied to the net:
  ``net * returned / quantity`` rounded down to the minor unit, so a line
  returned in full gives back exactly its net and a partial return never
  gives back more than the units' share. It is taken whatever money was actually
  refunded for the return (an exchange refunds nothing, an agreed amount may
  differ); refunds not tied to returned units (goodwill, a partial refund)
  are not attributed to products and are left out.
- **Cost** is the product's standard cost times the units kept. A product
  without a standard cost, or missing from ``products``, has no cost: its
  cost, margin and margin rate are ``None`` (never a silent zero), and so
  are those of every family and customer it is part of;
  :attr:`Profitability.uncosted_products` and
  :attr:`Profitability.unknown_products` list them.
- **Margin** is revenue less cost; the **margin rate** is margin over
  revenue (``None`` for zero revenue).
- **Currencies.** Without ``currency`` each currency of the orders gets its
  own figures (a product sold in IDR and USD has a row for each). With
  ``currency`` and ``rates`` (a :class:`crmcore.exchange.RateTable`) every
  line's revenue and cost is converted at the rate of its order's calendar
  day in ``tz``, rounded to the minor unit, before anything is added up. A
  standard cost in another currency than the figures it joins is converted
  the same way (and needs ``rates``).

Every figure is computed once per order line, and the products, families,
customers and per-currency totals add up the same line figures, so the
per-family and per-customer sums equal the per-product sums exactly.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from crmcore._kernel._checks import require_type, time_window, type_name
from crmcore._kernel._fields import Checked, check_fields
from crmcore._kernel._ids import CustomerId, ProductId, require_id
from crmcore._kernel._money import Money, currency
from crmcore._kernel._numbers import Tabular, record_columns
from crmcore._kernel._records import require_iterable
from crmcore.analytics._currency import check_tz, convert_at, day_of, reporting_currency
from crmcore.catalog import Product
from crmcore.commerce import Order
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.exchange import RateTable

#: The rounding of a returned units' share of their line's net (as the order refunds it).
_RETURN_ROUNDING: Final = "ROUND_DOWN"

K = TypeVar("K")
T = TypeVar("T")


# -- results ---------------------------------------------------------------------------------


def _code(value: object) -> str:
    try:
        return currency(value).code  # type: ignore[arg-type]  # currency() checks it
    except ValidationError as exc:
        raise exc.under("$.currency") from None


def _optional_code(value: object) -> str | None:
    return None if value is None else _code(value)


@attrs.frozen(slots=True, kw_only=True)
class MarginFigures(Checked, Tabular):
    """What a set of order lines adds up to, in one currency.

    Attributes:
        currency: the currency of every amount.
        units_sold: units ordered.
        units_returned: units sent back (at most ``units_sold``).
        revenue: the lines' net (excluding tax) less the net of the returned units.
        cost: standard cost of the units kept; ``None`` when a product among
            them has no standard cost (or is not in the catalog given).
        orders: distinct orders holding the lines.
        customers: distinct customers who placed them.
    """

    currency: str = attrs.field(converter=_code)
    units_sold: int
    units_returned: int
    revenue: Money
    cost: Money | None
    orders: int
    customers: int

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        for name in ("units_sold", "units_returned", "orders", "customers"):
            if getattr(self, name) < 0:
                raise ValidationError("must not be negative", path=f"$.{name}", code="negative")
        if self.units_returned > self.units_sold:
            raise ValidationError(
                "must not exceed units_sold", path="$.units_returned", code="out_of_range"
            )
        if self.revenue.currency != self.currency:
            raise CurrencyMismatch("must be in the figures' currency", path="$.revenue")
        if self.cost is not None and self.cost.currency != self.currency:
            raise CurrencyMismatch("must be in the figures' currency", path="$.cost")

    @property
    def units(self) -> int:
        """Units kept: sold less returned (never negative)."""
        return self.units_sold - self.units_returned

    @property
    def margin(self) -> Money | None:
        """Revenue less cost (``None`` when the cost is unknown)."""
        return None if self.cost is None else self.revenue - self.cost

    @property
    def margin_rate(self) -> float | None:
        """Margin over revenue (``None`` when the cost is unknown or the revenue is zero)."""
        margin = self.margin
        if margin is None or self.revenue.is_zero():
            return None
        return float(margin.ratio(self.revenue))


@attrs.frozen(slots=True, kw_only=True)
class ProductMargin(MarginFigures):
    """The figures of one product in one currency (see :class:`MarginFigures`).

    Attributes:
        product_id: the product.
        family: its family in the catalog (``None``: none, or not in the catalog).
    """

    product_id: ProductId
    family: str | None


@attrs.frozen(slots=True, kw_only=True)
class FamilyMargin(MarginFigures):
    """The figures of one product family in one currency (see :class:`MarginFigures`).

    Attributes:
        family: the family (``None`` gathers the products without one).
        products: distinct products of the family sold.
    """

    family: str | None
    products: int


@attrs.frozen(slots=True, kw_only=True)
class CustomerMargin(MarginFigures):
    """The figures of one customer's purchases in one currency (see :class:`MarginFigures`).

    Attributes:
        customer_id: the customer.
        products: distinct products the customer bought.
    """

    customer_id: CustomerId
    products: int


def _rows(value: object, cls: type[T], path: str) -> tuple[T, ...]:
    # No limit on the count: a report may hold every customer of a large business.
    rows = tuple(require_iterable(value, path))
    for index, row in enumerate(rows):
        require_type(row, cls, f"{path}[{index}]", f"a {cls.__name__}")
    return rows


def _product_rows(value: object) -> tuple[ProductMargin, ...]:
    return _rows(value, ProductMargin, "$.products")


def _family_rows(value: object) -> tuple[FamilyMargin, ...]:
    return _rows(value, FamilyMargin, "$.families")


def _customer_rows(value: object) -> tuple[CustomerMargin, ...]:
    return _rows(value, CustomerMargin, "$.customers")


def _total_rows(value: object) -> tuple[MarginFigures, ...]:
    return _rows(value, MarginFigures, "$.totals")


def _product_ids(value: object) -> tuple[ProductId, ...]:
    ids = tuple(require_iterable(value, "$.products"))
    for index, item in enumerate(ids):
        if type(item) is not ProductId:
            raise InvalidType(
                f"must be a ProductId, not {type_name(item)}", path=f"$.products[{index}]"
            )
    return ids


@attrs.frozen(slots=True, kw_only=True)
class Profitability(Checked, Tabular):
    """Margins per product, per family and per customer, and the totals per currency.

    Each tuple is sorted by currency, then by margin (highest first; unknown
    margins last), revenue (highest first) and the key's text.

    Attributes:
        currency: the reporting currency asked for (``None``: each currency apart).
        products: one :class:`ProductMargin` per product and currency.
        families: one :class:`FamilyMargin` per family and currency.
        customers: one :class:`CustomerMargin` per customer and currency.
        totals: one :class:`MarginFigures` per currency: every counted line.
        uncosted_products: products sold that have no standard cost, by id text.
        unknown_products: products sold that are not in the catalog given, by id text.
    """

    currency: str | None = attrs.field(converter=_optional_code)
    products: tuple[ProductMargin, ...] = attrs.field(converter=_product_rows)
    families: tuple[FamilyMargin, ...] = attrs.field(converter=_family_rows)
    customers: tuple[CustomerMargin, ...] = attrs.field(converter=_customer_rows)
    totals: tuple[MarginFigures, ...] = attrs.field(converter=_total_rows)
    uncosted_products: tuple[ProductId, ...] = attrs.field(converter=_product_ids)
    unknown_products: tuple[ProductId, ...] = attrs.field(converter=_product_ids)

    def to_columns(self, level: str = "products") -> dict[str, list[Any]]:
        """One of the tables as columns, every figure plus ``margin`` and ``margin_rate``.

        ``level`` is ``"products"`` (the default), ``"families"``, ``"customers"``
        or ``"totals"``.
        """
        classes: dict[str, type[MarginFigures]] = {
            "products": ProductMargin,
            "families": FamilyMargin,
            "customers": CustomerMargin,
            "totals": MarginFigures,
        }
        if not isinstance(level, str):
            raise InvalidType(f"must be a str, not {type_name(level)}", path="$.level")
        cls = classes.get(level)
        if cls is None:
            raise ValidationError(
                "must be 'products', 'families', 'customers' or 'totals'",
                path="$.level",
                code="choice",
            )
        rows: tuple[MarginFigures, ...] = getattr(self, level)
        columns = record_columns(rows, cls)
        columns["margin"] = [
            None if row.margin is None else float(row.margin.amount) for row in rows
        ]
        columns["margin_rate"] = [row.margin_rate for row in rows]
        return columns


# -- reading the inputs ----------------------------------------------------------------------


def _catalog(products: object) -> dict[ProductId, Product]:
    found: dict[ProductId, Product] = {}
    if isinstance(products, Mapping):
        items: Iterable[tuple[object, object]] = products.items()
    else:
        items = ((None, item) for item in require_iterable(products, "$.products"))
    for index, (key, item) in enumerate(items):
        path = f"$.products[{index}]"
        product = require_type(item, Product, path, "a crmcore.catalog.Product")
        if key is not None and key != product.id:
            raise ValidationError(
                "must be filed under its own id", path=f"{path}.id", code="key_mismatch"
            )
        if product.id in found:
            raise ValidationError("must not repeat a product", path=f"{path}.id", code="duplicate")
        found[product.id] = product
    return found


def _customers(values: object) -> frozenset[Hashable] | None:
    if values is None:
        return None
    return frozenset(
        require_id(value, f"$.customers[{index}]")
        for index, value in enumerate(require_iterable(values, "$.customers"))
    )


# -- adding up -------------------------------------------------------------------------------


class _Tally:
    """A running sum of line figures (mutable, private to one computation)."""

    __slots__ = ("cost", "costed", "customers", "orders", "products", "revenue", "sold", "taken")

    def __init__(self, currency: str) -> None:
        self.sold = 0
        self.taken = 0
        self.revenue = Money.zero(currency)
        self.cost = Money.zero(currency)
        self.costed = True
        self.orders: set[int] = set()
        self.customers: set[CustomerId] = set()
        self.products: set[ProductId] = set()

    def add(self, line: _Line) -> None:
        self.sold += line.sold
        self.taken += line.taken
        self.revenue += line.revenue
        if line.cost is None:
            self.costed = False
        else:
            self.cost += line.cost
        self.orders.add(line.order)
        self.customers.add(line.customer_id)
        self.products.add(line.product_id)

    def figures(self) -> dict[str, Any]:
        return {
            "currency": self.revenue.currency,
            "units_sold": self.sold,
            "units_returned": self.taken,
            "revenue": self.revenue,
            "cost": self.cost if self.costed else None,
            "orders": len(self.orders),
            "customers": len(self.customers),
        }


@attrs.frozen(slots=True)
class _Line:
    """The figures of one order line, in the currency they are reported in."""

    order: int  # the order's position in the input
    customer_id: CustomerId
    product_id: ProductId
    sold: int
    taken: int
    revenue: Money
    cost: Money | None


def _returned(order: Order) -> list[int]:
    taken = [0] * len(order.lines)
    for item in order.returns:
        for part in item.lines:
            taken[part.line] += part.quantity
    return taken


class _Reader:
    """Turns the counted orders into line figures."""

    def __init__(
        self,
        catalog: dict[ProductId, Product],
        positions: dict[ProductId, int],
        currency: str | None,
        rates: RateTable | None,
        tz: tzinfo,
    ) -> None:
        self.catalog = catalog
        self.positions = positions
        self.currency = currency
        self.rates = rates
        self.tz = tz

    def lines(self, order: Order, index: int) -> Iterable[_Line]:
        path = f"$.orders[{index}]"
        day = day_of(order.at, self.tz, f"{path}.at")
        target = order.currency if self.currency is None else self.currency
        taken = _returned(order)
        for number, line in enumerate(order.lines):
            where = f"{path}.lines[{number}]"
            back = taken[number]
            revenue = line.net
            if back:
                # The order's own refund share (Order.return_items): rounded down, so a
                # line returned in full gives back exactly its net.
                share = (line.net * back / line.quantity).rounded(_RETURN_ROUNDING)
                revenue = revenue - share
            revenue = convert_at(revenue, target, on=day, rates=self.rates, path=where)
            product = self.catalog.get(line.product_id)
            cost: Money | None = None
            if product is not None and product.standard_cost is not None:
                unit_cost = product.standard_cost
                if unit_cost.currency != target and self.rates is None:
                    raise CurrencyMismatch(
                        f"is in {unit_cost.currency} but sold in {target}: "
                        "pass rates= to convert it",
                        path=f"$.products[{self.positions[line.product_id]}].standard_cost",
                    )
                cost = convert_at(
                    unit_cost * (line.quantity - back), target, on=day, rates=self.rates, path=where
                )
            yield _Line(
                index, order.customer_id, line.product_id, line.quantity, back, revenue, cost
            )


def _tally(tallies: dict[K, _Tally], key: K, currency: str) -> _Tally:
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = _Tally(currency)
    return tally


def _sort_key(figures: MarginFigures, key: object) -> tuple[object, ...]:
    margin = figures.margin
    return (
        figures.currency,
        margin is None,
        Decimal(0) if margin is None else -margin.amount,
        -figures.revenue.amount,
        key is None,
        "" if key is None else str(key),
    )


def profitability(
    orders: Iterable[Order],
    products: Iterable[Product] | Mapping[ProductId, Product],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    customers: Collection[Hashable] | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> Profitability:
    """Margins per product, family and customer of ``orders`` (see the module documentation).

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> from crmcore.catalog import Product, ProductId
    >>> from crmcore.commerce import Order, OrderId, OrderLine
    >>> from crmcore.customers import CustomerId
    >>> at = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
    >>> tea = Product.create(
    ...     ProductId("tea"),
    ...     sku="TEA-1",
    ...     name="Tea",
    ...     family="drinks",
    ...     standard_cost=Money("4.00", "USD"),
    ...     at=at,
    ... )
    >>> order = Order.place(
    ...     OrderId("o-1"),
    ...     customer_id=CustomerId("ana"),
    ...     lines=[OrderLine(ProductId("tea"), 3, Money("10.00", "USD"), category="tea")],
    ...     at=at,
    ... )
    >>> (row,) = profitability([order], [tea]).products
    >>> row.units, row.revenue, row.cost, row.margin, row.margin_rate
    (3, Money('30.00', 'USD'), Money('12.00', 'USD'), Money('18.00', 'USD'), 0.6)

    Args:
        orders: :class:`crmcore.commerce.Order` aggregates of any customers.
        products: the catalog: :class:`crmcore.catalog.Product` values, or a
            mapping of product id to product.
        since: count orders placed at or after this time (inclusive).
        until: count orders placed before this time (exclusive).
        customers: count only the orders of these customers.
        currency: report every figure in this currency (needs ``rates`` for
            anything in another one); each currency apart by default.
        rates: a :class:`crmcore.exchange.RateTable` converting at each order's day.
        tz: the timezone of an order's calendar day (UTC by default).

    Raises:
        InvalidType: an order is not an Order (``$.orders[i]``), a product not
            a Product (``$.products[i]``), or another argument of the wrong type.
        ValidationError: a naive time, ``since`` after ``until``, a product
            listed twice or filed under another id (``$.products[i].id``), a
            conversion the rates cannot make (code ``no_rate``, under
            ``$.orders[i].lines[j]``).
        CurrencyMismatch: figures to convert without ``rates`` (a line of
            ``$.orders[i]``, or ``$.products[i].standard_cost``).
    """
    catalog = _catalog(products)
    positions = {product_id: index for index, product_id in enumerate(catalog)}
    start, end = time_window(since, until)
    wanted = _customers(customers)
    code, table = reporting_currency(currency, rates)
    reader = _Reader(catalog, positions, code, table, check_tz(tz))

    by_product: dict[tuple[str, ProductId], _Tally] = {}
    by_family: dict[tuple[str, str | None], _Tally] = {}
    by_customer: dict[tuple[str, CustomerId], _Tally] = {}
    totals: dict[str, _Tally] = {}
    for index, item in enumerate(require_iterable(orders, "$.orders")):
        order = require_type(item, Order, f"$.orders[{index}]", "a crmcore.commerce.Order")
        if not order.is_purchase:
            continue
        placed = order.at
        if (start is not None and placed < start) or (end is not None and placed >= end):
            continue
        if wanted is not None and order.customer_id not in wanted:
            continue
        for line in reader.lines(order, index):
            money = line.revenue.currency
            product = catalog.get(line.product_id)
            family = None if product is None else product.family
            _tally(by_product, (money, line.product_id), money).add(line)
            _tally(by_family, (money, family), money).add(line)
            _tally(by_customer, (money, line.customer_id), money).add(line)
            _tally(totals, money, money).add(line)

    product_rows = [
        ProductMargin(
            product_id=product_id,
            family=None if product_id not in catalog else catalog[product_id].family,
            **tally.figures(),
        )
        for (_, product_id), tally in by_product.items()
    ]
    family_rows = [
        FamilyMargin(family=family, products=len(tally.products), **tally.figures())
        for (_, family), tally in by_family.items()
    ]
    customer_rows = [
        CustomerMargin(customer_id=customer_id, products=len(tally.products), **tally.figures())
        for (_, customer_id), tally in by_customer.items()
    ]
    sold = {product_id for _, product_id in by_product}
    return Profitability(
        currency=code,
        products=sorted(product_rows, key=lambda r: _sort_key(r, r.product_id.value)),
        families=sorted(family_rows, key=lambda r: _sort_key(r, r.family)),
        customers=sorted(customer_rows, key=lambda r: _sort_key(r, r.customer_id.value)),
        totals=[MarginFigures(**totals[money].figures()) for money in sorted(totals)],
        uncosted_products=sorted(
            (p for p in sold if p in catalog and catalog[p].standard_cost is None),
            key=lambda p: p.value,
        ),
        unknown_products=sorted((p for p in sold if p not in catalog), key=lambda p: p.value),
    )


def product_margins(
    orders: Iterable[Order],
    products: Iterable[Product] | Mapping[ProductId, Product],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    customers: Collection[Hashable] | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> tuple[ProductMargin, ...]:
    """The margin of each product: :attr:`Profitability.products` of :func:`profitability`."""
    return profitability(
        orders,
        products,
        since=since,
        until=until,
        customers=customers,
        currency=currency,
        rates=rates,
        tz=tz,
    ).products


def family_margins(
    orders: Iterable[Order],
    products: Iterable[Product] | Mapping[ProductId, Product],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    customers: Collection[Hashable] | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> tuple[FamilyMargin, ...]:
    """The margin of each product family: :attr:`Profitability.families` of :func:`profitability`."""
    return profitability(
        orders,
        products,
        since=since,
        until=until,
        customers=customers,
        currency=currency,
        rates=rates,
        tz=tz,
    ).families


def customer_margins(
    orders: Iterable[Order],
    products: Iterable[Product] | Mapping[ProductId, Product],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    customers: Collection[Hashable] | None = None,
    currency: str | None = None,
    rates: RateTable | None = None,
    tz: tzinfo = UTC,
) -> tuple[CustomerMargin, ...]:
    """The margin of each customer: :attr:`Profitability.customers` of :func:`profitability`."""
    return profitability(
        orders,
        products,
        since=since,
        until=until,
        customers=customers,
        currency=currency,
        rates=rates,
        tz=tz,
    ).customers

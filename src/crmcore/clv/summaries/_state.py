"""Calendar periods and the mergeable per-customer state behind the transaction summaries.

A customer's state is, for every calendar period in which they transacted, the
sum of that period's purchases (amounts >= 0; none if it had no purchase) and
the sum of its refunds (negative amounts). That is a sufficient statistic for
every summary field, and it merges by adding per period, so states of disjoint
transaction sets combine into the state of their union in any order and
grouping.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, Protocol, TypeAlias
from uuid import UUID

import attrs
from dateutil.relativedelta import relativedelta

from crmcore._kernel._checks import MAX_INT, require_aware, type_name
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import bounds_check, statistic_decimal
from crmcore._kernel._time import TimeUnit, time_unit
from crmcore.clv.summaries._table import (
    PERIODS,
    CustomerSummary,
    SummaryRow,
    SummaryTable,
    new_summary,
)
from crmcore.customers import CustomerId
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

if TYPE_CHECKING:
    from crmcore.clv.summaries._columnar import RowReport

#: An amount as transactions may carry it: exact numbers, Money, or a float (or numpy
#: scalar) read at its shortest decimal representation (statistics need no exact money).
Amount: TypeAlias = Decimal | int | str | float | Money

#: How ``calibration_end`` splits transactions between calibration and holdout
#: (see :func:`crmcore.clv.summarize`).
CalibrationCut: TypeAlias = Literal["instant", "period", "lifetimes"]
CALIBRATION_CUTS: Final[tuple[CalibrationCut, ...]] = ("instant", "period", "lifetimes")

_EPOCH: Final = date(1970, 1, 1)
_EPOCH_ORDINAL: Final = _EPOCH.toordinal()
# 1970-01-01 is a Thursday; weeks start on Monday, so day index d lies in week (d + 3) // 7.
_WEEK_SHIFT: Final = _EPOCH_ORDINAL - 3
_EPOCH_MONTH: Final = 1970 * 12 + 1
_ZERO: Final = Decimal(0)
# Floats taken on the fast path: finite, and of a magnitude whose shortest repr fits the
# 100 digits exact numbers may carry (NaN fails the comparison; zero takes the slow path).
_PLAIN_FLOAT_LOW: Final = 1e-83
_PLAIN_FLOAT_HIGH: Final = 1e99
_float_repr: Final = float.__repr__
_DAYS, _WEEKS, _MONTHS = PERIODS
# A unit other than the period itself: recency and T of daily periods in weeks (days / 7).
_SCALES: Final[Mapping[tuple[TimeUnit, TimeUnit], int]] = {
    (_DAYS, _DAYS): 1,
    (_WEEKS, _WEEKS): 1,
    (_MONTHS, _MONTHS): 1,
    (_DAYS, _WEEKS): 7,
}
_SHAPE_RULE: Final = (
    "must be a (customer_id, at, amount) tuple, a mapping with those keys, "
    "or an object with those attributes"
)
_MIXED_RULE: Final = (
    "must use the same currency as the other amounts "
    "(all Money of one currency, or all plain numbers)"
)


class Transaction(NamedTuple):
    """One purchase (or, with a negative amount, one refund) of one customer.

    Any ``(customer_id, at, amount)`` tuple works as well; this type only names
    the fields.
    """

    customer_id: Hashable
    at: datetime
    amount: Amount


class TransactionLike(Protocol):
    """Anything with ``customer_id``, ``at`` and ``amount`` attributes, such as an order."""

    @property
    def customer_id(self) -> Hashable:
        """Who transacted."""

    @property
    def at(self) -> datetime:
        """When, as a timezone-aware datetime."""

    @property
    def amount(self) -> Amount:
        """How much: a Decimal, int, numeric str or Money; negative for a refund."""


def _fits(amount: Decimal) -> bool:
    """Whether ``to_decimal`` takes the Decimal ``amount`` (finite, of bounded size)."""
    if not amount.is_finite():
        return False
    try:
        bounds_check().plus(amount)
    except ArithmeticError:
        return False
    return True


def check_period(value: object, path: str = "$.period") -> TimeUnit:
    """The :class:`~crmcore.TimeUnit` ``value`` names, if it is a supported period."""
    return time_unit(value, path, PERIODS)


def check_tz(value: object, path: str = "$.tz") -> tzinfo:
    """Return ``value`` if it is a tzinfo that gives a UTC offset."""
    if not isinstance(value, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(value)}", path=path)
    if value.utcoffset(datetime(2000, 1, 1)) is None:  # noqa: DTZ001 - probing the tzinfo.
        raise ValidationError("must give a UTC offset", path=path, code="tz")
    return value


def check_calibration_cut(value: object, path: str = "$.calibration_cut") -> CalibrationCut:
    """``value`` if it names a calibration cut: ``"instant"``, ``"period"`` or ``"lifetimes"``."""
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path=path)
    for cut in CALIBRATION_CUTS:
        if value == cut:
            return cut
    raise ValidationError(
        "must be 'instant', 'period' or 'lifetimes'", path=path, code="calibration_cut"
    )


def scale_of(period: TimeUnit, unit: object) -> tuple[TimeUnit, int]:
    """The unit (defaulting to ``period``) and how many periods make one unit."""
    chosen = period if unit is None else check_period(unit, "$.unit")
    scale = _SCALES.get((period, chosen))
    if scale is None:
        raise ValidationError(
            "must equal period, or be 'week' with period 'day' (spans in days / 7)",
            path="$.unit",
            code="unit",
        )
    return chosen, scale


def _to_local(moment: datetime, zone: tzinfo, path: str) -> datetime:
    """``moment`` on the calendar of ``zone``; a ValidationError at the calendar's edges."""
    if moment.tzinfo is zone:
        return moment
    try:
        return moment.astimezone(zone)
    except OverflowError:
        raise ValidationError(
            "must lie within the calendar once converted to the time zone",
            path=path,
            code="out_of_range",
        ) from None


def _local_index(local: datetime, period: TimeUnit) -> int:
    if period == _DAYS:
        return local.toordinal() - _EPOCH_ORDINAL
    if period == _WEEKS:
        return (local.toordinal() - _WEEK_SHIFT) // 7
    return local.year * 12 + local.month - _EPOCH_MONTH


def period_index(at: datetime, period: TimeUnit, *, tz: tzinfo) -> int:
    """The index of the calendar period that holds ``at``, on the calendar of ``tz``.

    Indices count from the Unix epoch so that SQL engines can compute them too:

    * days: days since 1970-01-01;
    * weeks: Monday-to-Sunday weeks, week 0 being 1969-12-29 to 1970-01-04,
      so ``floor((day_index + 3) / 7)``;
    * months: calendar months since January 1970, ``(year - 1970) * 12 + month - 1``.

    The difference of two month indices is the number of calendar months
    between the months that hold them, as ``dateutil.relativedelta`` counts
    between their first days: 31 January and 1 February are one month apart.

    >>> from datetime import timezone
    >>> moment = datetime(1997, 1, 1, 12, tzinfo=timezone.utc)
    >>> [period_index(moment, p, tz=timezone.utc) for p in ("day", "week", "month")]
    [9862, 1409, 324]
    """
    aware = require_aware(at, "$.at")
    kind = check_period(period)
    zone = check_tz(tz)
    return _local_index(_to_local(aware, zone, "$.at"), kind)


def period_start(index: int, period: TimeUnit) -> date:
    """The first day of the period with the given index (see :func:`period_index`).

    >>> period_start(1409, "week"), period_start(324, "month")
    (datetime.date(1996, 12, 30), datetime.date(1997, 1, 1))
    """
    if isinstance(index, bool) or not isinstance(index, int):
        raise InvalidType(f"must be an int, not {type_name(index)}", path="$.index")
    kind = check_period(period)
    try:
        if kind == _DAYS:
            return _EPOCH + timedelta(days=index)
        if kind == _WEEKS:
            return _EPOCH + timedelta(days=7 * index - 3)
        return _EPOCH + relativedelta(months=index)
    except (OverflowError, ValueError):
        raise ValidationError(
            "must be an index within the calendar (years 1 to 9999)",
            path="$.index",
            code="out_of_range",
        ) from None


class PeriodTotal(NamedTuple):
    """What one customer did in one period.

    ``purchased`` is the sum of the purchases (amounts >= 0), or ``None`` if
    the period holds no purchase; ``refunded`` is the sum of the refunds
    (negative amounts), ``Decimal(0)`` if none. Only a period with a purchase
    is a purchase period; its net amount is ``purchased + refunded``.
    """

    period: int
    purchased: Decimal | None
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        """The period's purchases plus its (negative) refunds."""
        return self.refunded if self.purchased is None else self.purchased + self.refunded


# The accumulator keeps, per customer, a dict of purchase sums and (rarely) a dict of
# refund sums, both keyed by period index. Dicts of ints and Decimals are not tracked by
# the garbage collector, which keeps building a million-row state cheap.
_Cells: TypeAlias = dict[int, Decimal]


def _check_index(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int period index, not {type_name(value)}", path=path)
    if not -MAX_INT <= value <= MAX_INT:
        # As the column reader and the documents: a 64-bit integer, as engines store it.
        raise ValidationError("must be a 64-bit integer", path=path, code="range")
    return value


def _check_purchased(value: object, path: str) -> Decimal | None:
    if value is None:
        return None
    number = statistic_decimal(value, path)
    if number < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return number


def _check_refunded(value: object, path: str) -> Decimal:
    number = statistic_decimal(value, path)
    if number > 0:
        raise ValidationError("must not be positive", path=path, code="positive")
    return number


def _row_parts(row: object, path: str, size: int) -> tuple[object, ...]:
    if isinstance(row, (str, bytes)) or not isinstance(row, (tuple, list)) or len(row) != size:
        raise InvalidType(f"must be a tuple of {size} values", path=path)
    return tuple(row)


def _add(cells: _Cells, key: int, amount: Decimal) -> None:
    old = cells.get(key)
    cells[key] = amount if old is None else old + amount


def _fold_cells(into: _Cells, other: Mapping[int, Decimal]) -> None:
    for key, amount in other.items():
        old = into.get(key)
        into[key] = amount if old is None else old + amount


def _freeze(
    bought: Mapping[int, Decimal], refunds: Mapping[int, Decimal]
) -> tuple[PeriodTotal, ...]:
    keys = sorted(bought.keys() | refunds.keys())
    return tuple(PeriodTotal(key, bought.get(key), refunds.get(key, _ZERO)) for key in keys)


def _to_period_totals(values: object) -> tuple[PeriodTotal, ...]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidType("must be an iterable of PeriodTotal rows", path="$.periods")
    bought: _Cells = {}
    refunds: _Cells = {}
    for index, row in enumerate(values):
        path = f"$.periods[{index}]"
        period, purchased, refunded = _row_parts(row, path, 3)
        key = _check_index(period, f"{path}.period")
        spent = _check_purchased(purchased, f"{path}.purchased")
        returned = _check_refunded(refunded, f"{path}.refunded")
        if spent is not None:
            _add(bought, key, spent)
        if returned:
            _add(refunds, key, returned)
    return _freeze(bought, refunds)


@attrs.frozen(slots=True)
class CustomerState:
    """The mergeable state of one customer: one :class:`PeriodTotal` per period, sorted.

    Rows for the same period are added up on construction, so the state of
    several partitions is simply ``CustomerState(rows_of_all_partitions)``.
    The empty state is the identity of :meth:`merge`.

    >>> a = CustomerState([(10, "5", 0), (12, "7.50", 0)])
    >>> b = CustomerState([(12, "2.50", 0), (15, None, "-1")])
    >>> for row in a.merge(b).periods:
    ...     print(row.period, row.purchased, row.refunded)
    10 5 0
    12 10.00 0
    15 None -1
    >>> a.merge(b) == b.merge(a)
    True
    """

    periods: tuple[PeriodTotal, ...] = attrs.field(default=(), converter=_to_period_totals)

    def merge(self, other: CustomerState) -> CustomerState:
        """The state of the union of two disjoint transaction sets."""
        if not isinstance(other, CustomerState):
            raise InvalidType(f"must be a CustomerState, not {type_name(other)}", path="$.other")
        bought, refunds = self._cells()
        more_bought, more_refunds = other._cells()
        _fold_cells(bought, more_bought)
        _fold_cells(refunds, more_refunds)
        return _state_of(bought, refunds)

    def _cells(self) -> tuple[_Cells, _Cells]:
        bought = {row.period: row.purchased for row in self.periods if row.purchased is not None}
        refunds = {row.period: row.refunded for row in self.periods if row.refunded}
        return bought, refunds

    @property
    def purchase_periods(self) -> tuple[int, ...]:
        """The indices of the periods that hold at least one purchase."""
        return tuple(row.period for row in self.periods if row.purchased is not None)


def _state_of(bought: Mapping[int, Decimal], refunds: Mapping[int, Decimal]) -> CustomerState:
    state: CustomerState = object.__new__(CustomerState)
    object.__setattr__(state, "periods", _freeze(bought, refunds))
    return state


def _summary_of(  # noqa: C901, PLR0912 - the common case is short-cut before the general one.
    bought: Mapping[int, Decimal],
    refunds: Mapping[int, Decimal] | None,
    cut: int,
    holdout_end: int | None,
    scale: int,
) -> SummaryRow | None:
    """Finalize one customer; ``None`` if no purchase falls in a period <= ``cut``."""
    first = min(bought)
    if first > cut:
        return None
    last = max(bought)
    if last <= cut and holdout_end is None and refunds is None:
        # Every period is in the window and there are no refunds: the usual case.
        frequency = len(bought) - 1
        repeat = sum(bought.values(), _ZERO) - bought[first] if frequency else _ZERO
        holdout_count = 0
        holdout_amount = _ZERO
    else:
        frequency = -1
        last = first
        repeat = holdout_amount = _ZERO
        holdout_count = 0
        for key, amount in bought.items():
            if key <= cut:
                frequency += 1
                last = max(last, key)
                if key != first:
                    repeat += amount
            elif holdout_end is not None and key <= holdout_end:
                holdout_count += 1
                holdout_amount += amount
        for key, amount in (refunds or {}).items():
            if first < key <= cut:
                repeat += amount
            elif holdout_end is not None and cut < key <= holdout_end:
                holdout_amount += amount
    monetary = repeat / frequency if frequency else _ZERO
    recency: float = last - first
    age: float = cut - first
    if scale != 1:
        recency /= scale
        age /= scale
    if holdout_end is None:
        return (frequency, recency, age, monetary, None, None, None)
    duration: float = holdout_end - cut
    if scale != 1:
        duration /= scale
    holdout_mean = holdout_amount / holdout_count if holdout_count else _ZERO
    return (frequency, recency, age, monetary, holdout_count, holdout_mean, duration)


class SummaryAccumulator:
    """Per-customer state built one transaction at a time; mergeable across partitions.

    Adding a transaction costs O(1): two dictionary look-ups and a decimal
    addition. Accumulators built from disjoint transaction sets :meth:`merge`
    into exactly the accumulator of their union, whatever the order or
    grouping, and transactions of one period split across partitions still
    count once. :meth:`summarize` turns the state into a :class:`SummaryTable`;
    it is a pure function of the state, the period and the observation end, so
    it may be called any number of times as transactions keep arriving.

    Unlike the library's value objects an accumulator is mutable: it is a
    working buffer owned by one caller. A failed :meth:`add` or :meth:`extend`
    leaves it unchanged.

    Args:
        period: ``"day"``, ``"week"`` or ``"month"``: purchases in one
            period count once.
        tz: the time zone whose calendar decides which period a transaction
            falls in (transactions in other offsets are converted).
        currency: optionally, the ISO 4217 code every Money amount must carry.
            By default the first amount decides: Money of one currency, or
            plain numbers.

    >>> from datetime import timezone
    >>> utc = timezone.utc
    >>> acc = SummaryAccumulator(period="day", tz=utc)
    >>> acc.add("c1", datetime(2024, 1, 1, 9, tzinfo=utc), "10")
    >>> acc.add("c1", datetime(2024, 1, 1, 17, tzinfo=utc), "5")
    >>> acc.add("c1", datetime(2024, 1, 3, tzinfo=utc), "20")
    >>> acc.summary("c1", observation_end=datetime(2024, 1, 10, tzinfo=utc))
    CustomerSummary(frequency=1, recency=2, T=9, monetary_value=Decimal('20'))
    """

    __slots__ = ("_bought", "_kind", "_period", "_refunds", "_tz")

    def __init__(self, *, period: TimeUnit, tz: tzinfo, currency: str | None = None) -> None:
        self._period: TimeUnit = check_period(period)
        self._tz: tzinfo = check_tz(tz)
        # None: no amount seen yet; "": plain numbers; otherwise an ISO 4217 code.
        self._kind: str | None = None
        if currency is not None:
            self._kind = Money(0, currency).currency
        self._bought: dict[Hashable, _Cells] = {}
        self._refunds: dict[Hashable, _Cells] = {}

    def _empty_like(self) -> SummaryAccumulator:
        clone: SummaryAccumulator = SummaryAccumulator.__new__(SummaryAccumulator)
        clone._period = self._period
        clone._tz = self._tz
        clone._kind = self._kind
        clone._bought = {}
        clone._refunds = {}
        return clone

    @property
    def period(self) -> TimeUnit:
        """The calendar period purchases are grouped into."""
        return self._period

    @property
    def tz(self) -> tzinfo:
        """The time zone whose calendar assigns transactions to periods."""
        return self._tz

    @property
    def currency(self) -> str | None:
        """The currency of the Money amounts seen, or ``None`` for plain numbers (or none yet)."""
        return self._kind or None

    def _customers(self) -> dict[Hashable, None]:
        ordered = dict.fromkeys(self._bought)
        ordered.update(dict.fromkeys(self._refunds))
        return ordered

    def __len__(self) -> int:
        if not self._refunds:
            return len(self._bought)
        return len(self._customers())

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._customers())

    def __contains__(self, customer_id: object) -> bool:
        try:
            return customer_id in self._bought or customer_id in self._refunds
        except TypeError:
            return False

    def __repr__(self) -> str:
        return (
            f"<SummaryAccumulator of {len(self)} customers, period={self._period!r}, "
            f"tz={self._tz!r}>"
        )

    # -- adding ---------------------------------------------------------------

    def _amount(self, value: object, path: str) -> Decimal:
        """Check one amount against the kind of amounts seen so far; records the kind."""
        if isinstance(value, Money):
            code = value.currency
            if self._kind is not None and self._kind != code:
                raise CurrencyMismatch(_MIXED_RULE, path=path)
            self._kind = code
            return value.amount
        number = statistic_decimal(value, path)
        if self._kind:
            raise CurrencyMismatch(_MIXED_RULE, path=path)
        self._kind = ""
        return number

    def _customer(self, customer_id: object, path: str) -> Hashable:
        if customer_id is None:
            raise ValidationError("must be a customer id", path=path, code="required")
        try:
            hash(customer_id)
        except TypeError:
            raise InvalidType(
                f"must be a hashable customer id, not {type_name(customer_id)}", path=path
            ) from None
        return customer_id

    def _parse(
        self, customer_id: object, at: object, amount: object, path: str
    ) -> tuple[Hashable, int, Decimal]:
        """Validate one transaction fully; return its customer, period index and amount."""
        customer = self._customer(customer_id, f"{path}.customer_id")
        moment = require_aware(at, f"{path}.at")
        key = _local_index(_to_local(moment, self._tz, f"{path}.at"), self._period)
        return customer, key, self._amount(amount, f"{path}.amount")

    def _put_refund(self, customer_id: Hashable, key: int, amount: Decimal) -> None:
        cells = self._refunds.get(customer_id)
        if cells is None:
            self._refunds[customer_id] = {key: amount}
        else:
            _add(cells, key, amount)

    def add(self, customer_id: Hashable, at: datetime, amount: Amount) -> None:
        """Add one transaction (a negative amount is a refund).

        Raises:
            ValidationError: a naive datetime, a missing customer id, a
                non-finite amount, or an amount of another currency.
            InvalidType: an unhashable customer id or a value of the wrong type
                (a float amount is read at its shortest decimal representation).
        """
        if (
            type(at) is datetime
            and at.tzinfo is self._tz
            and type(amount) is Decimal
            and self._kind == ""
            and _fits(amount)
            and type(customer_id) in _PLAIN_IDS
        ):
            period = self._period
            if period == _DAYS:
                key = at.toordinal() - _EPOCH_ORDINAL
            elif period == _WEEKS:
                key = (at.toordinal() - _WEEK_SHIFT) // 7
            else:
                key = at.year * 12 + at.month - _EPOCH_MONTH
            value = amount
        else:
            customer_id, key, value = self._parse(customer_id, at, amount, "$")
        if value < _ZERO:
            self._put_refund(customer_id, key, value)
            return
        cells = self._bought.get(customer_id)
        if cells is None:
            self._bought[customer_id] = {key: value}
        else:
            old = cells.get(key)
            cells[key] = value if old is None else old + value

    def _unpack(self, item: object, path: str) -> tuple[object, object, object]:
        if isinstance(item, (tuple, list)):
            if len(item) != 3:
                raise ValidationError(_SHAPE_RULE, path=path, code="transaction_shape")
            customer_id, at, amount = item
            return customer_id, at, amount
        if isinstance(item, Mapping):
            try:
                return item["customer_id"], item["at"], item["amount"]
            except KeyError:
                raise ValidationError(_SHAPE_RULE, path=path, code="transaction_shape") from None
        if isinstance(item, (str, bytes)):
            raise InvalidType(_SHAPE_RULE, path=path)
        try:
            return (
                getattr(item, "customer_id"),  # noqa: B009 - a duck-typed protocol.
                getattr(item, "at"),  # noqa: B009
                getattr(item, "amount"),  # noqa: B009
            )
        except AttributeError:
            raise InvalidType(_SHAPE_RULE, path=path) from None

    def extend(
        self, transactions: Iterable[tuple[Hashable, datetime, Amount] | TransactionLike]
    ) -> None:
        """Add every transaction of an iterable; on an error nothing is added.

        Items are ``(customer_id, at, amount)`` tuples (or lists), mappings with
        those keys, or objects with those attributes (:class:`TransactionLike`).
        Errors name the item: ``$.transactions[12].at``.
        """
        batch: SummaryAccumulator = self._empty_like()
        batch._ingest(transactions, "$.transactions")
        self._kind = batch._kind
        if not self._bought and not self._refunds:
            self._bought, self._refunds = batch._bought, batch._refunds
        else:
            _fold(self._bought, batch._bought)
            _fold(self._refunds, batch._refunds)

    def _ingest(self, transactions: object, path: str) -> None:  # noqa: C901, PLR0912, PLR0915 - hot loop inlined.
        """Add every transaction; on an error the accumulator is left part-way."""
        if isinstance(transactions, (str, bytes, Mapping)) or not isinstance(
            transactions, Iterable
        ):
            raise InvalidType("must be an iterable of transactions", path=path)
        bought = self._bought
        get = bought.get
        zone = self._tz
        period = self._period
        days = period == _DAYS
        weeks = period == _WEEKS
        kind = self._kind
        zero = _ZERO
        # Decimals are taken as they are when of the size to_decimal takes (one C call).
        plus = bounds_check().plus
        # Classes whose items were read by attribute in this call (neither tuples,
        # lists, mappings nor text): their next items are read the same way at once.
        objects: set[type] = set()
        for index, item in enumerate(transactions):
            shape = type(item)
            fast = False
            if shape is tuple and len(item) == 3:
                customer_id, at, amount = item
                fast = True
            elif shape in objects:
                try:
                    customer_id, at, amount = item.customer_id, item.at, item.amount
                    fast = True
                except AttributeError:
                    pass  # read again below, which says what is missing
            if fast and type(at) is datetime and at.tzinfo is zone:
                # The amounts the kind seen so far allows, as they are: plain finite
                # Decimals, or Money (always finite) of the currency seen so far.
                if kind == "":
                    if type(amount) is float and _PLAIN_FLOAT_LOW < abs(amount) < _PLAIN_FLOAT_HIGH:
                        amount = Decimal(_float_repr(amount))  # its shortest repr
                    elif type(amount) is Decimal and amount.is_finite():
                        try:
                            plus(amount)
                        except ArithmeticError:  # too long: refused below, with its path
                            fast = False
                    else:
                        fast = False
                elif kind is not None and type(amount) is Money and amount.currency == kind:
                    amount = amount.amount
                else:
                    fast = False
            else:
                fast = False
            if fast:
                if days:
                    key = at.toordinal() - _EPOCH_ORDINAL
                elif weeks:
                    key = (at.toordinal() - _WEEK_SHIFT) // 7
                else:
                    key = at.year * 12 + at.month - _EPOCH_MONTH
            else:
                item_path = f"{path}[{index}]"
                customer_id, at, raw = self._unpack(item, item_path)
                customer_id, key, amount = self._parse(customer_id, at, raw, item_path)
                kind = self._kind
                if not isinstance(item, _NOT_OBJECTS):
                    objects.add(shape)  # _unpack read it by attribute
            if amount < zero:
                self._customer(customer_id, f"{path}[{index}].customer_id")
                self._put_refund(customer_id, key, amount)
                continue
            try:
                cells = get(customer_id)
            except TypeError:
                self._customer(customer_id, f"{path}[{index}].customer_id")
                raise InvalidType(  # an id whose comparison fails
                    "must be a customer id that compares with the others",
                    path=f"{path}[{index}].customer_id",
                ) from None
            if cells is None:
                self._customer(customer_id, f"{path}[{index}].customer_id")
                bought[customer_id] = {key: amount}
            else:
                old = cells.get(key)
                cells[key] = amount if old is None else old + amount

    # -- merging and exchanging state ----------------------------------------------

    def _merged_kind(self, other: SummaryAccumulator) -> str | None:
        if not isinstance(other, SummaryAccumulator):
            raise InvalidType(
                f"must be a SummaryAccumulator, not {type_name(other)}", path="$.others"
            )
        if other._period != self._period:
            raise ValidationError(
                "must group by the same period", path="$.others.period", code="period_mismatch"
            )
        if other._tz != self._tz:
            raise ValidationError(
                "must use the same time zone", path="$.others.tz", code="tz_mismatch"
            )
        mine, theirs = self._kind, other._kind
        if mine is not None and theirs is not None and mine != theirs:
            raise CurrencyMismatch(_MIXED_RULE, path="$.others.currency")
        return mine if mine is not None else theirs

    def copy(self) -> SummaryAccumulator:
        """An independent copy."""
        clone: SummaryAccumulator = self._empty_like()
        clone._bought = {customer: dict(cells) for customer, cells in self._bought.items()}
        clone._refunds = {customer: dict(cells) for customer, cells in self._refunds.items()}
        return clone

    def merge(self, *others: SummaryAccumulator) -> SummaryAccumulator:
        """A new accumulator holding the union of this one and ``others``; none of them changes.

        Raises:
            ValidationError: the accumulators group by different periods or
                time zones.
            CurrencyMismatch: their amounts are of different currencies.
        """
        merged: SummaryAccumulator = self.copy()
        for other in others:
            merged._absorb(other)
        return merged

    def _absorb(self, other: SummaryAccumulator) -> None:
        self._kind = self._merged_kind(other)
        _fold(self._bought, other._bought)
        _fold(self._refunds, other._refunds)

    def state(self, customer_id: Hashable) -> CustomerState:
        """The state of one customer (the empty state for an unknown customer)."""
        customer = self._customer(customer_id, "$.customer_id")
        return _state_of(self._bought.get(customer, {}), self._refunds.get(customer, {}))

    def period_totals(self) -> Iterator[tuple[Hashable, int, Decimal | None, Decimal]]:
        """Every ``(customer_id, period, purchased, refunded)`` row of the state.

        The rows are what a ``GROUP BY customer_id, period`` computes elsewhere
        (see :class:`PeriodTotal`), and :meth:`from_period_totals` reads them back.
        """
        empty: _Cells = {}
        for customer in self._customers():
            rows = _freeze(self._bought.get(customer, empty), self._refunds.get(customer, empty))
            for row in rows:
                yield customer, row.period, row.purchased, row.refunded

    @classmethod
    def from_period_totals(
        cls,
        rows: Iterable[tuple[Hashable, int, Amount | None, Amount]],
        *,
        period: TimeUnit,
        tz: tzinfo,
        currency: str | None = None,
    ) -> SummaryAccumulator:
        """Build an accumulator from ``(customer_id, period, purchased, refunded)`` rows.

        ``purchased`` is the sum of a period's purchases or ``None`` if it had
        none; ``refunded`` the (zero or negative) sum of its refunds. Rows may
        repeat a customer and period (partial groups from several partitions):
        they are added up, exactly as merging would.

        >>> from datetime import timezone
        >>> rows = [("c1", 9862, "29.33", 0), ("c1", 9879, "29.73", 0), ("c1", 9879, "10", 0)]
        >>> acc = SummaryAccumulator.from_period_totals(rows, period="day", tz=timezone.utc)
        >>> acc.summary("c1", observation_end=datetime(1997, 9, 30, tzinfo=timezone.utc))
        CustomerSummary(frequency=1, recency=17, T=272, monetary_value=Decimal('39.73'))
        """
        acc = cls(period=period, tz=tz, currency=currency)
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
            raise InvalidType("must be an iterable of period total rows", path="$.rows")
        for index, row in enumerate(rows):
            path = f"$.rows[{index}]"
            customer_id, key, purchased, refunded = _row_parts(row, path, 4)
            customer = acc._customer(customer_id, f"{path}.customer_id")
            key = _check_index(key, f"{path}.period")
            spent = None if purchased is None else acc._amount(purchased, f"{path}.purchased")
            if spent is not None and spent < 0:
                raise ValidationError(
                    "must not be negative", path=f"{path}.purchased", code="negative"
                )
            returned = acc._amount(refunded, f"{path}.refunded")
            if returned > 0:
                raise ValidationError(
                    "must not be positive", path=f"{path}.refunded", code="positive"
                )
            if spent is not None:
                _add(acc._bought.setdefault(customer, {}), key, spent)
            if returned:
                _add(acc._refunds.setdefault(customer, {}), key, returned)
        return acc

    @classmethod
    def from_period_total_columns(
        cls,
        customer_id: object,
        period_index: object,
        purchases: object,
        refunds: object,
        *,
        period: TimeUnit,
        tz: tzinfo,
        currency: str | None = None,
        amount_scale: int | None = None,
        on_error: Literal["raise", "skip"] = "raise",
    ) -> tuple[SummaryAccumulator, RowReport]:
        """Build an accumulator from period totals given as four columns, checked column-wise.

        The columns are what an engine's ``GROUP BY customer_id, period``
        returns (see :meth:`period_totals` and ``docs/state.md``): any sequence,
        buffer or array-protocol object (lists, numpy arrays, pandas or polars
        Series, pyarrow arrays). ``purchases`` holds nulls for periods without a
        purchase; ``refunds`` the zero or negative refund sums (write
        ``COALESCE(..., 0)``). Amounts are Decimals, ints, numeric strings or
        Money; with ``amount_scale=k`` they are integer minor units (value /
        10**k). ``currency`` names the currency of plain-number amounts (and
        of Money amounts, which must match). The result equals
        :meth:`from_period_totals` over the same rows.

        With ``on_error="raise"`` the first bad row (lowest index) raises and
        nothing is built; with ``"skip"`` bad rows are left out and the
        returned :class:`RowReport` lists them with their error codes. A bad
        column (wrong type, unequal lengths) always raises.

        >>> from datetime import timezone
        >>> acc, report = SummaryAccumulator.from_period_total_columns(
        ...     ["c1", "c1", "c2"],
        ...     [9862, 9879, 9870],
        ...     ["29.33", "29.73", None],
        ...     [0, 0, "-5"],
        ...     period="day",
        ...     tz=timezone.utc,
        ... )
        >>> acc.summary("c1", observation_end=datetime(1997, 9, 30, tzinfo=timezone.utc))
        CustomerSummary(frequency=1, recency=17, T=272, monetary_value=Decimal('29.73'))
        >>> report.accepted, report.skipped
        (3, ())
        """
        from crmcore.clv.summaries._columnar import RowReport  # noqa: PLC0415 - imports _state.
        from crmcore.clv.summaries._totals import fill_from_columns  # noqa: PLC0415

        acc = cls(period=period, tz=tz, currency=currency)
        rows, bad = fill_from_columns(
            acc, (customer_id, period_index, purchases, refunds), amount_scale, on_error
        )
        skipped = tuple(sorted(bad))
        report = RowReport(
            rows=rows, skipped=skipped, codes=tuple(bad[index].code for index in skipped)
        )
        return acc, report

    # -- finalizing -------------------------------------------------------------

    def _cuts(
        self, observation_end: object, calibration_end: object, unit: object
    ) -> tuple[datetime, datetime | None, TimeUnit, int, int, int | None]:
        end = require_aware(observation_end, "$.observation_end")
        chosen, scale = scale_of(self._period, unit)
        end_index = _local_index(_to_local(end, self._tz, "$.observation_end"), self._period)
        if calibration_end is None:
            return end, None, chosen, scale, end_index, None
        split = require_aware(calibration_end, "$.calibration_end")
        if split > end:
            raise ValidationError(
                "must not be after observation_end",
                path="$.calibration_end",
                code="calibration_after_observation",
            )
        split_index = _local_index(_to_local(split, self._tz, "$.calibration_end"), self._period)
        return end, split, chosen, scale, split_index, end_index

    def summary(
        self,
        customer_id: Hashable,
        *,
        observation_end: datetime,
        calibration_end: datetime | None = None,
        unit: TimeUnit | None = None,
    ) -> CustomerSummary | None:
        """One customer's summary, or ``None`` if they have no purchase in the window.

        Arguments as for :meth:`summarize`; costs O(periods of that customer).
        """
        _, _, _, scale, cut, holdout_end = self._cuts(observation_end, calibration_end, unit)
        customer = self._customer(customer_id, "$.customer_id")
        bought = self._bought.get(customer)
        if bought is None:
            return None
        row = _summary_of(bought, self._refunds.get(customer), cut, holdout_end, scale)
        return None if row is None else new_summary(*row)

    def summarize(
        self,
        *,
        observation_end: datetime,
        calibration_end: datetime | None = None,
        unit: TimeUnit | None = None,
    ) -> SummaryTable:
        """Finalize every customer into a :class:`SummaryTable`.

        See :func:`crmcore.clv.summarize` for the arguments and the conventions.
        An accumulator keeps period totals only, so ``calibration_end`` cuts
        after the whole period that holds it: this is
        ``summarize(..., calibration_cut="period")``, not the default
        ``"instant"`` cut, whenever transactions follow ``calibration_end``
        within its period.
        """
        end, split, chosen, scale, cut, holdout_end = self._cuts(
            observation_end, calibration_end, unit
        )
        refunds = self._refunds
        rows: dict[Hashable, SummaryRow] = {}
        for customer, bought in self._bought.items():
            row = _summary_of(
                bought, refunds.get(customer) if refunds else None, cut, holdout_end, scale
            )
            if row is not None:
                rows[customer] = row
        return SummaryTable._from_rows(  # noqa: SLF001 - rows checked by construction here.
            rows,
            period=self._period,
            unit=chosen,
            observation_end=end,
            calibration_end=split,
            currency=self.currency,
        )


# Items that are never read by attribute (see SummaryAccumulator._unpack).
_NOT_OBJECTS: Final = (tuple, list, Mapping, str, bytes)
# Customer id types that are always hashable and never None: the hot loop's fast path.
_PLAIN_IDS: Final = frozenset({int, str, CustomerId, UUID})


def _fold(into: dict[Hashable, _Cells], other: Mapping[Hashable, Mapping[int, Decimal]]) -> None:
    """Add ``other``'s cells into ``into``, copying (never sharing) the inner dicts."""
    for customer, cells in other.items():
        mine = into.get(customer)
        if mine is None:
            into[customer] = dict(cells)
        else:
            _fold_cells(mine, cells)

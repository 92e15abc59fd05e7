r"""RFM: recency, frequency and monetary value from orders, scored 1-5 and named.

For each customer with at least one order dated at or before the analysis
time ``at``: *recency* is the whole days from the last order to ``at``,
*frequency* the number of orders, *monetary* their total. Each is scored 1 to
5, 5 the best (most recent, most frequent, highest spend), by quintiles
(ties kept together, see :func:`~crmcore.segmentation.quantile_scores`) or
by fixed edges.

Two standard maps name the score combinations:

- **rf10**, the 10-segment R x F grid widely republished in RFM tutorials
  (the pandas ``seg_map`` of regular expressions over the "RF" score string,
  e.g. ``r'[1-2][1-2]': 'hibernating'``, ``r'5[4-5]': 'champions'``):

  ====  ==============  ===================  ===================  ==============  ===============
  R\F   1               2                    3                    4               5
  ====  ==============  ===================  ===================  ==============  ===============
  5     New Customers   Potential Loyalists  Potential Loyalists  Champions       Champions
  4     Promising       Potential Loyalists  Potential Loyalists  Loyal           Loyal
  3     About to Sleep  About to Sleep       Need Attention       Loyal           Loyal
  2     Hibernating     Hibernating          At Risk              At Risk         Can't Lose Them
  1     Hibernating     Hibernating          At Risk              At Risk         Can't Lose Them
  ====  ==============  ===================  ===================  ==============  ===============

- **rfm11**, the 11-segment variant that adds Lost and reads monetary value
  too, after the R / "FM" tables of the 11-segment RFM model (Putler's RFM
  segmentation, republished e.g. in docs.churned.io "RFM-Model"). FM is the
  mean of F and M rounded half up, ``(F + M + 1) // 2``, and takes F's place
  in the grid above; the old Hibernating corner splits into **Lost** (R = 1)
  and **Hibernating** (R = 2), the lowest recency being the customers gone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from itertools import accumulate, compress, islice, repeat
from operator import add, attrgetter, floordiv, gt, itemgetter, le, lt, mul, not_, sub
from types import MemberDescriptorType
from typing import TYPE_CHECKING, Any, Final, TypeVar
from zoneinfo import ZoneInfo

import attrs

from crmcore._kernel._checks import (
    MAX_DIGITS,
    items_of,
    require_aware,
    type_name,
)
from crmcore._kernel._fields import Checked
from crmcore._kernel._ids import require_id
from crmcore._kernel._money import MAX_MAGNITUDE, Money
from crmcore._kernel._numbers import Tabular
from crmcore._kernel._records import (
    amount_currency_code,
    read_orders,
    require_iterable,
    single_currency,
)
from crmcore.errors import InvalidType, ValidationError
from crmcore.segmentation._ranking import numeric_values, quantile_scores, threshold_scores

if TYPE_CHECKING:
    from crmcore.segmentation._rfm_cuts import RfmCutPoints

T = TypeVar("T")
_NEW: Final = object.__new__

#: Most customers one scoring or summary reads.
MAX_CUSTOMERS: Final = 10_000_000


class RfmSegment(StrEnum):
    """The named RFM segments (values are snake_case; :attr:`label` is the display name)."""

    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALISTS = "potential_loyalists"
    NEW_CUSTOMERS = "new_customers"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANT_LOSE_THEM = "cant_lose_them"
    HIBERNATING = "hibernating"
    LOST = "lost"

    @property
    def label(self) -> str:
        """The name analysts know: ``"Can't Lose Them"``."""
        return _LABELS[self]

    @classmethod
    def parse(cls, name: object) -> RfmSegment:
        """The segment named by its value or label, ignoring case, spaces and punctuation.

        >>> RfmSegment.parse("Can't Lose Them"), RfmSegment.parse("at_risk")
        (<RfmSegment.CANT_LOSE_THEM: 'cant_lose_them'>, <RfmSegment.AT_RISK: 'at_risk'>)
        >>> RfmSegment.parse("Champs")
        Traceback (most recent call last):
        ...
        crmcore.errors.ValidationError: $.segment: must name an RFM segment: Champions, Loyal, Potential Loyalists, New Customers, Promising, Need Attention, About to Sleep, At Risk, Can't Lose Them, Hibernating, Lost
        """
        if not isinstance(name, str):
            raise InvalidType(f"must be a segment name, not {type_name(name)}", path="$.segment")
        found = _BY_KEY.get(_key(name))
        if found is None:
            choices = ", ".join(segment.label for segment in cls)
            raise ValidationError(
                f"must name an RFM segment: {choices}", path="$.segment", code="segment"
            )
        return found


_LABELS: Final = {
    RfmSegment.CHAMPIONS: "Champions",
    RfmSegment.LOYAL: "Loyal",
    RfmSegment.POTENTIAL_LOYALISTS: "Potential Loyalists",
    RfmSegment.NEW_CUSTOMERS: "New Customers",
    RfmSegment.PROMISING: "Promising",
    RfmSegment.NEED_ATTENTION: "Need Attention",
    RfmSegment.ABOUT_TO_SLEEP: "About to Sleep",
    RfmSegment.AT_RISK: "At Risk",
    RfmSegment.CANT_LOSE_THEM: "Can't Lose Them",
    RfmSegment.HIBERNATING: "Hibernating",
    RfmSegment.LOST: "Lost",
}


def _key(name: str) -> str:
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_BY_KEY: Final = {
    **{_key(segment.value): segment for segment in RfmSegment},
    **{_key(label): segment for segment, label in _LABELS.items()},
    _key("Loyal Customers"): RfmSegment.LOYAL,
    _key("Potential Loyalist"): RfmSegment.POTENTIAL_LOYALISTS,
    _key("Cannot Lose Them"): RfmSegment.CANT_LOSE_THEM,
}


class RfmScheme(StrEnum):
    """A standard map from scores to segments."""

    RF10 = "rf10"
    RFM11 = "rfm11"

    @property
    def segments(self) -> tuple[RfmSegment, ...]:
        """The segments the scheme can give, in the order tables list them."""
        if self is RfmScheme.RF10:
            return tuple(s for s in RfmSegment if s is not RfmSegment.LOST)
        return tuple(RfmSegment)


_S: Final = RfmSegment
# Rows are R = 5 down to 1; columns F (rf10) or FM (rfm11) = 1 to 5.
# rf10 transcribes the R x F regular-expression map of RFM tutorials: a pandas
# replace over the "RF" score string, with patterns 11-22 Hibernating, 13-24 At
# Risk, 15-25 Can't Lose, 31-32 About to Sleep, 33 Need Attention, 34-45 Loyal,
# 41 Promising, 51 New, 42-53 Potential Loyalists, 54-55 Champions (see
# tests/test_rfm.py, which checks every cell against those patterns).
# rfm11 follows the 11-segment R / FM tables (Putler's RFM model, as in
# https://docs.churned.io/churned-docs/dashboard-and-features/rfv-model-segment-best-practices/rfm-model):
# Lost holds the lowest recency with low F and M, below Hibernating.
_RF10_ROWS: Final = (
    (_S.NEW_CUSTOMERS, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.CHAMPIONS, _S.CHAMPIONS),
    (_S.PROMISING, _S.POTENTIAL_LOYALISTS, _S.POTENTIAL_LOYALISTS, _S.LOYAL, _S.LOYAL),
    (_S.ABOUT_TO_SLEEP, _S.ABOUT_TO_SLEEP, _S.NEED_ATTENTION, _S.LOYAL, _S.LOYAL),
    (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
    (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
)
_RFM11_ROWS: Final = (
    *_RF10_ROWS[:4],
    (_S.LOST, _S.LOST, _S.AT_RISK, _S.AT_RISK, _S.CANT_LOSE_THEM),
)


def _grid(rows: tuple[tuple[RfmSegment, ...], ...]) -> dict[tuple[int, int], RfmSegment]:
    return {
        (5 - r_index, column + 1): segment
        for r_index, row in enumerate(rows)
        for column, segment in enumerate(row)
    }


_GRIDS: Final = {RfmScheme.RF10: _grid(_RF10_ROWS), RfmScheme.RFM11: _grid(_RFM11_ROWS)}


def _scheme(value: object) -> RfmScheme:
    if isinstance(value, RfmScheme):
        return value
    if isinstance(value, str):
        try:
            return RfmScheme(value.strip().lower())
        except ValueError:
            pass
        choices = ", ".join(s.value for s in RfmScheme)
        raise ValidationError(f"must be one of: {choices}", path="$.scheme", code="scheme")
    raise InvalidType(f"must be an RfmScheme, not {type_name(value)}", path="$.scheme")


def segment_grid(scheme: RfmScheme | str = RfmScheme.RF10) -> Mapping[tuple[int, int], RfmSegment]:
    """The scheme's grid: ``(r, f)`` (rf10) or ``(r, fm)`` (rfm11) to segment.

    >>> segment_grid("rf10")[5, 5].label
    'Champions'
    """
    return dict(_GRIDS[_scheme(scheme)])


def _score(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int score, not {type_name(value)}", path=path)
    if not 1 <= value <= 5:
        raise ValidationError("must be a score from 1 to 5", path=path, code="score")
    return value


def rfm_segment(
    r: int, f: int, m: int | None = None, *, scheme: RfmScheme | str = RfmScheme.RF10
) -> RfmSegment:
    """The segment of scores ``r``, ``f`` (and ``m`` for rfm11), each 1 to 5.

    >>> rfm_segment(5, 1).label, rfm_segment(2, 5).label
    ('New Customers', "Can't Lose Them")
    >>> rfm_segment(1, 1, 2, scheme="rfm11").label, rfm_segment(2, 1, 2, scheme="rfm11").label
    ('Lost', 'Hibernating')
    """
    chosen = _scheme(scheme)
    recency, frequency = _score(r, "$.r"), _score(f, "$.f")
    if chosen is RfmScheme.RF10:
        if m is not None:
            _score(m, "$.m")
        return _GRIDS[chosen][recency, frequency]
    if m is None:
        raise ValidationError("is needed by the rfm11 scheme", path="$.m", code="required")
    monetary = _score(m, "$.m")
    return _GRIDS[chosen][recency, (frequency + monetary + 1) // 2]


@attrs.frozen(slots=True)
class RfmValues(Checked, Tabular):
    """One customer's raw RFM values.

    Attributes:
        customer_id: the customer, as the orders named them.
        recency_days: whole days from the last order to the analysis time.
        frequency: the number of orders.
        monetary: their total.
    """

    customer_id: Hashable
    recency_days: int
    frequency: int
    monetary: Money


@attrs.frozen(slots=True)
class RfmScore(Checked, Tabular):
    """One customer's RFM values and scores (1 to 5, 5 the best).

    Attributes:
        customer_id: the customer.
        recency_days, frequency, monetary: the raw values (see :class:`RfmValues`).
        r, f, m: the scores.
    """

    customer_id: Hashable
    recency_days: int
    frequency: int
    monetary: Money
    r: int
    f: int
    m: int

    @property
    def code(self) -> str:
        """The three scores as text: ``"545"``."""
        return f"{self.r}{self.f}{self.m}"

    def segment(self, scheme: RfmScheme | str = RfmScheme.RF10) -> RfmSegment:
        """The named segment under ``scheme``."""
        return rfm_segment(self.r, self.f, self.m, scheme=scheme)

    def facts(self, scheme: RfmScheme | str = RfmScheme.RF10) -> dict[str, Any]:
        """The snapshot facts: ``recency_days``, ``frequency``, ``monetary``, the scores and segment.

        >>> from crmcore import Money
        >>> RfmScore("c-1", 3, 8, Money("900", "USD"), 5, 5, 5).facts()["rfm_segment"]
        'champions'
        """
        return {
            "recency_days": self.recency_days,
            "frequency": self.frequency,
            "monetary": self.monetary,
            "r_score": self.r,
            "f_score": self.f,
            "m_score": self.m,
            "rfm_segment": self.segment(scheme).value,
        }


def rfm_values(
    orders: Iterable[object], *, at: datetime, amount_currency: str | None = None
) -> tuple[RfmValues, ...]:
    """Recency, frequency and monetary value per customer, from plain orders.

    Orders are ``(customer_id, at, amount)`` tuples or objects with those
    attributes; those dated after ``at`` are left out (an analysis as of a past
    date). Customers come out sorted by the text of their id. Amounts are
    Money, all in one currency, or plain numbers (Decimals, ints, numeric
    strings, floats at their shortest decimal representation, numpy
    scalars: the rows of a DataFrame) in the currency ``amount_currency``
    names; one call takes one kind, never both.

    >>> from datetime import datetime, timezone
    >>> from crmcore import Money
    >>> day = lambda d: datetime(2026, 6, d, tzinfo=timezone.utc)
    >>> orders = [("c-1", day(1), Money("10", "USD")), ("c-1", day(20), Money("5", "USD"))]
    >>> rfm_values(orders, at=day(30))
    (RfmValues(customer_id='c-1', recency_days=10, frequency=2, monetary=Money('15', 'USD')),)
    >>> rfm_values([("c-1", day(1), 10.1), ("c-1", day(2), 0.2)], at=day(30), amount_currency="USD")
    (RfmValues(customer_id='c-1', recency_days=28, frequency=2, monetary=Money('10.3', 'USD')),)

    Raises:
        CurrencyMismatch: orders in more than one currency, or Money and
            plain-number amounts mixed (``$.orders[i].amount``).
        InvalidType: an order is not a record of the expected shape.
        ValidationError: plain-number amounts without ``amount_currency``
            (``$.amount_currency``, code ``required``), a NaN or infinite
            amount (``not_finite``).
    """
    when = require_aware(at, "$.at")
    code = amount_currency_code(amount_currency)
    records = require_iterable(orders, "$.orders")
    if type(records) is not list and type(records) is not tuple:
        records = list(records)
    columns = _order_columns(records, when)
    if columns is None:
        return _rfm_values_by_order(records, when, code)
    return _values_of_columns(*columns, when=when)


def _rfm_values_by_order(
    orders: Iterable[object], when: datetime, amount_currency: str | None = None
) -> tuple[RfmValues, ...]:
    """:func:`rfm_values` reading order by order: any input, the first problem reported."""
    rows = read_orders(orders, until=when, currency=amount_currency)
    single_currency(rows)
    last: dict[Hashable, datetime] = {}
    count: dict[Hashable, int] = {}
    total: dict[Hashable, Decimal] = {}
    currency = rows[0].amount.currency if rows else "USD"
    for row in rows:
        key = row.customer_id
        if key not in last or row.at > last[key]:
            last[key] = row.at
        count[key] = count.get(key, 0) + 1
        total[key] = total.get(key, Decimal(0)) + row.amount.amount
    return tuple(
        RfmValues(key, (when - last[key]).days, count[key], Money(total[key], currency))
        for key in sorted(last, key=str)
    )


# -- many orders and customers at once ---------------------------------------------------
#
# The column paths below read and check whole columns with C-level loops (map, set, Counter)
# instead of one Python call per item. They accept exactly what the order-by-order paths
# accept, checked by type: whenever a column holds anything else, or any problem at all, the
# caller falls back to the order-by-order path, which reports the first problem at its path.

_TUPLE_FIELDS: Final = (itemgetter(0), itemgetter(1), itemgetter(2))
_OBJECT_FIELDS: Final = (attrgetter("customer_id"), attrgetter("at"), attrgetter("amount"))
_AMOUNT: Final = attrgetter("amount")
_CURRENCY: Final = attrgetter("currency")
_TZINFO: Final = attrgetter("tzinfo")
_DAYS: Final = attrgetter("days")
# Epoch microseconds of the RFM columns (``_rfm_columns``, ``_rfm_numpy``): instants at
# least two days inside the calendar, which any fixed offset keeps in it.
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_DAY_MICROS: Final = 86_400_000_000
_LOW_MICROS: Final = (datetime(1, 1, 3, tzinfo=UTC) - _EPOCH) // _MICROSECOND
_HIGH_MICROS: Final = (datetime(9999, 12, 29, tzinfo=UTC) - _EPOCH) // _MICROSECOND
_CUSTOMER: Final = attrgetter("customer_id")
_RECENCY: Final = attrgetter("recency_days")
_FREQUENCY: Final = attrgetter("frequency")
_MONETARY: Final = attrgetter("monetary")
#: Id types that :func:`require_id` always accepts (exact types: bool is not an id).
_PLAIN_IDS: Final = frozenset({str, int})
#: Time zones whose ``utcoffset`` never gives None, so their datetimes are always aware.
_OFFSET_ZONES: Final = (timezone, ZoneInfo)


def _plain_tuples(kinds: set[type]) -> bool:
    """True if records of these types are read by position exactly as tuples are."""
    return all(
        kind is tuple
        or (
            issubclass(kind, tuple)
            and kind.__getitem__ is tuple.__getitem__
            and kind.__len__ is tuple.__len__
        )
        for kind in kinds
    )


def _order_columns(
    records: list[Any] | tuple[Any, ...], when: datetime
) -> tuple[list[Any], list[datetime], list[Money], bool] | None:
    """The ids, times and amounts of the orders up to ``when``; None unless all plainly valid.

    Plainly valid: tuples (of at least three items) or objects with the three
    attributes, str or int ids, datetimes with a fixed-offset or zoneinfo zone
    (or any zone giving every one of them an offset), Money, one currency.
    The flag says whether every time (and ``when``) has a fixed-offset zone.
    """
    try:
        columns = _fields_of_all(records)
        if columns is None:
            return None
        ids, times, amounts = columns
        zones = _zones(times)
        if zones is None or not _plain_ids(ids) or not set(map(type, amounts)) <= {Money}:
            return None
        late = list(map(gt, times, repeat(when)))
    except Exception:  # noqa: BLE001 - the order-by-order reading reports it with its path.
        return None
    if True in late:
        kept = list(map(not_, late))
        ids, times, amounts = (list(compress(c, kept)) for c in (ids, times, amounts))
    if len(set(map(_CURRENCY, amounts))) > 1:
        return None
    fixed = all(type(zone) is timezone for zone in (*zones, when.tzinfo))
    return ids, times, amounts, fixed


def _fields_of_all(records: list[Any] | tuple[Any, ...]) -> list[list[Any]] | None:
    """Every record's three fields, by position (tuples) or attribute (other objects)."""
    kinds = set(map(type, records))
    getters: tuple[Callable[[Any], Any], ...]
    if _plain_tuples(kinds):
        if records and min(map(len, records)) < 3:
            return None
        getters = _TUPLE_FIELDS
    elif any(issubclass(kind, tuple) for kind in kinds):
        return None
    else:
        getters = _OBJECT_FIELDS
    return [list(map(getter, records)) for getter in getters]


def _plain_ids(ids: list[Any]) -> bool:
    if set(map(type, ids)) <= _PLAIN_IDS:
        return True
    try:
        for customer_id in ids:
            require_id(customer_id, "$")
    except ValidationError:
        return False
    return True


def _zones(times: list[Any]) -> set[Any] | None:
    """The time zones of ``times`` if every one is an aware datetime, else None."""
    if not set(map(type, times)) <= {datetime}:
        return None
    zones = set(map(_TZINFO, times))
    if None in zones:
        return None
    if all(type(zone) in _OFFSET_ZONES for zone in zones) or all(
        time.tzinfo.utcoffset(time) is not None for time in times
    ):
        return zones
    return None


def _values_of_columns(
    ids: list[Any], times: list[datetime], amounts: list[Money], fixed: bool, *, when: datetime
) -> tuple[RfmValues, ...]:
    """:func:`rfm_values` of checked columns of the kept orders.

    ``fixed`` says every time and ``when`` have fixed-offset zones: then
    equal times are equally recent, and which of them is kept does not matter.
    """
    if not ids:
        return ()
    currency = amounts[0].currency
    counts = Counter(ids)
    # The same sums, in the same order and decimal context, as the order-by-order path, with
    # the loop in C: each step of the outer map reads the dict after the last one wrote it.
    totals: dict[Any, Decimal] = {}
    deque(
        map(
            totals.__setitem__,
            ids,
            map(add, map(totals.get, ids, repeat(Decimal(0))), map(_AMOUNT, amounts)),
        ),
        maxlen=0,
    )
    keys = _in_text_order(list(counts))
    frequency = list(map(counts.__getitem__, keys))
    sums = list(map(totals.__getitem__, keys))
    days = _days_in_time_order(times, when) if fixed else None
    backwards = fixed and days is None
    if backwards:  # newest first, as ``ORDER BY at DESC`` reads them?
        days = _days_in_time_order(times[::-1], when)
    if days is not None:  # read in time order, the last seen is the latest
        latest = dict(zip(reversed(ids) if backwards else ids, days, strict=True))
        recency = list(map(latest.__getitem__, keys))
    else:  # max keeps the first of equals, as ``if time > seen`` does
        last: dict[Any, datetime] = {}
        deque(map(last.__setitem__, ids, map(max, map(last.get, ids, times), times)), maxlen=0)
        recency = list(map(_DAYS, map(sub, repeat(when), map(last.__getitem__, keys))))
    # Customers whose totals have the same text (sign, digits and exponent) share one
    # Money: fewer objects to build, and one Decimal whose hash is computed once.
    texts = list(map(str, sums))
    same = dict(zip(texts, sums, strict=True))
    distinct = list(same.values())
    if not _plain_amounts(distinct, list(same)):
        return tuple(
            RfmValues(key, recency_days, count, Money(total, currency))
            for key, recency_days, count, total in zip(keys, recency, frequency, sums, strict=True)
        )
    shared = _build(Money, _MONEY_SLOTS, len(distinct), (distinct, repeat(currency)))
    money_of = dict(zip(same, shared, strict=True))
    monies = list(map(money_of.__getitem__, texts))
    return _build(RfmValues, _VALUES_SLOTS, len(keys), (keys, recency, frequency, monies))


def _in_text_order(keys: list[Any]) -> list[Any]:
    """``keys`` (distinct) sorted by their text, as ``sorted(keys, key=str)``.

    Str ids sort as they are. Distinct ints have distinct texts, so their
    order by text does not depend on the order they come in: they are sorted
    as numbers first (quick), and non-negative ints of one width then are in
    text order already; otherwise the list is a few runs in text order (one
    per width and sign), which the sort by text merges in about one
    comparison per id. Other ids keep ``sorted``'s stable order.
    """
    kinds = set(map(type, keys))
    if kinds == {str}:
        keys.sort()
        return keys
    if kinds == {int}:
        keys.sort()
        if keys[0] >= 0 and len(str(keys[0])) == len(str(keys[-1])):
            return keys
    keys.sort(key=str)
    return keys


def _days_in_time_order(times: list[datetime], when: datetime) -> list[int] | None:
    """``(when - time).days`` of every time, if ``times`` are in time order; else None.

    For fixed-offset zones only (the caller's flag), where datetime arithmetic
    is exact: then ``(when - t).days >= d`` exactly when ``t <= when - d days``,
    so one binary search per day of the span finds where each day's run of
    times ends, and no per-order subtraction is needed.
    """
    if not times or not all(map(le, times, islice(times, 1, None))):
        return None
    oldest, newest = (when - times[0]).days, (when - times[-1]).days
    if oldest - newest > len(times):  # a span of more days than orders: subtract instead
        return None
    days: list[int] = []
    start = 0
    try:
        for day in range(oldest, newest - 1, -1):
            end = bisect_right(times, when - timedelta(days=day), start)
            days.extend(repeat(day, end - start))
            start = end
    except OverflowError:  # a bound before year 1
        return None
    return days


def _plain_amounts(numbers: list[Decimal], texts: list[str]) -> bool:
    """True if Money takes every number as its amount (what ``to_decimal`` checks), cheaply.

    ``texts`` are the numbers' ``str``: every digit appears in it, so its length
    bounds the digits, and ``adjusted() - len + 1`` bounds the exponent from below.
    """
    if not numbers or not all(map(Decimal.is_finite, numbers)):
        return not numbers
    if not (min(numbers) > -MAX_MAGNITUDE and max(numbers) < MAX_MAGNITUDE):
        return False
    lengths = list(map(len, texts))
    adjusted = list(map(Decimal.adjusted, numbers))
    return (
        max(lengths) <= MAX_DIGITS
        and max(adjusted) < MAX_DIGITS
        and min(map(sub, adjusted, lengths)) >= -MAX_DIGITS - 1
    )


def _slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...] | None:
    """The setters of ``cls``'s fields, if its instances hold nothing but those slots."""
    names = [field.name for field in attrs.fields(cls)]
    slots = [
        name
        for klass in cls.__mro__
        for name in vars(klass).get("__slots__", ())
        if name != "__weakref__"
    ]
    descriptors = [vars(cls).get(name) for name in names]
    if cls.__dictoffset__ or sorted(slots) != sorted(names):
        return None
    if not all(type(d) is MemberDescriptorType for d in descriptors):
        return None
    return tuple(d.__set__ for d in descriptors)  # type: ignore[union-attr]


def _build(
    cls: type[T],
    setters: tuple[Callable[[Any, Any], None], ...] | None,
    count: int,
    columns: tuple[Iterable[Any], ...],
) -> tuple[T, ...]:
    """``count`` instances of ``cls`` from columns of field values that are already checked.

    The values come from checked inputs (crmcore's own results, or columns
    checked by type), so the per-object field checks would only repeat them:
    the slots are filled directly, one column at a time. Without ``setters``
    (a class that holds more than its fields) the constructor runs.
    """
    if setters is None or len(setters) != len(columns):
        return tuple(map(cls, *columns))
    objects = list(map(_NEW, repeat(cls, count)))
    for setter, column in zip(setters, columns, strict=False):
        deque(map(setter, objects, column), maxlen=0)
    return tuple(objects)


def _edges(edges: Sequence[object] | None, path: str) -> Sequence[object] | None:
    if edges is None:
        return None
    if isinstance(edges, (str, bytes)) or not isinstance(edges, Sequence):
        raise InvalidType(f"must be a sequence of 4 edges, not {type_name(edges)}", path=path)
    if len(edges) != 4:
        raise ValidationError(
            "must hold 4 edges (scores run from 1 to 5)", path=path, code="edge_count"
        )
    return edges


def _scores(
    values: Mapping[Any, object],
    edges: Sequence[object] | None,
    *,
    higher_is_better: bool,
    path: str,
) -> dict[Any, int]:
    if edges is None:
        return quantile_scores(values, k=5, higher_is_better=higher_is_better)
    try:
        return threshold_scores(values, edges, higher_is_better=higher_is_better)
    except ValidationError as exc:
        if exc.path.startswith("$.edges"):
            where = path + exc.path[len("$.edges") :]
            raise type(exc)(exc.rule, path=where, code=exc.code) from None
        raise


def score_rfm(
    values: Iterable[RfmValues],
    *,
    recency_edges: Sequence[object] | None = None,
    frequency_edges: Sequence[object] | None = None,
    monetary_edges: Sequence[object] | None = None,
    cut_points: RfmCutPoints | None = None,
) -> tuple[RfmScore, ...]:
    """Score each customer's R, F and M from 1 to 5 (5 the best).

    By default each is scored by quintiles of the customers given, ties kept
    together (two customers with equal values get equal scores). Give four
    increasing edges to score a dimension by fixed bins instead (bins are
    ``[edge_i, edge_i+1)``): ``recency_edges=[30, 90, 180, 365]`` gives 5 to
    orders within 30 days and 1 to a year or more; ``monetary_edges`` may be
    Money in the values' currency.

    >>> from crmcore import Money
    >>> values = [
    ...     RfmValues(f"c-{i}", 10 * i, 6 - i, Money(100 * (6 - i), "USD")) for i in range(1, 6)
    ... ]
    >>> [(s.customer_id, s.code) for s in score_rfm(values)]
    [('c-1', '555'), ('c-2', '444'), ('c-3', '333'), ('c-4', '222'), ('c-5', '111')]

    With ``cut_points`` (from :func:`rfm_cut_points` over all customers) each
    part of a partitioned population scores exactly as the whole would:

    >>> from crmcore.segmentation._rfm_cuts import rfm_cut_points
    >>> cuts = rfm_cut_points(values)
    >>> [s.code for s in score_rfm(values[3:], cut_points=cuts)]
    ['222', '111']
    """
    if cut_points is not None:
        from crmcore.segmentation._rfm_cuts import score_with_cuts  # noqa: PLC0415 - imports _rfm.

        return score_with_cuts(values, cut_points, (recency_edges, frequency_edges, monetary_edges))
    if (
        (type(values) is tuple or type(values) is list)
        and len(values) <= MAX_CUSTOMERS
        and set(map(type, values)) <= {RfmValues}
    ):
        rows = tuple(values)
    else:
        rows = items_of(values, RfmValues, "$.values", "RfmValues", max_items=MAX_CUSTOMERS)
        if not set(map(type, rows)) <= {RfmValues}:
            return _score_rfm_by_row(rows, recency_edges, frequency_edges, monetary_edges)
    # Exact RfmValues: their fields were checked when they were built.
    ids, recency, frequency, monetary = _value_columns(rows)
    r = _column_scores(ids, recency, recency_edges, higher_is_better=False, path="$.recency_edges")
    f = _column_scores(
        ids, frequency, frequency_edges, higher_is_better=True, path="$.frequency_edges"
    )
    m = _column_scores(
        ids, monetary, monetary_edges, higher_is_better=True, path="$.monetary_edges", money=True
    )
    return _build(RfmScore, _SCORE_SLOTS, len(ids), (ids, recency, frequency, monetary, r, f, m))


def _value_columns(
    rows: Sequence[RfmValues],
) -> tuple[list[Any], list[int], list[int], list[Money]]:
    """The ids, recency days, frequencies and monetary values of ``rows``, one customer a row.

    Raises:
        ValidationError: a customer in two rows (``$.values``, code ``duplicate``).
    """
    ids = list(map(_CUSTOMER, rows))
    if len(set(ids)) != len(ids):
        raise ValidationError("must hold one row per customer", path="$.values", code="duplicate")
    return ids, list(map(_RECENCY, rows)), list(map(_FREQUENCY, rows)), list(map(_MONETARY, rows))


def _column_scores(
    ids: list[Any],
    column: list[Any],
    edges: Sequence[object] | None,
    *,
    higher_is_better: bool,
    path: str,
    money: bool = False,
) -> list[int]:
    """One dimension's scores, in the order of ``ids``; a ``money`` column scores amounts."""
    bounds = _edges(edges, path)
    if bounds is not None:
        scores = _scores(
            dict(zip(ids, column, strict=True)),
            bounds,
            higher_is_better=higher_is_better,
            path=path,
        )
        return list(map(scores.__getitem__, ids))
    if money:  # one currency, scored by amount
        if len(set(map(_CURRENCY, column))) > 1:
            numeric_values(dict(zip(ids, column, strict=True)))  # raises at the first mismatch
        column = list(map(_AMOUNT, column))
    return _quintiles(column, higher_is_better=higher_is_better)


def _quintiles(numbers: list[Any], *, higher_is_better: bool) -> list[int]:
    """:func:`~crmcore.segmentation.quantile_scores` with k = 5, for a column of ints or Decimals.

    The same rule: a group of equal values at sorted positions ``start ..
    end - 1`` scores ``floor((start + end) * 5 / 2n) + 1``. Equal values are
    counted together (``Counter``), so only the distinct values are sorted.
    """
    if not numbers:
        return []
    score_of = _score_table(Counter(numbers), len(numbers), higher_is_better)
    return list(map(score_of.__getitem__, numbers))


def _score_table(counts: Mapping[Any, int], n: int, higher_is_better: bool) -> dict[Any, int]:
    """The score of each distinct value, from how many times each occurs among ``n``.

    Distinct Decimals are sorted by their floats first (a float compares much
    faster than a Decimal), then checked as Decimals: unless they strictly
    increase (numbers closer than a float tells apart), they are sorted again
    as Decimals, which is quick on a list that is nearly in order.
    """
    ordered = list(counts)
    if set(map(type, ordered)) == {Decimal}:
        ordered.sort(key=float)
        if not all(map(lt, ordered, islice(ordered, 1, None))):
            ordered.sort()
    else:
        ordered.sort()
    sizes = list(map(counts.__getitem__, ordered))
    return dict(zip(ordered, _run_scores(sizes, n, higher_is_better), strict=True))


def _run_scores(sizes: list[int], n: int, higher_is_better: bool) -> list[int]:
    """Scores of consecutive tie groups of ``sizes``: ``floor((start + end) * 5 / 2n) + 1``."""
    ends = list(accumulate(sizes))
    starts = [0, *ends[:-1]]
    scores = map(
        add, map(floordiv, map(mul, map(add, starts, ends), repeat(5)), repeat(2 * n)), repeat(1)
    )
    return list(scores if higher_is_better else map(sub, repeat(6), scores))


def _score_rfm_by_row(
    rows: tuple[RfmValues, ...],
    recency_edges: Sequence[object] | None,
    frequency_edges: Sequence[object] | None,
    monetary_edges: Sequence[object] | None,
) -> tuple[RfmScore, ...]:
    """:func:`score_rfm` row by row, checking every value again (rows of RfmValues subclasses)."""
    by_id = {row.customer_id: row for row in rows}
    if len(by_id) != len(rows):
        raise ValidationError("must hold one row per customer", path="$.values", code="duplicate")
    r = _scores(
        {k: v.recency_days for k, v in by_id.items()},
        _edges(recency_edges, "$.recency_edges"),
        higher_is_better=False,
        path="$.recency_edges",
    )
    f = _scores(
        {k: v.frequency for k, v in by_id.items()},
        _edges(frequency_edges, "$.frequency_edges"),
        higher_is_better=True,
        path="$.frequency_edges",
    )
    m = _scores(
        {k: v.monetary for k, v in by_id.items()},
        _edges(monetary_edges, "$.monetary_edges"),
        higher_is_better=True,
        path="$.monetary_edges",
    )
    return tuple(
        RfmScore(row.customer_id, row.recency_days, row.frequency, row.monetary, r[k], f[k], m[k])
        for k, row in by_id.items()
    )


_MONEY_SLOTS: Final = _slot_setters(Money)
_VALUES_SLOTS: Final = _slot_setters(RfmValues)
_SCORE_SLOTS: Final = _slot_setters(RfmScore)


@attrs.frozen(slots=True)
class RfmSegmentSummary(Checked, Tabular):
    """One row of a segment table.

    Attributes:
        segment: the segment.
        customers: how many customers it holds.
        share: their share of all customers scored (``None`` with none scored).
        mean_recency_days, mean_frequency: averages (``None`` for an empty segment).
        monetary: the segment's total spend (``None`` for an empty segment).
    """

    segment: RfmSegment
    customers: int
    share: float | None
    mean_recency_days: float | None
    mean_frequency: float | None
    monetary: Money | None


def summarize_segments(
    scores: Iterable[RfmScore], *, scheme: RfmScheme | str = RfmScheme.RF10
) -> tuple[RfmSegmentSummary, ...]:
    """One row per segment of ``scheme`` (empty segments included), in table order.

    >>> from crmcore import Money
    >>> rows = summarize_segments([RfmScore("c-1", 3, 8, Money("900", "USD"), 5, 5, 5)])
    >>> rows[0].segment.label, rows[0].customers, rows[0].share, rows[1].customers
    ('Champions', 1, 1.0, 0)
    """
    chosen = _scheme(scheme)
    members: dict[RfmSegment, list[RfmScore]] = {segment: [] for segment in chosen.segments}
    total = 0
    for score in items_of(scores, RfmScore, "$.scores", "an RfmScore", max_items=MAX_CUSTOMERS):
        members[score.segment(chosen)].append(score)
        total += 1
    rows: list[RfmSegmentSummary] = []
    for segment, group in members.items():
        size = len(group)
        rows.append(
            RfmSegmentSummary(
                segment=segment,
                customers=size,
                share=size / total if total else None,
                mean_recency_days=sum(s.recency_days for s in group) / size if size else None,
                mean_frequency=sum(s.frequency for s in group) / size if size else None,
                monetary=Money.total(
                    (s.monetary for s in group), currency=group[0].monetary.currency
                )
                if size
                else None,
            )
        )
    return tuple(rows)

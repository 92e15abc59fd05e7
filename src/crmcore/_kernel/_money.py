"""Money: an exact Decimal amount in one ISO 4217 currency."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    Inexact,
    InvalidOperation,
    Overflow,
)
from typing import Final

import attrs

from crmcore._kernel._checks import MAX_DIGITS, reject_float, to_decimal, type_name
from crmcore._kernel._currencies import CURRENCIES, WITHDRAWN
from crmcore._kernel._fields import check_fields
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

_ROUNDING_MODES: Final = frozenset(
    {
        "ROUND_CEILING",
        "ROUND_DOWN",
        "ROUND_FLOOR",
        "ROUND_HALF_DOWN",
        "ROUND_HALF_EVEN",
        "ROUND_HALF_UP",
        "ROUND_UP",
        "ROUND_05UP",
    }
)


@attrs.frozen(slots=True)
class Currency:
    """An ISO 4217 currency.

    Attributes:
        code: the three-letter code, such as ``"IDR"``.
        minor_unit: the number of decimal places amounts are quoted in.
        name: the currency's English name.
    """

    code: str
    minor_unit: int
    name: str

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        if CURRENCIES.get(self.code) != (self.minor_unit, self.name):
            raise ValidationError(
                "must be an active ISO 4217 currency as the table has it "
                "(build one with crmcore.currency('IDR'))",
                path="$.code",
                code="currency",
            )


def rounding_mode(value: object, path: str = "$.rounding") -> str:
    """``value`` if it names one of the decimal module's ``ROUND_*`` modes (else a ValidationError).

    >>> rounding_mode("ROUND_HALF_UP")
    'ROUND_HALF_UP'
    """
    if not isinstance(value, str) or value not in _ROUNDING_MODES:
        raise ValidationError(
            "must be one of the decimal module's ROUND_* modes", path=path, code="rounding"
        )
    return value


def currency_code(value: object, path: str = "$.currency") -> str:
    """The ISO 4217 code ``value`` names (case-insensitive), checked against the table.

    >>> currency_code(" idr ")
    'IDR'
    """
    return _check_code(value, path)


def _check_code(value: object, path: str = "$.currency") -> str:
    if type(value) is str and value in CURRENCIES:
        return value  # already a code as the table spells it: nothing to normalize
    if not isinstance(value, str):
        raise InvalidType(f"must be an ISO 4217 code as str, not {type_name(value)}", path=path)
    code = value.strip().upper()
    if code not in CURRENCIES:
        withdrawn = WITHDRAWN.get(code)
        raise ValidationError(
            "must be an active ISO 4217 currency code such as 'IDR' or 'USD'"
            + (f" ({withdrawn})" if withdrawn else ""),
            path=path,
            code="currency",
        )
    return code


def currency(code: str) -> Currency:
    """Look up a currency by its ISO 4217 code (case-insensitive).

    >>> currency("kwd")
    Currency(code='KWD', minor_unit=3, name='Kuwaiti Dinar')

    Raises:
        ValidationError: the code is not an active ISO 4217 code.
    """
    checked = _check_code(code, "$")
    minor, name = CURRENCIES[checked]
    return Currency(checked, minor, name)


#: Most parts :meth:`Money.allocate` splits an amount into.
MAX_PARTS: Final = 10_000
#: Longest format spec :meth:`Money.__format__` accepts.
_MAX_SPEC: Final = 20
#: A format spec of the standard mini-language for numbers (fill, align, sign, width, ...).
_FORMAT_SPEC: Final = re.compile(
    r"(?:[^\x00-\x1f\x7f-\x9f]?[<>=^])?[+\- ]?z?#?0?\d{0,3}[,_]?(?:\.\d{1,3})?[eEfFgGn%]?"
)

#: Amounts must be smaller than this in absolute value (10**21 minor-unit-free units).
MAX_MAGNITUDE = Decimal(10) ** 21

#: Significant digits kept by products and quotients (Python's default context).
PRODUCT_DIGITS = 28

# Sums and differences of valid amounts are computed exactly (an inexact result is
# refused, never rounded); products and quotients keep PRODUCT_DIGITS digits. The
# operations run through these contexts' own methods (``_EXACT.add(a, b)``), which
# costs far less than entering a local context each time; the flags they set on the
# contexts are never read (a trap decides from the operation's own outcome).
_EXACT = Context(prec=MAX_DIGITS + 30, traps=[Inexact, InvalidOperation, Overflow])
_ROUNDED = Context(
    prec=PRODUCT_DIGITS, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow]
)
_CENT: Final = Decimal("0.01")
_UNIT: Final = Decimal(1)
#: A finite nonzero Decimal whose ``adjusted()`` is below this is below 10**21 in magnitude.
_MAX_ADJUSTED: Final = 21
#: Ints below this in magnitude are valid factors as they are (at most MAX_DIGITS digits).
_FACTOR_LIMIT: Final = 10**MAX_DIGITS


def _amount(value: object) -> Decimal:
    # The usual case, a Decimal within every bound, is accepted here; anything else
    # takes the full path below, which raises the error that names the broken rule.
    # A finite Decimal with ``adjusted() < 21`` is below 10**21 in magnitude; in whole
    # units or cents (``same_quantum``: exponent 0 or -2) it has at most 23 digits.
    if type(value) is Decimal and value.is_finite() and value.adjusted() < _MAX_ADJUSTED:
        if value.same_quantum(_CENT) or value.same_quantum(_UNIT):
            return value
        _, digits, exponent = value.as_tuple()
        if len(digits) <= MAX_DIGITS and exponent >= -MAX_DIGITS:  # type: ignore[operator]
            return value
    number = to_decimal(value, "$.amount")
    if abs(number) >= MAX_MAGNITUDE:
        raise ValidationError(
            "must be smaller than 10**21 in absolute value", path="$.amount", code="too_large"
        )
    return number


def _too_long() -> ValidationError:
    return ValidationError(
        f"the exact result needs more than {MAX_DIGITS} significant digits",
        path="$.amount",
        code="too_long",
    )


def _out_of_range() -> ValidationError:
    return ValidationError("the result is out of range", path="$.amount", code="too_large")


def _exact_sum(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of valid amounts, from ``Decimal(0)`` (so its exponent is at most 0)."""
    total = Decimal(0)
    add = _EXACT.add
    try:
        for amount in amounts:
            total = add(total, amount)
    except ArithmeticError:
        raise _too_long() from None
    return total


@attrs.frozen(slots=True, repr=False, order=False)
class Money:
    """An exact amount of one currency.

    The amount is a :class:`~decimal.Decimal` built from a ``Decimal``, an
    ``int`` or a numeric ``str``; floats are refused because they cannot hold
    most decimal fractions exactly. The currency is an active ISO 4217 code.

    Arithmetic and ordering work only within one currency; mixing currencies
    raises :class:`~crmcore.errors.CurrencyMismatch`. Equality across
    currencies is simply ``False``. Amounts keep full precision until you ask
    for :meth:`rounded`.

    >>> price = Money("275000", "IDR")
    >>> price * 24 * 3
    Money('19800000', 'IDR')
    >>> sum([Money("1.10", "USD"), Money("2.20", "USD")])
    Money('3.30', 'USD')
    >>> (Money("10", "USD") / 3).rounded()
    Money('3.33', 'USD')
    >>> Money(1.5, "USD")
    Traceback (most recent call last):
    ...
    crmcore.errors.InvalidType: $.amount: must be a Decimal, int or str: floats cannot hold exact decimal amounts
    """

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(converter=_check_code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``."""
        return cls(Decimal(0), currency)

    @classmethod
    def total(cls, amounts: Iterable[Money], *, currency: str) -> Money:
        """Sum ``amounts``, all in ``currency``; an empty iterable gives zero.

        >>> Money.total([], currency="EUR")
        Money('0', 'EUR')
        """
        result = cls.zero(currency)
        if isinstance(amounts, (str, bytes, dict)) or not isinstance(amounts, Iterable):
            raise InvalidType(
                f"must be an iterable of Money, not {type_name(amounts)}", path="$.amounts"
            )
        for index, amount in enumerate(amounts):
            try:
                result += amount
            except ValidationError as exc:
                raise exc.under(f"$.amounts[{index}]") from None
        return result

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        """Build from an integer count of minor units (cents): ``1050, 'USD'`` is 10.50."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidType(f"must be an int, not {type_name(units)}", path="$.units")
        code = _check_code(currency)
        return cls(Decimal(units).scaleb(-CURRENCIES[code][0]), code)

    @property
    def minor_unit(self) -> int:
        """Decimal places of this currency (2 for USD, 0 for JPY, 3 for KWD)."""
        return CURRENCIES[self.currency][0]

    def to_minor_units(self) -> int:
        """The amount as an integer count of minor units, after :meth:`rounded`."""
        return int(self.rounded().amount.scaleb(self.minor_unit))

    def rounded(self, rounding: str = ROUND_HALF_EVEN) -> Money:
        """Round to the currency's minor unit (banker's rounding unless told otherwise).

        >>> Money("2.675", "USD").rounded()
        Money('2.68', 'USD')
        >>> Money("2.665", "USD").rounded("ROUND_HALF_UP")
        Money('2.67', 'USD')
        >>> Money("1234.5", "JPY").rounded()
        Money('1234', 'JPY')
        """
        rounding_mode(rounding)
        exponent = Decimal(1).scaleb(-self.minor_unit)
        return Money(self.amount.quantize(exponent, rounding=rounding), self.currency)

    def allocate(self, ratios: Sequence[int | Decimal | str]) -> tuple[Money, ...]:
        """Split into parts proportional to ``ratios`` without losing a minor unit.

        Parts are whole minor units. Leftover units go to the parts with the
        largest remainders (the earlier part on a tie); a zero ratio gets nothing.

        >>> Money("100", "USD").allocate([1, 1, 1])
        (Money('33.34', 'USD'), Money('33.33', 'USD'), Money('33.33', 'USD'))
        """
        if isinstance(ratios, (str, bytes, dict)) or not isinstance(ratios, Iterable):
            raise InvalidType(
                f"must be a sequence of numbers, not {type_name(ratios)}", path="$.ratios"
            )
        weights: list[Decimal] = []
        for index, ratio in enumerate(ratios):
            if index >= MAX_PARTS:
                raise ValidationError(
                    f"must hold at most {MAX_PARTS} ratios", path="$.ratios", code="too_many"
                )
            weights.append(to_decimal(ratio, f"$.ratios[{index}]"))
        if not weights:
            raise ValidationError("must hold at least one ratio", path="$.ratios", code="empty")
        for index, weight in enumerate(weights):
            if weight < 0:
                raise ValidationError(
                    "must not be negative", path=f"$.ratios[{index}]", code="negative"
                )
        total_weight = sum(weights, Decimal(0))
        if total_weight == 0:
            raise ValidationError("must not all be zero", path="$.ratios", code="zero_ratios")
        total = self.to_minor_units()
        step = 1 if total >= 0 else -1
        shares = [Decimal(total) * w / total_weight for w in weights]
        parts = [int(share) for share in shares]  # truncates toward zero
        leftover = total - sum(parts)
        # Largest remainder first; ties go to the earlier part. A zero ratio never
        # receives a unit, because its remainder is zero and others are positive.
        order = sorted(
            (i for i, w in enumerate(weights) if w > 0),
            key=lambda i: (-abs(shares[i] - parts[i]), i),
        )
        for index in order[: abs(leftover)]:
            parts[index] += step
        return tuple(Money.from_minor_units(p, self.currency) for p in parts)

    def is_zero(self) -> bool:
        """True if the amount is zero."""
        return self.amount == 0

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise InvalidType(f"{op} needs Money, not {type_name(other)}", path="$")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {op} {self.currency} and {other.currency}", path="$.currency"
            )
        return other

    def __add__(self, other: Money) -> Money:
        addend = self._same(other, "add").amount
        try:
            amount = _EXACT.add(self.amount, addend)
        except ArithmeticError:
            raise _too_long() from None
        return Money(amount, self.currency)

    def __radd__(self, other: object) -> Money:
        # sum() starts from int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self._same(other, "add") + self

    def __sub__(self, other: Money) -> Money:
        subtrahend = self._same(other, "subtract").amount
        return Money(difference(self.amount, subtrahend), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def _factor(self, other: object, op: str) -> Decimal | int:
        if type(other) is int and -_FACTOR_LIMIT < other < _FACTOR_LIMIT:
            return other  # what to_decimal accepts as it is: contexts take ints exactly
        if isinstance(other, Money):
            raise InvalidType(f"cannot {op} Money by Money", path="$")
        reject_float(other, "$")
        return to_decimal(other, "$")

    def __mul__(self, other: int | Decimal | str) -> Money:
        """Multiply by a scalar; the product keeps 28 significant digits."""
        factor = self._factor(other, "multiply")
        amount = product(self.amount, factor)
        if factor == 1 and same_decimal(amount, self.amount):
            return self  # times one, digit for digit (an order line of one unit): no new Money
        return Money(amount, self.currency)

    __rmul__ = __mul__

    def __truediv__(self, other: int | Decimal | str) -> Money:
        divisor = self._factor(other, "divide")
        if divisor == 0:
            raise ValidationError("cannot divide Money by zero", path="$", code="division_by_zero")
        try:
            amount = _ROUNDED.plus(_ROUNDED.divide(self.amount, divisor))
        except ArithmeticError:
            raise _out_of_range() from None
        return Money(amount, self.currency)

    def ratio(self, other: Money) -> Decimal:
        """``self / other`` as a plain Decimal, for two amounts of one currency."""
        divisor = self._same(other, "divide").amount
        if divisor == 0:
            raise ValidationError(
                "cannot divide by a zero amount", path="$", code="division_by_zero"
            )
        try:
            return _ROUNDED.plus(_ROUNDED.divide(self.amount, divisor))
        except ArithmeticError:
            raise _out_of_range() from None

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def __format__(self, spec: str) -> str:
        if not isinstance(spec, str):
            raise InvalidType(f"must be a format spec str, not {type_name(spec)}", path="$.spec")
        if not spec:
            return str(self)
        if len(spec) > _MAX_SPEC or _FORMAT_SPEC.fullmatch(spec) is None:
            raise ValidationError(
                "must be a decimal format spec such as ',.2f'", path="$.spec", code="format"
            )
        try:
            text = format(self.amount, spec)
        except (ValueError, TypeError):
            raise ValidationError(
                "must be a decimal format spec such as ',.2f'", path="$.spec", code="format"
            ) from None
        return f"{text} {self.currency}"


def difference(amount: Decimal, subtrahend: Decimal) -> Decimal:
    """The amount of ``Money(amount, c) - Money(subtrahend, c)``, without building either Money.

    Exact, as every difference of amounts (``too_long`` if it cannot be).
    """
    try:
        return _EXACT.subtract(amount, subtrahend)
    except ArithmeticError:
        raise _too_long() from None


def product(amount: Decimal, factor: int | Decimal) -> Decimal:
    """The amount of ``Money(amount, c) * factor`` for a checked factor, without building the Money.

    ``factor`` is what :meth:`Money.__mul__` accepts (an int of at most MAX_DIGITS
    digits, or a Decimal); the product keeps PRODUCT_DIGITS significant digits.
    """
    try:
        return _ROUNDED.plus(_ROUNDED.multiply(amount, factor))
    except ArithmeticError:
        raise _out_of_range() from None


def less_nothing(money: Money) -> Money:
    """``money - Money.zero(money.currency)``, without building anything when that is ``money``.

    Subtracting zero exactly keeps the coefficient and the sign (``-0 - 0`` is
    ``-0``) and gives the exponent ``min(exponent, 0)``: for an amount with an
    exponent of 0 or less, such as any amount in whole units or cents, the
    difference is ``money`` itself, digit for digit.
    """
    amount = money.amount
    if amount.same_quantum(_CENT) or amount.same_quantum(_UNIT) or amount.as_tuple().exponent <= 0:  # type: ignore[operator]
        return money
    return money - Money.zero(money.currency)


def same_decimal(a: Decimal, b: Decimal) -> bool:
    """True if ``a`` and ``b`` are the same Decimal digit for digit: value, exponent and sign.

    A result that is the same as an operand in every respect may be given as
    that operand's :class:`Money` instead of a new one (Money is immutable).

    >>> (
    ...     same_decimal(Decimal("1.50"), Decimal("1.50")),
    ...     same_decimal(Decimal("1.5"), Decimal("1.50")),
    ... )
    (True, False)
    >>> same_decimal(Decimal("0"), Decimal("-0"))
    False
    """
    return a == b and a.same_quantum(b) and a.is_signed() == b.is_signed()


def money_at_least_zero(value: object, path: str) -> Money:
    """Return ``value`` if it is Money of zero or more."""
    if not isinstance(value, Money):
        raise InvalidType(f"must be Money, not {type_name(value)}", path=path)
    if value.amount < 0:
        raise ValidationError("must not be negative", path=path, code="negative")
    return value


def positive_money(value: object, path: str) -> Money:
    """Return ``value`` if it is Money above zero."""
    money = money_at_least_zero(value, path)
    if money.amount == 0:
        raise ValidationError("must be more than zero", path=path, code="not_positive")
    return money


def same_currency(value: Money, currency: str, path: str) -> Money:
    """Return ``value`` if it is in ``currency``; otherwise raise CurrencyMismatch."""
    if value.currency != currency:
        raise CurrencyMismatch(f"must be in {currency}", path=path)
    return value

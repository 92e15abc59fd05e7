"""Reporting in one corporate currency: each amount converted at the rate of its own date.

Revenue and margin figures may come from orders in several currencies. Asked
for a reporting ``currency`` with ``rates`` (a
:class:`crmcore.exchange.RateTable`), each amount is converted at the rate of
the calendar day of its order (in the timezone ``tz``), with the table's
rounding to the target's minor unit; an amount already in the reporting
currency is kept as it is (no rate is looked up for it).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from crmcore._kernel._checks import require_type, type_name
from crmcore._kernel._money import Money, currency
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError
from crmcore.exchange import RateTable


def reporting_currency(value: object, rates: object) -> tuple[str | None, RateTable | None]:
    """Check the ``currency`` and ``rates`` keywords of a revenue or margin function.

    Raises:
        ValidationError: ``currency`` is not an ISO 4217 code (``$.currency``).
        InvalidType: ``rates`` is not a RateTable (``$.rates``).
    """
    code: str | None = None
    if value is not None:
        try:
            code = currency(value).code  # type: ignore[arg-type]  # checked by currency()
        except ValidationError as exc:
            raise exc.under("$.currency") from None
    if rates is None:
        return code, None
    return code, require_type(rates, RateTable, "$.rates", "a crmcore.exchange.RateTable")


def check_tz(value: object) -> tzinfo:
    """``value`` if it is a timezone (``$.tz``)."""
    if not isinstance(value, tzinfo):
        raise InvalidType(f"must be a tzinfo, not {type_name(value)}", path="$.tz")
    return value


def day_of(at: datetime, tz: tzinfo, path: str) -> date:
    """The calendar day of ``at`` in ``tz``: the day whose rate converts it.

    Raises:
        ValidationError: the day in ``tz`` is outside the calendar (``path``).
    """
    try:
        return at.astimezone(tz).date()
    except (OverflowError, ValueError):
        raise ValidationError(
            "must have a calendar day in the timezone tz", path=path, code="out_of_range"
        ) from None


def convert_at(money: Money, to: str, *, on: date, rates: RateTable | None, path: str) -> Money:
    """``money`` in ``to`` at the rate of ``on`` (itself when already in ``to``).

    Raises:
        CurrencyMismatch: a conversion is needed but no ``rates`` were given (``path``).
        ValidationError: the rates have no rate for the day (code ``no_rate``),
            or refuse the conversion otherwise, with its path under ``path``.
    """
    if money.currency == to:
        return money
    if rates is None:
        raise CurrencyMismatch(
            f"is in {money.currency}, not {to}: pass rates= to convert it", path=path
        )
    try:
        return rates.convert(money, to, on=on)
    except ValidationError as exc:
        raise exc.under(path) from None

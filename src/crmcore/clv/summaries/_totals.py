"""Checks of period totals given as columns (see SummaryAccumulator.from_period_total_columns).

Each column is checked once; a bad row is recorded with its error (tagged with its
column) rather than raised, so the caller raises the first or skips them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from crmcore._kernel._checks import MAX_DIGITS, to_decimal, type_name
from crmcore._kernel._columns import column_values, equal_lengths, is_null
from crmcore._kernel._money import Money
from crmcore._kernel._numbers import statistic_decimal
from crmcore.clv.summaries._state import _MIXED_RULE, _PLAIN_IDS, SummaryAccumulator, _add
from crmcore.errors import CurrencyMismatch, InvalidType, ValidationError

# Where each kind of row error points (a tag kept on the error, see _tagged).
COLUMN_PATHS: Final = ("$.customer_id", "$.period_index", "$.purchases", "$.refunds")
_INT64: Final = 2**63 - 1
#: Largest ``amount_scale``: minor units of at most 18 decimal places.
MAX_AMOUNT_SCALE: Final = 18
_AMOUNT_RULE: Final = "must be a Decimal, an int, a numeric str or Money"


def tagged(error: ValidationError, column: int) -> ValidationError:
    error.column = column  # type: ignore[attr-defined]
    return error


def bad_column(error: ValidationError) -> int:
    column: int = getattr(error, "column", 0)
    return column


def check_on_error(value: object) -> bool:
    """Whether bad rows are skipped: ``on_error`` is ``"raise"`` or ``"skip"``."""
    if isinstance(value, str) and value in {"raise", "skip"}:
        return value == "skip"
    raise ValidationError("must be 'raise' or 'skip'", path="$.on_error", code="choice")


def check_scale(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int or None, not {type_name(value)}", path="$.amount_scale")
    if not 0 <= value <= MAX_AMOUNT_SCALE:
        raise ValidationError(
            f"must be from 0 to {MAX_AMOUNT_SCALE}", path="$.amount_scale", code="range"
        )
    return value


def check_id_column(ids: list[object], bad: dict[int, ValidationError]) -> None:
    if set(map(type, ids)) <= _PLAIN_IDS:
        return
    for index, value in enumerate(ids):
        if is_null(value):
            error: ValidationError = ValidationError(
                "is required (a null was given)", code="required"
            )
        else:
            try:
                hash(value)
                continue
            except TypeError:
                error = InvalidType(f"must be a hashable customer id, not {type_name(value)}")
        bad.setdefault(index, tagged(error, 0))


def check_index_column(keys: list[Any], bad: dict[int, ValidationError]) -> None:
    if set(map(type, keys)) <= {int} and (
        not keys or (min(keys) >= -_INT64 and max(keys) <= _INT64)
    ):
        return
    for index, value in enumerate(keys):
        if is_null(value):
            error: ValidationError = ValidationError(
                "is required (a null was given)", code="required"
            )
        elif isinstance(value, bool) or not isinstance(value, int):
            error = InvalidType(f"must be an int period index, not {type_name(value)}")
        elif not -_INT64 <= value <= _INT64:
            error = ValidationError("must be a 64-bit integer", code="range")
        else:
            continue
        bad.setdefault(index, tagged(error, 1))


def amount_column(
    values: list[Any], scale: int | None, bad: dict[int, ValidationError], *, nullable: bool
) -> tuple[list[Decimal | None], list[str] | None]:
    """The amounts (None for a null) and, if any is Money, each row's currency ("" plain)."""
    column = 2 if nullable else 3
    kinds = set(map(type, values))
    if scale is None and kinds <= ({Decimal, type(None)} if nullable else {Decimal}):
        present = [value for value in values if value is not None] if nullable else values
        if _plain_decimals(present):
            return values, None
    amounts: list[Decimal | None] = []
    currencies: list[str] | None = [] if Money in kinds else None
    for index, value in enumerate(values):
        try:
            amount = _one_amount(value, scale, nullable=nullable)
        except ValidationError as error:
            bad.setdefault(index, tagged(error, column))
            amount = None
        if amount is None:
            amounts.append(None)
            if currencies is not None:
                currencies.append("")
        else:
            amounts.append(amount[0])
            if currencies is not None:
                currencies.append(amount[1])
    return amounts, currencies


def _plain_decimals(numbers: list[Decimal]) -> bool:
    """True if ``to_decimal`` accepts every Decimal as it is (finite, at most MAX_DIGITS digits)."""
    if not all(map(Decimal.is_finite, numbers)):
        return False
    if not numbers:
        return True
    if not (min(numbers) > _LOW and max(numbers) < _HIGH):
        return False
    # str shows every digit, and the exponent when it is far from the point.
    return max(map(len, map(str, numbers))) <= MAX_DIGITS


_HIGH: Final = Decimal(10) ** (MAX_DIGITS - 1)
_LOW: Final = -_HIGH


def _one_amount(value: object, scale: int | None, *, nullable: bool) -> tuple[Decimal, str] | None:
    if value is None or is_null(value):
        if not nullable:
            raise ValidationError("is required (a null was given)", code="required")
        return None
    if scale is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidType(
                f"must be an int of minor units (amount_scale is given), not {type_name(value)}"
            )
        return to_decimal(value, "$").scaleb(-scale), ""
    if type(value) is Money:
        return value.amount, value.currency
    return statistic_decimal(value, "$"), ""


def check_signs(
    spent: list[Decimal | None], back: list[Decimal | None], bad: dict[int, ValidationError]
) -> None:
    """Purchases must not be negative nor refunds positive."""
    zero = Decimal(0)
    if any(amount is not None and amount < zero for amount in spent):
        for index, purchase in enumerate(spent):
            if purchase is not None and purchase < zero:
                error = ValidationError("must not be negative", code="negative")
                bad.setdefault(index, tagged(error, 2))
    if any(amount is not None and amount > zero for amount in back):
        for index, refund in enumerate(back):
            if refund is not None and refund > zero:
                error = ValidationError("must not be positive", code="positive")
                bad.setdefault(index, tagged(error, 3))


def column_kind(  # noqa: PLR0917 - the given currency, then the first amount, decide.
    kind: str | None,
    spent: list[Decimal | None],
    spent_kinds: list[str] | None,
    back: list[Decimal | None],
    back_kinds: list[str] | None,
    bad: dict[int, ValidationError],
) -> str | None:
    """The kind of amounts (see SummaryAccumulator._kind); rows of another kind become bad.

    A given currency names plain numbers too; otherwise the first amount decides,
    in row order, a row's purchase before its refund.
    """
    rows = len(back)
    if spent_kinds is None and back_kinds is None:
        if kind is not None or len(bad) == rows:
            return kind
        return ""
    first = spent_kinds or [""] * rows
    second = back_kinds or [""] * rows
    allowed: set[str] = set() if kind is None else {kind, ""}
    for index in range(rows):
        if index in bad:
            continue
        # A row decides the kind only if it is taken whole: a skipped row leaves no trace.
        row_kind, row_allowed = kind, allowed
        for amount, code, column in (
            (spent[index], first[index], 2),
            (back[index], second[index], 3),
        ):
            if amount is None:
                continue
            if not row_allowed:
                row_kind = code
                row_allowed = {code}
            elif code not in row_allowed:
                bad[index] = tagged(CurrencyMismatch(_MIXED_RULE), column)
                break
        else:
            kind, allowed = row_kind, row_allowed
    return kind


def fill_from_columns(
    acc: SummaryAccumulator,
    columns: tuple[object, object, object, object],
    amount_scale: object,
    on_error: object,
) -> tuple[int, dict[int, ValidationError]]:
    """Add period-total columns to an empty ``acc``: the row count and the bad rows.

    With ``on_error="raise"`` the first bad row raises before anything is added.
    """
    skip = check_on_error(on_error)
    scale = check_scale(amount_scale)
    ids = column_values(columns[0], "$.customer_id")
    keys = column_values(columns[1], "$.period_index")
    bought = column_values(columns[2], "$.purchases")
    returned = column_values(columns[3], "$.refunds")
    rows = equal_lengths(
        {"customer_id": ids, "period_index": keys, "purchases": bought, "refunds": returned}
    )
    bad: dict[int, ValidationError] = {}
    check_id_column(ids, bad)
    check_index_column(keys, bad)
    spent, spent_kinds = amount_column(bought, scale, bad, nullable=True)
    back, back_kinds = amount_column(returned, scale, bad, nullable=False)
    check_signs(spent, back, bad)
    acc._kind = column_kind(acc._kind, spent, spent_kinds, back, back_kinds, bad)  # noqa: SLF001
    if bad and not skip:
        first = min(bad)
        raise bad[first].under(f"{COLUMN_PATHS[bad_column(bad[first])]}[{first}]")
    _put_columns(acc, ids, keys, spent, back, bad)
    return rows, bad


def _put_columns(  # noqa: PLR0917 - the four columns.
    acc: SummaryAccumulator,
    ids: list[Any],
    keys: list[Any],
    spent: list[Decimal | None],
    back: list[Decimal | None],
    bad: Mapping[int, object],
) -> None:
    """Add the rows not in ``bad`` (their ids and indices checked already)."""
    bought = acc._bought  # noqa: SLF001 - the accumulator's own loader.
    refunds = acc._refunds  # noqa: SLF001
    get = bought.get
    for index, (customer, key, amount, refund) in enumerate(
        zip(ids, keys, spent, back, strict=True)
    ):
        if bad and index in bad:
            continue
        if amount is not None:
            cells = get(customer)
            if cells is None:
                bought[customer] = {key: amount}
            else:
                old = cells.get(key)
                cells[key] = amount if old is None else old + amount
        if refund:
            _add(refunds.setdefault(customer, {}), key, refund)

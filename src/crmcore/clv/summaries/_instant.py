"""The calibration cut at an instant: a summary whose calibration ends inside a period.

:func:`summarize` sends a split with ``calibration_cut="instant"`` or
``"lifetimes"`` here; ``"period"`` (and the accumulator) cut at period
granularity in :mod:`crmcore.clv.summaries._state`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from crmcore._kernel._time import TimeUnit
from crmcore.clv.summaries._state import (
    _PLAIN_IDS,
    _ZERO,
    SummaryAccumulator,
    _add,
    _local_index,
    _summary_of,
)
from crmcore.clv.summaries._table import SummaryRow, SummaryTable
from crmcore.errors import InvalidType


def _split_row(  # noqa: PLR0917 - the parts of one customer's split history.
    bought: Mapping[int, Decimal],
    refunds: Mapping[int, Decimal] | None,
    late: tuple[Decimal | None, Decimal] | None,
    cut: int,
    holdout_end: int,
    scale: int,
    per_transaction: tuple[int, Decimal] | None,
) -> SummaryRow | None:
    """One customer's row when the calibration ends at an instant inside period ``cut``.

    ``bought`` and ``refunds`` hold everything but the part of period ``cut``
    after the instant, which ``late`` holds as ``(purchased, refunded)``: that
    part belongs to the holdout, where it counts as one more purchase period
    if it holds a purchase. ``per_transaction``, when given, is the number and
    the total of the holdout transactions, whose mean replaces the mean of the
    holdout periods' totals (``lifetimes``' ``monetary_value_holdout``).
    """
    calibration = _summary_of(bought, refunds, cut, None, scale)
    if calibration is None:
        return None
    frequency, recency, age, monetary = calibration[:4]
    count = 0
    total = _ZERO
    for key, amount in bought.items():
        if cut < key <= holdout_end:
            count += 1
            total += amount
    for key, amount in (refunds or {}).items():
        if cut < key <= holdout_end:
            total += amount
    if late is not None:
        purchased, refunded = late
        if purchased is not None:
            count += 1
            total += purchased
        total += refunded
    if per_transaction is not None:
        count_tx, total_tx = per_transaction
        mean = total_tx / count_tx if count_tx else _ZERO
    else:
        mean = total / count if count else _ZERO
    duration: float = holdout_end - cut
    if scale != 1:
        duration /= scale
    return (frequency, recency, age, monetary, count, mean, duration)


def summarize_at_instant(  # noqa: C901, PLR0912 - one validating pass over the transactions.
    accumulator: SummaryAccumulator,
    transactions: object,
    *,
    observation_end: datetime,
    calibration_end: datetime,
    unit: TimeUnit | None,
    lifetimes: bool,
) -> SummaryTable:
    """Summarize ``transactions`` with the calibration cut at the instant ``calibration_end``.

    The calibration holds the transactions at or before ``calibration_end``
    (its periods as usual, ``T`` up to the period holding ``calibration_end``);
    the holdout holds the later ones. Only the period holding
    ``calibration_end`` is shared: its part after the instant is kept apart
    and counts in the holdout. With ``lifetimes``, transactions after the
    instant ``observation_end`` are left out too, and ``monetary_value_holdout``
    is the mean of the holdout transactions (as ``lifetimes`` 0.11.3's
    ``calibration_and_holdout_data`` computes them). ``accumulator`` is empty
    and receives the transactions (every one is validated, as by
    :meth:`SummaryAccumulator.extend`).
    """
    end, split, chosen, scale, cut, holdout_end = accumulator._cuts(  # noqa: SLF001 - same module.
        observation_end, calibration_end, unit
    )
    if split is None or holdout_end is None:  # pragma: no cover - summarize passes one.
        accumulator.extend(transactions)  # type: ignore[arg-type]  # checked by extend
        return accumulator.summarize(observation_end=end, unit=unit)
    if isinstance(transactions, (str, bytes, Mapping)) or not isinstance(transactions, Iterable):
        raise InvalidType("must be an iterable of transactions", path="$.transactions")
    bought = accumulator._bought  # noqa: SLF001 - same module.
    late: dict[Hashable, tuple[Decimal | None, Decimal]] = {}
    counted: dict[Hashable, tuple[int, Decimal]] = {}
    zone = accumulator.tz
    period = accumulator.period
    for index, item in enumerate(transactions):
        if (
            type(item) is tuple
            and len(item) == 3
            and type(item[1]) is datetime
            and item[1].tzinfo is zone
            and type(item[2]) is Decimal
            and accumulator._kind == ""  # noqa: SLF001
            and item[2].is_finite()
            and type(item[0]) in _PLAIN_IDS
        ):
            # Plain numbers already seen, on the calendar's own tzinfo: nothing to convert.
            customer, moment, amount = item
            key = _local_index(moment, period)
        else:
            path = f"$.transactions[{index}]"
            customer_id, at, raw = accumulator._unpack(item, path)  # noqa: SLF001
            customer, key, amount = accumulator._parse(customer_id, at, raw, path)  # noqa: SLF001
            moment = at  # _parse checked that it is aware
        if lifetimes and moment > end:
            continue
        if lifetimes and moment > split:
            number, total = counted.get(customer, (0, _ZERO))
            counted[customer] = (number + 1, total + amount)
        if key == cut and moment > split:
            purchased, refunded = late.get(customer, (None, _ZERO))
            if amount < _ZERO:
                late[customer] = (purchased, refunded + amount)
            else:
                late[customer] = (amount if purchased is None else purchased + amount, refunded)
                bought.setdefault(customer, {})  # keeps the order of first purchases
            continue
        if amount < _ZERO:
            accumulator._put_refund(customer, key, amount)  # noqa: SLF001
        else:
            _add(bought.setdefault(customer, {}), key, amount)
    refunds = accumulator._refunds  # noqa: SLF001
    rows: dict[Hashable, SummaryRow] = {}
    for customer, cells in bought.items():
        if not cells:
            continue  # purchases only after the cut, in the period of the cut
        row = _split_row(
            cells,
            refunds.get(customer),
            late.get(customer),
            cut,
            holdout_end,
            scale,
            counted.get(customer, (0, _ZERO)) if lifetimes else None,
        )
        if row is not None:
            rows[customer] = row
    return SummaryTable._from_rows(  # noqa: SLF001 - rows checked by construction here.
        rows,
        period=accumulator.period,
        unit=chosen,
        observation_end=end,
        calibration_end=split,
        currency=accumulator.currency,
    )

"""Transaction summaries: frequency, recency, T and monetary value per customer.

The conventions are those of the probabilistic CLV literature (Fader, Hardie
and Lee 2005) as the ``lifetimes`` package implements them in
``summary_data_from_transaction_data``:

* transactions are grouped into calendar periods; several purchases in one
  period count once and their amounts are summed;
* the first purchase period is excluded from ``frequency`` and
  ``monetary_value``;
* ``recency`` and ``T`` count whole periods from the first purchase period.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime, tzinfo

from crmcore._kernel._checks import require_aware
from crmcore._kernel._time import TimeUnit
from crmcore.clv.summaries._instant import summarize_at_instant
from crmcore.clv.summaries._state import (
    Amount,
    CalibrationCut,
    SummaryAccumulator,
    TransactionLike,
    check_calibration_cut,
    check_tz,
    scale_of,
)
from crmcore.clv.summaries._table import (
    SummaryTable,
)
from crmcore.errors import ValidationError


def check_calibration_end(calibration_end: datetime | None, end: datetime) -> None:
    """A given ``calibration_end`` is timezone-aware and not after ``end`` (the observation end)."""
    if calibration_end is not None and require_aware(calibration_end, "$.calibration_end") > end:
        raise ValidationError(
            "must not be after observation_end",
            path="$.calibration_end",
            code="calibration_after_observation",
        )


def summarize(
    transactions: Iterable[tuple[Hashable, datetime, Amount] | TransactionLike],
    *,
    period: TimeUnit,
    observation_end: datetime,
    calibration_end: datetime | None = None,
    calibration_cut: CalibrationCut = "period",
    unit: TimeUnit | None = None,
    tz: tzinfo | None = None,
) -> SummaryTable:
    """Summarize transactions per customer: frequency, recency, T and monetary value.

    Conventions (those of ``lifetimes.utils.summary_data_from_transaction_data``):

    * Each transaction falls in a calendar period (see :func:`period_index`)
      on the calendar of ``tz``, by default the time zone of
      ``observation_end``. Purchases in one period count once; their amounts
      are summed.
    * ``observation_end`` acts at period granularity: the period that holds
      it is included in full, later periods are excluded. Transactions after
      it are ignored (but still validated).
    * ``calibration_end`` acts at period granularity by default
      (``calibration_cut="period"``): the period that holds it is the
      calibration's last, in full (what :meth:`SummaryAccumulator.summarize`,
      which keeps only period totals, computes). With
      ``calibration_cut="instant"`` transactions at or before it are
      calibration, later ones holdout, even within one period. The period
      that holds it is the calibration's last period (``T`` counts to it)
      and, for its part after the instant, the holdout's first: a customer
      who buys on both sides of the instant in that period has a purchase
      period on each side, so the two windows share that period and
      ``frequency_holdout`` may exceed ``duration_holdout`` by one (as in
      ``lifetimes``). ``calibration_cut="lifetimes"`` is ``"instant"`` plus two
      rules of ``lifetimes`` 0.11.3's ``calibration_and_holdout_data``: the
      holdout ends at the instant ``observation_end`` and
      ``monetary_value_holdout`` is the mean of the holdout *transactions*;
      on data without refunds it reproduces that function exactly. The
      three agree whenever no transaction falls after ``calibration_end`` in
      the period that holds it (date-only data with daily periods, say).
    * ``frequency`` is the number of purchase periods less one; ``recency``
      the periods from the first to the last purchase period; ``T`` the
      periods from the first purchase period to the period of the end of the
      (calibration) observation; ``monetary_value`` the mean net amount of the
      repeat purchase periods, ``Decimal(0)`` without repeats.
    * Refunds are negative amounts. They are summed into the net amount of
      their period, but only a period holding a purchase (an amount >= 0)
      counts as a purchase period, so a refund alone never adds a repeat
      purchase. A refund-only period after the first purchase period lowers
      ``monetary_value``; one in or before the first purchase period is
      ignored, like the first purchase. Customers with no purchase in the
      window are left out.
    * With ``calibration_end``, ``frequency``, ``recency``, ``T`` and
      ``monetary_value`` describe the calibration period (``lifetimes``'
      ``*_cal`` columns) and each summary also carries ``frequency_holdout``
      (purchase periods after the calibration period up to the observation
      end), ``monetary_value_holdout`` (their mean net amount) and
      ``duration_holdout`` (periods from the calibration end to the
      observation end). Customers whose first purchase comes after the
      calibration period are left out of the table.

    Args:
        transactions: ``(customer_id, at, amount)`` tuples, mappings with those
            keys, or objects with those attributes. ``at`` is a timezone-aware
            datetime; ``amount`` a Decimal, int, numeric str or
            :class:`~crmcore.Money` (all in one currency), or a float or numpy
            scalar, read at its shortest decimal representation (``10.5`` is
            ``Decimal('10.5')``).
        period: ``"day"``, ``"week"`` (Monday to Sunday) or ``"month"``
            (calendar months).
        observation_end: the end of the observation, timezone-aware.
        calibration_end: optionally, the end of the calibration period; not
            after ``observation_end``.
        calibration_cut: ``"period"`` (the default), ``"instant"`` or
            ``"lifetimes"``: how ``calibration_end`` splits the transactions
            (above). Without ``calibration_end`` the three give the same table.
        unit: the unit of ``recency``, ``T`` and ``duration_holdout``; by
            default ``period`` (whole numbers). ``period="day", unit="week"``
            gives days / 7 as floats: the convention of the published CDNOW
            summaries (``lifetimes``' ``freq="D", freq_multiplier=7``).
        tz: the calendar's time zone; by default that of ``observation_end``.

    Returns:
        A :class:`SummaryTable` (empty for no transactions).

    Raises:
        ValidationError: a naive datetime, an unknown period or unit, a
            calibration end after the observation end, an unknown
            calibration cut, a NaN or infinite amount (code ``not_finite``), a missing customer id; the path names the item, such as
            ``$.transactions[12].at``.
        InvalidType: a value of the wrong type.
        CurrencyMismatch: amounts of different currencies, or Money mixed
            with plain numbers.

    The worked example of Fader, Hardie and Lee's CDNOW data, customer 1
    (four purchases, the last one after the calibration end):

    >>> from datetime import timezone
    >>> def day(text):
    ...     return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
    >>> purchases = [
    ...     (1, day("1997-01-01"), "29.33"),
    ...     (1, day("1997-01-18"), "29.73"),
    ...     (1, day("1997-08-02"), "14.96"),
    ...     (1, day("1997-12-12"), "26.48"),
    ... ]
    >>> table = summarize(purchases, period="day", unit="week", observation_end=day("1997-09-30"))
    >>> row = table[1]
    >>> row.frequency, round(row.recency, 2), round(row.T, 2), row.monetary_value
    (2, 30.43, 38.86, Decimal('22.345'))
    >>> summarize([], period="week", observation_end=day("1997-09-30"))
    <SummaryTable of 0 customers, period='week', unit='week'>

    A calibration end on a Tuesday with weekly periods: the Thursday purchase
    of that week is holdout at the instant, calibration with the whole period.

    >>> week = [(1, day("1997-09-01"), "10"), (1, day("1997-10-02"), "20")]
    >>> for cut in ("instant", "period"):
    ...     row = summarize(
    ...         week,
    ...         period="week",
    ...         calibration_end=day("1997-09-30"),
    ...         calibration_cut=cut,
    ...         observation_end=day("1997-12-30"),
    ...     )[1]
    ...     print(cut, row.frequency, row.T, row.frequency_holdout, row.duration_holdout)
    instant 0 4 1 13
    period 1 4 0 13
    """
    # Check every option before consuming the (possibly one-shot) iterable.
    end = require_aware(observation_end, "$.observation_end")
    zone = check_tz(end.tzinfo if tz is None else tz)
    accumulator = SummaryAccumulator(period=period, tz=zone)
    scale_of(accumulator.period, unit)
    cut = check_calibration_cut(calibration_cut)
    check_calibration_end(calibration_end, end)
    if calibration_end is not None and cut != "period":
        return summarize_at_instant(
            accumulator,
            transactions,
            observation_end=end,
            calibration_end=calibration_end,
            unit=unit,
            lifetimes=cut == "lifetimes",
        )
    accumulator.extend(transactions)
    return accumulator.summarize(observation_end=end, calibration_end=calibration_end, unit=unit)

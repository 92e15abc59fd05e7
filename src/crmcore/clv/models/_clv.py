"""Customer lifetime value from a purchase model and a spend model."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, overload

from crmcore._kernel._checks import type_name
from crmcore.clv.models._backend import (
    Backend,
    Column,
    Histories,
    all_arrays,
    as_array,
    check_backend,
    load,
)
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._bgnbd import _BetaGeoFamily
from crmcore.clv.models._cnbd import _CnbdFamily
from crmcore.clv.models._data import Checker, Percent, broadcast, fraction
from crmcore.clv.models._data import horizon as check_horizon
from crmcore.clv.models._gammagamma import GammaGamma, NonPositive, check_policy
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.errors import InvalidType

if TYPE_CHECKING:
    from crmcore.clv.models._backend import FloatArray, NumberArray


class PurchaseModel(Protocol):
    """Anything that forecasts purchases from histories, as every purchase model here does."""

    def expected_purchases(
        self,
        t: float,
        frequency: Iterable[float],
        recency: Iterable[float] | float,
        T: Iterable[float] | float,  # noqa: N803 - the literature's name.
    ) -> list[float]:
        """Expected purchases in the next ``t`` periods, one per customer."""
        ...  # pragma: no cover


@overload
def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    frequency: float,
    recency: float,
    T: float,  # noqa: N803
    monetary_value: float,
    *,
    horizon: int,
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    backend: Backend = "auto",
) -> float: ...
@overload
def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    frequency: NumberArray,
    recency: NumberArray | float,
    T: NumberArray | float,  # noqa: N803
    monetary_value: NumberArray | float,
    *,
    horizon: int,
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    backend: Backend = "auto",
) -> FloatArray: ...
@overload
def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    frequency: Iterable[float],
    recency: Iterable[float] | float,
    T: Iterable[float] | float,  # noqa: N803
    monetary_value: Iterable[float] | float,
    *,
    horizon: int,
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    backend: Backend = "auto",
) -> list[float]: ...
def customer_lifetime_value(  # noqa: PLR0917 - the history columns, as lifetimes takes them.
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name.
    monetary_value: float | Iterable[float],
    *,
    horizon: int,
    discount_rate: float | Percent,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    backend: Backend = "auto",
) -> float | list[float] | FloatArray:
    """Discounted expected margin of each customer over the next ``horizon`` periods.

    ``margin * E[spend] * sum_{k=1..horizon} (E[X(k)] - E[X(k-1)]) / (1 + d)^k``:
    the purchases the model expects in each future period, valued at the
    Gamma-Gamma expected spend and discounted to today at the end of the
    period (Fader, Hardie & Lee 2005, "RFM and CLV", eq. 2, in discrete
    steps). Everything is in the purchase model's own period: ``horizon`` is a
    number of those periods and ``discount_rate`` is per period (a weekly model
    with 10% a year uses ``1.10 ** (1 / 52) - 1``). Nothing is converted.

    Args:
        purchase_model: a fitted BG/NBD, MBG/NBD, BG/CNBD-k, MBG/CNBD-k, Pareto/NBD
            or BG/BB model.
        spend_model: a fitted :class:`GammaGamma` model.
        frequency: each customer's repeat purchases (numbers give a number,
            sequences a list, numpy arrays, when every column is one, a numpy
            array).
        recency: each customer's time of last repeat purchase.
        T: each customer's age, in the purchase model's period.
        monetary_value: each customer's mean repeat-purchase value.
        horizon: future periods to add up, from 1 to :data:`MAX_CLV_HORIZON`
            (10,000: the cost per period does not grow with the horizon, except
            for the CNBD-k models, whose exact series grow with the span: a
            horizon too long for one of their histories is refused before any
            work, code ``too_large``).
        discount_rate: discount rate per period as a fraction from 0 to 1 (0 for
            none; 0.01 for 1%), or a :class:`Percent` (``Percent(1)`` for 1%).
        margin: share of revenue that is profit, as a fraction from 0 to 1 (1
            for revenue; 0.3 for 30%) or a :class:`Percent` (``Percent(30)``).
            A number above 1 is refused with a hint: it is almost always a
            percentage. Each of the two is read on its own.
        nonpositive: what a repeat buyer with a zero or negative mean spend
            gets: ``"exclude"`` (default) values it at the population mean
            spend, as a customer without spend information (see
            :class:`GammaGamma`); ``"refuse"`` raises, naming the row.
        backend: ``"auto"`` (numpy for large inputs when it is installed),
            ``"python"`` or ``"numpy"``; the results agree to about 1e-12.

    The crmcore models compute P(alive) once per distinct history and add the
    periods up per distinct history; any other object with
    ``expected_purchases`` is asked for one forecast per period.

    Raises:
        ValidationError: a model of the wrong kind, a horizon outside 1 to
            :data:`MAX_CLV_HORIZON` (or too long for a CNBD-k history), a margin or discount rate outside 0 to 1
            (code ``not_fraction``), a bad ``nonpositive``, or bad history columns.

    Example:
        >>> from crmcore.clv import BetaGeo, GammaGamma, customer_lifetime_value
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
        >>> value = customer_lifetime_value(
        ...     bg, gg, 2, 30.43, 38.86, 22.35, horizon=52, discount_rate=0.0018, margin=0.3
        ... )
        >>> round(value, 2)
        11.04
        >>> from crmcore.clv import Percent
        >>> history = (2, 30.43, 38.86, 22.35)
        >>> value = customer_lifetime_value(
        ...     bg, gg, *history, horizon=52, discount_rate=Percent(0.18), margin=0.3
        ... )
        >>> round(value, 2)
        11.04
    """
    forecast = getattr(purchase_model, "expected_purchases", None)
    if not callable(forecast):
        raise InvalidType(
            "must be a purchase model with expected_purchases (BetaGeo, ModifiedBetaGeo, "
            f"ParetoNBD, BetaGeoBetaBinom), not {type_name(purchase_model)}",
            path="$.purchase_model",
        )
    if not isinstance(spend_model, GammaGamma):
        raise InvalidType(
            f"must be a GammaGamma model, not {type_name(spend_model)}", path="$.spend_model"
        )
    periods = _periods(horizon)
    rate = fraction(discount_rate, "discount_rate", what="the discount rate per period")
    share = fraction(margin, "margin", what="the share of revenue that is profit")
    policy = check_policy(nonpositive)
    check_backend(backend)
    columns: list[tuple[str, object]] = [
        ("frequency", frequency),
        ("recency", recency),
        ("T", T),
        ("monetary_value", monetary_value),
    ]
    if not isinstance(purchase_model, VALUED):
        return _any_model(forecast, spend_model, columns, periods, (rate, share, policy))
    histories = load(backend, columns)
    # The spend model checks its columns first, then the purchase model its own.
    spend = spend_model._spend_column(histories, (0, 3), policy)  # noqa: SLF001 - same package.
    purchase_model._check_histories(histories, "T")  # noqa: SLF001 - same package.
    values = lifetime_values(purchase_model, spend, histories, periods, rate, share)
    return histories.result(values)


#: The purchase models whose forecasts share work across periods and histories.
FORECASTERS = (_BetaGeoFamily, ParetoNBD, BetaGeoBetaBinom)
#: The purchase models whose lifetime values sum their periods per distinct history
#: (``_value_column``). CNBD-k's is also where a horizon too long for its exact series is
#: refused before any work: its cost grows with the square of the horizon.
VALUED = (*FORECASTERS, _CnbdFamily)


def lifetime_values(  # noqa: PLR0917 - the model, the spend, the rows and the three options.
    purchase_model: _BetaGeoFamily | _CnbdFamily | ParetoNBD | BetaGeoBetaBinom,
    spend: Column,
    histories: Histories,
    periods: int,
    rate: float,
    share: float,
) -> Column:
    """Lifetime values of checked histories' base rows, given their expected ``spend``.

    The periods are summed per distinct history with P(alive) computed once
    (the models' ``_value_column``).
    """
    factors = [(1.0 + rate) ** -k for k in range(1, periods + 1)]
    sums = purchase_model._value_column(histories, factors)  # noqa: SLF001 - same package.
    if histories.np is None:
        return [share * s * v for s, v in zip(spend, sums, strict=True)]
    return share * spend * sums


def _any_model(
    forecast: Callable[..., list[float]],
    spend_model: GammaGamma,
    columns: list[tuple[str, object]],
    periods: int,
    options: tuple[float, float, NonPositive],
) -> float | list[float] | FloatArray:
    """Lifetime values from any object with ``expected_purchases``: one forecast per period.

    ``options`` are the checked discount rate, margin and ``nonpositive`` policy.
    """
    rate, share, policy = options
    vector, (x, t_x, t, m) = broadcast(columns)
    spend = spend_model.expected_average_spend(x, m, nonpositive=policy, backend="python")
    # Forecast each distinct history once (compression, as in fitting).
    histories = sorted(set(zip(x, t_x, t, strict=True)))
    where = {h: i for i, h in enumerate(histories)}
    hx, htx, ht = ([h[j] for h in histories] for j in range(3))
    totals = [0.0] * len(histories)
    previous = [0.0] * len(histories)
    for k in range(1, periods + 1):
        current = forecast(k, hx, htx, ht)
        factor = (1.0 + rate) ** -k
        for i, (now, before) in enumerate(zip(current, previous, strict=True)):
            totals[i] += (now - before) * factor
        previous = current
    values = [
        share * s * totals[where[h]]
        for s, h in zip(spend, zip(x, t_x, t, strict=True), strict=True)
    ]
    if not vector:
        return values[0]
    return as_array(values) if all_arrays(columns) else values


#: Longest lifetime-value horizon, in the purchase model's periods (190 years of weeks, 27
#: of days). Each period costs the same, whatever the horizon, for every distinct history:
#: for one BG/NBD customer some 20 microseconds in pure Python (about 50 quadrature nodes a
#: period), so a few customers over the longest horizon take well under a second.
MAX_CLV_HORIZON = 10_000


def _periods(value: object) -> int:
    """A whole number of periods, from 1 to :data:`MAX_CLV_HORIZON`."""
    periods = check_horizon(value, "horizon", whole=True, maximum=MAX_CLV_HORIZON)
    checker = Checker()
    if periods < 1:
        checker.add("$.horizon", "must be at least 1", "too_small")
    checker.raise_if_any()
    return int(periods)

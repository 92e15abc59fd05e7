"""More of the literature's quantities: the conditional purchase distribution and DERT.

* :func:`conditional_probability_of_purchases`: ``P(X(T, T+t] = n | history)``
  for BG/NBD, MBG/NBD, Pareto/NBD and (over opportunities) BG/BB.
* :func:`discounted_expected_residual_transactions` (DERT): the present value,
  under continuous discounting, of all the purchases a customer is still
  expected to make, for Pareto/NBD and the BG/NBD family.

Both rest on one observation the notes of Fader & Hardie make in each model's
derivation: given the history, the customer is either gone or alive at ``T``,
and a customer alive at ``T`` starts afresh with the posterior heterogeneity
(Pareto/NBD: ``lambda ~ Gamma(r+x, alpha+T)``, ``mu ~ Gamma(s, beta+T)``;
BG/NBD: ``lambda ~ Gamma(r+x, alpha+T)``, ``p ~ Beta(a, b+x)``, MBG/NBD
``Beta(a, b+x+1)``; BG/BB: ``p ~ Beta(alpha+x, beta+n-x)``,
``theta ~ Beta(gamma, delta+n)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from crmcore._kernel._checks import type_name
from crmcore.clv.models._bgbb import BetaGeoBetaBinom, _check_row, _log_terms
from crmcore.clv.models._bgnbd import BetaGeo, ModifiedBetaGeo, _BetaGeoFamily
from crmcore.clv.models._data import (
    Checker,
    Percent,
    broadcast,
    fraction,
    horizon,
    number,
    rfm_arguments,
)
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.clv.models._special import log_integrate, log_phi, logsumexp
from crmcore.errors import InvalidType, ValidationError

_LOG = math.log
_EXP = math.exp

#: The models :func:`conditional_probability_of_purchases` answers for.
CONDITIONAL_MODELS = "BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom"
#: The models :func:`discounted_expected_residual_transactions` answers for.
DERT_MODELS = "BetaGeo, ModifiedBetaGeo or ParetoNBD"


# --- checked arguments -------------------------------------------------------


def discount_rate(value: object, *, name: str = "discount_rate") -> float:
    """A positive continuously compounded discount rate per period, as a fraction.

    A :class:`~crmcore.clv.models._data.Percent` gives per cent (``Percent(15)``
    for 15%); a bare number above 1 is refused with a hint (``10`` is almost
    always meant as 10%).
    Zero is refused: the undiscounted residual transactions are infinite for
    many parameter values.
    """
    rate = fraction(
        value,
        name,
        what="the continuously compounded discount rate per period",
    )
    if rate <= 0:
        raise ValidationError(
            "must be positive (without discounting the residual transactions can be infinite)",
            path=f"$.{name}",
            code="not_positive",
        )
    return rate


def continuous_discount_rate(annual_rate: float | Percent, periods_per_year: float) -> float:
    """The continuously compounded rate per period equal to an annual rate.

    ``log(1 + annual_rate) / periods_per_year``: Fader, Hardie & Lee (2005,
    "RFM and CLV") turn 15% a year into ``0.0027`` a week this way.

    Example:
        >>> round(continuous_discount_rate(0.15, 52), 6)
        0.002688
        >>> from crmcore.clv import Percent
        >>> round(continuous_discount_rate(Percent(15), 52), 6)
        0.002688
    """
    rate = fraction(annual_rate, "annual_rate", what="the discount rate per year")
    periods = number(periods_per_year, "$.periods_per_year")
    if periods <= 0 or periods > 1e6:
        raise ValidationError(
            "must be positive and at most 1,000,000", path="$.periods_per_year", code="range"
        )
    return math.log1p(rate) / periods


def _whole_count(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise InvalidType("must be a whole number, not bool", path=f"$.{name}")
    return int(horizon(value, name, whole=True))


def _bgbb_rows(
    frequency: object, recency: object, periods: object
) -> tuple[bool, list[tuple[int, int, int]]]:
    vector, (x, t_x, n) = broadcast(
        [("frequency", frequency), ("recency", recency), ("periods", periods)]
    )
    checker = Checker()
    for index in range(len(x)):
        if _check_row(checker, index if vector else None, x[index], t_x[index], n[index]):
            break
    checker.raise_if_any()
    return vector, [(int(a), int(b), int(c)) for a, b, c in zip(x, t_x, n, strict=True)]


def _shaped(vector: bool, values: list[float]) -> float | list[float]:
    return values if vector else values[0]


# --- P(X(T, T+t] = n | history) ---------------------------------------------


def conditional_probability_of_purchases(  # noqa: PLR0917 - n, t and the history, as the models take them.
    model: object,
    n: int,
    t: float,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name.
) -> float | list[float]:
    """``P(X(T, T+t] = n | x, t_x, T)``: exactly ``n`` purchases in the next ``t``.

    For BG/NBD and MBG/NBD (Fader, Hardie & Lee, "Deriving the conditional PMF
    of the BG/NBD model"), Pareto/NBD (Fader & Hardie 2006, "Deriving the
    conditional PMF of the Pareto/NBD model") and BG/BB (Fader, Hardie & Shang
    2010, where ``T`` is the number of opportunities observed, ``t`` the
    opportunities ahead, both whole). Each is
    ``(1 - w) [n = 0] + w P_fresh(n, t)``: ``w`` is the chance of being alive at
    ``T`` (BG/BB: alive through opportunity ``T``) and ``P_fresh`` the model's
    own new-customer probability under the posterior parameters (see the
    module docstring). Its mean is the model's ``expected_purchases``.

    Numbers give a number; sequences (numbers broadcast) give a list.

    Example:
        >>> from crmcore.clv import BetaGeo
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> p = [conditional_probability_of_purchases(bg, k, 39, 2, 30.43, 38.86) for k in range(3)]
        >>> [round(v, 4) for v in p]
        [0.4454, 0.2393, 0.1442]

    Raises:
        InvalidType: ``model`` is not one of the four models.
        NotFittedError: the model has no parameters.
        ValidationError: a bad count, horizon or history, naming the argument.
    """
    if isinstance(model, BetaGeoBetaBinom):
        return _bgbb_conditional(model, n, t, frequency, recency, T)
    if not isinstance(model, (_BetaGeoFamily, ParetoNBD)):
        raise InvalidType(
            f"must be a {CONDITIONAL_MODELS} model, not {type_name(model)}", path="$.model"
        )
    count = _whole_count(n, "n")
    span = horizon(t)
    values = model._values()  # noqa: SLF001 - same package; raises NotFittedError first.
    vector, rows = rfm_arguments(frequency, recency, T)
    alive = model.probability_alive(*(list(c) for c in zip(*rows, strict=True)))
    fresh = _fresh_rfm(model, values)
    # The fresh start depends on (x, T) alone: histories sharing them share its PMF.
    seen: dict[tuple[float, float], float] = {}
    out = []
    for (x, _, age), p in zip(rows, alive, strict=True):
        key = (x, age)
        if key not in seen:
            seen[key] = fresh(x, age, count, span)
        value = p * seen[key]
        if count == 0:
            value += 1.0 - p
        out.append(min(1.0, max(0.0, value)))
    return _shaped(vector, out)


def _fresh_rfm(
    model: _BetaGeoFamily | ParetoNBD, values: tuple[float, ...]
) -> Callable[[float, float, int, float], float]:
    """A new customer's ``P(X(t) = n)`` under the posterior of a history alive at ``T``."""
    r, alpha, third, fourth = values
    if isinstance(model, ParetoNBD):

        def pareto(x: float, age: float, count: int, span: float) -> float:
            fresh = ParetoNBD(
                params={"r": r + x, "alpha": alpha + age, "s": third, "beta": fourth + age}
            )
            return fresh.probability_of_purchases(count, span)

        return pareto
    shift = 1.0 if isinstance(model, ModifiedBetaGeo) else 0.0

    def beta_geo(x: float, age: float, count: int, span: float) -> float:
        # After T the MBG/NBD story is BG/NBD's: no drop-out chance at T itself.
        fresh = BetaGeo(
            params={"r": r + x, "alpha": alpha + age, "a": third, "b": fourth + x + shift}
        )
        return fresh.probability_of_purchases(count, span)

    return beta_geo


def _bgbb_conditional(  # noqa: PLR0917 - the same arguments as the public function.
    model: BetaGeoBetaBinom,
    n: object,
    t: object,
    frequency: object,
    recency: object,
    periods: object,
) -> float | list[float]:
    """Fader, Hardie & Shang (2010), the conditional PMF of BG/BB over ``t`` opportunities."""
    count = _whole_count(n, "n")
    span = _whole_count(t, "t")
    params = model._values()  # noqa: SLF001 - same package.
    alpha, beta, gamma, delta = params
    vector, rows = _bgbb_rows(frequency, recency, periods)
    out = []
    for x, t_x, m in rows:
        alive, died = _log_terms(params, x, t_x, m)
        weight = _EXP(alive - logsumexp([alive, *died]))
        fresh = BetaGeoBetaBinom(
            params={"alpha": alpha + x, "beta": beta + m - x, "gamma": gamma, "delta": delta + m}
        ).probability_of_purchases(count, span)
        value = weight * fresh + (1.0 - weight if count == 0 else 0.0)
        out.append(min(1.0, max(0.0, value)))
    return _shaped(vector, out)


# --- DERT ---------------------------------------------------------------------


def log_tricomi_u(a: float, b: float, z: float) -> float:
    """``log U(a, b; z)``, Tricomi's confluent hypergeometric function, for ``a, z > 0``.

    From its integral representation (Abramowitz & Stegun 13.2.5)
    ``U(a, b; z) = 1/Gamma(a) int_0^inf exp(-z u) u^(a-1) (1+u)^(b-a-1) du``,
    integrated on ``u = exp(v)`` by adaptive Gauss-Kronrod in logs, so values
    far beyond the float range keep their precision.

    Example:
        >>> round(math.exp(log_tricomi_u(1.0, 1.0, 1.0)), 10)  # e E1(1)
        0.5963473623
    """
    c = b - a - 1.0

    def logf(v: float) -> float:
        u = _EXP(v) if v < 700.0 else math.inf
        soft = v if v > 36.0 else math.log1p(u)
        return -z * u + a * v + c * soft

    # The mass sits where z u is about a (or 1): below it the integrand is
    # exp(a v), above it exp(-z u) ends it.
    peak = _LOG(max(a, 1.0) + abs(c)) - _LOG(z)
    top = max(peak, 0.0) + _LOG(800.0 + 2.0 * abs(c))
    low = min(peak, 0.0) - 60.0 / min(a, 1.0) - 5.0
    points = sorted({low, *(low + (top - low) * i / 24 for i in range(1, 24)), peak, top})
    body = log_integrate(logf, points)
    # Below ``low`` the integrand is exp(a v) to many digits: add that tail.
    tail = logf(low) - _LOG(a)
    top_value = max(body, tail)
    total = top_value + _LOG(_EXP(body - top_value) + _EXP(tail - top_value))
    return total - math.lgamma(a)


def discounted_expected_residual_transactions(
    model: object,
    rate: float | Percent,
    frequency: float | Iterable[float],
    recency: float | Iterable[float],
    T: float | Iterable[float],  # noqa: N803 - the literature's name.
) -> float | list[float]:
    """DERT: the present value of every purchase still to come, ``int_0^inf e^(-rate t) dE[X(T, T+t]]``.

    ``rate`` is the continuously compounded discount rate per model period (see
    :func:`continuous_discount_rate`; 15% a year is ``0.0027`` a week), a
    fraction, or per cent as a ``Percent``; a bare ``rate`` of 10 is refused.

    * Pareto/NBD: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value
      Curves for Customer Base Analysis", JMR 42, eq. (2):
      ``P(alive) (r+x)/(alpha+T) (beta+T)^s rate^(s-1) U(s, s; rate (beta+T))``
      with Tricomi's ``U`` from :func:`log_tricomi_u`.
    * BG/NBD and MBG/NBD: no closed form is published; crmcore defines it the
      same way, as the integral of the continuously discounted expected
      transaction rate, and computes it by quadrature:
      ``P(alive) int_0^inf rate e^(-rate t) g(t) dt`` where ``g(t)`` is the
      expected purchases in ``(T, T+t]`` of a customer alive at ``T``
      (FHL 2005 BG/NBD paper, eq. 10 without its P(alive) factor). For a
      customer with purchase rate ``lambda`` and drop-out chance ``p`` it is
      ``lambda / (rate + p lambda)`` averaged over the posterior.

    Example:
        >>> from crmcore.clv import ParetoNBD
        >>> pnbd = ParetoNBD(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562})
        >>> round(discounted_expected_residual_transactions(pnbd, 0.0027, 2, 30.43, 38.86), 3)
        6.483

    Raises:
        InvalidType: ``model`` is not one of the three models.
        NotFittedError: the model has no parameters.
        ValidationError: a bad rate (``not_fraction``, ``negative``,
            ``not_positive``) or history, naming the argument.
    """
    if not isinstance(model, (_BetaGeoFamily, ParetoNBD)):
        raise InvalidType(f"must be a {DERT_MODELS} model, not {type_name(model)}", path="$.model")
    delta = discount_rate(rate, name="rate")
    values = model._values()  # noqa: SLF001 - same package; raises NotFittedError first.
    vector, rows = rfm_arguments(frequency, recency, T)
    alive = model.probability_alive(*(list(c) for c in zip(*rows, strict=True)))
    cache: dict[tuple[float, float], float] = {}
    residual = _pareto_residual if isinstance(model, ParetoNBD) else _beta_geo_residual
    shift = 1.0 if isinstance(model, ModifiedBetaGeo) else 0.0
    out = []
    for (x, _, age), p in zip(rows, alive, strict=True):
        key = (x, age)
        if key not in cache:
            cache[key] = residual(values, shift, delta, x, age)
        out.append(p * cache[key])
    return _shaped(vector, out)


def _pareto_residual(
    values: tuple[float, ...], _shift: float, delta: float, x: float, age: float
) -> float:
    """DERT of a Pareto/NBD customer alive at ``T`` (FHL 2005 "RFM and CLV", eq. 2)."""
    r, alpha, s, beta = values
    bt = beta + age
    log_value = (
        _LOG(r + x)
        - _LOG(alpha + age)
        + s * _LOG(bt)
        + (s - 1.0) * _LOG(delta)
        + log_tricomi_u(s, s, delta * bt)
    )
    return _EXP(log_value)


def _beta_geo_residual(
    values: tuple[float, ...], shift: float, delta: float, x: float, age: float
) -> float:
    """DERT of a BG/NBD (MBG/NBD) customer alive at ``T``: ``int z e^(-z k) g(k) dk``.

    ``g(k) = E[(1 - (1 + k p)^-(r+x)) / p]`` under ``p ~ Beta(a, b+x+shift)``
    (:func:`~crmcore.clv.models._special.log_phi`), ``k = t / (alpha + T)`` and
    ``z = rate (alpha + T)``; integrated on ``k = exp(v)``.
    """
    r, alpha, a, b = values
    big_r = r + x
    big_b = b + x + shift
    z = delta * (alpha + age)
    log_z = _LOG(z)

    def logf(v: float) -> float:
        k = _EXP(v)
        return log_z - z * k + v + log_phi(big_r, a, big_b, k)

    top = _LOG(800.0) - log_z
    low = min(top - 10.0, -log_z) - 40.0
    points = [low + (top - low) * i / 16 for i in range(17)]
    body = log_integrate(logf, points)
    # Below ``low``, g(k) = R k to many digits: the integrand is z R e^(2v), whose tail is half its value.
    tail = logf(low) - _LOG(2.0)
    top_value = max(body, tail)
    return _EXP(top_value) * (_EXP(body - top_value) + _EXP(tail - top_value))

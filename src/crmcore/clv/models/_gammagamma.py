"""The Gamma-Gamma model of spend per transaction.

Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
Base Analysis", Journal of Marketing Research 42(4), 415-430; Fader & Hardie
(2013), "The Gamma-Gamma Model of Monetary Value". Each transaction's value is
``Gamma(p, nu)``; ``nu ~ Gamma(q, v)`` across customers (``v`` is the paper's
``gamma``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, Self, TypeVar, overload

import attrs

from crmcore._kernel._checks import type_name
from crmcore.clv.models._backend import Backend, Column, Histories, load, replay
from crmcore.clv.models._base import ModelBase, ProgressCallback
from crmcore.clv.models._data import (
    MAX_SIMULATED_DRAWS,
    Checker,
    DrawBudget,
    check_whole,
    column,
    load_rows,
    weighted_mean,
)
from crmcore.clv.models._exact import negative_log_likelihood_hessian
from crmcore.clv.models._sim import simulation_seed
from crmcore.clv.models._special import digamma
from crmcore.errors import InvalidType, ValidationError

if TYPE_CHECKING:
    from crmcore.clv.models._backend import FloatArray, NumberArray
    from crmcore.clv.models._priors import Prior

_LOG = math.log


#: What a spend model does with a repeat buyer whose mean spend is zero or negative.
NonPositive = Literal["exclude", "refuse"]

_POLICIES = ("exclude", "refuse")


def check_policy(value: object) -> NonPositive:
    """One of ``"exclude"`` or ``"refuse"`` (the ``nonpositive`` argument)."""
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.nonpositive")
    if value not in _POLICIES:
        raise ValidationError("must be 'exclude' or 'refuse'", path="$.nonpositive", code="choice")
    return "exclude" if value == "exclude" else "refuse"


def _check(checker: Checker, index: int | None, x: float, m: float) -> bool:
    """The strict rules (``nonpositive="refuse"``): a repeat buyer's mean spend is positive."""
    if check_whole(checker, "frequency", index, x):
        return True
    where = "$.monetary_value" if index is None else f"$.monetary_value[{index}]"
    if x > 0 and m <= 0:
        return checker.add(where, "must be positive when frequency is positive", "not_positive")
    if m < 0:
        return checker.add(where, "must not be negative", "negative")
    return False


def _check_lenient(checker: Checker, index: int | None, x: float, m: float) -> bool:
    """The rules of ``nonpositive="exclude"``: whole frequencies; any finite spend."""
    del m
    return check_whole(checker, "frequency", index, x)


def _rules(policy: str) -> Callable[[Checker, int | None, float, float], bool]:
    return _check if policy == "refuse" else _check_lenient


def _is_zero(value: object) -> bool:
    """True for a plain number equal to 0 (the penalizer's default); its checks come later."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _scale_of(rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> float:
    """A power of two near the geometric mean spend: the fit runs on spends divided by it.

    The Gamma-Gamma model is scale-invariant (spends times ``c`` give ``v``
    times ``c``, ``p`` and ``q`` unchanged), so fitting ``m / c`` and scaling
    ``v`` back loses nothing, and a power of two divides exactly. Spends of
    1e100 then fit like spends of 1.
    """
    total = math.fsum(weights)
    centre = math.fsum(w * _LOG(m) for (_, m), w in zip(rows, weights, strict=True)) / total
    return math.ldexp(1.0, round(centre / _LOG(2.0)))


class _Likelihood:
    """Density of a customer's mean spend ``m`` over ``x`` transactions (Fader & Hardie 2013, eq. 3).

    ``f(m) = Gamma(px+q) / (Gamma(px) Gamma(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q)``.
    """

    def __init__(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> None:
        self.rows = [(x, m, _LOG(x), _LOG(m), w) for (x, m), w in zip(rows, weights, strict=True)]
        self.total = math.fsum(weights)

    def __call__(self, log_params: list[float]) -> tuple[float, list[float]]:
        p, q, v = (math.exp(u) for u in log_params)
        log_v = _LOG(v)
        lg_q = math.lgamma(q)
        psi_q = digamma(q)
        value = self.total * (q * log_v - lg_q)
        g_p = 0.0
        g_q = self.total * (log_v - psi_q)
        g_v = self.total * q / v
        for x, m, log_x, log_m, w in self.rows:
            px = p * x
            pq = px + q
            vxm = v + x * m
            log_vxm = _LOG(vxm)
            psi_pq = digamma(pq)
            value += w * (
                math.lgamma(pq) - math.lgamma(px) + (px - 1.0) * log_m + px * log_x - pq * log_vxm
            )
            g_p += w * x * (psi_pq - digamma(px) + log_m + log_x - log_vxm)
            g_q += w * (psi_pq - log_vxm)
            g_v -= w * pq / vxm
        return -value, [-g_p * p, -g_q * q, -g_v * v]


def _excluded_field(value: object) -> tuple[int, ...]:
    """``excluded_rows``: row indices, whole and non-negative, in a tuple."""
    if not isinstance(value, tuple) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value
    ):
        raise InvalidType("must be a tuple of non-negative int row indices", path="$.excluded_rows")
    return value


@attrs.frozen(slots=True, kw_only=True)
class GammaGamma(ModelBase):
    """The Gamma-Gamma spend model (Fader, Hardie & Lee 2005).

    Parameters ``p`` (shape of a transaction's value), ``q`` and ``v`` (shape
    and scale of its rate across customers; ``gamma`` in the papers).

    Zero or negative mean spends of repeat buyers (a refund that cancels a
    purchase) have no density under the model. By default
    (``nonpositive="exclude"``) such a row is left out of the fit, its index
    recorded in ``excluded_rows``, and predictions treat it as a customer
    without spend information (the population mean); ``nonpositive="refuse"``
    raises instead, naming the row.

    Example:
        >>> from crmcore.clv import GammaGamma
        >>> model = GammaGamma(params={"p": 6.2488, "q": 3.7446, "v": 15.4477})
        >>> [round(s, 2) for s in model.expected_average_spend([2, 1, 0], [22.35, 11.77, 0])]
        [24.66, 18.91, 35.17]
        >>> round(model.expected_average_spend(1, 0.0), 2)  # no spend information: the mean
        35.17
    """

    _names: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    #: Indices (in the fitted input) of the repeat buyers left out of the fit because
    #: their mean spend was zero or negative (``nonpositive="exclude"``).
    excluded_rows: tuple[int, ...] = attrs.field(
        default=(), repr=False, validator=lambda _s, _a, v: _excluded_field(v)
    )

    def fit(
        self,
        frequency: Iterable[float],
        monetary_value: Iterable[float],
        *,
        weights: Iterable[float] | None = None,
        nonpositive: NonPositive = "exclude",
        initial_params: Mapping[str, float] | None = None,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
    ) -> Self:
        """Fit to repeat customers' transaction counts and mean spends.

        Rows with frequency 0 carry no spend information and are left out (so a
        whole summary table can be passed as it is). A repeat buyer needs a
        positive ``monetary_value``, the mean value of its repeat transactions:
        with ``nonpositive="exclude"`` (default) a zero or negative one is left
        out and its index recorded in ``excluded_rows`` (see
        :meth:`spend_mask`); with ``"refuse"`` it is an error naming the row.

        The fit runs on spends divided by a power of two near their geometric
        mean and scales ``v`` back (the model is scale-invariant), so any
        currency unit fits alike; the penalty still applies to ``v`` in the
        spends' own unit. With ``priors`` (densities of the parameters in the
        spends' unit) the spends are used as given. ``penalizer`` is
        ``penalizer * customers * (p^2 + q^2 + v^2)`` added to the negative
        log-likelihood (lifetimes' ``penalizer_coef``); ``priors`` make it a
        MAP fit (see :func:`crmcore.clv.models._base.run_fit`).

        Raises:
            ValidationError: bad data, a bad policy, or no repeat buyer with a
                positive spend.
            ConvergenceError: the optimizer did not converge.
        """
        policy = check_policy(nonpositive)
        x_column = column(frequency, "frequency")
        m_column = column(monetary_value, "monetary_value")
        arguments = [("frequency", x_column), ("monetary_value", m_column)]
        table, customers = load_rows(arguments, _rules(policy), weights)
        keep = [i for i, row in enumerate(table) if row[0] > 0 and row[1] > 0]
        rows, counts = [table[i] for i in keep], [customers[i] for i in keep]
        if not rows:
            raise ValidationError(
                "must hold at least one customer with repeat purchases and a positive spend",
                path="$.frequency",
                code="empty",
            )
        excluded = tuple(
            i for i, (x, m) in enumerate(zip(x_column, m_column, strict=True)) if x > 0 and m <= 0
        )
        # A prior is a density of v in the spends' own unit: it is applied unscaled.
        scale = _scale_of(rows, counts) if priors is None else 1.0
        scaled = [(x, m / scale) for x, m in rows]
        start = self._start(initial_params, (1.0, 2.0, weighted_mean((m for _, m in rows), counts)))
        start[2] /= scale
        fitted = self._fit(
            _Likelihood(scaled, counts),
            start,
            counts,
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            penalizer=penalizer,
            priors=priors,
            hessian=lambda values: negative_log_likelihood_hessian(
                "GammaGamma", scaled, counts, values
            ),
            # The penalty on v in the spends' unit (none asked: no scales, nothing to overflow).
            penalty_scales=None if _is_zero(penalizer) else (1.0, 1.0, scale),
        )
        return _rescaled(fitted, scale, math.fsum(counts), excluded)

    @staticmethod
    def spend_mask(frequency: Iterable[float], monetary_value: Iterable[float]) -> list[bool]:
        """Which rows carry spend information: a repeat buyer with a positive mean spend.

        These are the rows :meth:`fit` uses (each row of the input, in order).

        >>> GammaGamma.spend_mask([2, 0, 1], [10.0, 0.0, 0.0])
        [True, False, False]
        """
        x_column = column(frequency, "frequency")
        m_column = column(monetary_value, "monetary_value")
        load_rows([("frequency", x_column), ("monetary_value", m_column)], _check_lenient, None)
        return [x > 0 and m > 0 for x, m in zip(x_column, m_column, strict=True)]

    @overload
    def expected_average_spend(
        self,
        frequency: float,
        monetary_value: float,
        *,
        nonpositive: NonPositive = "exclude",
        backend: Backend = "auto",
    ) -> float: ...
    @overload
    def expected_average_spend(
        self,
        frequency: NumberArray,
        monetary_value: NumberArray | float,
        *,
        nonpositive: NonPositive = "exclude",
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def expected_average_spend(
        self,
        frequency: Iterable[float],
        monetary_value: Iterable[float] | float,
        *,
        nonpositive: NonPositive = "exclude",
        backend: Backend = "auto",
    ) -> list[float]: ...
    def expected_average_spend(
        self,
        frequency: float | Iterable[float],
        monetary_value: float | Iterable[float],
        *,
        nonpositive: NonPositive = "exclude",
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Expected value of a customer's future transactions, given the history.

        Fader, Hardie & Lee (2005), eq. (5): ``p (v + x m) / (p x + q - 1)``, a
        weighted mean of the population mean ``p v / (q - 1)`` and the
        customer's own mean ``m``. Customers without repeat purchases get the
        population mean; so do repeat buyers with a zero or negative mean spend
        under ``nonpositive="exclude"`` (default: such a spend carries no
        information the model can read), which ``"refuse"`` refuses. Numbers
        give a number, sequences a list, numpy arrays a numpy array.
        ``backend`` chooses pure Python or numpy (see :func:`crmcore.clv.predict`).
        """
        policy = check_policy(nonpositive)
        histories = load(backend, [("frequency", frequency), ("monetary_value", monetary_value)])
        return histories.result(self._spend_column(histories, (0, 1), policy))

    def _spend_column(
        self, histories: Histories, which: tuple[int, int], nonpositive: str = "exclude"
    ) -> Column:
        """Checked expected spend of every base row from its columns ``which`` (frequency, spend).

        ``nonpositive`` (already checked) is the policy for repeat buyers whose
        mean spend is not positive: ``"exclude"`` reads them as frequency 0.
        """
        x, m = (histories.columns[i] for i in which)
        np = histories.np
        rules = _rules(nonpositive)
        if np is not None:
            ok = bool(((x >= 0) & (x == np.floor(x))).all())
            if nonpositive == "refuse":
                ok = ok and bool(((m >= 0) & ((x == 0) | (m > 0))).all())
        else:
            probe = Checker()
            for xi, mi in zip(x, m, strict=True):
                if rules(probe, None, xi, mi) or probe.problems:
                    break
            ok = not probe.problems
        if not ok:
            replay(histories, rules, which)
        p, q, v = self._values()
        if np is None:
            used = [xi if mi > 0 else 0.0 for xi, mi in zip(x, m, strict=True)]
            if any(p * xi + q - 1.0 <= 0 for xi in set(used)):
                self._refuse_undefined(histories, which)
            return [p * (v + xi * mi) / (p * xi + q - 1.0) for xi, mi in zip(used, m, strict=True)]
        used = np.where(m > 0, x, 0.0)
        denominator = p * used + q - 1.0
        if not bool((denominator > 0).all()):
            self._refuse_undefined(histories, which)
        return p * (v + used * m) / denominator

    def _refuse_undefined(self, histories: Histories, which: tuple[int, int]) -> None:
        """Raise for the first row whose expected spend is undefined (``p x + q <= 1``)."""
        p, q, _ = self._values()
        columns = histories.rows()
        for i, (xi, mi) in enumerate(zip(columns[which[0]], columns[which[1]], strict=True)):
            if p * (xi if mi > 0 else 0.0) + q - 1.0 <= 0:
                where = f"$.frequency[{i}]" if histories.vector else "$.frequency"
                raise ValidationError(
                    "has no finite expected spend under these parameters (p * frequency + q must exceed 1)",
                    path=where,
                    code="undefined_expectation",
                )

    def simulate(self, frequency: Iterable[float], *, seed: int) -> dict[str, list[float]]:
        """Simulate each customer's mean spend over ``frequency`` transactions, reproducibly.

        Returns columns ``frequency`` and ``monetary_value`` (0 for customers
        without repeat purchases), ready for :meth:`fit`.
        """
        counts = column(frequency, "frequency")
        checker = Checker()
        for i, value in enumerate(counts):
            if check_whole(checker, "frequency", i, value):
                break
        checker.raise_if_any()
        rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded simulation, not cryptography.
        p, q, v = self._values()
        DrawBudget().spend(int(min(math.fsum(counts), MAX_SIMULATED_DRAWS + 1.0)))
        spends = []
        for x in counts:
            nu = rng.gammavariate(q, 1.0 / v)
            n = int(x)
            spends.append(
                math.fsum(rng.gammavariate(p, 1.0 / nu) for _ in range(n)) / n if n else 0.0
            )
        return {"frequency": counts, "monetary_value": spends}


_Spend = TypeVar("_Spend", bound="GammaGamma")


def _rescaled(model: _Spend, scale: float, customers: float, excluded: tuple[int, ...]) -> _Spend:
    """A model fitted to spends divided by ``scale``, in the spends' own unit.

    ``v`` scales with the spends; the density of each mean spend gains
    ``-log(scale)``; ``v``'s row and column of the covariance scale too (an
    entry beyond the float range leaves the covariance unknown).
    """
    if model.params is None:  # pragma: no cover - a fit always sets them.
        return model
    if scale == 1.0:
        return attrs.evolve(model, excluded_rows=excluded)
    params = {**model.params, "v": model.params["v"] * scale}
    errors = model.standard_errors
    if errors is not None:
        errors = {**errors, "v": errors["v"] * scale}
        if not math.isfinite(errors["v"]):
            errors = None
    covariance = model.covariance
    if covariance is not None:
        factor = (1.0, 1.0, scale)
        matrix = tuple(
            tuple(value * factor[i] * factor[j] for j, value in enumerate(row))
            for i, row in enumerate(covariance)
        )
        covariance = matrix if all(math.isfinite(c) for row in matrix for c in row) else None
    likelihood = model.log_likelihood
    if likelihood is not None:
        likelihood -= customers * _LOG(scale)
    return attrs.evolve(
        model,
        params=params,
        standard_errors=errors,
        covariance=covariance,
        log_likelihood=likelihood,
        excluded_rows=excluded,
    )

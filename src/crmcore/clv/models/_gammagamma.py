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
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Self, overload

import attrs

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
from crmcore.clv.models._sim import simulation_seed
from crmcore.clv.models._special import digamma
from crmcore.errors import ValidationError

if TYPE_CHECKING:
    from crmcore.clv.models._backend import FloatArray, NumberArray

_LOG = math.log


def _check(checker: Checker, index: int | None, x: float, m: float) -> bool:
    if check_whole(checker, "frequency", index, x):
        return True
    where = "$.monetary_value" if index is None else f"$.monetary_value[{index}]"
    if x > 0 and m <= 0:
        return checker.add(where, "must be positive when frequency is positive", "not_positive")
    if m < 0:
        return checker.add(where, "must not be negative", "negative")
    return False


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


@attrs.frozen(slots=True, kw_only=True)
class GammaGamma(ModelBase):
    """The Gamma-Gamma spend model (Fader, Hardie & Lee 2005).

    Parameters ``p`` (shape of a transaction's value), ``q`` and ``v`` (shape
    and scale of its rate across customers; ``gamma`` in the papers).

    Example:
        >>> from crmcore.clv import GammaGamma
        >>> model = GammaGamma(params={"p": 6.2488, "q": 3.7446, "v": 15.4477})
        >>> [round(s, 2) for s in model.expected_average_spend([2, 1, 0], [22.35, 11.77, 0])]
        [24.66, 18.91, 35.17]
    """

    _names: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    def fit(
        self,
        frequency: Iterable[float],
        monetary_value: Iterable[float],
        *,
        weights: Iterable[float] | None = None,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
    ) -> Self:
        """Fit to repeat customers' transaction counts and mean spends.

        Rows with frequency 0 carry no spend information and are left out (so a
        whole summary table can be passed as it is); every other row needs a
        positive ``monetary_value``, the mean value of its repeat transactions.
        """
        arguments = [("frequency", frequency), ("monetary_value", monetary_value)]
        table, customers = load_rows(arguments, _check, weights)
        repeat = [i for i, row in enumerate(table) if row[0] > 0]
        rows, counts = [table[i] for i in repeat], [customers[i] for i in repeat]
        if not rows:
            raise ValidationError(
                "must hold at least one customer with repeat purchases",
                path="$.frequency",
                code="empty",
            )
        mean = weighted_mean((r[1] for r in rows), counts)
        return self._fit(
            _Likelihood(rows, counts),
            self._start(initial_params, (1.0, 2.0, mean)),
            counts,
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
        )

    @overload
    def expected_average_spend(
        self, frequency: float, monetary_value: float, *, backend: Backend = "auto"
    ) -> float: ...
    @overload
    def expected_average_spend(
        self,
        frequency: NumberArray,
        monetary_value: NumberArray | float,
        *,
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def expected_average_spend(
        self,
        frequency: Iterable[float],
        monetary_value: Iterable[float] | float,
        *,
        backend: Backend = "auto",
    ) -> list[float]: ...
    def expected_average_spend(
        self,
        frequency: float | Iterable[float],
        monetary_value: float | Iterable[float],
        *,
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Expected value of a customer's future transactions, given the history.

        Fader, Hardie & Lee (2005), eq. (5): ``p (v + x m) / (p x + q - 1)``, a
        weighted mean of the population mean ``p v / (q - 1)`` and the
        customer's own mean ``m``. Customers without repeat purchases get the
        population mean. Numbers give a number, sequences a list, numpy arrays
        a numpy array. ``backend`` chooses pure Python or numpy (see
        :func:`crmcore.clv.predict`).
        """
        histories = load(backend, [("frequency", frequency), ("monetary_value", monetary_value)])
        return histories.result(self._spend_column(histories, (0, 1)))

    def _spend_column(self, histories: Histories, which: tuple[int, int]) -> Column:
        """Checked expected spend of every base row from its columns ``which`` (frequency, spend)."""
        x, m = (histories.columns[i] for i in which)
        np = histories.np
        if np is not None:
            ok = bool(((x >= 0) & (x == np.floor(x)) & (m >= 0) & ((x == 0) | (m > 0))).all())
        else:
            probe = Checker()
            for xi, mi in zip(x, m, strict=True):
                if _check(probe, None, xi, mi) or probe.problems:
                    break
            ok = not probe.problems
        if not ok:
            replay(histories, _check, which)
        p, q, v = self._values()
        if np is None:
            if any(p * xi + q - 1.0 <= 0 for xi in set(x)):
                self._refuse_undefined(histories, which[0])
            return [p * (v + xi * mi) / (p * xi + q - 1.0) for xi, mi in zip(x, m, strict=True)]
        denominator = p * x + q - 1.0
        if not bool((denominator > 0).all()):
            self._refuse_undefined(histories, which[0])
        return p * (v + x * m) / denominator

    def _refuse_undefined(self, histories: Histories, which: int) -> None:
        """Raise for the first row whose expected spend is undefined (``p x + q <= 1``)."""
        p, q, _ = self._values()
        for i, xi in enumerate(histories.rows()[which]):
            if p * xi + q - 1.0 <= 0:
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

"""What the purchase models share around their own formulas: fit, predict, simulate.

Each purchase model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) keeps only its own
formulas, each citing its source: P(alive), expected purchases and their
discounted sum on a column of :class:`Histories` (``_alive_column``,
``_expected_column``, ``_value_column``) and a new customer's expected
purchases (``_new_customer``); the ``(frequency, recency, T)`` models also
their likelihood, where a fit starts and one simulated customer
(``_objective``, ``_guess``, ``_simulated_customer``). The methods here check
the arguments, call those and shape the answer (a number for numbers, a list
for sequences) the same way for every model.
"""

from __future__ import annotations

import abc
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self, overload

import attrs

from crmcore.clv.models._backend import (
    Backend,
    Column,
    Histories,
    check_rfm_histories,
    rfm_histories,
)
from crmcore.clv.models._base import ModelBase, Objective, ProgressCallback
from crmcore.clv.models._data import DrawBudget, column, horizon, load_rfm, weighted_mean
from crmcore.clv.models._exact import negative_log_likelihood_hessian
from crmcore.clv.models._priors import Prior
from crmcore.clv.models._sim import simulation_horizons, simulation_seed, simulation_size
from crmcore.errors import ValidationError

if TYPE_CHECKING:
    from crmcore.clv.models._backend import FloatArray, NumberArray

#: Simulates one customer up to an age: ``customer(rng, budget, age) -> (frequency, recency)``.
SimulatedCustomer = Callable[[random.Random, DrawBudget, float], tuple[int, float]]


@overload
def increments(values: Iterable[float], factors: Sequence[float], zero: float) -> float: ...
@overload
def increments(values: Iterable[Any], factors: Sequence[float], zero: Any) -> Any: ...
def increments(values: Iterable[Any], factors: Sequence[float], zero: Any) -> Any:
    """``sum_k (v_k - v_{k-1}) factors[k-1]`` with ``v_0 = zero``, over numbers or arrays.

    ``values`` are cumulative forecasts ``E[X(1)], E[X(2)], ...``: the sum
    weighs each period's own purchases by its factor (a discount).
    """
    total = previous = zero
    for current, factor in zip(values, factors, strict=True):
        total = total + (current - previous) * factor
        previous = current
    return total


def beta_geo_customer(
    params: Sequence[float], shift: int, gap: Callable[[random.Random, float], float]
) -> SimulatedCustomer:
    """The BG/NBD family's story for one customer, its purchase gaps drawn by ``gap(rng, rate)``.

    ``params`` are ``(r, alpha, a, b)``: a gamma-distributed rate and a
    beta-distributed chance of dropping out after each purchase (``shift`` 1,
    MBG/NBD: also at time zero). BG/NBD's gaps are exponential, CNBD-k's Erlang-k.
    """
    r, alpha, a, b = params

    def customer(rng: random.Random, budget: DrawBudget, age: float) -> tuple[int, float]:
        rate = rng.gammavariate(r, 1.0 / alpha)
        p = rng.betavariate(a, b)
        x, last, now = 0, 0.0, 0.0
        alive = not (shift == 1 and rng.random() < p)
        while alive and rate > 0:
            budget.spend()
            now += gap(rng, rate)
            if now > age:
                break
            x += 1
            last = now
            alive = rng.random() >= p
        return x, last

    return customer


class Forecaster(abc.ABC):
    """Mixin of the purchase models: predictions from ``(frequency, recency, age)`` histories.

    ``_histories`` and ``_check_histories`` are abstract (every model loads its own
    kind of history). The formula hooks keep ``NotImplementedError`` bodies: the
    bare :class:`RfmModel` stays constructible (a model without formulas is
    refused by name where one is needed, not at construction).
    """

    __slots__ = ()

    #: Horizons are whole numbers of opportunities (BG/BB), not spans of time.
    _whole: ClassVar[bool] = False

    @abc.abstractmethod
    def _histories(
        self, frequency: object, recency: object, age: object, backend: object
    ) -> Histories:
        """Checked histories; ``age`` is ``T`` (BG/BB's ``periods``)."""

    @abc.abstractmethod
    def _check_histories(self, histories: Histories, name: str) -> None:
        """Check loaded histories; ``name`` is what errors call the third column."""

    def _alive_column(self, histories: Histories) -> Column:
        """P(alive) of every base row."""
        raise NotImplementedError

    def _expected_column(self, histories: Histories, span: float) -> Column:
        """Expected purchases in the next ``span`` of every base row."""
        raise NotImplementedError

    def _value_column(self, histories: Histories, factors: Sequence[float]) -> Column:
        """``sum_k (E[X(k)] - E[X(k-1)]) factors[k-1]`` of every base row."""
        raise NotImplementedError

    def _new_customer(self) -> Callable[[float], float]:
        """Expected purchases of a new customer by horizon (the parameters read once, first)."""
        raise NotImplementedError

    def _new_customer_steps(self, spans: Sequence[float]) -> float:
        """Estimated series steps of the new-customer forecasts at ``spans``.

        0 where each forecast costs a bounded amount whatever its span; a model
        whose forecast is a series as long as the span says how long.
        """
        del spans  # every span costs a bounded amount here
        return 0.0

    def _new_customer_many(
        self, one: Callable[[float], float], spans: Sequence[float]
    ) -> list[float]:
        """:meth:`_new_customer` at each of the increasing ``spans``; a model may share work.

        The longest span first: a model's ``one`` may keep the terms of the
        longest span so far for the shorter ones.
        """
        return [one(span) for span in reversed(spans)][::-1]

    def _alive(
        self, frequency: object, recency: object, age: object, backend: object
    ) -> float | list[float] | FloatArray:
        histories = self._histories(frequency, recency, age, backend)
        return histories.result(self._alive_column(histories))

    def _expected(
        self, t: object, frequency: object, recency: object, age: object, backend: object
    ) -> float | list[float] | FloatArray:
        span = horizon(t, whole=self._whole)
        histories = self._histories(frequency, recency, age, backend)
        return histories.result(self._expected_column(histories, span))

    @overload
    def expected_purchases_new(self, t: float) -> float: ...
    @overload
    def expected_purchases_new(self, t: Iterable[float]) -> list[float]: ...
    def expected_purchases_new(self, t: float | Iterable[float]) -> float | list[float]:
        """Expected repeat purchases of a new customer in ``(0, t]``.

        For BG/BB, the transactions in the first ``t`` opportunities. A number
        gives a number, a sequence a list. The formula is the model's own, from
        the paper its class cites (each ``_new_customer`` names the equation).
        """
        one = self._new_customer()
        if isinstance(t, Iterable):
            # Bounded and checked whole before any forecast (at most MAX_ROWS horizons, each
            # within its limit, and their series steps); then one forecast per distinct horizon.
            spans = [horizon(v, f"t[{i}]", whole=self._whole) for i, v in enumerate(column(t, "t"))]
            distinct = sorted(set(spans))
            check_new_customer_steps(self, distinct, "$.t")
            found = dict(zip(distinct, self._new_customer_many(one, distinct), strict=True))
            return [found[span] for span in spans]
        span = horizon(t, whole=self._whole)
        check_new_customer_steps(self, [span], "$.t")
        # As in a list, digit for digit.
        return self._new_customer_many(one, [span])[0]


#: Most estimated series steps (:meth:`Forecaster._new_customer_steps`) of the new-customer
#: forecasts of one call: about a second of work (CNBD-k forecasts walk a series as long
#: as the span, some 3.6 microseconds a step).
MAX_NEW_CUSTOMER_STEPS = 250_000


def check_new_customer_steps(model: Forecaster, spans: Sequence[float], path: str) -> None:
    """Refuse, before any work, forecasts at ``spans`` past :data:`MAX_NEW_CUSTOMER_STEPS`."""
    if model._new_customer_steps(spans) > MAX_NEW_CUSTOMER_STEPS:  # noqa: SLF001 - same package.
        raise ValidationError(
            f"needs more than {MAX_NEW_CUSTOMER_STEPS:,} series steps of new-customer "
            "forecasts: use shorter or fewer spans",
            path=path,
            code="too_large",
        )


#: Parameters in units of 1/time (rates' scales): lifetimes penalizes them with time
#: measured in units of the longest ``T`` (its ``_scale_time``).
_RATES = frozenset({"alpha", "beta"})
#: The models whose penalty lifetimes weighs by the rows' mean weight, not by the customers.
_MEAN_WEIGHT_PENALTY = frozenset({"ParetoNBD"})


@attrs.frozen(slots=True, kw_only=True)
class RfmModel(ModelBase, Forecaster):
    """The models of ``(frequency, recency, T)`` histories: BG/NBD, MBG/NBD, Pareto/NBD.

    Each gives its likelihood (``_objective``) and where a fit starts
    (``_guess``); fitting and predicting are the same for all of them.
    """

    def _objective(self, rows: Sequence[tuple[float, ...]], weights: Sequence[float]) -> Objective:
        """The negative log-likelihood of compressed rows with their weights."""
        raise NotImplementedError

    def _guess(self, mean_age: float) -> tuple[float, ...]:
        """Where a fit starts without ``initial_params``, scaled by the customers' mean ``T``."""
        raise NotImplementedError

    def _simulated_customer(self) -> SimulatedCustomer:
        """The model's generative story for one customer (the parameters read once, first)."""
        raise NotImplementedError

    def fit(
        self,
        frequency: Iterable[float],
        recency: Iterable[float],
        T: Iterable[float],  # noqa: N803 - the literature's name.
        *,
        weights: Iterable[float] | None = None,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
    ) -> Self:
        """Fit by maximum likelihood (or MAP with priors) and return a new, fitted model.

        Identical histories are collapsed first, so the cost grows with the
        number of distinct ``(frequency, recency, T)`` rows, not customers.

        Args:
            frequency: repeat purchases of each customer (whole numbers).
            recency: time of each customer's last repeat purchase, measured from
                the first purchase (0 when frequency is 0).
            T: each customer's age: time from the first purchase to the end of
                observation, in the same period unit.
            weights: how many customers each row stands for (compressed input,
                such as the result of a GROUP BY); default one each.
            initial_params: where the search starts; default this model's
                parameters if it has some, else a data-scaled guess.
            progress: called as ``progress(iteration, negative_log_likelihood)``.
            max_iterations: BFGS iterations allowed.
            require_convergence: raise :class:`ConvergenceError` if the fit does
                not converge (default); with False the model comes back with
                ``diagnostics.converged`` False instead (``diagnostics.reason``
                says why).
            penalizer: lifetimes' ``penalizer_coef``, with the same results for
                the same value: adds ``penalizer * n * (r^2 + (alpha/max(T))^2 + ...)``
                to the negative log-likelihood, the rate parameters (``alpha``, and
                ``beta`` of Pareto/NBD) measured in units of the longest ``T``. For
                BG/NBD and MBG/NBD ``n`` is the number of customers (the sum of the
                weights); for Pareto/NBD it is the mean weight of the rows given
                (1 without ``weights``), as lifetimes' ``ParetoNBDFitter`` does it
                (see docs/clv_fitting.md). 0 (default) is a maximum-likelihood fit.
            priors: parameter name to :class:`~crmcore.clv.models.GammaPrior` or
                :class:`~crmcore.clv.models.LogNormalPrior`: a MAP fit, the
                log prior density added to the log-likelihood.

        Returns:
            A model of the same class with ``params``, ``log_likelihood`` (the
            total over all customers), ``diagnostics`` and ``standard_errors``.

        Raises:
            ValidationError: bad data, naming the argument and index; a negative
                ``penalizer``; ``priors`` naming an unknown parameter.
            ConvergenceError: the fit did not converge; its ``reason`` says why.
        """
        sizes: list[int] = []
        rows, w = load_rfm(frequency, recency, T, weights, sizes=sizes)
        start = self._start(initial_params, self._guess(weighted_mean((row[2] for row in rows), w)))
        longest = max((row[2] for row in rows), default=0.0)
        unit = 1.0 / longest if longest > 0 else 1.0
        name = type(self).__name__
        return self._fit(
            self._objective(rows, w),
            start,
            w,
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            penalizer=penalizer,
            priors=priors,
            hessian=lambda values: negative_log_likelihood_hessian(name, rows, w, values),
            penalty_scales=[unit if p in _RATES else 1.0 for p in self._names],
            # lifetimes' ParetoNBDFitter divides its summed log-likelihood by the mean weight
            # of the rows given (1 without weights), its other fitters by their sum.
            penalty_customers=math.fsum(w) / sizes[0] if name in _MEAN_WEIGHT_PENALTY else None,
        )

    def _check_histories(self, histories: Histories, name: str = "T") -> None:
        check_rfm_histories(histories, name)

    def _histories(
        self,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803 - the literature's name.
        backend: object,
    ) -> Histories:
        return rfm_histories(frequency, recency, T, backend)

    @overload
    def probability_alive(
        self,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> float: ...
    @overload
    def probability_alive(
        self,
        frequency: NumberArray,
        recency: NumberArray | float,
        T: NumberArray | float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def probability_alive(
        self,
        frequency: Iterable[float],
        recency: Iterable[float] | float,
        T: Iterable[float] | float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> list[float]: ...
    def probability_alive(
        self,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        *,
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Probability that a customer with this history is still alive at ``T``.

        Numbers give a number; sequences (lists, Series) give a list, with
        numbers broadcast; numpy arrays (every sequence argument one) give a
        float64 numpy array. ``backend`` chooses pure Python or numpy (see
        :func:`crmcore.clv.predict`). The formula is the model's own, from the
        paper its class cites (each ``_alive_column`` names the equation).
        """
        return self._alive(frequency, recency, T, backend)

    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> float: ...
    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: NumberArray,
        recency: NumberArray | float,
        T: NumberArray | float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> FloatArray: ...
    @overload
    def expected_purchases(
        self,
        t: float,
        frequency: Iterable[float],
        recency: Iterable[float] | float,
        T: Iterable[float] | float,  # noqa: N803
        *,
        backend: Backend = "auto",
    ) -> list[float]: ...
    def expected_purchases(
        self,
        t: float,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        *,
        backend: Backend = "auto",
    ) -> float | list[float] | FloatArray:
        """Expected purchases in ``(T, T + t]`` given each customer's history.

        Shaped as :meth:`probability_alive`'s answer (numpy arrays in, a numpy
        array out). Each distinct history is computed once. The formula is the model's own,
        from the paper its class cites (each ``_expected_column`` names the
        equation).
        """
        return self._expected(t, frequency, recency, T, backend)

    def simulate(
        self,
        n_customers: int,
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        *,
        seed: int,
    ) -> dict[str, list[float]]:
        """Simulate customers from the model, reproducibly.

        Args:
            n_customers: how many customers.
            T: each customer's age at the end of observation: one number for
                all, or one per customer.
            seed: seed of the ``random.Random`` generator used.

        Returns:
            Columns ``frequency``, ``recency`` and ``T``, ready for :meth:`fit`.
            The cost grows with the number of purchases simulated.
        """
        size = simulation_size(n_customers)
        ages = simulation_horizons(T, size)
        rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded simulation, not cryptography.
        customer = self._simulated_customer()
        budget = DrawBudget()
        out: dict[str, list[float]] = {"frequency": [], "recency": [], "T": []}
        for age in ages:
            x, last = customer(rng, budget, age)
            out["frequency"].append(float(x))
            out["recency"].append(last)
            out["T"].append(age)
        return out

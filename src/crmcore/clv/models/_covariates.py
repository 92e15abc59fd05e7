"""Time-invariant covariates in the Pareto/NBD and BG/NBD models.

Fader & Hardie (2007), "Incorporating Time-Invariant Covariates into the
Pareto/NBD and BG/NBD Models" (http://www.brucehardie.com/notes/019/). Each
customer ``i`` has covariates ``z_i`` (a row of numbers that does not change
over time). The purchase rate keeps its gamma mixing distribution, with the
customer's own scale ``alpha_i = alpha_0 exp(-gamma_1' z_i)``, so
``E[lambda_i] = r / alpha_0 * exp(gamma_1' z_i)``: a positive coefficient
means more purchases. The drop-out process does the same:

* Pareto/NBD: ``beta_i = beta_0 exp(-gamma_2' z_i)``, so a positive coefficient
  means a shorter expected lifetime;
* BG/NBD: ``a_i = a_0 exp(gamma_2' z_i)`` and ``b_i = b_0 exp(gamma_3' z_i)``,
  so a positive ``gamma_2`` raises the mean drop-out probability ``a/(a+b)`` and a
  positive ``gamma_3`` lowers it.

Given ``z_i``, a customer's likelihood and every prediction are those of the
model without covariates at the customer's own parameters (the note's
observation): the likelihood here evaluates the base models' per-row pieces at
each row's parameters, with the analytic gradient carried through
``log alpha_i = log alpha_0 - gamma_1' z_i`` and its siblings.

The fit runs on standardized covariates (each used column centred on its
weighted mean and divided by its weighted standard deviation) and maps the
estimates, and their covariance, back to the covariates as given.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar, Self, cast

import attrs

from crmcore._kernel._checks import type_name
from crmcore.clv.models._base import (
    Covariance,
    FitOutcome,
    ModelBase,
    ModelError,
    ParamMap,
    ProgressCallback,
    make_params,
    penalizer_value,
    run_fit,
)
from crmcore.clv.models._bgnbd import BetaGeo
from crmcore.clv.models._covariates_likelihood import (
    Design,
    Link,
    Objective,
    bgnbd_rows,
    pareto_rows,
)
from crmcore.clv.models._data import (
    Checker,
    DrawBudget,
    check_rfm,
    column,
    compress,
    horizon,
    number,
    require_nonempty,
    rfm_arguments,
    same_length,
    weighted_mean,
    weights_column,
)
from crmcore.clv.models._forecast import RfmModel
from crmcore.clv.models._interval import Interval, confidence_level, make_interval
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.clv.models._priors import Prior, check_priors
from crmcore.clv.models._sim import simulation_horizons, simulation_seed
from crmcore.errors import InvalidType, ValidationError

_LOG = math.log
_EXP = math.exp

#: Most covariate columns a model takes (each adds a parameter per process it enters).
MAX_COVARIATES = 50

#: Below this relative pivot the (standardized) covariates of one process are taken as
#: linearly dependent: their coefficients are not identified.
_COLLINEAR = 1e-10

_PROCESSES = ("purchase", "dropout")


# -- the covariates --------------------------------------------------------------------------


def covariate_rows(
    values: object, size: int | None, path: str = "$.covariates"
) -> list[list[float]]:
    """A matrix of finite numbers: one row per customer, every row as wide as the first.

    ``size`` is the number of customers (None: any); ``values`` None is a
    matrix without columns. Every bad cell is named (``$.covariates[3][1]``),
    never its value.
    """
    if values is None and size is not None:
        return [[] for _ in range(size)]
    rows = _sequence(values, path, "a sequence of rows of numbers")
    if size is not None and len(rows) != size:
        raise ValidationError(
            f"must have one row per customer ({size}), not {len(rows)}",
            path=path,
            code="length_mismatch",
        )
    width: int | None = None
    out: list[list[float]] = []
    checker = Checker()
    for i, row in enumerate(rows):
        where = f"{path}[{i}]"
        cells = _sequence(row, where, "a sequence of numbers")
        if width is None:
            width = len(cells)
            if width > MAX_COVARIATES:
                raise ValidationError(
                    f"must hold at most {MAX_COVARIATES} covariates", path=where, code="too_many"
                )
        elif len(cells) != width:
            raise ValidationError(
                f"must have as many covariates as the first row ({width}), not {len(cells)}",
                path=where,
                code="shape",
            )
        out.append(_cells(cells, where, checker))
        if checker.problems:
            break
    checker.raise_if_any()
    return out


def _sequence(values: object, path: str, what: str) -> list[object]:
    """A sequence's items (a 2-D numpy array or DataFrame as nested lists)."""
    if isinstance(values, (str, bytes, dict)) or not isinstance(values, Iterable):
        raise InvalidType(f"must be {what}, not {type_name(values)}", path=path)
    tolist = getattr(values, "tolist", None)
    module = type(values).__module__.partition(".")[0]
    if module in {"numpy", "pandas"} and callable(tolist):
        values = tolist()  # nested lists of plain numbers, whatever the dimension
    return list(cast("Iterable[object]", values))


def _cells(cells: Sequence[object], where: str, checker: Checker) -> list[float]:
    """One row's numbers; the non-finite ones recorded (a wrong type raises at once)."""
    out: list[float] = []
    for j, cell in enumerate(cells):
        try:
            out.append(number(cell, f"{where}[{j}]"))
        except InvalidType:
            raise
        except ValidationError:
            out.append(0.0)
            if checker.add(f"{where}[{j}]", "must be a finite number", "not_finite"):
                break
    return out


def column_selection(value: object, width: int, name: str) -> tuple[int, ...]:
    """Which covariate columns enter a process: None means all of them."""
    path = f"$.{name}"
    if value is None:
        return tuple(range(width))
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of column indices, not {type_name(value)}", path=path
        )
    out: list[int] = []
    for k, item in enumerate(value):
        where = f"{path}[{k}]"
        if isinstance(item, bool) or not isinstance(item, int):
            raise InvalidType(f"must be an int column index, not {type_name(item)}", path=where)
        if not 0 <= item < width:
            raise ValidationError(
                f"must be a column of the covariates, from 0 to {width - 1}",
                path=where,
                code="range",
            )
        if item in out:
            raise ValidationError("must not repeat a column", path=where, code="duplicate")
        out.append(item)
    return tuple(out)


def _moments(
    rows: Sequence[Sequence[float]], weights: Sequence[float], columns: Iterable[int]
) -> dict[int, tuple[float, float]]:
    """Weighted mean and standard deviation of each used column; a constant one is refused."""
    total = math.fsum(weights)
    out: dict[int, tuple[float, float]] = {}
    for j in sorted(set(columns)):
        mean = math.fsum(w * row[j] for row, w in zip(rows, weights, strict=True)) / total
        var = math.fsum(w * (row[j] - mean) ** 2 for row, w in zip(rows, weights, strict=True))
        sd = math.sqrt(var / total)
        if not sd > 1e-12 * max(1.0, abs(mean)):
            raise ValidationError(
                "must vary across customers: a constant covariate cannot be told apart "
                "from the baseline parameter (leave the column out)",
                path=f"$.covariates[*][{j}]",
                code="constant",
            )
        out[j] = (mean, sd)
    return out


def _check_independent(
    rows: Sequence[Sequence[float]],
    weights: Sequence[float],
    columns: Sequence[int],
    moments: Mapping[int, tuple[float, float]],
    process: str,
) -> None:
    """Refuse a column that is a linear combination of the process's earlier columns.

    A Cholesky factorization of the weighted correlation matrix of the
    process's columns: a pivot at rounding level means the column adds nothing,
    so the coefficients are not identified.
    """
    n = len(columns)
    if n < 2:
        return
    total = math.fsum(weights)
    std = [[(row[j] - moments[j][0]) / moments[j][1] for j in columns] for row in rows]
    corr = [
        [
            math.fsum(w * s[a] * s[b] for s, w in zip(std, weights, strict=True)) / total
            for b in range(n)
        ]
        for a in range(n)
    ]
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for k in range(i + 1):
            rest = corr[i][k] - math.fsum(low[i][m] * low[k][m] for m in range(k))
            if i == k:
                if not rest > _COLLINEAR:
                    raise ValidationError(
                        f"must not be a linear combination of the other {process} covariates "
                        "(their coefficients would not be identified)",
                        path=f"$.covariates[*][{columns[i]}]",
                        code="collinear",
                    )
                low[i][i] = math.sqrt(rest)
            else:
                low[i][k] = rest / low[k][k]


# -- the models --------------------------------------------------------------------------------


def _check_coefficients(
    given: object, groups: Mapping[str, str], width: int | None, path: str, *, positive: bool
) -> ParamMap:
    """Coefficients named ``group[j]``: finite numbers (positive for standard errors)."""
    if not isinstance(given, Mapping):
        raise InvalidType(
            f"must be a mapping of coefficient names to numbers, not {type_name(given)}", path=path
        )
    items: list[tuple[int, str, int, float]] = []
    order = list(groups)
    for key, value in given.items():
        parsed = _parse_name(key, groups, width)
        if parsed is None:
            # The key itself is never repeated: it may be anything.
            raise ValidationError(
                "must name coefficients as group[column] with group one of "
                f"{', '.join(order)} and column a covariate index",
                path=path,
                code="parameters",
            )
        group, j = parsed
        where = f"{path}.{key}"
        result = number(value, where)
        if positive and not result > 0:
            raise ValidationError(
                "must be a positive finite number", path=where, code="not_positive"
            )
        items.append((order.index(group), group, j, result))
    items.sort()
    return ParamMap([(f"{group}[{j}]", value) for _, group, j, value in items])


def _parse_name(
    key: object, groups: Mapping[str, str], width: int | None
) -> tuple[str, int] | None:
    if not isinstance(key, str) or not key.endswith("]") or "[" not in key:
        return None
    group, _, index = key[:-1].partition("[")
    if group not in groups or not index.isdigit() or index != str(int(index)):
        return None
    j = int(index)
    if j >= MAX_COVARIATES or (width is not None and j >= width):
        return None
    return group, j


@attrs.frozen(slots=True, kw_only=True)
class _CovariateModel(ModelBase):
    """A purchase model whose parameters depend on each customer's covariates."""

    #: The model without covariates that each customer follows at their own parameters.
    _base: ClassVar[type[RfmModel]]
    #: How the coefficients act: (group, parameter, sign, process).
    _links: ClassVar[tuple[Link, ...]]

    #: The coefficients ``gamma``, named ``group[j]`` for covariate column ``j``; a column
    #: absent from a group does not act on that group's parameter (a coefficient of 0).
    coefficients: Mapping[str, float] | None = None
    #: Standard errors of the coefficients, from the fit's covariance.
    coefficient_standard_errors: Mapping[str, float] | None = None
    #: How many covariate columns each customer's row has; None: one past the highest
    #: column a coefficient names.
    covariate_count: int | None = None

    def __attrs_post_init__(self) -> None:
        self._check_count()
        self._check_estimates()
        self._check_coefficient_fields()
        self._check_fit_record(self.estimate_names)

    def _check_count(self) -> None:
        count = self.covariate_count
        if count is None:
            return
        if isinstance(count, bool) or not isinstance(count, int):
            raise InvalidType(f"must be an int, not {type_name(count)}", path="$.covariate_count")
        if not 0 <= count <= MAX_COVARIATES:
            raise ValidationError(
                f"must be from 0 to {MAX_COVARIATES}", path="$.covariate_count", code="range"
            )

    def _check_coefficient_fields(self) -> None:
        groups = self._groups()
        if self.coefficients is not None:
            found = _check_coefficients(
                self.coefficients, groups, self.covariate_count, "$.coefficients", positive=False
            )
            object.__setattr__(self, "coefficients", found)
            if self.covariate_count is None:
                width = max((_column_of(k) + 1 for k in found), default=0)
                object.__setattr__(self, "covariate_count", width)
        if self.coefficient_standard_errors is not None:
            found_errors = _check_coefficients(
                self.coefficient_standard_errors,
                groups,
                self.covariate_count,
                "$.coefficient_standard_errors",
                positive=True,
            )
            if self.coefficients is None or set(found_errors) != set(self.coefficients):
                raise ValidationError(
                    "must name exactly the coefficients",
                    path="$.coefficient_standard_errors",
                    code="parameters",
                )
            object.__setattr__(self, "coefficient_standard_errors", found_errors)

    def _row_terms(
        self, design: Design, base: list[float], individual: list[list[float]]
    ) -> tuple[list[float], list[list[float]]]:
        """Each row's log-likelihood and its gradient in the log of each individual parameter."""
        raise NotImplementedError

    @classmethod
    def _groups(cls) -> dict[str, str]:
        return {group: process for group, _, _, process in cls._links}

    @property
    def estimate_names(self) -> tuple[str, ...]:
        """The base parameters, then the coefficients: the rows of :attr:`covariance`."""
        return self._names + tuple(self.coefficients or ())

    # -- each customer's parameters --------------------------------------------------------

    def _width(self) -> int:
        return self.covariate_count or 0

    def _row_params(self, row: Sequence[float]) -> tuple[float, ...]:
        values = list(self._values())
        coefficients = self.coefficients or {}
        for group, param, sign, _ in self._links:
            k = self._names.index(param)
            eta = math.fsum(
                value * row[_column_of(name)]
                for name, value in coefficients.items()
                if name.startswith(group + "[")
            )
            try:
                values[k] = values[k] * _EXP(sign * eta)
            except OverflowError:
                values[k] = math.inf
            if not (math.isfinite(values[k]) and values[k] > 0):
                raise ModelError(
                    f"the covariates give parameter {param} a value outside the float range"
                )
        return tuple(values)

    def customer_params(self, covariates: Iterable[float]) -> dict[str, float]:
        """One customer's own parameters, given their covariates (one row).

        ``alpha_i = alpha_0 exp(-gamma_1' z_i)`` and its siblings (Fader &
        Hardie 2007).

        Raises:
            ValidationError: the row is not as wide as :attr:`covariate_count`
                or holds something not a finite number.
            NotFittedError: the model has no parameters.
            ModelError: a parameter overflows the float range.
        """
        row = self._one_row(covariates)
        return dict(zip(self._names, self._row_params(row), strict=True))

    def customer_model(self, covariates: Iterable[float]) -> RfmModel:
        """The model without covariates at one customer's own parameters.

        Every prediction of that model (P(alive), expected purchases, the
        probability of ``n`` purchases, the forecasts of
        :mod:`crmcore.clv.models`) then holds for this customer.
        """
        return self._base(params=self.customer_params(covariates))

    def _one_row(self, covariates: object, path: str = "$.covariates") -> list[float]:
        width = self._width()
        if covariates is None and width == 0:
            return []
        if isinstance(covariates, (str, bytes, dict)) or not isinstance(covariates, Iterable):
            raise InvalidType(
                f"must be a sequence of numbers (one customer's covariates), not {type_name(covariates)}",
                path=path,
            )
        cells = list(covariates)
        if len(cells) != width:
            raise ValidationError(
                f"must hold {width} covariates, not {len(cells)}", path=path, code="shape"
            )
        return [number(v, f"{path}[{j}]") for j, v in enumerate(cells)]

    def _rows(self, covariates: object, size: int) -> list[list[float]]:
        width = self._width()
        if covariates is None and width == 0:
            return [[] for _ in range(size)]
        rows = covariate_rows(covariates, size)
        if rows and len(rows[0]) != width:
            raise ValidationError(
                f"must hold {width} covariates, not {len(rows[0])}",
                path="$.covariates[0]",
                code="shape",
            )
        return rows

    def _per_customer(
        self,
        frequency: object,
        recency: object,
        T: object,  # noqa: N803 - the literature's name.
        covariates: object,
        one: Callable[[RfmModel, list[float], list[float], list[float]], list[float]],
    ) -> float | list[float]:
        """Apply ``one(base_model, x, t_x, T)`` to the customers grouped by their parameters."""
        vector, histories = rfm_arguments(frequency, recency, T)
        self._values()
        rows = self._rows(covariates, len(histories)) if vector else [self._one_row(covariates)]
        groups: dict[tuple[float, ...], list[int]] = {}
        for i, row in enumerate(rows):
            groups.setdefault(self._row_params(row), []).append(i)
        out = [0.0] * len(histories)
        for params, members in groups.items():
            model = self._base(params=dict(zip(self._names, params, strict=True)))
            x = [histories[i][0] for i in members]
            t_x = [histories[i][1] for i in members]
            t = [histories[i][2] for i in members]
            for i, value in zip(members, one(model, x, t_x, t), strict=True):
                out[i] = value
        return out if vector else out[0]

    def probability_alive(
        self,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        covariates: Iterable[float] | Iterable[Iterable[float]] | None,
    ) -> float | list[float]:
        """P(alive) of each customer at their own parameters.

        Numbers (one customer) take one row of covariates and give a number;
        sequences take one row per customer and give a list. The formula is
        the base model's (see :meth:`customer_model`).
        """
        return self._per_customer(
            frequency,
            recency,
            T,
            covariates,
            lambda model, x, t_x, t: model.probability_alive(x, t_x, t, backend="python"),
        )

    def expected_purchases(
        self,
        t: float,
        frequency: float | Iterable[float],
        recency: float | Iterable[float],
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        covariates: Iterable[float] | Iterable[Iterable[float]] | None,
    ) -> float | list[float]:
        """Expected purchases in ``(T, T + t]`` of each customer at their own parameters.

        Shaped as :meth:`probability_alive`'s answer.
        """
        span = horizon(t)
        return self._per_customer(
            frequency,
            recency,
            T,
            covariates,
            lambda model, x, t_x, age: model.expected_purchases(
                span, x, t_x, age, backend="python"
            ),
        )

    def expected_purchases_new(self, t: float, covariates: Iterable[float] | None) -> float:
        """Expected repeat purchases in ``(0, t]`` of a new customer with these covariates."""
        span = horizon(t)
        return self.customer_model(self._one_row(covariates)).expected_purchases_new(span)

    def coefficient_intervals(self, level: float = 0.95) -> dict[str, Interval]:
        """Each coefficient's estimate, standard error and Wald interval (on its own scale).

        Raises:
            ValidationError: ``level`` is not strictly between 0 and 1.
            ModelError: the model has no coefficients or no covariance.
        """
        chance = confidence_level(level)
        if self.coefficients is None or self.covariance is None:
            raise ModelError(
                f"{type(self).__name__} has no coefficients with a covariance: fit it first"
            )
        n = len(self._names)
        return {
            name: make_interval(value, self.covariance[n + k][n + k], chance, "identity")
            for k, (name, value) in enumerate(self.coefficients.items())
        }

    def simulate(
        self,
        covariates: Iterable[Iterable[float]],
        T: float | Iterable[float],  # noqa: N803 - the literature's name.
        *,
        seed: int,
    ) -> dict[str, list[float]]:
        """Simulate one customer per row of ``covariates``, reproducibly.

        Each customer follows the base model's story at their own parameters
        (see :meth:`customer_model`); ``T`` is one age for all or one per row.
        Returns the columns ``frequency``, ``recency`` and ``T``.
        """
        rows = covariate_rows(covariates, None)
        require_nonempty("covariates", len(rows))
        if rows and len(rows[0]) != self._width():
            raise ValidationError(
                f"must hold {self._width()} covariates, not {len(rows[0])}",
                path="$.covariates[0]",
                code="shape",
            )
        ages = simulation_horizons(T, len(rows))
        rng = random.Random(simulation_seed(seed))  # noqa: S311 - seeded simulation, not cryptography.
        budget = DrawBudget()
        out: dict[str, list[float]] = {"frequency": [], "recency": [], "T": []}
        for row, age in zip(rows, ages, strict=True):
            base = self._base(params=dict(zip(self._names, self._row_params(row), strict=True)))
            x, last = base._simulated_customer()(rng, budget, age)  # noqa: SLF001 - the base model's story.
            out["frequency"].append(float(x))
            out["recency"].append(last)
            out["T"].append(age)
        return out

    # -- fitting -----------------------------------------------------------------------------

    def fit(
        self,
        frequency: Iterable[float],
        recency: Iterable[float],
        T: Iterable[float],  # noqa: N803 - the literature's name.
        covariates: Iterable[Iterable[float]] | None,
        *,
        purchase_covariates: Iterable[int] | None = None,
        dropout_covariates: Iterable[int] | None = None,
        weights: Iterable[float] | None = None,
        initial_params: Mapping[str, float] | None = None,
        progress: ProgressCallback | None = None,
        max_iterations: int = 500,
        require_convergence: bool = True,
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
    ) -> Self:
        """Fit by maximum likelihood (or MAP with priors) and return a new, fitted model.

        Args:
            frequency: repeat purchases of each customer (whole numbers).
            recency: time of each customer's last repeat purchase, from the first.
            T: each customer's age at the end of observation, in the same unit.
            covariates: one row of numbers per customer (lists, tuples, a 2-D
                numpy array); None for no covariates at all.
            purchase_covariates: the columns that act on the purchase rate
                (default: every column); ``()`` for none.
            dropout_covariates: the columns that act on the drop-out process
                (default: every column); ``()`` for none.
            weights: how many customers each row stands for.
            initial_params: where the search starts: base parameters (the
                baseline at covariates 0) and, optionally, coefficients by name
                (``"purchase[0]"``); default this model's estimates if it has
                some, else a data-scaled guess with every coefficient 0.
            progress: called as ``progress(iteration, negative_log_likelihood)``.
            max_iterations: BFGS iterations allowed.
            require_convergence: raise :class:`ConvergenceError` if the fit does
                not converge (default); with False the model comes back with
                ``diagnostics.converged`` False.
            penalizer: adds ``penalizer * customers`` times lifetimes' penalty
                on the base parameters of a customer with average covariates
                plus the sum of the squared standardized coefficients
                (``gamma_k * sd_k``): a ridge on the covariates' effects.
            priors: priors on the base parameters of a customer with average
                covariates (a MAP fit).

        Raises:
            ValidationError: bad histories or covariates (a wrong shape, a
                non-finite cell, a constant column, collinear columns of one
                process, a bad column index), naming the argument and index.
            ConvergenceError: the fit did not converge; its ``reason`` says why.
        """
        names = ["frequency", "recency", "T"]
        cols = [
            column(values, name)
            for name, values in zip(names, (frequency, recency, T), strict=True)
        ]
        size = same_length("frequency", list(zip(names, cols, strict=True)))
        require_nonempty("frequency", size)
        checker = Checker()
        for index, row in enumerate(zip(*cols, strict=True)):
            if check_rfm(checker, index, *row):
                break
        checker.raise_if_any()
        z_rows = covariate_rows(covariates, size)
        width = len(z_rows[0])
        selections = {
            "purchase": column_selection(purchase_covariates, width, "purchase_covariates"),
            "dropout": column_selection(dropout_covariates, width, "dropout_covariates"),
        }
        w_all = weights_column(weights, size)
        kept = [i for i in range(size) if w_all[i] > 0]
        kept_rows = [z_rows[i] for i in kept]
        kept_w = [w_all[i] for i in kept]
        moments = _moments(kept_rows, kept_w, [*selections["purchase"], *selections["dropout"]])
        for process in _PROCESSES:
            _check_independent(kept_rows, kept_w, selections[process], moments, process)
        rows, w = compress(((*h, *z) for *h, z in zip(*cols, z_rows, strict=True)), w_all)
        design = Design(rows, w, self._links, selections, moments)
        coefficient_names = [
            f"{group}[{j}]" for group, _, _, process in self._links for j in selections[process]
        ]
        sizes = [len(selections[process]) for _, _, _, process in self._links]
        longest = max(cols[2])
        unit = 1.0 / longest if longest > 0 else 1.0
        scales = [unit if p in {"alpha", "beta"} else 1.0 for p in self._names]
        weight = penalizer_value(penalizer) * math.fsum(w)
        checked_priors = check_priors(priors, self._names)
        objective = Objective(
            design, self._names, self._links, sizes, self._row_terms, weight, scales
        )
        raw = Objective(design, self._names, self._links, sizes, self._row_terms, 0.0, scales)
        start = self._start_point(
            initial_params, coefficient_names, moments, weighted_mean((r[2] for r in rows), w)
        )
        outcome = run_fit(
            [*self._names, *coefficient_names],
            objective,
            [_EXP(v) for v in start],
            rows=len(w),
            customers=math.fsum(w),
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
            priors=checked_priors,
        )
        return self._from_fit(outcome, raw, coefficient_names, moments, width)

    def _to_standard(
        self, values: Mapping[str, float], moments: Mapping[int, tuple[float, float]]
    ) -> list[float]:
        """Log base parameters and coefficients at covariates 0 -> the standardized fit's."""
        log_base = [_LOG(values[name]) for name in self._names]
        out: list[float] = []
        for group, param, sign, _ in self._links:
            k = self._names.index(param)
            for name, gamma in values.items():
                if name.startswith(group + "["):
                    log_base[k] += sign * gamma * moments[_column_of(name)][0]
        out = [
            value * moments[_column_of(name)][1] for name, value in values.items() if "[" in name
        ]
        return log_base + out

    def _start_point(
        self,
        initial_params: Mapping[str, float] | None,
        coefficient_names: Sequence[str],
        moments: Mapping[int, tuple[float, float]],
        mean_age: float,
    ) -> list[float]:
        """Where the standardized search starts (log base parameters, coefficients)."""
        known: dict[str, float] = {}
        if initial_params is not None:
            if not isinstance(initial_params, Mapping):
                raise InvalidType(
                    f"must be a mapping of parameter names to numbers, not {type_name(initial_params)}",
                    path="$.initial_params",
                )
            base_given = {k: v for k, v in initial_params.items() if k in self._names}
            known.update(make_params(self._names, base_given, "$.initial_params"))
            extra = {k: v for k, v in initial_params.items() if k not in self._names}
            found = _check_coefficients(
                extra, self._groups(), None, "$.initial_params", positive=False
            )
            unknown = [k for k in found if k not in coefficient_names]
            if unknown:
                raise ValidationError(
                    "must name only coefficients of the covariates used in this fit",
                    path="$.initial_params",
                    code="parameters",
                )
            known.update(found)
        elif self.params is not None:
            known.update(self.params)
            known.update(
                (k, v) for k, v in (self.coefficients or {}).items() if k in coefficient_names
            )
        else:
            base = self._base()._guess(mean_age)  # noqa: SLF001 - the base model's own start.
            known.update(zip(self._names, base, strict=True))
        values = {name: known[name] for name in self._names}
        values.update((name, known.get(name, 0.0)) for name in coefficient_names)
        return self._to_standard(values, moments)

    def _from_fit(
        self,
        outcome: FitOutcome,
        raw: Objective,
        coefficient_names: Sequence[str],
        moments: Mapping[int, tuple[float, float]],
        width: int,
    ) -> Self:
        """Map the standardized fit back to the covariates as given."""
        n = len(self._names)
        fitted = [outcome.params[name] for name in outcome.params]
        u = [_LOG(v) for v in fitted]  # log base, then standardized coefficients
        log_likelihood = -raw(u)[0]
        # Linear map u -> v: v_k = u_k - sign sum_j u_c m_c / sd_c; gamma_c = u_c / sd_c.
        size = len(u)
        jac = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
        for c, name in enumerate(coefficient_names, start=n):
            mean, sd = moments[_column_of(name)]
            group = name.partition("[")[0]
            link = next(link for link in self._links if link[0] == group)
            k = self._names.index(link[1])
            jac[k][c] = -link[2] * mean / sd
            jac[c][c] = 1.0 / sd
        v = [math.fsum(jac[i][j] * u[j] for j in range(size)) for i in range(size)]
        params = {name: _EXP(v[k]) for k, name in enumerate(self._names)}
        coefficients = {name: v[c] for c, name in enumerate(coefficient_names, start=n)}
        covariance: Covariance | None = None
        standard_errors = coefficient_errors = None
        if outcome.covariance is not None:
            logs = [
                [outcome.covariance[i][j] / (fitted[i] * fitted[j]) for j in range(size)]
                for i in range(size)
            ]
            inner = [
                [math.fsum(jac[i][k] * logs[k][j] for k in range(size)) for j in range(size)]
                for i in range(size)
            ]
            both = [
                [math.fsum(inner[i][k] * jac[j][k] for k in range(size)) for j in range(size)]
                for i in range(size)
            ]
            factor = [params[name] for name in self._names] + [1.0] * (size - n)
            covariance = tuple(
                tuple(both[i][j] * factor[i] * factor[j] for j in range(size)) for i in range(size)
            )
            standard_errors = {
                name: math.sqrt(covariance[k][k]) for k, name in enumerate(self._names)
            }
            coefficient_errors = {
                name: math.sqrt(covariance[c][c])
                for c, name in enumerate(coefficient_names, start=n)
            }
        return attrs.evolve(
            self,
            params=params,
            coefficients=coefficients,
            coefficient_standard_errors=coefficient_errors,
            covariate_count=width,
            log_likelihood=log_likelihood,
            diagnostics=outcome.diagnostics,
            standard_errors=standard_errors,
            covariance=covariance,
        )


def _column_of(name: str) -> int:
    return int(name[name.index("[") + 1 : -1])


@attrs.frozen(slots=True, kw_only=True)
class ParetoNBDCovariates(_CovariateModel):
    """The Pareto/NBD model with time-invariant covariates (Fader & Hardie 2007).

    ``alpha_i = alpha_0 exp(-gamma_1' z_i)`` and ``beta_i = beta_0 exp(-gamma_2' z_i)``;
    ``params`` holds ``r, alpha_0, s, beta_0`` under the names ``r, alpha, s, beta``
    and :attr:`coefficients` the ``gamma`` by name: ``purchase[j]`` (``gamma_1``)
    and ``dropout[j]`` (``gamma_2``) for covariate column ``j``.

    Example:
        >>> from crmcore.clv import ParetoNBD
        >>> from crmcore.clv import ParetoNBDCovariates
        >>> model = ParetoNBDCovariates(
        ...     params={"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
        ...     coefficients={"purchase[0]": 0.5, "dropout[0]": -0.2},
        ... )
        >>> model.customer_params([0.0]) == dict(model.params)  # covariates 0: the baseline
        True
        >>> round(model.customer_params([1.0])["alpha"], 4)  # 10.58 * exp(-0.5)
        6.4171
        >>> alive = model.probability_alive(2, 30.43, 38.86, [1.0])
        >>> alive == ParetoNBD(params=model.customer_params([1.0])).probability_alive(
        ...     2, 30.43, 38.86
        ... )
        True
        >>> round(alive, 4)
        0.8721
    """

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _base: ClassVar[type[RfmModel]] = ParetoNBD
    _links: ClassVar[tuple[Link, ...]] = (
        ("purchase", "alpha", -1, "purchase"),
        ("dropout", "beta", -1, "dropout"),
    )

    def _row_terms(
        self, design: Design, base: list[float], individual: list[list[float]]
    ) -> tuple[list[float], list[list[float]]]:
        return pareto_rows(design, base, individual)


@attrs.frozen(slots=True, kw_only=True)
class BetaGeoCovariates(_CovariateModel):
    """The BG/NBD model with time-invariant covariates (Fader & Hardie 2007).

    ``alpha_i = alpha_0 exp(-gamma_1' z_i)``, ``a_i = a_0 exp(gamma_2' z_i)`` and
    ``b_i = b_0 exp(gamma_3' z_i)``; ``params`` holds ``r, alpha_0, a_0, b_0``
    under the names ``r, alpha, a, b`` and :attr:`coefficients` the ``gamma``
    by name: ``purchase[j]``, ``dropout_a[j]`` and ``dropout_b[j]`` for
    covariate column ``j`` (the drop-out columns act on both ``a`` and ``b``).

    Example:
        >>> from crmcore.clv import BetaGeoCovariates
        >>> model = BetaGeoCovariates(
        ...     params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        ...     coefficients={"purchase[0]": 0.3, "dropout_a[0]": 0.1, "dropout_b[0]": -0.1},
        ... )
        >>> round(model.probability_alive(2, 30.43, 38.86, [0.0]), 3)  # the BG/NBD's own
        0.727
        >>> round(model.expected_purchases_new(52, [1.0]), 3)
        1.591
    """

    _names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    _base: ClassVar[type[RfmModel]] = BetaGeo
    _links: ClassVar[tuple[Link, ...]] = (
        ("purchase", "alpha", -1, "purchase"),
        ("dropout_a", "a", 1, "dropout"),
        ("dropout_b", "b", 1, "dropout"),
    )

    def _row_terms(
        self, design: Design, base: list[float], individual: list[list[float]]
    ) -> tuple[list[float], list[list[float]]]:
        return bgnbd_rows(design, base, individual)


__all__ = ["BetaGeoCovariates", "ParetoNBDCovariates"]

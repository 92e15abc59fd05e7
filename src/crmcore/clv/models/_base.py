"""What every probabilistic CLV model shares: parameters, fitting, errors."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import ClassVar, Self

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore.clv.models._data import iterations, number
from crmcore.clv.models._optimize import Minimum, cholesky_inverse, hessian_from_gradient, minimize
from crmcore.errors import CrmcoreError, InvalidType, ValidationError

#: ``progress(iteration, negative_log_likelihood)``, called once per iteration.
ProgressCallback = Callable[[int, float], object]

#: A negative log-likelihood over log-parameters: its value and its gradient.
Objective = Callable[[list[float]], tuple[float, list[float]]]


class ModelError(CrmcoreError):
    """A statistical model could not do what was asked of it."""


class NotFittedError(ModelError):
    """A prediction was asked of a model that has no parameters yet.

    Fit the model first, or build it with known parameters, such as
    ``BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})``.
    """


class ConvergenceError(ModelError):
    """A fit stopped without converging, so its numbers are not returned.

    Attributes:
        diagnostics: where and why the optimizer stopped (:class:`FitDiagnostics`).
        params: the last parameters tried, for inspection only.
    """

    def __init__(
        self, message: str, *, diagnostics: FitDiagnostics, params: Mapping[str, float]
    ) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics
        self.params = params


@attrs.frozen(slots=True)
class FitDiagnostics(Checked):
    """How a fit went.

    Attributes:
        iterations: optimizer iterations (BFGS steps).
        evaluations: likelihood evaluations, line searches included.
        converged: whether the gradient reached the tolerance.
        gradient_norm: the largest absolute gradient component of the negative
            log-likelihood with respect to the log-parameters, at the end.
        message: why the optimizer stopped.
        rows: distinct histories the likelihood was evaluated on (after compression).
        customers: total weight of those histories (the number of customers).
    """

    iterations: int
    evaluations: int
    converged: bool
    gradient_norm: float
    message: str
    rows: int
    customers: float


class ParamMap(Mapping[str, float]):
    """Read-only, hashable parameters in the literature's order."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[tuple[str, float]]) -> None:
        self._items = tuple(items)

    def __getitem__(self, key: str) -> float:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(dict(self._items))


def make_params(names: Sequence[str], given: object, path: str = "$.params") -> ParamMap:
    """Check a parameter mapping: exactly ``names``, each a positive finite number."""
    if not isinstance(given, Mapping):
        raise InvalidType(
            f"must be a mapping of parameter names to numbers, not {type_name(given)}", path=path
        )
    if len(given) != len(names) or any(n not in given for n in names):
        # The names given are never repeated: a mapping's keys may be anything.
        raise ValidationError(
            f"must hold exactly the parameters {', '.join(names)}", path=path, code="parameters"
        )
    items = []
    for name in names:
        value = given[name]
        where = f"{path}.{name}"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidType(f"must be a number, not {type_name(value)}", path=where)
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf
        if not (math.isfinite(number) and number > 0):
            raise ValidationError(
                "must be a positive finite number", path=where, code="not_positive"
            )
        items.append((name, number))
    return ParamMap(items)


@attrs.frozen(slots=True)
class FitOutcome:
    """What a successful fit hands back to the model class."""

    params: ParamMap
    log_likelihood: float
    diagnostics: FitDiagnostics
    standard_errors: ParamMap | None
    covariance: Covariance | None = None


#: A covariance matrix of the parameters, in the literature's order, as nested tuples.
Covariance = tuple[tuple[float, ...], ...]


def make_covariance(names: Sequence[str], given: object, path: str = "$.covariance") -> Covariance:
    """Check a covariance matrix: square over ``names``, finite, symmetric, positive diagonal."""
    size = len(names)
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        raise InvalidType(
            f"must be a square sequence of rows of numbers, not {type_name(given)}", path=path
        )
    if len(given) != size:
        raise ValidationError(f"must have one row per parameter ({size})", path=path, code="shape")
    rows: list[tuple[float, ...]] = []
    for i, row in enumerate(given):
        where = f"{path}[{i}]"
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise InvalidType(f"must be a sequence of numbers, not {type_name(row)}", path=where)
        if len(row) != size:
            raise ValidationError(
                f"must have one column per parameter ({size})", path=where, code="shape"
            )
        rows.append(tuple(number(v, f"{where}[{j}]") for j, v in enumerate(row)))
    for i in range(size):
        if not rows[i][i] > 0:
            raise ValidationError(
                "must be a positive variance", path=f"{path}[{i}][{i}]", code="not_positive"
            )
        for j in range(i):
            a, b = rows[i][j], rows[j][i]
            if abs(a - b) > 1e-9 * max(abs(a), abs(b), math.sqrt(rows[i][i] * rows[j][j])):
                raise ValidationError(
                    "must equal its transpose (a covariance matrix is symmetric)",
                    path=f"{path}[{i}][{j}]",
                    code="not_symmetric",
                )
    return tuple(rows)


def run_fit(
    names: Sequence[str],
    objective: Objective,
    start: Sequence[float],
    *,
    rows: int,
    customers: float,
    progress: ProgressCallback | None,
    max_iterations: int,
    require_convergence: bool,
) -> FitOutcome:
    """Minimize a negative log-likelihood over log-parameters and package the result.

    Raises:
        ValidationError: ``max_iterations`` is not an int from 1 to
            :data:`MAX_ITERATIONS`, ``progress`` is not callable, or
            ``require_convergence`` is not a bool.
        ConvergenceError: the fit did not converge and ``require_convergence``.
    """
    limit = iterations(max_iterations)
    if progress is not None and not callable(progress):
        raise InvalidType(
            f"must be a callable progress(iteration, value), not {type_name(progress)}",
            path="$.progress",
        )
    if not isinstance(require_convergence, bool):
        raise InvalidType(
            f"must be a bool, not {type_name(require_convergence)}", path="$.require_convergence"
        )
    guarded = _guard(objective)
    found: Minimum = minimize(
        guarded, [math.log(v) for v in start], max_iterations=limit, progress=progress
    )
    values = [math.exp(v) for v in found.x]
    params = ParamMap(list(zip(names, values, strict=True)))
    diagnostics = FitDiagnostics(
        iterations=found.iterations,
        evaluations=found.evaluations,
        converged=found.converged and math.isfinite(found.value),
        gradient_norm=found.gradient_norm,
        message=found.message,
        rows=rows,
        customers=customers,
    )
    if not diagnostics.converged and (require_convergence or not math.isfinite(found.value)):
        raise ConvergenceError(
            f"the fit did not converge after {found.iterations} iterations "
            f"({found.message}; gradient norm {found.gradient_norm:.3g}); try other "
            "initial_params, more max_iterations, or require_convergence=False",
            diagnostics=diagnostics,
            params=params,
        )
    covariance = _covariance(guarded, list(found.x), values, found)
    return FitOutcome(
        params=params,
        log_likelihood=-found.value,
        diagnostics=diagnostics,
        standard_errors=None
        if covariance is None
        else ParamMap([(name, math.sqrt(covariance[i][i])) for i, name in enumerate(names)]),
        covariance=covariance,
    )


def _guard(objective: Objective) -> Objective:
    """Points where the arithmetic fails are simply infeasible for the optimizer."""

    def run(x: list[float]) -> tuple[float, list[float]]:
        if any(abs(v) > 50.0 for v in x):
            return math.inf, [0.0] * len(x)
        try:
            return objective(x)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.inf, [0.0] * len(x)

    return run


def _covariance(
    objective: Objective,
    log_values: list[float],
    values: list[float],
    found: Minimum,
) -> Covariance | None:
    """The parameters' covariance from the numerically differentiated Hessian, if invertible.

    The Hessian is taken in log-parameters; with ``theta = exp(phi)``,
    ``H_theta = D^-1 (H_phi - diag(g_phi)) D^-1`` with ``D = diag(theta)``.
    """
    if not math.isfinite(found.value):
        return None
    hessian = hessian_from_gradient(lambda x: objective(x)[1], log_values, at=list(found.gradient))
    for i, g in enumerate(found.gradient):
        hessian[i][i] -= g
    if not all(math.isfinite(v) for row in hessian for v in row):
        return None
    inverse = cholesky_inverse(hessian)
    if inverse is None:
        return None
    n = len(values)
    return tuple(tuple(values[i] * values[j] * inverse[i][j] for j in range(n)) for i in range(n))


@attrs.frozen(slots=True, kw_only=True)
class ModelBase:
    """Fields every model carries; subclasses name their parameters in ``_names``."""

    _names: ClassVar[tuple[str, ...]] = ()

    params: Mapping[str, float] | None = None
    log_likelihood: float | None = None
    diagnostics: FitDiagnostics | None = None
    standard_errors: Mapping[str, float] | None = None
    #: The parameters' covariance matrix (rows and columns in ``params`` order), from the
    #: inverse Hessian of the negative log-likelihood at the optimum; None if unknown.
    covariance: Covariance | None = attrs.field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.params is not None:
            object.__setattr__(self, "params", make_params(self._names, self.params))
        if self.standard_errors is not None:
            errors = make_params(self._names, self.standard_errors, "$.standard_errors")
            object.__setattr__(self, "standard_errors", errors)
        if self.covariance is not None:
            matrix = make_covariance(self._names, self.covariance)
            object.__setattr__(self, "covariance", matrix)
        if self.log_likelihood is not None:
            value = number(self.log_likelihood, "$.log_likelihood")
            object.__setattr__(self, "log_likelihood", value)
        if self.diagnostics is not None and not isinstance(self.diagnostics, FitDiagnostics):
            raise InvalidType(
                f"must be FitDiagnostics, not {type_name(self.diagnostics)}", path="$.diagnostics"
            )

    def _values(self) -> tuple[float, ...]:
        if self.params is None:
            raise NotFittedError(
                f"{type(self).__name__} has no parameters: call fit() first or pass params="
            )
        return tuple(self.params[name] for name in self._names)

    def _start(
        self, initial_params: Mapping[str, float] | None, default: Sequence[float]
    ) -> list[float]:
        if initial_params is not None:
            given = make_params(self._names, initial_params, "$.initial_params")
            return [given[name] for name in self._names]
        if self.params is not None:
            return list(self._values())
        return list(default)

    def _fit(
        self,
        objective: Objective,
        start: Sequence[float],
        weights: Sequence[float],
        *,
        progress: ProgressCallback | None,
        max_iterations: int,
        require_convergence: bool,
    ) -> Self:
        """A fitted copy: ``objective`` minimized from ``start`` (see :func:`run_fit`).

        ``weights`` are the customers of each distinct row the objective was
        built on: their count and their sum go to :class:`FitDiagnostics`.
        """
        outcome = run_fit(
            self._names,
            objective,
            start,
            rows=len(weights),
            customers=math.fsum(weights),
            progress=progress,
            max_iterations=max_iterations,
            require_convergence=require_convergence,
        )
        return self._with_fit(outcome)

    def _with_fit(self, outcome: FitOutcome) -> Self:
        return attrs.evolve(
            self,
            params=outcome.params,
            log_likelihood=outcome.log_likelihood,
            diagnostics=outcome.diagnostics,
            standard_errors=outcome.standard_errors,
            covariance=outcome.covariance,
        )

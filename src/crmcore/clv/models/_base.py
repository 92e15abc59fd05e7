"""What every probabilistic CLV model shares: parameters, fitting, errors."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar, Literal, Self

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular, numpy_number
from crmcore.clv.models._data import iterations, number
from crmcore.clv.models._interval import Interval, confidence_level, make_interval
from crmcore.clv.models._optimize import Minimum, cholesky_inverse, hessian_from_gradient, minimize
from crmcore.clv.models._priors import Prior, check_priors, prior_hessian, prior_terms
from crmcore.errors import CrmcoreError, InvalidType, ValidationError

#: ``progress(iteration, negative_log_likelihood)``, called once per iteration.
ProgressCallback = Callable[[int, float], object]

#: A negative log-likelihood over log-parameters: its value and its gradient.
Objective = Callable[[list[float]], tuple[float, list[float]]]


#: Why a fit stopped (``FitDiagnostics.reason``, ``ConvergenceError.reason``).
FitReason = Literal["converged", "iterations", "line_search", "boundary", "flat", "not_finite"]


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
        reason: why, in one word (``diagnostics.reason``): ``"iterations"``,
            ``"line_search"``, ``"boundary"``, ``"flat"`` or ``"not_finite"``.
    """

    def __init__(
        self, message: str, *, diagnostics: FitDiagnostics, params: Mapping[str, float]
    ) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics
        self.params = params
        self.reason = diagnostics.reason


@attrs.frozen(slots=True)
class FitDiagnostics(Checked, Tabular):
    """How a fit went.

    Attributes:
        iterations: optimizer iterations (BFGS steps).
        evaluations: likelihood evaluations, line searches included.
        converged: whether the fit converged: the gradient reached the tolerance
            and the likelihood curves up in every direction (``reason == "converged"``).
        gradient_norm: the largest absolute gradient component of the negative
            log-likelihood with respect to the log-parameters, at the end.
        message: why the optimizer stopped.
        rows: distinct histories the likelihood was evaluated on (after compression).
        customers: total weight of those histories (the number of customers).
        reason: why it stopped: ``"converged"``; ``"iterations"`` (the
            iteration limit); ``"line_search"`` (no lower point found along the
            search direction); ``"boundary"`` (a parameter runs off towards 0 or
            infinity: the likelihood has no maximum); ``"flat"`` (the
            likelihood does not curve up in some direction: the data do not
            determine the parameters); ``"not_finite"`` (the likelihood is not
            finite where the search is).
    """

    iterations: int
    evaluations: int
    converged: bool
    gradient_norm: float
    message: str
    rows: int
    customers: float
    reason: FitReason = "converged"


def _read_only(*_: object, **__: object) -> None:
    raise InvalidType("model parameters are read-only: make a new model", path="$.params")


class ParamMap(dict[str, float]):
    """Read-only, hashable parameters in the literature's order, as a ``dict``.

    A ``dict`` of floats to ``json.dumps`` and ``isinstance(params, dict)``;
    changing it raises (make a new model instead).

    >>> import json
    >>> json.dumps(ParamMap([("r", 0.25), ("alpha", 4.0)]))
    '{"r": 0.25, "alpha": 4.0}'
    """

    __slots__ = ()

    def __new__(cls, items: Iterable[tuple[str, float]] = ()) -> Self:
        params = super().__new__(cls)
        dict.__init__(params, items)  # filled once, here: __init__ changes nothing
        return params

    def __init__(self, items: Iterable[tuple[str, float]] = ()) -> None:
        """Filled by ``__new__``: calling ``__init__`` again leaves the parameters as they are."""

    def __hash__(self) -> int:  # type: ignore[override]
        # Equal maps (the same items in any order, as == says) hash alike.
        return hash(frozenset(self.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[type[ParamMap], tuple[list[tuple[str, float]]]]:
        return (ParamMap, (list(self.items()),))

    def __copy__(self) -> ParamMap:
        return self

    def __deepcopy__(self, memo: object) -> ParamMap:
        return self

    __setitem__ = _read_only
    __delitem__ = _read_only
    __ior__ = _read_only  # type: ignore[assignment]
    clear = _read_only
    pop = _read_only  # type: ignore[assignment]
    popitem = _read_only  # type: ignore[assignment]
    setdefault = _read_only  # type: ignore[assignment]
    update = _read_only

    def to_dict(self) -> dict[str, float]:
        """A plain, mutable ``dict`` copy."""
        return dict(self)


def make_params(names: Sequence[str], given: object, path: str = "$.params") -> ParamMap:
    """Check a parameter mapping: exactly ``names``, each a positive finite number.

    Numbers are ints and floats (bools refused) and numpy integer and float
    scalars, read as the kernel reads them (``crmcore._kernel._numbers.numpy_number``):
    a ``numpy.float32(0.24)`` is ``0.24``, its own shortest representation.
    """
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
            scalar = numpy_number(value)
            if scalar is None:
                raise InvalidType(f"must be a number, not {type_name(value)}", path=where)
            value = scalar
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


#: Natural-parameter Hessian of the unpenalized weighted negative log-likelihood, or None.
HessianFunction = Callable[[Sequence[float]], "list[list[float]] | None"]

#: How far (in log-parameter) a fit probes for a likelihood that keeps rising or stays flat.
_PROBE = 4.0
#: A log-parameter that moved this far from its start and sits on a flat likelihood ran off.
_RAN_OFF = 5.0
#: Smallest pivot of the curvature's Cholesky factor, relative to its largest diagonal entry,
#: that counts as a determined direction (below it the likelihood is flat to rounding).
_FLAT_PIVOT = 1e-9
#: A log-parameter standard error above this (a factor e^3 either way at one standard error)
#: is suspicious: the probes check that the likelihood really falls off in that direction.
_WIDE_LOG_SE = 3.0
#: Up to this many far parameters, every group of them is probed together.
_MAX_GROUPED = 6

_STOP_REASONS: dict[str, FitReason] = {
    "iteration limit reached": "iterations",
    "line search found no lower point": "line_search",
    "objective is not finite at the start": "not_finite",
}


def penalizer_value(value: object, path: str = "$.penalizer") -> float:
    """A penalizer coefficient: a finite number, zero or more."""
    result = number(value, path)
    if result < 0:
        raise ValidationError("must be zero or more", path=path, code="negative")
    return result


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
    penalizer: float = 0.0,
    priors: Mapping[str, Prior] | None = None,
    hessian: HessianFunction | None = None,
    penalty_scales: Sequence[float] | None = None,
    penalty_customers: float | None = None,
) -> FitOutcome:
    """Minimize a negative log-likelihood over log-parameters and package the result.

    The minimized objective is the weighted negative log-likelihood, plus
    ``penalizer * customers * sum_k (penalty_scales[k] * theta_k)^2`` (lifetimes'
    ``penalizer_coef`` times its average over customers; ``penalty_customers``,
    when given, replaces ``customers`` there), minus the log prior
    density ``sum_k log p_k(theta_k)`` of ``priors`` (a MAP fit in the natural
    parameters). ``log_likelihood`` is the unpenalized one at the optimum.

    The fit is judged honestly (:data:`FitReason`): besides the gradient test,
    the curvature at the end must be positive definite (else ``"flat"``, or
    ``"boundary"`` when a parameter moved far from its start towards 0 or
    infinity along a likelihood that no longer changes).

    ``hessian(values)`` gives the exact natural-parameter Hessian of the
    unpenalized negative log-likelihood (None when unavailable); the
    covariance is the inverse of it plus the penalty's and the priors'
    Hessians, else of a finite-difference Hessian of the whole objective.

    Raises:
        ValidationError: ``max_iterations`` is not an int from 1 to
            :data:`MAX_ITERATIONS`, ``progress`` or ``hessian`` is not callable,
            ``require_convergence`` is not a bool, ``penalizer`` is negative or
            ``priors`` names an unknown parameter or holds something not a prior.
        ConvergenceError: the fit did not converge and ``require_convergence``
            (always when the objective is not finite).
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
    coefficient = penalizer_value(penalizer)
    checked_priors = check_priors(priors, names)
    if hessian is not None and not callable(hessian):
        raise InvalidType(f"must be callable, not {type_name(hessian)}", path="$.hessian")
    scales = [1.0] * len(names) if penalty_scales is None else [float(s) for s in penalty_scales]
    weight = coefficient * (customers if penalty_customers is None else penalty_customers)
    guarded = _guard(objective)
    total = _penalized(guarded, names, weight, scales, checked_priors)
    start_log = [math.log(v) for v in start]
    found: Minimum = minimize(total, start_log, max_iterations=limit, progress=progress)
    values = [math.exp(v) for v in found.x]
    params = ParamMap(list(zip(names, values, strict=True)))
    curvature: list[list[float]] | None = None
    reason: FitReason = _STOP_REASONS.get(found.message, "converged")
    detail = found.message
    if not math.isfinite(found.value):
        reason, detail = "not_finite", "the objective is not finite"
    elif reason in {"converged", "iterations", "line_search"}:
        curvature = _curvature(total, hessian, found, values, weight, scales, checked_priors, names)
        reason, detail, curvature = _judge(
            total, found, start_log, names, curvature, (reason, detail)
        )
    log_likelihood = -found.value
    if (weight > 0 or checked_priors) and math.isfinite(found.value):
        log_likelihood = -guarded(list(found.x))[0]
    diagnostics = FitDiagnostics(
        iterations=found.iterations,
        evaluations=found.evaluations,
        converged=reason == "converged",
        gradient_norm=found.gradient_norm,
        message=detail,
        rows=rows,
        customers=customers,
        reason=reason,
    )
    if reason != "converged" and (require_convergence or reason == "not_finite"):
        raise ConvergenceError(
            f"the fit did not converge after {found.iterations} iterations "
            f"({reason}: {detail}; gradient norm {found.gradient_norm:.3g}); {_ADVICE[reason]}",
            diagnostics=diagnostics,
            params=params,
        )
    covariance = _covariance_from(curvature, values)
    return FitOutcome(
        params=params,
        log_likelihood=log_likelihood,
        diagnostics=diagnostics,
        standard_errors=None
        if covariance is None
        else ParamMap([(name, math.sqrt(covariance[i][i])) for i, name in enumerate(names)]),
        covariance=covariance,
    )


_ADVICE: dict[FitReason, str] = {
    "converged": "",
    "iterations": "try more max_iterations, other initial_params, or require_convergence=False",
    "line_search": "try other initial_params, or require_convergence=False",
    "boundary": "the likelihood has no maximum inside the parameter space; "
    "add a penalizer or priors (a MAP fit), or use more data",
    "flat": "the data do not determine every parameter; add priors or a penalizer, "
    "or use more data",
    "not_finite": "try other initial_params",
}


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


def _penalized(
    objective: Objective,
    names: Sequence[str],
    weight: float,
    scales: Sequence[float],
    priors: Mapping[str, Prior] | None,
) -> Objective:
    """The objective plus ``weight * sum (s_k theta_k)^2`` minus the log prior density."""
    if weight == 0 and not priors:
        return objective

    def run(x: list[float]) -> tuple[float, list[float]]:
        value, grad = objective(x)
        if not math.isfinite(value):
            return value, grad
        grad = list(grad)
        penalty = 0.0
        if weight > 0:
            for k, (phi, scale) in enumerate(zip(x, scales, strict=True)):
                square = (scale * math.exp(phi)) ** 2
                penalty += square
                grad[k] += 2.0 * weight * square
        log_prior, prior_grad = prior_terms(priors, names, x, jacobian=False)
        return (
            value + weight * penalty - log_prior,
            [g - p for g, p in zip(grad, prior_grad, strict=True)],
        )

    return run


def _curvature(  # noqa: PLR0917 - the pieces of the objective's Hessian.
    total: Objective,
    hessian: HessianFunction | None,
    found: Minimum,
    values: list[float],
    weight: float,
    scales: Sequence[float],
    priors: Mapping[str, Prior] | None,
    names: Sequence[str],
) -> list[list[float]] | None:
    """The Hessian of the whole objective in log-parameters, without the gradient term.

    That is ``D H_theta D`` with ``D = diag(theta)``: from the exact natural
    Hessian when ``hessian`` gives one, else ``H_phi - diag(g_phi)`` from
    finite differences of the gradient (Nocedal & Wright 8.1).
    """
    n = len(values)
    exact = hessian(values) if hessian is not None else None
    if exact is not None:
        if len(exact) != n or any(len(row) != n for row in exact):
            raise ModelError("the exact Hessian has the wrong shape")
        extra = prior_hessian(priors, names, values)
        natural = [
            [
                float(exact[i][j]) + (2.0 * weight * scales[i] ** 2 + extra[i] if i == j else 0.0)
                for j in range(n)
            ]
            for i in range(n)
        ]
        matrix = [[values[i] * values[j] * natural[i][j] for j in range(n)] for i in range(n)]
    else:
        matrix = hessian_from_gradient(
            lambda x: total(x)[1], list(found.x), at=list(found.gradient)
        )
        for i, g in enumerate(found.gradient):
            matrix[i][i] -= g
    if not all(math.isfinite(v) for row in matrix for v in row):
        return None
    return matrix


def _determined(curvature: list[list[float]] | None) -> bool:
    """Whether the curvature is positive definite beyond rounding."""
    if curvature is None:
        return False
    n = len(curvature)
    scale = max(abs(curvature[i][i]) for i in range(n))
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            rest = curvature[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if not rest > _FLAT_PIVOT * scale:
                    return False
                low[i][i] = math.sqrt(rest)
            else:
                low[i][j] = rest / low[j][j]
    return True


def _judge(  # noqa: PLR0917 - the objective, where the search started and ended, and why.
    total: Objective,
    found: Minimum,
    start: Sequence[float],
    names: Sequence[str],
    curvature: list[list[float]] | None,
    stop: tuple[FitReason, str],
) -> tuple[FitReason, str, list[list[float]] | None]:
    """Why a fit stopped, judged honestly; the curvature kept for the covariance (or None).

    A stop is suspicious when the curvature is not positive definite beyond
    rounding, when a log-parameter moved more than :data:`_RAN_OFF` from its
    start, or when a log-parameter's standard error exceeds
    :data:`_WIDE_LOG_SE`. Then :func:`_probe` looks further out: a parameter
    (or several, or the least-curved direction) that keeps the likelihood
    rising or level while running further off is ``"boundary"``; a
    likelihood level along the least-curved direction is ``"flat"``. A
    positive definite curvature is not enough: a ridge rising by ``1e-5`` per
    factor of 10 (BG/NBD's ``a`` and ``b`` growing together on 50 customers)
    passes the pivot test.
    """
    reason, detail = stop
    determined = _determined(curvature)
    x = list(found.x)
    far = [k for k in range(len(x)) if abs(x[k] - start[k]) > _RAN_OFF]
    wide = determined and any(se > _WIDE_LOG_SE for se in _log_errors(curvature))
    if far or wide or not determined:
        verdict = _probe(total, found, start, names, curvature, far)
        if verdict is not None:
            return verdict[0], verdict[1], None
    if reason == "converged" and not determined:
        return "flat", "the likelihood is flat or curves down at the end (singular Hessian)", None
    return reason, detail, curvature if reason != "line_search" else None


def _log_errors(curvature: list[list[float]] | None) -> list[float]:
    """Standard errors of the log-parameters from the log-space curvature (empty if singular)."""
    inverse = None if curvature is None else cholesky_inverse(curvature)
    if inverse is None:
        return []
    return [math.sqrt(max(inverse[i][i], 0.0)) for i in range(len(inverse))]


def _probe(  # noqa: C901, PLR0917 - one probe per kind of direction.
    total: Objective,
    found: Minimum,
    start: Sequence[float],
    names: Sequence[str],
    curvature: list[list[float]] | None,
    far: Sequence[int],
) -> tuple[FitReason, str] | None:
    """Look :data:`_PROBE` further out in log-parameters; a verdict, or None if nothing shows.

    Directions: each parameter that moved more than :data:`_RAN_OFF` from its
    start, on in the way it moved; those together (a ratio of them staying
    put); and both ways along the least-curved direction (the eigenvector of
    the curvature's smallest eigenvalue). A probe whose objective is at most
    the end's plus rounding (``1e-6`` relative) while taking a far parameter
    further out is a ``"boundary"``; a probe along the least-curved direction
    level with the end (within rounding either way) and not taking a far
    parameter out is ``"flat"``.
    """
    x = list(found.x)
    tolerance = 1e-6 * max(1.0, abs(found.value))

    def value_at(step: Sequence[float]) -> float:
        return total([a + b for a, b in zip(x, step, strict=True)])[0]

    def way(k: int) -> str:
        return "infinity" if x[k] > start[k] else "0"

    ran_off = []
    for k in far:
        step = [0.0] * len(x)
        step[k] = math.copysign(_PROBE, x[k] - start[k])
        if value_at(step) <= found.value + tolerance:
            ran_off.append(f"{names[k]} runs off towards {way(k)}")
    if ran_off:
        return "boundary", "; ".join(ran_off)
    # Several together, largest groups first (a ratio of them staying put); at most
    # 2^_MAX_GROUPED groups, each one evaluation.
    group_sizes = range(len(far), 1, -1) if len(far) <= _MAX_GROUPED else (len(far),)
    for size in group_sizes:
        for group in itertools.combinations(far, size):
            step = [0.0] * len(x)
            for k in group:
                step[k] = math.copysign(_PROBE, x[k] - start[k])
            if value_at(step) <= found.value + tolerance:
                where = ", ".join(f"{names[k]} towards {way(k)}" for k in group)
                return "boundary", f"parameters run off together: {where}"
    direction = _least_curved(curvature)
    if direction is None:
        return None
    for sign in (1.0, -1.0):
        step = [sign * _PROBE * v for v in direction]
        moved = [k for k in range(len(x)) if abs(direction[k]) > 0.1]
        outward = [k for k in moved if k in far and (step[k] > 0) == (x[k] > start[k])]
        inward = [k for k in moved if k in far and k not in outward]
        change = value_at(step) - found.value
        if outward and not inward and change <= tolerance:
            where = ", ".join(
                f"{names[k]} towards {'infinity' if step[k] > 0 else '0'}" for k in moved
            )
            return "boundary", f"the likelihood keeps rising along a ridge: {where}"
        if not outward and abs(change) <= tolerance:
            return "flat", "the likelihood is level along a direction of the parameters"
    return None


def _rotate(a: list[list[float]], vectors: list[list[float]], p: int, q: int) -> None:
    """One Jacobi rotation zeroing ``a[p][q]`` (Golub & Van Loan, "Matrix Computations", 8.5)."""
    n = len(a)
    tau = (a[q][q] - a[p][p]) / (2.0 * a[p][q])
    t = math.copysign(1.0, tau) / (abs(tau) + math.sqrt(1.0 + tau * tau))
    c = 1.0 / math.sqrt(1.0 + t * t)
    s = t * c
    for k in range(n):
        akp, akq = a[k][p], a[k][q]
        a[k][p], a[k][q] = c * akp - s * akq, s * akp + c * akq
    for k in range(n):
        apk, aqk = a[p][k], a[q][k]
        a[p][k], a[q][k] = c * apk - s * aqk, s * apk + c * aqk
    for k in range(n):
        vkp, vkq = vectors[k][p], vectors[k][q]
        vectors[k][p], vectors[k][q] = c * vkp - s * vkq, s * vkp + c * vkq


def _least_curved(curvature: list[list[float]] | None) -> list[float] | None:
    """The unit eigenvector of a symmetric matrix's smallest eigenvalue (cyclic Jacobi), or None."""
    if curvature is None:
        return None
    n = len(curvature)
    # Scaled by a power of two (exactly, so the rotations are the same to the bit): the
    # squares summed below stay in range whatever the curvature's magnitude.
    largest = max((abs(v) for row in curvature for v in row), default=0.0)
    if not (largest > 0 and math.isfinite(largest)):
        return None
    shift = math.frexp(largest)[1]
    a = [[math.ldexp(v, -shift) for v in row] for row in curvature]
    vectors = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for _ in range(50):
        off = math.fsum(a[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        if off <= 1e-30 * max(1e-300, math.fsum(a[i][i] ** 2 for i in range(n))):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if a[p][q] != 0.0:
                    _rotate(a, vectors, p, q)
    smallest = min(range(n), key=lambda i: a[i][i])
    column = [vectors[k][smallest] for k in range(n)]
    norm = math.sqrt(math.fsum(v * v for v in column))
    if not (norm > 0 and math.isfinite(norm)):
        return None
    return [v / norm for v in column]


def _covariance_from(curvature: list[list[float]] | None, values: list[float]) -> Covariance | None:
    """The natural parameters' covariance ``D K^-1 D`` from the log-space curvature ``K``."""
    if curvature is None:
        return None
    inverse = cholesky_inverse(curvature)
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
        self._check_estimates()
        self._check_fit_record(self._names)

    def _check_estimates(self) -> None:
        """Check and copy ``params`` and ``standard_errors`` (named by ``_names``)."""
        if self.params is not None:
            object.__setattr__(self, "params", make_params(self._names, self.params))
        if self.standard_errors is not None:
            errors = make_params(self._names, self.standard_errors, "$.standard_errors")
            object.__setattr__(self, "standard_errors", errors)

    def _check_fit_record(self, estimates: Sequence[str]) -> None:
        """Check ``covariance`` (rows named by ``estimates``), ``log_likelihood``, ``diagnostics``."""
        if self.covariance is not None:
            matrix = make_covariance(estimates, self.covariance)
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
        penalizer: float = 0.0,
        priors: Mapping[str, Prior] | None = None,
        hessian: HessianFunction | None = None,
        penalty_scales: Sequence[float] | None = None,
        penalty_customers: float | None = None,
    ) -> Self:
        """A fitted copy: ``objective`` minimized from ``start`` (see :func:`run_fit`).

        ``weights`` are the customers of each distinct row the objective was
        built on: their count and their sum go to :class:`FitDiagnostics`, and
        their sum scales the penalizer (unless ``penalty_customers`` is given).
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
            penalizer=penalizer,
            priors=priors,
            hessian=hessian,
            penalty_scales=penalty_scales,
            penalty_customers=penalty_customers,
        )
        return self._with_fit(outcome)

    def parameter_intervals(self, level: float = 0.95) -> dict[str, Interval]:
        """Each parameter's estimate, standard error and Wald interval on the log scale.

        From :attr:`covariance`: with ``se_k`` the standard error of
        ``theta_k`` and ``z`` the normal quantile of ``(1 + level) / 2``, the
        interval is ``theta_k * exp(-+ z * se_k / theta_k)``, the delta method on
        ``log(theta_k)``, so both ends stay positive.

        Raises:
            ValidationError: ``level`` is not strictly between 0 and 1.
            NotFittedError: the model has no parameters.
            ValidationError: the model has no covariance (built without one, or
                its fit's Hessian was not invertible): path ``$.covariance``, code
                ``no_covariance``, as the interval functions raise it.

        Example:
            >>> from crmcore.clv import GammaGamma
            >>> model = GammaGamma(
            ...     params={"p": 6.25, "q": 3.74, "v": 15.44},
            ...     covariance=[[1.0, 0.0, 0.0], [0.0, 0.4, 0.0], [0.0, 0.0, 25.0]],
            ... )
            >>> found = model.parameter_intervals()["v"]
            >>> found.standard_error, round(found.lower, 2), round(found.upper, 2)
            (5.0, 8.18, 29.13)
        """
        chance = confidence_level(level)
        values = self._values()
        if self.covariance is None:
            # The same error as the interval functions' (require_covariance), named here
            # by the attribute that is missing.
            raise ValidationError(
                "has no covariance matrix: fit it (a fit whose Hessian was not invertible has "
                "none) or build it with covariance=",
                path="$.covariance",
                code="no_covariance",
            )
        return {
            name: make_interval(values[i], self.covariance[i][i], chance, "log")
            for i, name in enumerate(self._names)
        }

    def _with_fit(self, outcome: FitOutcome) -> Self:
        return attrs.evolve(
            self,
            params=outcome.params,
            log_likelihood=outcome.log_likelihood,
            diagnostics=outcome.diagnostics,
            standard_errors=outcome.standard_errors,
            covariance=outcome.covariance,
        )

"""Predictive lead scoring: a regularized logistic regression in pure Python.

:func:`fit_lead_model` learns the probability that a lead converts from
historical outcomes. The method, chosen to be exact and deterministic:

- features are standardized with the training part's mean and (population)
  standard deviation; a constant feature keeps scale 1;
- the coefficients minimize the L2-penalized negative log-likelihood
  ``sum(log(1 + exp(eta)) - y * eta) + l2 / 2 * |beta|^2`` (the intercept is
  not penalized), found by Newton-Raphson, also known as iteratively
  reweighted least squares (Hastie, Tibshirani & Friedman, *The Elements of
  Statistical Learning*, 2nd ed., section 4.4.1, eqs. 4.21-4.26, with the
  ridge term added to the Hessian); each step solves the small linear
  system by a Cholesky factorization (the Hessian is positive definite when
  ``l2 > 0``), halving the step while the objective does not fall;
- sums are taken with :func:`math.fsum` over precomputed columns in a fixed
  order, so the same examples give the same model, bit for bit;
- the held-out part is drawn per class with ``random.Random(seed)``
  (stratified: both parts hold both outcomes), never the global random state;
- probabilities are calibrated by Platt scaling (Platt 1999, "Probabilistic
  outputs for support vector machines"; the targets smoothed to
  ``(N+ + 1) / (N+ + 2)`` and ``1 / (N- + 2)`` as Platt proposes) fitted on
  the held-out part's log-odds: ``p = 1 / (1 + exp(-(a * logit + b)))``;
- the AUC on the held-out part is the Mann-Whitney statistic with average
  ranks for ties (Hanley & McNeil 1982): ``(R+ - n+ (n+ + 1) / 2) / (n+ n-)``.

The calibration table compares, on the held-out part, the mean calibrated
probability of each tenth of ``[0, 1]`` with the conversion rate observed
there. The same part fitted the calibration, so the table is an in-sample
check of it, not an independent estimate.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from operator import mul, sub
from typing import Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore._kernel._fields import Checked
from crmcore.errors import InvalidType, ValidationError

#: Most examples one fit may read.
MAX_EXAMPLES: Final = 2_000_000
#: Most features one model may use.
MAX_FEATURES: Final = 100
#: Most Newton iterations one fit may take.
MAX_ITERATIONS: Final = 1_000
#: Bins of the calibration table.
CALIBRATION_BINS: Final = 10
#: The largest magnitude of a fact: far beyond any count, amount or age, and small enough
#: that a fit's sums of squares over MAX_EXAMPLES examples stay within the float range.
MAX_FACT: Final = 1e100
_MAX_HALVINGS: Final = 60
#: A feature name: a snake_case fact key (as :func:`lead_facts` gives), at most 64 characters.
#: Names appear in error paths (``$.examples[4][0].visits``), so they must be plain path parts.
_FEATURE_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _number(value: object, path: str) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float, Decimal)):
        try:
            number = float(value)
        except (OverflowError, ValueError):  # a huge int, a signaling NaN
            number = math.nan
        if not math.isfinite(number):
            raise ValidationError("must be a finite number", path=path, code="finite")
        if abs(number) > MAX_FACT:
            raise ValidationError(
                "must be at most 1e100 in magnitude", path=path, code="out_of_range"
            )
        return number
    if value is None:
        raise ValidationError("is missing: every feature needs a value", path=path, code="missing")
    raise InvalidType(f"must be a number or a bool, not {type_name(value)}", path=path)


def _real(value: object, path: str) -> float:
    """A finite int, float or Decimal (not a bool), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=path)
    try:
        number = float(value)
    except (OverflowError, ValueError):  # a huge int, a signaling NaN
        number = math.nan
    if not math.isfinite(number):
        raise ValidationError("must be a finite number", path=path, code="finite")
    return number


def _sequence(value: object, path: str, *, max_items: int) -> Sequence[object]:
    """A list or tuple of at most ``max_items`` items."""
    if not isinstance(value, (list, tuple)):
        raise InvalidType(f"must be a list or tuple, not {type_name(value)}", path=path)
    if not value:
        raise ValidationError("must not be empty", path=path, code="empty")
    if len(value) > max_items:
        raise ValidationError(f"must hold at most {max_items} items", path=path, code="too_many")
    return value


def _reals(value: object, path: str, *, max_items: int = MAX_EXAMPLES) -> list[float]:
    return [
        _real(item, f"{path}[{index}]")
        for index, item in enumerate(_sequence(value, path, max_items=max_items))
    ]


def _outcome_list(value: object, size: int, path: str = "$.outcomes") -> list[int]:
    """Outcomes as 1 (converted) and 0 (not): bools or the ints 0 and 1, one per score."""
    items = _sequence(value, path, max_items=MAX_EXAMPLES)
    if len(items) != size:
        raise ValidationError("must hold one outcome per score", path=path, code="length_mismatch")
    outcomes: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, int):
            raise InvalidType(
                f"must be 0, 1 or a bool, not {type_name(item)}", path=f"{path}[{index}]"
            )
        if item not in (0, 1):
            raise ValidationError("must be 0 or 1", path=f"{path}[{index}]", code="out_of_range")
        outcomes.append(int(item))
    return outcomes


def _finite_result(values: Iterable[float], path: str) -> None:
    if not all(math.isfinite(v) for v in values):
        raise ValidationError(
            "is too large or too ill-conditioned to solve in floating point",
            path=path,
            code="not_finite",
        )


def top_count(value: object) -> int:
    """How many contributions ``top(n)`` returns: an int of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path="$.n")
    if value < 0:
        raise ValidationError("must be at least 0", path="$.n", code="out_of_range")
    return value


def _features(value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of fact names, not {type_name(value)}", path="$.features"
        )
    names: list[str] = []
    for index, name in enumerate(value):
        if index >= MAX_FEATURES:
            raise ValidationError(
                f"must name at most {MAX_FEATURES} features", path="$.features", code="too_many"
            )
        if not isinstance(name, str) or not name:
            raise InvalidType("must be a non-empty str", path=f"$.features[{index}]")
        if _FEATURE_NAME.fullmatch(name) is None:
            raise ValidationError(
                "must be a snake_case fact name: a lowercase letter, then lowercase letters, "
                "digits or _ (at most 64 characters)",
                path=f"$.features[{index}]",
                code="feature_name",
            )
        if name in names:
            raise ValidationError(
                "names a feature twice", path=f"$.features[{index}]", code="duplicate"
            )
        names.append(name)
    if not names:
        raise ValidationError("must name at least one feature", path="$.features", code="empty")
    return tuple(names)


def _row(facts: object, features: tuple[str, ...], path: str) -> list[float]:
    if not isinstance(facts, Mapping):
        raise InvalidType(f"must be a mapping of facts, not {type_name(facts)}", path=path)
    return [_number(facts.get(name), f"{path}.{name}") for name in features]


def _examples(value: object, features: tuple[str, ...]) -> tuple[list[list[float]], list[int]]:
    """The feature rows (one list per example) and outcomes (1 converted, 0 not)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of (facts, converted) pairs, not {type_name(value)}",
            path="$.examples",
        )
    rows: list[list[float]] = []
    outcomes: list[int] = []
    for index, example in enumerate(value):
        path = f"$.examples[{index}]"
        if index >= MAX_EXAMPLES:
            raise ValidationError(
                f"must hold at most {MAX_EXAMPLES} examples", path="$.examples", code="too_many"
            )
        if not isinstance(example, (tuple, list)) or len(example) != 2:
            raise InvalidType("must be a (facts, converted) pair", path=path)
        facts, converted = example
        if not isinstance(converted, bool):
            raise InvalidType(f"must be a bool, not {type_name(converted)}", path=f"{path}[1]")
        rows.append(_row(facts, features, f"{path}[0]"))
        outcomes.append(1 if converted else 0)
    return rows, outcomes


def _sigmoid(eta: float) -> float:
    # The two forms avoid overflow of exp for large |eta|.
    if eta >= 0:
        return 1.0 / (1.0 + math.exp(-eta))
    z = math.exp(eta)
    return z / (1.0 + z)


def _log1p_exp(eta: float) -> float:
    """``log(1 + exp(eta))`` without overflow."""
    return eta + math.log1p(math.exp(-eta)) if eta > 0 else math.log1p(math.exp(eta))


def cholesky_solve(matrix: list[list[float]], rhs: list[float]) -> list[float]:
    """Solve ``matrix @ x = rhs`` for a symmetric positive definite matrix (Cholesky).

    ``A = L L^T`` (Golub & Van Loan, *Matrix Computations*, algorithm 4.2.1),
    then forward and back substitution. Only the lower triangle is read.

    >>> cholesky_solve([[4.0, 2.0], [2.0, 3.0]], [2.0, 1.0])
    [0.5, 0.0]

    Raises:
        ValidationError: the matrix is not a square list of rows of finite
            numbers, at most ``MAX_FEATURES + 1`` wide (``$.matrix[i][j]``),
            ``rhs`` not one finite number per row (``$.rhs``), the matrix
            not positive definite (code ``not_positive_definite``), or the
            solution overflows (code ``not_finite``).
    """
    rows = _sequence(matrix, "$.matrix", max_items=MAX_FEATURES + 1)
    size = len(rows)
    checked: list[list[float]] = []
    for index, row in enumerate(rows):
        path = f"$.matrix[{index}]"
        values = _reals(row, path, max_items=MAX_FEATURES + 1)
        if len(values) != size:
            raise ValidationError(
                "must hold one number per row (a square matrix)", path=path, code="not_square"
            )
        checked.append(values)
    right = _reals(rhs, "$.rhs", max_items=MAX_FEATURES + 1)
    if len(right) != size:
        raise ValidationError("must hold one number per row", path="$.rhs", code="length_mismatch")
    try:
        solution = _cholesky_solve(checked, right, path="$.matrix")
    except (OverflowError, ValueError):
        solution = [math.inf]
    _finite_result(solution, "$.matrix")
    return solution


def _cholesky_solve(matrix: list[list[float]], rhs: list[float], *, path: str) -> list[float]:
    """:func:`cholesky_solve` on checked input; ``path`` names a matrix that is not positive definite."""
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for i in range(size):
        for j in range(i + 1):
            total = matrix[i][j] - math.fsum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if not total > 0:
                    raise ValidationError(
                        "the system is not positive definite",
                        path=path,
                        code="not_positive_definite",
                    )
                lower[i][i] = math.sqrt(total)
            else:
                lower[i][j] = total / lower[j][j]
    forward = [0.0] * size
    for i in range(size):
        forward[i] = (rhs[i] - math.fsum(lower[i][k] * forward[k] for k in range(i))) / lower[i][i]
    solution = [0.0] * size
    for i in reversed(range(size)):
        solution[i] = (
            forward[i] - math.fsum(lower[k][i] * solution[k] for k in range(i + 1, size))
        ) / lower[i][i]
    return solution


def _linear(columns: Sequence[list[float]], beta: Sequence[float], n: int) -> list[float]:
    """``beta[0] + sum_j beta[j + 1] * columns[j]``, row by row."""
    eta = [beta[0]] * n
    for column, coef in zip(columns, beta[1:], strict=True):
        if coef:
            eta = [e + coef * x for e, x in zip(eta, column, strict=True)]
    return eta


def _objective(eta: list[float], y: list[int], beta: Sequence[float], l2: float) -> float:
    loss = math.fsum(_log1p_exp(e) - t * e for e, t in zip(eta, y, strict=True))
    return loss + 0.5 * l2 * math.fsum(b * b for b in beta[1:])


def newton_logistic(
    columns: Sequence[list[float]],
    y: list[int],
    *,
    l2: float,
    max_iter: int,
    tol: float,
) -> tuple[list[float], int, bool]:
    """Minimize the L2-penalized logistic loss by Newton's method (see the module docstring).

    ``columns`` are the feature columns (an intercept is added and not
    penalized). Returns the coefficients (intercept first), the iterations
    taken and whether the largest step fell below ``tol``.
    """
    n, width = len(y), len(columns) + 1
    ones = [1.0] * n
    cols = [ones, *columns]
    beta = [0.0] * width
    eta = [0.0] * n
    value = _objective(eta, y, beta, l2)
    for iteration in range(1, max_iter + 1):
        p = [_sigmoid(e) for e in eta]
        residual = list(map(sub, y, p))
        w = [q * (1.0 - q) for q in p]
        gradient = [math.fsum(map(mul, col, residual)) for col in cols]
        hessian = [[0.0] * width for _ in range(width)]
        for j in range(width):
            weighted = list(map(mul, w, cols[j]))
            for k in range(j + 1):
                hessian[j][k] = hessian[k][j] = math.fsum(map(mul, weighted, cols[k]))
        for j in range(1, width):
            gradient[j] -= l2 * beta[j]
            hessian[j][j] += l2
        step = _cholesky_solve(hessian, gradient, path="$.l2")
        scale = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = [b + scale * s for b, s in zip(beta, step, strict=True)]
            trial_eta = _linear(columns, trial, n)
            trial_value = _objective(trial_eta, y, trial, l2)
            if trial_value <= value:
                break
            scale /= 2
        beta, eta, value = trial, trial_eta, trial_value
        if max(abs(scale * s) for s in step) < tol:
            return beta, iteration, True
    return beta, max_iter, False


def mann_whitney_auc(scores: Sequence[float], outcomes: Sequence[int]) -> float:
    """The area under the ROC curve by the rank-sum formula, ties at their average rank.

    >>> mann_whitney_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75

    Raises:
        ValidationError: a score is not a finite number (``$.scores[i]``), an
            outcome not 0, 1 or a bool, the lists differ in length (code
            ``length_mismatch``), or the outcomes do not hold both classes
            (code ``one_class``).
    """
    checked = _reals(scores, "$.scores")
    return _auc(checked, _outcome_list(outcomes, len(checked)))


def _auc(scores: Sequence[float], outcomes: Sequence[int]) -> float:
    """:func:`mann_whitney_auc` on checked input."""
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if not positives or not negatives:
        raise ValidationError(
            "must hold both outcomes to rank them", path="$.outcomes", code="one_class"
        )
    order = sorted(range(len(scores)), key=scores.__getitem__)
    rank_sum = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average = (start + end) / 2 + 1  # ranks are 1-based
        rank_sum += average * sum(outcomes[order[i]] for i in range(start, end + 1))
        start = end + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def platt_scaling(logits: Sequence[float], outcomes: Sequence[int]) -> tuple[float, float]:
    """Platt's (a, b): ``p = sigmoid(a * logit + b)`` fitted to smoothed targets by Newton.

    >>> a, b = platt_scaling([-2.0, -1.0, 1.0, 2.0], [0, 1, 0, 1])
    >>> a > 0
    True

    Raises:
        ValidationError: a log-odds is not a finite number (``$.logits[i]``),
            an outcome not 0, 1 or a bool, the lists differ in length (code
            ``length_mismatch``), or the fit overflows (code ``not_finite``).
    """
    checked = _reals(logits, "$.logits")
    labels = _outcome_list(outcomes, len(checked))
    try:
        a, b = _platt(checked, labels)
    except (OverflowError, ValueError):
        a = b = math.inf
    _finite_result((a, b), "$.logits")
    return a, b


def _platt(logits: Sequence[float], outcomes: Sequence[int]) -> tuple[float, float]:
    """:func:`platt_scaling` on checked input."""
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    high = (positives + 1) / (positives + 2)
    low = 1 / (negatives + 2)
    targets = [high if t else low for t in outcomes]
    a, b = 1.0, 0.0

    def loss(a: float, b: float) -> float:
        return math.fsum(
            _log1p_exp(a * s + b) - t * (a * s + b) for s, t in zip(logits, targets, strict=True)
        )

    value = loss(a, b)
    for _ in range(100):
        p = [_sigmoid(a * s + b) for s in logits]
        r = [t - q for t, q in zip(targets, p, strict=True)]
        w = [q * (1 - q) for q in p]
        g_a = math.fsum(map(mul, r, logits))
        g_b = math.fsum(r)
        h_aa = math.fsum(q * s * s for q, s in zip(w, logits, strict=True)) + 1e-12
        h_ab = math.fsum(map(mul, w, logits))
        h_bb = math.fsum(w) + 1e-12
        det = h_aa * h_bb - h_ab * h_ab
        if det <= 0:
            break
        d_a = (h_bb * g_a - h_ab * g_b) / det
        d_b = (h_aa * g_b - h_ab * g_a) / det
        scale = 1.0
        for _ in range(_MAX_HALVINGS):
            trial = loss(a + scale * d_a, b + scale * d_b)
            if trial <= value:
                break
            scale /= 2
        a, b, value = a + scale * d_a, b + scale * d_b, trial
        if max(abs(scale * d_a), abs(scale * d_b)) < 1e-12:
            break
    return a, b


@attrs.frozen(slots=True)
class CalibrationBin(Checked):
    """One bin of a calibration table.

    Attributes:
        lower: the bin's lower edge (included).
        upper: its upper edge (excluded, but 1 for the last bin).
        count: held-out leads whose calibrated probability falls in the bin.
        mean_predicted: their mean calibrated probability (None if empty).
        observed_rate: the share of them that converted (None if empty).
    """

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


@attrs.frozen(slots=True)
class FeatureContribution(Checked):
    """What one feature added to a prediction's log-odds.

    Attributes:
        feature: the fact's name.
        value: the fact's value.
        log_odds: ``coefficient * standardized value`` (positive raises the probability).
    """

    feature: str
    value: float
    log_odds: float


@attrs.frozen(slots=True)
class Prediction(Checked):
    """A predicted conversion probability, explained.

    Attributes:
        probability: the calibrated probability of conversion.
        raw_probability: the regression's own probability (before calibration).
        log_odds: the regression's log-odds.
        contributions: every feature's share of the log-odds (beyond the
            intercept), largest ``|log_odds|`` first (ties in feature order).
    """

    probability: float
    raw_probability: float
    log_odds: float
    contributions: tuple[FeatureContribution, ...]

    def top(self, n: int = 3) -> tuple[FeatureContribution, ...]:
        """The ``n`` largest contributions.

        Raises:
            ValidationError: ``n`` is not an int of at least 0 (path ``$.n``).
        """
        return self.contributions[: top_count(n)]


@attrs.frozen(slots=True)
class LeadModel(Checked):
    """A fitted predictive lead-scoring model (see :func:`fit_lead_model`).

    Attributes:
        features: the facts read, in order.
        means, scales: the standardization of each feature (training part).
        intercept: the intercept on the standardized scale.
        coefficients: the coefficient of each standardized feature.
        platt_a, platt_b: the calibration ``sigmoid(a * log_odds + b)``.
        l2: the penalty.
        auc: the held-out AUC of the regression's scores.
        calibration_table: the held-out calibration bins.
        train_size, holdout_size: the examples in each part.
        iterations: the Newton iterations taken; converged: whether the step fell below tol.
    """

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    intercept: float
    coefficients: tuple[float, ...]
    platt_a: float
    platt_b: float
    l2: float
    auc: float
    calibration_table: tuple[CalibrationBin, ...]
    train_size: int
    holdout_size: int
    iterations: int
    converged: bool

    def log_odds(self, facts: Mapping[str, object]) -> float:
        """The regression's log-odds for one lead's facts."""
        return self._explain(facts)[0]

    def _explain(self, facts: Mapping[str, object]) -> tuple[float, list[FeatureContribution]]:
        row = _row(facts, self.features, "$.facts")
        parts = []
        for name, value, mean, scale, coef in zip(
            self.features, row, self.means, self.scales, self.coefficients, strict=True
        ):
            log_odds = coef * (value - mean) / scale
            if not math.isfinite(log_odds):
                raise ValidationError(
                    "is too far from the facts the model was fitted on: its share of the "
                    "log-odds leaves the float range",
                    path=f"$.facts.{name}",
                    code="out_of_range",
                )
            parts.append(FeatureContribution(name, value, log_odds))
        return self.intercept + math.fsum(p.log_odds for p in parts), parts

    def predict(self, facts: Mapping[str, object]) -> Prediction:
        """The calibrated conversion probability of a lead, with its largest contributions.

        Raises:
            ValidationError: a feature is missing (``$.facts.<name>``,
                code ``missing``) or not a number; over 1e100 in magnitude, or
                so far from the fitted facts that its share of the log-odds
                overflows (code ``out_of_range``).
        """
        eta, parts = self._explain(facts)
        order = sorted(range(len(parts)), key=lambda i: (-abs(parts[i].log_odds), i))
        return Prediction(
            probability=_sigmoid(self.platt_a * eta + self.platt_b),
            raw_probability=_sigmoid(eta),
            log_odds=eta,
            contributions=tuple(parts[i] for i in order),
        )

    def raw_coefficients(self) -> tuple[float, tuple[float, ...]]:
        """The intercept and coefficients on the features' own scales."""
        slopes = tuple(c / s for c, s in zip(self.coefficients, self.scales, strict=True))
        return self.intercept - math.fsum(
            m * c for m, c in zip(self.means, slopes, strict=True)
        ), slopes


def _split(outcomes: list[int], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Stratified split: ``holdout`` of each class (at least one, never all) held out."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret.
    train: list[int] = []
    held: list[int] = []
    for label in (0, 1):
        members = [i for i, t in enumerate(outcomes) if t == label]
        rng.shuffle(members)
        take = min(max(round(holdout * len(members)), 1), len(members) - 1)
        held.extend(members[:take])
        train.extend(members[take:])
    train.sort()
    held.sort()
    return train, held


def _calibration_table(
    probabilities: list[float], outcomes: list[int]
) -> tuple[CalibrationBin, ...]:
    groups: list[list[int]] = [[] for _ in range(CALIBRATION_BINS)]
    for index, p in enumerate(probabilities):
        groups[min(int(p * CALIBRATION_BINS), CALIBRATION_BINS - 1)].append(index)
    table = []
    for number, members in enumerate(groups):
        count = len(members)
        table.append(
            CalibrationBin(
                lower=number / CALIBRATION_BINS,
                upper=(number + 1) / CALIBRATION_BINS,
                count=count,
                mean_predicted=math.fsum(probabilities[i] for i in members) / count
                if count
                else None,
                observed_rate=sum(outcomes[i] for i in members) / count if count else None,
            )
        )
    return tuple(table)


def _check_options(
    l2: object, max_iter: object, tol: object, holdout: object, seed: object
) -> float:
    if isinstance(l2, bool) or not isinstance(l2, (int, float, Decimal)):
        raise InvalidType(f"must be a number, not {type_name(l2)}", path="$.l2")
    penalty = float(l2)
    if not (math.isfinite(penalty) and penalty > 0):
        raise ValidationError("must be a finite number above zero", path="$.l2", code="positive")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int):
        raise InvalidType(f"must be an int, not {type_name(max_iter)}", path="$.max_iter")
    if not 1 <= max_iter <= MAX_ITERATIONS:
        raise ValidationError(
            f"must be from 1 to {MAX_ITERATIONS}", path="$.max_iter", code="out_of_range"
        )
    for name, value in (("tol", tol), ("holdout", holdout)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidType(f"must be a number, not {type_name(value)}", path=f"$.{name}")
    if not (isinstance(tol, (int, float)) and 0 < tol < 1):
        raise ValidationError("must be above 0 and below 1", path="$.tol", code="out_of_range")
    if not (isinstance(holdout, (int, float)) and 0 < holdout < 1):
        raise ValidationError("must be above 0 and below 1", path="$.holdout", code="out_of_range")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidType(f"must be an int, not {type_name(seed)}", path="$.seed")
    return penalty


def fit_lead_model(
    examples: Iterable[tuple[Mapping[str, object], bool]],
    *,
    features: Sequence[str],
    l2: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-10,
    holdout: float = 0.2,
    seed: int = 0,
) -> LeadModel:
    """Fit a calibrated logistic regression on ``(facts, converted)`` examples.

    ``features`` names the numeric (or bool) facts read; every example must
    hold every feature. ``holdout`` of each outcome is kept apart (drawn with
    ``seed``) for the calibration, the AUC and the calibration table.

    >>> examples = [({"visits": v}, v >= 3) for v in (0, 1, 1, 2, 2, 3, 4, 4, 5, 6)] * 2
    >>> examples.append(({"visits": 2}, True))
    >>> examples.append(({"visits": 4}, False))
    >>> model = fit_lead_model(examples, features=["visits"], l2=0.1, seed=1)
    >>> model.coefficients[0] > 0, model.converged, model.train_size + model.holdout_size
    (True, True, 22)
    >>> prediction = model.predict({"visits": 5})
    >>> prediction.probability > model.predict({"visits": 1}).probability
    True

    Raises:
        ValidationError: the examples hold one outcome only (code
            ``one_class``, path ``$.examples``) or fewer than 2 of an outcome
            (``too_few``); a feature is missing or not a number (its path,
            such as ``$.examples[4][0].visits``); an option is out of range.
    """
    penalty = _check_options(l2, max_iter, tol, holdout, seed)
    names = _features(features)
    rows, outcomes = _examples(examples, names)
    positives = sum(outcomes)
    if positives in (0, len(outcomes)):
        raise ValidationError(
            "must hold leads that converted and leads that did not: one outcome only",
            path="$.examples",
            code="one_class",
        )
    if min(positives, len(outcomes) - positives) < 2:
        raise ValidationError(
            "must hold at least 2 of each outcome (one to train on, one to hold out)",
            path="$.examples",
            code="too_few",
        )
    train, held = _split(outcomes, holdout, seed)
    y = [outcomes[i] for i in train]
    means: list[float] = []
    scales: list[float] = []
    columns: list[list[float]] = []
    for j in range(len(names)):
        raw = [rows[i][j] for i in train]
        mean = math.fsum(raw) / len(raw)
        spread = math.sqrt(math.fsum((x - mean) ** 2 for x in raw) / len(raw))
        scale = spread if spread > 0 else 1.0
        means.append(mean)
        scales.append(scale)
        columns.append([(x - mean) / scale for x in raw])
    beta, iterations, converged = newton_logistic(
        columns, y, l2=penalty, max_iter=max_iter, tol=float(tol)
    )
    held_y = [outcomes[i] for i in held]
    held_logits = [
        beta[0] + math.fsum(b * (rows[i][j] - means[j]) / scales[j] for j, b in enumerate(beta[1:]))
        for i in held
    ]
    a, b = _platt(held_logits, held_y)
    calibrated = [_sigmoid(a * s + b) for s in held_logits]
    return LeadModel(
        features=names,
        means=tuple(means),
        scales=tuple(scales),
        intercept=beta[0],
        coefficients=tuple(beta[1:]),
        platt_a=a,
        platt_b=b,
        l2=penalty,
        auc=_auc(held_logits, held_y),
        calibration_table=_calibration_table(calibrated, held_y),
        train_size=len(train),
        holdout_size=len(held),
        iterations=iterations,
        converged=converged,
    )

"""The chi-square distribution's survival function, from an own incomplete gamma function.

Pure Python (no scipy): the p-value of :func:`crmcore.clv.models._checking.goodness_of_fit`.
"""

from __future__ import annotations

import math

from crmcore._kernel._checks import type_name
from crmcore.clv.models._data import number
from crmcore.errors import InvalidType, ValidationError

#: Iterations allowed to the incomplete gamma function's series or continued fraction.
_GAMMA_ITERATIONS = 10_000
_TINY = 1e-300


def upper_gamma_regularized(a: float, x: float) -> float:
    """``Q(a, x) = Gamma(a, x) / Gamma(a)``, the regularized upper incomplete gamma function.

    The chi-square survival function is ``Q(df / 2, statistic / 2)``.

    Method (Abramowitz & Stegun 1964, section 6.5): below ``x = a + 1`` the
    lower function ``P(a, x)`` is summed as the power series of 6.5.29,
    ``P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a+1)(a+2)...(a+n))``, whose
    terms shrink quickly there, and ``Q = 1 - P``; from ``a + 1`` on ``Q`` is
    evaluated directly as the continued fraction of 6.5.31,
    ``Q = x^a e^-x / Gamma(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...)))``,
    with the modified Lentz recurrence (each convergent from the last through
    two ratios, never letting a denominator reach zero). So a small ``Q`` in
    the far tail is computed without cancellation. The prefactor is taken
    through logarithms, so large ``a`` and ``x`` do not overflow.

    Example:
        >>> round(upper_gamma_regularized(1.0, 2.0), 12)  # Q(1, x) = exp(-x)
        0.135335283237
        >>> upper_gamma_regularized(2.5, 0.0)
        1.0

    Raises:
        ValidationError: ``a`` is not a positive finite number or ``x`` is negative.
    """
    shape = number(a, "$.a")
    point = number(x, "$.x")
    if shape <= 0:
        raise ValidationError("must be positive", path="$.a", code="not_positive")
    if point < 0:
        raise ValidationError("must not be negative", path="$.x", code="negative")
    if point == 0:
        return 1.0
    log_prefactor = shape * math.log(point) - point - math.lgamma(shape)
    if point < shape + 1.0:
        return max(0.0, 1.0 - _lower_series(shape, point, log_prefactor))
    return min(1.0, _upper_fraction(shape, point, log_prefactor))


def _lower_series(a: float, x: float, log_prefactor: float) -> float:
    """``P(a, x)`` by the power series (A&S 6.5.29), for ``x < a + 1``."""
    term = 1.0 / a
    total = term
    denominator = a
    for _ in range(_GAMMA_ITERATIONS):
        denominator += 1.0
        term *= x / denominator
        total += term
        if abs(term) < abs(total) * 1e-17:
            break
    return total * math.exp(log_prefactor)


def _upper_fraction(a: float, x: float, log_prefactor: float) -> float:
    """``Q(a, x)`` by the continued fraction (A&S 6.5.31), modified Lentz, for ``x >= a + 1``."""
    b = x + 1.0 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    value = d
    for i in range(1, _GAMMA_ITERATIONS + 1):
        numerator = -i * (i - a)
        b += 2.0
        d = numerator * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + numerator / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1.0 / d
        step = d * c
        value *= step
        if abs(step - 1.0) < 1e-16:
            break
    return value * math.exp(log_prefactor)


def chi_square_survival(statistic: float, degrees_of_freedom: int) -> float:
    """``P(chi-square with k degrees of freedom > statistic)``: a test's p-value.

    Example:
        >>> round(chi_square_survival(3.841458820694124, 1), 9)
        0.05
    """
    value = number(statistic, "$.statistic")
    if value < 0:
        raise ValidationError("must not be negative", path="$.statistic", code="negative")
    if isinstance(degrees_of_freedom, bool) or not isinstance(degrees_of_freedom, int):
        raise InvalidType(
            f"must be an int, not {type_name(degrees_of_freedom)}", path="$.degrees_of_freedom"
        )
    if degrees_of_freedom < 1:
        raise ValidationError("must be at least 1", path="$.degrees_of_freedom", code="too_small")
    return upper_gamma_regularized(degrees_of_freedom / 2.0, value / 2.0)

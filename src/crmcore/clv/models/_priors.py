"""Priors on the models' positive parameters, for MAP fits and posterior sampling.

A prior is a density on one parameter ``theta > 0``. A MAP fit maximizes
``log L(theta) + sum_k log p_k(theta_k)`` over the natural parameters (no
Jacobian: the mode of the posterior density of ``theta`` itself); a sampler
over the log-parameters ``phi = log(theta)`` needs the density of ``phi``, which
adds the log-Jacobian ``sum_k phi_k`` (``prior_terms(..., jacobian=True)``).
In a MAP fit, parameters without a prior have a flat (improper) prior in
``theta``, as all of them have with ``priors=None`` (maximum likelihood); the
posterior sampler gives them its proper default instead, whether ``priors`` is
None or a mapping that leaves them out (``_posterior.DEFAULT_PRIOR_SD``).

>>> from crmcore.clv import GammaPrior, LogNormalPrior
>>> round(GammaPrior(2.0, 1.0).log_density(1.0), 6)  # log(1 * e^-1)
-1.0
>>> LogNormalPrior(0.0, -1.0)
Traceback (most recent call last):
...
crmcore.errors.ValidationError: $.sigma: must be a positive finite number
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar, cast

import attrs

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, ValidationError

_HALF_LOG_TAU = 0.5 * math.log(2.0 * math.pi)


def _float(value: object, name: str) -> float:
    """A real number (not a bool) as a float; an int too large for a float is infinite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidType(f"must be a number, not {type_name(value)}", path=f"$.{name}")
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _positive(value: object, name: str) -> float:
    result = _float(value, name)
    if not (math.isfinite(result) and result > 0):
        raise ValidationError(
            "must be a positive finite number", path=f"$.{name}", code="not_positive"
        )
    return result


def _finite(value: object, name: str) -> float:
    result = _float(value, name)
    if not math.isfinite(result):
        raise ValidationError(
            "must be a finite number (not NaN or infinity)", path=f"$.{name}", code="not_finite"
        )
    return result


def _shape(value: object) -> float:
    return _positive(value, "shape")


def _rate(value: object) -> float:
    return _positive(value, "rate")


def _mu(value: object) -> float:
    return _finite(value, "mu")


def _sigma(value: object) -> float:
    return _positive(value, "sigma")


@attrs.frozen(slots=True)
class Prior:
    """Base class of the priors on one positive parameter.

    A subclass gives ``_terms(theta) -> (log p, d log p / d theta, d2 log p / d theta2)``.
    """

    _crmcore_prior: ClassVar[bool] = True

    def _terms(self, theta: float) -> tuple[float, float, float]:
        raise NotImplementedError

    def log_density(self, theta: float) -> float:
        """``log p(theta)``, normalized, for one positive ``theta``."""
        return self._terms(_positive(theta, "theta"))[0]


@attrs.frozen(slots=True)
class GammaPrior(Prior):
    """Gamma prior with ``shape`` k and ``rate`` lambda (mean k/lambda).

    ``log p(theta) = k log(lambda) - lgamma(k) + (k - 1) log(theta) - lambda theta``.
    A shape above 1 keeps the parameter away from 0; any rate keeps it finite,
    which is what a boundary fit (a parameter running off) needs.
    """

    shape: float = attrs.field(converter=_shape)
    rate: float = attrs.field(converter=_rate)

    def _terms(self, theta: float) -> tuple[float, float, float]:
        k, lam = self.shape, self.rate
        value = k * math.log(lam) - math.lgamma(k) + (k - 1.0) * math.log(theta) - lam * theta
        # Divided twice, not by theta * theta: a tiny theta squared underflows to 0.
        return value, (k - 1.0) / theta - lam, -(k - 1.0) / theta / theta


@attrs.frozen(slots=True)
class LogNormalPrior(Prior):
    """Log-normal prior: ``log(theta)`` is normal with mean ``mu`` and deviation ``sigma``.

    ``log p(theta) = -log(theta) - log(sigma) - log(2 pi) / 2 - (log(theta) - mu)^2 / (2 sigma^2)``.
    """

    mu: float = attrs.field(converter=_mu)
    sigma: float = attrs.field(converter=_sigma)

    def _terms(self, theta: float) -> tuple[float, float, float]:
        z = (math.log(theta) - self.mu) / self.sigma
        value = -math.log(theta) - math.log(self.sigma) - _HALF_LOG_TAU - 0.5 * z * z
        slope = -(1.0 + z / self.sigma) / theta
        curve = (1.0 + z / self.sigma - 1.0 / (self.sigma * self.sigma)) / theta / theta
        return value, slope, curve


def check_priors(
    priors: object, names: Sequence[str], path: str = "$.priors"
) -> dict[str, Prior] | None:
    """Check ``priors``: None, or a mapping of some of ``names`` to :class:`Prior` instances."""
    if priors is None:
        return None
    if not isinstance(priors, Mapping):
        raise InvalidType(
            f"must be a mapping of parameter names to priors, not {type_name(priors)}", path=path
        )
    checked: dict[str, Prior] = {}
    for key, prior in priors.items():
        if not isinstance(key, str) or key not in names:
            # The key itself is never repeated: it may be anything.
            raise ValidationError(
                f"must name only the parameters {', '.join(names)}", path=path, code="parameters"
            )
        # Judged by the marker, not the class object: a test runner importing this module
        # a second time makes a second Prior class, whose priors are just as good.
        if not getattr(prior, "_crmcore_prior", False) or type(prior).__name__ == "Prior":
            raise InvalidType(
                f"must be a prior such as GammaPrior or LogNormalPrior, not {type_name(prior)}",
                path=f"{path}.{key}",
            )
        checked[key] = cast("Prior", prior)
    return checked


def prior_terms(
    priors: Mapping[str, Prior] | None,
    names: Sequence[str],
    log_params: Sequence[float],
    *,
    jacobian: bool,
) -> tuple[float, list[float]]:
    """Log prior density of the parameters ``exp(log_params)`` and its gradient in ``log_params``.

    With ``jacobian`` the log-Jacobian of ``theta = exp(phi)`` (``sum(phi)``) is
    added: the density of the log-parameters, as a sampler over them needs.

    >>> value, grad = prior_terms(
    ...     {"r": GammaPrior(2.0, 1.0)}, ("r", "alpha"), [0.0, 1.0], jacobian=False
    ... )
    >>> round(value, 12), grad
    (-1.0, [0.0, 0.0])
    """
    total = 0.0
    grad = [0.0] * len(names)
    for i, name in enumerate(names):
        if jacobian:
            total += log_params[i]
            grad[i] += 1.0
        prior = priors.get(name) if priors is not None else None
        if prior is None:
            continue
        theta = math.exp(log_params[i])
        value, slope, _ = prior._terms(theta)  # noqa: SLF001 - the priors' own protocol.
        total += value
        grad[i] += slope * theta
    return total, grad


def prior_hessian(
    priors: Mapping[str, Prior] | None, names: Sequence[str], values: Sequence[float]
) -> list[float]:
    """Diagonal of the Hessian of ``-log p`` in the natural parameters ``values``."""
    out = [0.0] * len(names)
    if priors is None:
        return out
    for i, name in enumerate(names):
        prior = priors.get(name)
        if prior is not None:
            out[i] = -prior._terms(values[i])[2]  # noqa: SLF001 - the priors' own protocol.
    return out

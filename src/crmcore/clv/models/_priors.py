"""Priors on the models' parameters, for MAP fits and the posterior sampler (owned by the fitting parcel).

Stub: the interface other modules import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs


@attrs.frozen(slots=True)
class Prior:
    """Base class of the priors on one positive parameter."""


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
    """
    del priors
    if jacobian:
        return sum(log_params), [1.0] * len(names)
    return 0.0, [0.0] * len(names)

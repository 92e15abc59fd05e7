"""Exact derivatives of the models' negative log-likelihoods (owned by the Hessian parcel).

Stub: the interface other modules call. Every function returns None until implemented.
"""

from __future__ import annotations

from collections.abc import Sequence


def negative_log_likelihood_hessian(
    model: str,
    rows: Sequence[tuple[float, ...]],
    weights: Sequence[float],
    params: Sequence[float],
) -> list[list[float]] | None:
    """Hessian of a model's weighted negative log-likelihood in its natural parameters.

    ``model`` is the class name (``"BetaGeo"``, ``"ModifiedBetaGeo"``, ``"ParetoNBD"``,
    ``"BetaGeoBetaBinom"``, ``"GammaGamma"``, ``"ShiftedBetaGeometric"``); ``rows``
    and ``weights`` are what the model's likelihood is built on; ``params`` are
    in the model's ``_names`` order. None when not available.
    """
    del model, rows, weights, params
    return None

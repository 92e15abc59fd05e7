"""An estimate with its uncertainty: the interval every CLV quantity reports.

Intervals are built on a scale where the quantity is unbounded and then
mapped back (Agresti 2013, "Categorical Data Analysis", section 16.1.6): the
logit for probabilities, the log for positive quantities. So they never leave
the quantity's range; the standard error reported is on the natural scale.
"""

from __future__ import annotations

import math
import sys
from statistics import NormalDist
from typing import Literal

import attrs

from crmcore._kernel._fields import Checked
from crmcore._kernel._numbers import Tabular
from crmcore.clv.models._data import number
from crmcore.errors import ValidationError

#: The largest argument math.exp takes without overflowing (exp(709.78...) is the largest float).
_MAX_EXPONENT = 709.0
#: How an interval is built: on the quantity itself, its log, or its logit.
Scale = Literal["identity", "log", "logit"]


@attrs.frozen(slots=True)
class Interval(Checked, Tabular):
    """An estimate with its standard error and an interval at ``level``.

    For the delta method, ``estimate`` is the plug-in value and ``standard_error``
    the delta-method one; for a posterior (:mod:`crmcore.clv.models._posterior`),
    the posterior mean and standard deviation, and the equal-tailed interval.
    """

    estimate: float
    standard_error: float
    lower: float
    upper: float
    level: float


def confidence_level(value: object, path: str = "$.level") -> float:
    """A probability strictly between 0 and 1 (0.95 for a 95% interval)."""
    result = number(value, path)
    if not 0.0 < result < 1.0:
        raise ValidationError(
            "must be strictly between 0 and 1 (0.95 for a 95% interval)", path=path, code="range"
        )
    return result


def make_interval(estimate: float, variance: float, level: float, scale: Scale) -> Interval:
    """The interval around ``estimate`` built on ``scale`` (see the module docstring)."""
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    se = math.sqrt(variance)
    if scale == "identity":
        return Interval(estimate, se, estimate - z * se, estimate + z * se, level)
    if scale == "log":
        if estimate <= 0.0:
            return Interval(estimate, se, estimate, estimate, level)
        spread = z * se / estimate
        # An upper end past the float range (a relative error beyond exp's range) is the
        # largest float: the interval is as wide as floats go (and its lower end 0).
        upper = estimate * math.exp(spread) if spread <= _MAX_EXPONENT else math.inf
        upper = min(upper, sys.float_info.max)
        return Interval(estimate, se, estimate * math.exp(-spread), upper, level)
    if not 0.0 < estimate < 1.0:
        return Interval(estimate, se, estimate, estimate, level)
    centre = math.log(estimate) - math.log1p(-estimate)
    spread = z * se / (estimate * (1.0 - estimate))
    return Interval(estimate, se, _expit(centre - spread), _expit(centre + spread), level)


def _expit(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)

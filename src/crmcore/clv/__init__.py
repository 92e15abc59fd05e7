"""Customer lifetime value: transaction summaries, the formula CLV and probabilistic models.

The numerics work on plain sequences (lists, tuples, arrays, pandas Series:
anything that iterates) and need no domain types; thin adapters turn domain
orders into summaries. No numpy, scipy or pandas at runtime.
"""

from crmcore.clv import _formula, _models, _summaries
from crmcore.clv._formula import *  # noqa: F403 - each module declares its public names.
from crmcore.clv._models import *  # noqa: F403
from crmcore.clv._summaries import *  # noqa: F403

__all__ = sorted([*_formula.__all__, *_models.__all__, *_summaries.__all__])  # noqa: PLE0605

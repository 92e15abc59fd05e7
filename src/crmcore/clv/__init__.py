"""Customer lifetime value: transaction summaries, the formula CLV and probabilistic models.

The numerics work on plain sequences (lists, tuples, arrays, pandas Series:
anything that iterates) and need no domain types; thin adapters turn domain
orders into summaries. No numpy, scipy or pandas at runtime.
"""

from crmcore.clv import _formula, models, summaries
from crmcore.clv._formula import *  # noqa: F403 - each module declares its public names.
from crmcore.clv.models import *  # noqa: F403
from crmcore.clv.summaries import *  # noqa: F403

__all__ = sorted([*_formula.__all__, *models.__all__, *summaries.__all__])  # noqa: PLE0605

"""Transaction summaries: frequency, recency, T and monetary value per customer, incremental and mergeable."""

from crmcore.clv.summaries import _summarize
from crmcore.clv.summaries._summarize import *  # noqa: F403 - the module declares its public names.

__all__ = sorted(_summarize.__all__)  # noqa: PLE0605

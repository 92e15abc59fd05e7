"""The probabilistic CLV models: one public surface over the private ``_m_*`` modules.

Purchase models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), the contractual sBG
model, the Gamma-Gamma spend model, and the lifetime value that combines a
purchase model with a spend model. Pure Python: the standard library and attrs.
"""

from crmcore.clv._m_base import ConvergenceError, FitDiagnostics, ModelError, NotFittedError
from crmcore.clv._m_bgbb import BetaGeoBetaBinom
from crmcore.clv._m_bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.clv._m_clv import PurchaseModel, customer_lifetime_value
from crmcore.clv._m_gammagamma import GammaGamma
from crmcore.clv._m_paretonbd import ParetoNBD
from crmcore.clv._m_sbg import ShiftedBetaGeometric

__all__ = [
    "BetaGeo",
    "BetaGeoBetaBinom",
    "ConvergenceError",
    "FitDiagnostics",
    "GammaGamma",
    "ModelError",
    "ModifiedBetaGeo",
    "NotFittedError",
    "ParetoNBD",
    "PurchaseModel",
    "ShiftedBetaGeometric",
    "customer_lifetime_value",
]

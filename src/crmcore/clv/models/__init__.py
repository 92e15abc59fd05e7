"""The probabilistic CLV models: one public surface over the private ``_m_*`` modules.

Purchase models (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), the contractual sBG
model, the Gamma-Gamma spend model, and the lifetime value that combines a
purchase model with a spend model. Pure Python: the standard library and attrs.
"""

from crmcore.clv.models._base import ConvergenceError, FitDiagnostics, ModelError, NotFittedError
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.clv.models._clv import PurchaseModel, customer_lifetime_value
from crmcore.clv.models._gammagamma import GammaGamma
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.clv.models._predict import Predictions, predict
from crmcore.clv.models._sbg import ShiftedBetaGeometric

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
    "Predictions",
    "PurchaseModel",
    "ShiftedBetaGeometric",
    "customer_lifetime_value",
    "predict",
]

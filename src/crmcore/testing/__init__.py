"""Hypothesis strategies and the repository contract suite (the ``testing`` extra).

Install it with ``pip install "crmcore[testing]"``. :mod:`crmcore.testing.strategies`
holds one strategy per public type (``customers()``, ``moneys()``,
``contact_points()``, ...); :mod:`crmcore.testing.contract` holds the contract
suite that repository adapters run. Installing the extra also registers the
strategies with Hypothesis, so ``st.from_type(crmcore.Customer)`` and
``@given(customer=...)`` with type inference just work.

>>> from hypothesis import strategies as st
>>> from crmcore import Customer
>>> from crmcore.testing import strategies as crm
>>> isinstance(crm.customers(), st.SearchStrategy)
True
>>> isinstance(st.from_type(Customer), st.SearchStrategy)
True
"""

from __future__ import annotations

import importlib
from typing import Any

try:
    import hypothesis  # noqa: F401 - imported only to fail early without the extra.
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests.
    raise ImportError(
        "crmcore.testing needs Hypothesis, which comes with the testing extra: "
        'pip install "crmcore[testing]"'
    ) from exc

__all__ = ["contract", "strategies"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"crmcore.testing.{name}")
    raise AttributeError(f"module 'crmcore.testing' has no attribute {name!r}")

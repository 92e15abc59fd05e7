"""Hypothesis strategies for crmcore's types (the ``testing`` extra).

Install it with ``pip install "crmcore[testing]"``. :mod:`crmcore.testing.strategies`
holds one strategy per public type (``customers()``, ``moneys()``,
``contact_points()``, ...). Installing the extra also registers them with
Hypothesis, so ``st.from_type(crmcore.Customer)`` and ``@given(customer=...)``
with type inference just work.

>>> from hypothesis import strategies as st
>>> from crmcore import Customer
>>> from crmcore.testing import strategies as crm
>>> isinstance(crm.customers(), st.SearchStrategy)
True
>>> isinstance(st.from_type(Customer), st.SearchStrategy)
True
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401 - imported only to fail early without the extra.
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests.
    raise ImportError(
        "crmcore.testing needs Hypothesis, which comes with the testing extra: "
        'pip install "crmcore[testing]"'
    ) from exc

from crmcore.testing import strategies as strategies

__all__ = ["strategies"]

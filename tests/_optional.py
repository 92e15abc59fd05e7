"""Optional libraries in the tests: a skip without one locally, a failure under CI.

The test extra installs numpy, pandas, polars, pyarrow and the other peers, so under CI
(``CI=true``) a missing one is a broken install, never a reason to skip. The root
``conftest.py`` offers them as the fixtures ``np``, ``pd``, ``pl`` and ``pa``.
"""

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    """True under CI, where every optional library of the test extra must be installed."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def optional(name: str, distribution: str | None = None) -> ModuleType:
    """Import an optional module: a skip without it locally, a failure under CI.

    ``distribution`` is what pip installs it as, if that is not the module's name.
    """
    try:
        return importlib.import_module(name)
    except ImportError:
        package = distribution or name
        if in_ci():
            pytest.fail(f"{package} is not installed: CI installs it with the test extra")
        pytest.skip(f"{package} is not installed")

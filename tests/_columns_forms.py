"""Optional column libraries for the column tests (numpy, pandas, polars, pyarrow).

Shared by the tests that read columns of every form: a missing library skips the
test locally and fails it under CI (``CI=true``), where the test extra installs them.
"""

import importlib
import os
from types import ModuleType

import pytest

#: The optional libraries whose columns crmcore reads.
LIBRARIES = ("numpy", "pandas", "polars", "pyarrow")


def optional(name: str) -> ModuleType:
    """Import an optional library: a skip without it locally, a failure under CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{name} is not installed: CI installs it with the test extra")
        pytest.skip(f"{name} is not installed")


def libraries() -> dict[str, ModuleType]:
    """The optional column libraries by name (a skip or, under CI, a failure without one)."""
    return {name: optional(name) for name in LIBRARIES}

"""Tests that each public module declares exactly its public names in ``__all__``."""

import importlib
import pkgutil
import types

import pytest

import crmcore

PUBLIC_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(crmcore.__path__, prefix="crmcore.")
    if not any(part.startswith("_") for part in info.name.split("."))
)
OPTIONAL = {"crmcore.testing"}


def public_names(module: types.ModuleType) -> set[str]:
    """Classes and functions defined in the module or in its private submodules."""
    own = module.__name__
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and isinstance(value, (type, types.FunctionType))
        and (value.__module__ == own or value.__module__.startswith(own + "._"))
    }


def ruff_order(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def test_the_walk_finds_the_public_modules():
    """The module list is not accidentally empty."""
    assert {"crmcore.errors", "crmcore.customers", "crmcore.serialization"} <= set(PUBLIC_MODULES)


@pytest.mark.parametrize("name", ["crmcore", *PUBLIC_MODULES])
def test_all_matches_the_public_names(name):
    """__all__ is sorted, unique, importable, and lists every public crmcore name."""
    if any(name == opt or name.startswith(opt + ".") for opt in OPTIONAL):
        pytest.importorskip("hypothesis")
    module = importlib.import_module(name)
    declared = list(module.__all__)
    assert declared in (sorted(declared), sorted(declared, key=ruff_order))
    assert len(set(declared)) == len(declared)
    for exported in declared:
        assert hasattr(module, exported), exported
    missing = public_names(module) - set(declared)
    assert set() == missing


def test_version_is_a_string():
    """crmcore.__version__ is importable for bug reports."""
    assert isinstance(crmcore.__version__, str)
    assert crmcore.__version__

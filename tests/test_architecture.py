"""The shape of the package: a fast, curated top level, one meaning per public name, small modules.

The import directions themselves are checked by import-linter (``lint-imports``,
configured in ``pyproject.toml``); these tests pin what it cannot express.
"""

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import crmcore

SRC = Path(crmcore.__file__).resolve().parent
#: The capability packages and the other public modules.
PUBLIC = [
    "crmcore",
    "crmcore.customers",
    "crmcore.interactions",
    "crmcore.commerce",
    "crmcore.service",
    "crmcore.feedback",
    "crmcore.loyalty",
    "crmcore.sales",
    "crmcore.parties",
    "crmcore.teams",
    "crmcore.activities",
    "crmcore.notes",
    "crmcore.messaging",
    "crmcore.catalog",
    "crmcore.quotes",
    "crmcore.exchange",
    "crmcore.marketing",
    "crmcore.merge",
    "crmcore.privacy",
    "crmcore.access",
    "crmcore.audit",
    "crmcore.automation",
    "crmcore.lifecycle",
    "crmcore.clv",
    "crmcore.clv.models",
    "crmcore.clv.summaries",
    "crmcore.segmentation",
    "crmcore.analytics",
    "crmcore.scoring",
    "crmcore.recommendations",
    "crmcore.repository",
    "crmcore.events",
    "crmcore.errors",
    "crmcore.serialization",
    "crmcore.interop",
    "crmcore.plots",
    "crmcore.testing.strategies",
    "crmcore.testing.contract",
]


def test_the_top_level_exports_at_most_40_names():
    """The top level is a curated entry point, not the whole library."""
    assert len(crmcore.__all__) <= 40
    for name in crmcore.__all__:
        assert getattr(crmcore, name) is not None


def test_import_crmcore_loads_no_capability():
    """``import crmcore`` loads nothing else; names load their package on first use."""
    code = (
        "import sys, crmcore\n"
        "before = sorted(m for m in sys.modules if m.startswith('crmcore'))\n"
        "crmcore.Money\n"
        "after = sorted(m for m in sys.modules if m.startswith('crmcore'))\n"
        "print(before, 'crmcore.customers' in after, 'crmcore._kernel._money' in after)"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter on fixed code.
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "['crmcore'] False True" == result.stdout.strip()


def test_unknown_top_level_names_raise_attribute_error():
    """A name the top level does not export is an AttributeError, as for any module."""
    with pytest.raises(AttributeError):
        crmcore.Channel  # noqa: B018 - the access is the test.
    assert set(crmcore.__all__) <= set(dir(crmcore))


def test_every_public_name_means_one_thing():
    """A name exported by two public modules is the same object in both."""
    seen: dict[str, tuple[str, object]] = {}
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if name in seen:
                first, earlier = seen[name]
                assert earlier is value, f"{name}: {first} and {module_name} differ"
            else:
                seen[name] = (module_name, value)


@pytest.mark.parametrize("module_name", PUBLIC)
def test_all_is_complete(module_name):
    """Every public module lists its names in ``__all__`` once, and each one exists."""
    module = importlib.import_module(module_name)
    names = list(module.__all__)  # ruff's RUF022 keeps them sorted
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name)


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_module_exceeds_1000_lines():
    """Modules stay small enough to read; split by topic when one grows past 1,000 lines."""
    long = {
        str(path.relative_to(SRC)): count
        for path in _modules()
        if (count := len(path.read_text().splitlines())) > 1000
    }
    assert {} == long


def _package_of(module: str) -> str:
    """The capability a module belongs to: ``crmcore.clv.models._base`` -> ``crmcore.clv``."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


#: Where private modules of other packages may be imported: the command line runs the
#: private demo, and the strategies need the limits the aggregates enforce.
PRIVATE_READERS = ("crmcore.__main__", "crmcore.testing")


def test_capabilities_meet_only_through_public_names():
    """A capability never reaches into another one's private modules (the kernel is shared)."""
    offending = []
    for path in _modules():
        relative = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        own = _package_of(module)
        if module.startswith(PRIVATE_READERS):
            continue
        for imported in _imports(path):
            if not imported.startswith("crmcore."):
                continue
            parts = imported.split(".")
            private = next(
                (i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")),
                None,
            )
            if private is None or parts[1] == "_kernel":
                continue
            if _package_of(imported) != own:
                offending.append(f"{module} -> {imported}")
    assert [] == sorted(set(offending))


def test_every_subpackage_is_listed_here():
    """A new capability package must be added to PUBLIC (and to the import contracts)."""
    found = {
        f"crmcore.{info.name}"
        for info in pkgutil.iter_modules([str(SRC)])
        if not info.name.startswith("_") and info.name != "testing"
    }
    assert found <= set(PUBLIC)

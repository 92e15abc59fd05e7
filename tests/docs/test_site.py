"""The documentation site: the strict MkDocs build, and an API reference for every public name.

The build (``python -m mkdocs build --strict``, as ``.ci/run`` runs it) fails on a broken link,
anchor or cross-reference, a page left out of the nav and a docstring Griffe cannot parse. Its
objects inventory (``objects.inv``, Sphinx format) then lists every object the reference
documents, with the page it is on: every name in the ``__all__`` of every public package must be
there, on that package's own page. The site needs the ``docs`` extra; without it these tests
skip, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from tests._optional import in_ci

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _public_packages() -> list[str]:
    """``PUBLIC`` of ``tests/test_architecture.py``: the one list of public packages."""
    spec = importlib.util.spec_from_file_location(
        "_crmcore_architecture", ROOT / "tests" / "test_architecture.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.PUBLIC)


PUBLIC = _public_packages()


def _require(module: str) -> None:
    """Import ``module``: a skip without it locally, a failure without it in CI."""
    try:
        importlib.import_module(module)
    except ImportError:
        if in_ci():
            pytest.fail(f"{module} is not installed: CI installs it with the docs extra")
        pytest.skip(f"{module} is not installed (pip install -e '.[docs]')")


def _page_of(package: str) -> str:
    """The API page of ``package``, relative to the site: ``api/clv_models.html``, ..."""
    stem = "crmcore" if package == "crmcore" else package.removeprefix("crmcore.")
    return f"api/{stem.replace('.', '_')}.html"


def _read_inventory(path: Path) -> dict[str, tuple[str, str]]:
    """``objects.inv`` as {name: (role, uri)}, with the ``$`` shorthand expanded."""
    raw = path.read_bytes()
    header_lines = 4
    parts = raw.split(b"\n", header_lines)
    assert parts[0] == b"# Sphinx inventory version 2"
    entries: dict[str, tuple[str, str]] = {}
    line = re.compile(r"(?P<name>\S+)\s+(?P<role>\S+)\s+-?\d+\s+(?P<uri>\S*)\s+(?P<display>.+)")
    for text in zlib.decompress(parts[header_lines]).decode("utf-8").splitlines():
        match = line.fullmatch(text)
        assert match is not None, text
        name, uri = match["name"], match["uri"]
        if uri.endswith("$"):
            uri = uri[:-1] + name
        entries[name] = (match["role"], uri)
    return entries


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built in strict mode into a temporary directory (the repository is untouched).

    ``.ci/run`` builds the site in strict mode as its own step before the tests and
    names the folder in ``CRMCORE_BUILT_SITE``; the checks below then read that
    build instead of repeating it (a minute of CPU).
    """
    built = os.environ.get("CRMCORE_BUILT_SITE")
    if built:
        assert (Path(built) / "objects.inv").is_file(), f"no site built in {built}"
        return Path(built)
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        _require(module)
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(  # noqa: S603 - a fixed command: this interpreter and its mkdocs
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


@pytest.mark.slow
def test_every_public_name_is_documented_on_its_package_page(site: Path) -> None:
    """Each name in each public package's ``__all__`` is in the inventory, on the package's page."""
    inventory = _read_inventory(site / "objects.inv")
    missing: list[str] = []
    misplaced: list[str] = []
    for package in PUBLIC:
        page = _page_of(package)
        assert (site / page).is_file(), f"{package}: no API page {page}"
        names = importlib.import_module(package).__all__
        for qualified in [package, *(f"{package}.{name}" for name in names)]:
            entry = inventory.get(qualified)
            if entry is None:
                missing.append(qualified)
            elif entry[1].split("#", 1)[0] != page:
                misplaced.append(f"{qualified} on {entry[1]}")
    assert not missing, f"not in the API reference: {missing}"
    assert not misplaced, f"not on their package's page: {misplaced}"


@pytest.mark.slow
def test_the_anchors_of_the_inventory_exist(site: Path) -> None:
    """Each public name's inventory link lands on an element of its page with that id."""
    inventory = _read_inventory(site / "objects.inv")
    pages: dict[str, str] = {}
    for package in PUBLIC:
        for name in importlib.import_module(package).__all__:
            uri = inventory[f"{package}.{name}"][1]
            page, _, anchor = uri.partition("#")
            if page not in pages:
                pages[page] = (site / page).read_text(encoding="utf-8")
            assert f'id="{anchor}"' in pages[page], uri


@pytest.mark.slow
def test_the_narrative_pages_are_built(site: Path) -> None:
    """Every Markdown page in docs/ becomes a page of the site; nothing else from docs/ is copied."""
    for page in sorted(DOCS.rglob("*.md")):
        relative = page.relative_to(DOCS).with_suffix(".html")
        assert (site / relative).is_file(), relative
    assert not list(site.rglob("*.py")), "a Python file of docs/ was published"
    assert not (site / "_hooks").exists()


def _nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"([\w/.-]+\.md)\s*$", nav, flags=re.MULTILINE)


def test_the_nav_lists_every_page_once() -> None:
    """Every docs/**/*.md page is in mkdocs.yml's nav, once; and the API has a page per package."""
    listed = _nav_pages()
    assert len(listed) == len(set(listed))
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk <= set(listed), sorted(on_disk - set(listed))
    for package in PUBLIC:
        page = _page_of(package).removesuffix(".html") + ".md"
        assert page in listed, package
        assert f"::: {package}\n" in (DOCS / page).read_text(encoding="utf-8"), package


def test_only_documentation_is_inside_docs_dir() -> None:
    """The shipped data sets (``data/``) are outside docs_dir; docs_dir is ``docs``."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^docs_dir: docs$", text, flags=re.MULTILINE)
    assert not (DOCS / "data").exists()
    assert "_hooks/" in text[text.index("exclude_docs:") : text.index("validation:")]

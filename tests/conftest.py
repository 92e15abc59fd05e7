"""Shared test configuration: the Hypothesis profiles and the reference data.

Hypothesis settings come from profiles only (no test overrides ``max_examples``);
choose one with the ``HYPOTHESIS_PROFILE`` environment variable:

- ``dev`` (the default): 50 examples per property, a fresh random seed each run
  and the example database in ``.hypothesis/``, for quick local runs;
- ``ci``: 100 examples with a fixed seed (``derandomize``), so a run is
  reproducible from the commit alone, no example database, and a failure prints
  the blob that reproduces it;
- ``nightly``: 2,000 examples with a fresh seed, for the long searches a
  scheduled job can afford.

Every profile turns the per-example deadline off: a slow first call (imports,
caches) on a busy machine must not fail a property.

The fuzz suite in ``tests/robustness/`` runs hundreds of parametrized
targets; each takes a share of the loaded profile's ``max_examples``
(``_fuzz.fuzz_settings``), never a number of its own, so ``nightly`` is its
long form too.

Tests that take long are marked ``slow``; they still run by default
(``-m "not slow"`` leaves them out for a quick loop).

The reference data sets (CDNOW, donations) live outside the repository, in
``../shared/data`` beside the checkout, or wherever ``CRMCORE_REFERENCE_DATA``
points. A small, freely licensed part of them ships in ``data/`` at the
repository's root (the 1/10th CDNOW sample, its two published summaries and the
donations table; see ``data/README.md``). Tests ask for a file with the
``reference_data`` fixture: it looks in the reference folder first and then in
``data/`` for the same relative path, so a fresh clone runs every test whose
file ships. A file found in neither place (the full ``CDNOW_master.txt`` never
ships) skips the test locally, and fails it in CI (``CI=true``), so CI can
never pass without checking the published tables. The fallback is by exact
path only: a test that asks for the full cohort is never handed the sample.
"""

import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from tests._optional import in_ci, optional

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.register_profile(
    "nightly",
    max_examples=2_000,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# "default" stays an alias of "dev" for anyone who exported it before the profiles had names.
settings.register_profile("default", parent=settings.get_profile("dev"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

#: The repository's root (where pyproject.toml is).
ROOT = Path(__file__).resolve().parents[1]
#: Where the reference data sets are looked for.
REFERENCE_DATA = Path(
    os.environ.get("CRMCORE_REFERENCE_DATA", ROOT.parent / "shared" / "data")
).resolve()
#: The part of the reference data that ships with the repository (same layout: ``cdnow/...``).
SHIPPED_DATA = ROOT / "data"


@pytest.fixture(scope="session")
def reference_data() -> Callable[..., Path]:
    """A function giving the path of one reference file; skips (locally) or fails (in CI) if absent.

    Call it with the path's parts: ``reference_data("cdnow", "donations.csv")``.
    The reference folder wins; the copy shipped in ``data/`` answers only for the
    very same relative path (a byte-identical copy, checked by
    ``tests/test_reference_sample.py``), never for another file.
    """

    def find(*parts: str) -> Path:
        for folder in (REFERENCE_DATA, SHIPPED_DATA):
            path = folder.joinpath(*parts)
            if path.is_file():
                return path
        message = (
            f"reference data {'/'.join(parts)} not found under {REFERENCE_DATA} "
            f"nor shipped in {SHIPPED_DATA} "
            "(point CRMCORE_REFERENCE_DATA at the folder holding cdnow/)"
        )
        if in_ci():
            pytest.fail(message + "; in CI a missing reference file is a failure")
        pytest.skip(message)

    return find


@pytest.fixture(scope="session")
def repository_root() -> Path:
    """The repository's root folder (for tests that read the docs)."""
    return ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that read the reference data sets are long: mark them ``slow``."""
    for item in items:
        if "reference_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_report_header() -> list[str]:
    """Say which Hypothesis profile and which reference data this run uses."""
    found = "found" if REFERENCE_DATA.exists() else "missing"
    return [
        f"hypothesis profile: {settings._current_profile}",
        f"reference data: {REFERENCE_DATA} ({found}); shipped sample: {SHIPPED_DATA}",
    ]


# -- optional libraries (tests/_optional.py): a skip locally, a failure under CI ----------


@pytest.fixture(scope="session")
def np():
    """Numpy."""
    return optional("numpy")


@pytest.fixture(scope="session")
def pd():
    """Pandas."""
    return optional("pandas")


@pytest.fixture(scope="session")
def pl():
    """Polars."""
    return optional("polars")


@pytest.fixture(scope="session")
def pa():
    """Pyarrow."""
    return optional("pyarrow")


@pytest.fixture
def log1p_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times ``math.log1p`` is called in the test: the CLV tests count work, not time."""
    count = [0]
    real = math.log1p

    def counting(x: float) -> float:
        count[0] += 1
        return real(x)

    monkeypatch.setattr(math, "log1p", counting)
    return count

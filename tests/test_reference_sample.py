"""The CDNOW sample shipped in ``data/`` and the ``reference_data`` fixture's fallback to it.

The fixture may hand a test the shipped copy instead of the reference folder's
file only because the two are the same bytes: the digests listed in
``data/README.md`` are checked here against the shipped copies and, when the
reference folder is there, against its files too.
"""

import csv
import hashlib
import re
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data"
#: The files that ship, by their path under the data folder.
SHIPPED_FILES = (
    "cdnow/CDNOW_sample.txt",
    "cdnow/cdnow_customers_summary.csv",
    "cdnow/cdnow_customers_summary_with_transactions.csv",
    "cdnow/donations.csv",
)


def listed_digests() -> dict[str, str]:
    """The SHA-256 digests data/README.md lists, by relative path."""
    text = (SHIPPED / "README.md").read_text(encoding="utf-8")
    return {
        name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.MULTILINE)
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def conftest_module():
    """The tests' conftest module (to point its reference folder elsewhere)."""
    module = next(
        (
            m
            for m in list(sys.modules.values())
            if getattr(m, "__file__", None) == str(ROOT / "tests" / "conftest.py")
        ),
        None,
    )
    assert module is not None, "tests/conftest.py is not loaded"
    return module


def test_the_readme_lists_exactly_the_shipped_files():
    """Every shipped file has a listed digest, and nothing else sits beside them."""
    assert sorted(listed_digests()) == sorted(SHIPPED_FILES)
    present = sorted(str(p.relative_to(SHIPPED)) for p in (SHIPPED / "cdnow").iterdir())
    assert present == sorted(SHIPPED_FILES)


@pytest.mark.parametrize("name", SHIPPED_FILES)
def test_shipped_copies_have_the_listed_digests(name):
    assert sha256(SHIPPED / name) == listed_digests()[name]


@pytest.mark.parametrize("name", SHIPPED_FILES)
def test_reference_copies_are_the_same_bytes(conftest_module, name):
    """Where the reference folder holds a file, it is the very file that ships."""
    reference = conftest_module.REFERENCE_DATA / name
    if not reference.is_file():
        message = f"reference copy of {name} not found under {conftest_module.REFERENCE_DATA}"
        if conftest_module.in_ci():
            pytest.fail(message + "; in CI the reference folder must be there")
        pytest.skip(message)
    assert sha256(reference) == listed_digests()[name]


def test_the_full_cohort_never_ships():
    assert not (SHIPPED / "cdnow" / "CDNOW_master.txt").exists()


def test_the_sample_has_the_published_shape():
    """2,357 customers, 6,919 purchases, first bought in 1997's first quarter, to 1998-06-30."""
    firsts: dict[int, date] = {}
    rows = 0
    with (SHIPPED / "cdnow" / "CDNOW_sample.txt").open(encoding="ascii") as lines:
        for line in lines:
            master_id, sample_id, day, cds, dollars = line.split()
            when = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            assert date(1997, 1, 1) <= when <= date(1998, 6, 30)
            assert int(cds) >= 0
            assert float(dollars) >= 0
            assert int(master_id) > 0
            customer = int(sample_id)
            firsts[customer] = min(firsts.get(customer, when), when)
            rows += 1
    assert rows == 6919
    assert sorted(firsts) == list(range(1, 2358))
    assert max(firsts.values()) <= date(1997, 3, 31)


def test_the_summaries_cover_the_same_customers():
    def ids(name):
        with (SHIPPED / "cdnow" / name).open(newline="") as handle:
            return [int(row["ID"]) for row in csv.DictReader(handle)]

    assert ids("cdnow_customers_summary.csv") == list(range(1, 2358))
    assert ids("cdnow_customers_summary_with_transactions.csv") == list(range(1, 2358))


def test_the_donations_weigh_up_to_the_donors():
    with (SHIPPED / "cdnow" / "donations.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(int(row["weights"]) for row in rows) == 11104
    assert {int(row["periods"]) for row in rows} == {6}


def test_the_fixture_falls_back_to_the_shipped_copy(
    reference_data, conftest_module, monkeypatch, tmp_path
):
    """With an empty reference folder, a shipped file comes from data/; the master file does not."""
    monkeypatch.setattr(conftest_module, "REFERENCE_DATA", tmp_path)
    monkeypatch.setattr(conftest_module, "in_ci", lambda: False)
    for name in SHIPPED_FILES:
        assert reference_data(*name.split("/")) == SHIPPED / name
    with pytest.raises(pytest.skip.Exception, match=r"CDNOW_master\.txt"):
        reference_data("cdnow", "CDNOW_master.txt")


def test_the_fixture_fails_in_ci_for_a_file_that_does_not_ship(
    reference_data, conftest_module, monkeypatch, tmp_path
):
    monkeypatch.setattr(conftest_module, "REFERENCE_DATA", tmp_path)
    monkeypatch.setattr(conftest_module, "in_ci", lambda: True)
    with pytest.raises(pytest.fail.Exception, match="in CI a missing reference file is a failure"):
        reference_data("cdnow", "CDNOW_master.txt")


def test_the_reference_folder_wins_over_the_shipped_copy(
    reference_data, conftest_module, monkeypatch, tmp_path
):
    """A file present in the reference folder is read from there, not from data/."""
    (tmp_path / "cdnow").mkdir()
    mine = tmp_path / "cdnow" / "donations.csv"
    mine.write_bytes((SHIPPED / "cdnow" / "donations.csv").read_bytes())
    monkeypatch.setattr(conftest_module, "REFERENCE_DATA", tmp_path)
    assert reference_data("cdnow", "donations.csv") == mine

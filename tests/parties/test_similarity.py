"""Tests for `crmcore.parties._similarity`: Jaro and Jaro-Winkler against published values."""

import pytest

from crmcore.errors import InvalidType
from crmcore.parties import jaro_winkler
from crmcore.parties._similarity import jaro

#: Published Jaro-Winkler examples (Winkler 1990; the strcmp95 comparison table), to 3 places.
WINKLER_EXAMPLES = [
    ("MARTHA", "MARHTA", 0.961),
    ("DWAYNE", "DUANE", 0.840),
    ("DIXON", "DICKSONX", 0.813),
    ("SHACKLEFORD", "SHACKELFORD", 0.982),
    ("DUNNINGHAM", "CUNNIGHAM", 0.896),
    ("NICHLESON", "NICHULSON", 0.956),
    ("JONES", "JOHNSON", 0.832),
    ("MASSEY", "MASSIE", 0.933),
    ("ABROMS", "ABRAMS", 0.922),
    ("JERALDINE", "GERALDINE", 0.926),
    ("MICHELLE", "MICHAEL", 0.921),
    ("JULIES", "JULIUS", 0.933),
    ("TANYA", "TONYA", 0.880),
    ("SEAN", "SUSAN", 0.805),
    ("JON", "JOHN", 0.933),
]


@pytest.mark.parametrize(("a", "b", "expected"), WINKLER_EXAMPLES)
def test_jaro_winkler_matches_the_published_values(a, b, expected):
    """Each published pair scores its published value, to three decimal places."""
    assert expected == round(jaro_winkler(a, b), 3)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("MARTHA", "MARHTA", 0.944), ("DWAYNE", "DUANE", 0.822), ("DIXON", "DICKSONX", 0.767)],
)
def test_jaro_matches_the_published_values(a, b, expected):
    """The Jaro score before Winkler's prefix adjustment."""
    assert expected == round(jaro(a, b), 3)


def test_jaro_worked_example_by_hand():
    """MARTHA/MARHTA: m = 6, t = 1, so (1 + 1 + 5/6) / 3; then + 3 * 0.1 * (1 - jaro)."""
    expected_jaro = (1 + 1 + 5 / 6) / 3
    assert expected_jaro == pytest.approx(jaro("MARTHA", "MARHTA"))
    assert expected_jaro + 0.3 * (1 - expected_jaro) == pytest.approx(
        jaro_winkler("MARTHA", "MARHTA")
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("", "", 1.0), ("", "a", 0.0), ("a", "", 0.0), ("abc", "abc", 1.0), ("abc", "xyz", 0.0)],
)
def test_edges(a, b, expected):
    """Empty strings, equal strings and strings with nothing in common."""
    assert expected == jaro_winkler(a, b)


def test_no_prefix_boost_below_the_threshold():
    """Winkler's boost applies only above a Jaro score of 0.7."""
    assert jaro("ab_____", "ab+++++") == jaro_winkler("ab_____", "ab+++++")


def test_case_and_accents_count():
    """jaro_winkler compares exactly; name_similarity is the one that normalizes."""
    assert 1.0 > jaro_winkler("Ana", "ana")
    assert 1.0 > jaro_winkler("José", "Jose")


@pytest.mark.parametrize(("a", "b", "path"), [(1, "x", "$.a"), ("x", None, "$.b")])
def test_bad_input(a, b, path):
    """Non-str arguments raise InvalidType naming the argument."""
    with pytest.raises(InvalidType) as info:
        jaro_winkler(a, b)
    assert path == info.value.path

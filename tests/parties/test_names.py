"""Tests for `crmcore.parties._names`: folding, titles, old spellings and name similarity."""

import pytest

from crmcore.errors import InvalidType
from crmcore.parties import (
    LEGAL_FORMS,
    OLD_SPELLINGS,
    PREFIX_TITLES,
    SUFFIX_TITLES,
    name_similarity,
    normalize_name,
)
from crmcore.parties._names import compare_names, modern_spelling, name_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # case, diacritics (NFKD) and the letters NFKD keeps whole
        ("ANA PUTRI", "ana putri"),
        ("José Núñez", "jose nunez"),
        ("Søren Jørgensen", "soren jorgensen"),
        ("Łukasz Kowalski", "lukasz kowalski"),
        ("Straße", "strasse"),
        ("\uff33\uff49\uff54\uff49", "siti"),  # fullwidth letters (NFKD compatibility)
        ("Zoë Çelik", "zoe celik"),
        # punctuation
        ("O'Brien", "obrien"),
        ("Abdul-Rahman", "abdul rahman"),
        ("  Ana   Putri  ", "ana putri"),
        # Indonesian honorifics leading the name
        ("Bapak Budi Santoso", "budi santoso"),
        ("Ibu Siti", "siti"),
        ("Pak Joko", "joko"),
        ("Bu Ani", "ani"),
        ("Sdr. Andi", "andi"),
        ("Sdri. Rina", "rina"),
        ("H. Ahmad Hidayat", "ahmad hidayat"),
        ("Hj. Nur Aini", "nur aini"),
        ("Dr. Ir. H. Bambang", "bambang"),
        ("Bpk. Drs. Hadi", "hadi"),
        ("Mr. John Smith", "john smith"),
        # degrees trailing the name
        ("Budi Santoso, S.E.", "budi santoso"),
        ("Budi Santoso, S.E., M.M.", "budi santoso"),
        ("Rina Wati S.Kom", "rina wati"),
        ("Rina Wati SKom", "rina wati"),
        ("Andi, S. Kom", "andi"),
        ("Dewi Lestari, A.Md", "dewi lestari"),
        ("Jane Doe PhD", "jane doe"),
        # a trailing title that could be a name part: kept unless dotted or after a comma
        ("Li Ma", "li ma"),
        ("Li Ma.", "li"),
        ("Li, MA", "li"),
        # a part after a comma that is not a title is the rest of the name
        ("Santoso, Budi", "santoso budi"),
        ("Santoso, Bapak Budi", "santoso budi"),
        # old Indonesian spellings
        ("Soekarno", "sukarno"),
        ("Soeharto", "suharto"),
        ("Djoko", "joko"),
        ("Tjahjono", "cahyono"),
        ("Njoman", "nyoman"),
        ("Sjahrir", "syahrir"),
        ("Chairil Anwar", "khairil anwar"),
        ("Soerjadi", "suryadi"),
        ("Djojohadikoesoemo", "joyohadikusumo"),
        ("Ayoe", "ayu"),
        ("Heroe Santoso", "heru santoso"),
        ("Jane Doe", "jane doe"),  # a three-letter token keeps its final oe
        # a single name typed in both fields counts once
        ("Sukarno Sukarno", "sukarno"),
        # nothing but titles: no name
        ("Bapak", ""),
        ("-", ""),
    ],
)
def test_normalize_name(raw, expected):
    """Each documented normalization step, one case at a time."""
    assert expected == normalize_name(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PT Sinar Jaya Abadi Tbk", "sinar jaya abadi"),
        ("PT. Maju Bersama", "maju bersama"),
        ("CV Karya Mandiri", "karya mandiri"),
        ("Sinar Jaya (Persero)", "sinar jaya"),
        ("Acme GmbH", "acme"),
        ("Bapak Motor", "bapak motor"),  # honorifics are not removed from organizations
    ],
)
def test_normalize_organization_name(raw, expected):
    """Legal forms are removed from organization names wherever they stand."""
    assert expected == normalize_name(raw, organization=True)


def test_the_documented_tables():
    """The tables hold what the documentation promises."""
    assert {"bapak", "ibu", "pak", "bu", "sdr", "sdri", "h", "hj", "dr", "ir"} <= PREFIX_TITLES
    assert {"se", "skom", "mm", "msi", "amd", "phd"} <= SUFFIX_TITLES
    assert {"pt", "cv", "tbk", "ltd", "gmbh"} <= LEGAL_FORMS
    assert [("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh")] == [
        pair for pair in OLD_SPELLINGS if pair != ("j", "y")
    ]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("joko", "joko"),  # a modern j stays
        ("jusuf", "jusuf"),  # no old digraph: the j is left alone
        ("tjahja", "cahya"),  # an old token: its j becomes y
        ("sanjaya", "sanyaya"),  # ambiguous nj: rewritten alike on both sides
        ("michael", "mikhael"),
    ],
)
def test_modern_spelling(token, expected):
    """Old digraphs are rewritten; a lone j changes only in an old-spelling token."""
    assert expected == modern_spelling(token)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Soekarno", "Sukarno"),
        ("Bapak Ir. H. Soekarno", "sukarno"),
        ("Ana Putri", "Putri, Ana"),
        ("Ana Putri", "ANA PUTRI"),
        ("Nyoman Kurniawan", "Sdri. Kurniawan Nyoman"),
        ("Abdul Rahman", "Abdulrahman"),
        ("Zoë Dubois", "Zoe Dubois"),
        ("Sukarno", "Sukarno Sukarno"),
    ],
)
def test_equal_names(a, b):
    """Names equal after normalization, in any order, score 1."""
    assert 1.0 == name_similarity(a, b)


def test_typos_score_high_and_different_names_low():
    """A typo or a transposition costs little; a different name a lot."""
    assert 0.9 < name_similarity("Putri Wibowo", "Pturi Wibowo") < 1.0
    assert 0.9 < name_similarity("Dewi Lestari", "Dewi Lestary") < 1.0
    assert 0.0 == name_similarity("Ana Putri", "Budi Santoso")
    assert name_similarity("Budi Santoso", "Ani Santoso") < 0.8


def test_short_tokens_with_swapped_letters():
    """Jaro's window is 0 for three letters; an adjacent swap still scores 0.85."""
    score, _ = compare_names(name_key("Tri"), name_key("Tir"))
    assert 0.85 == score
    assert 0.9 < name_similarity("Tri Sinaga", "Tir Sinaga")
    assert 0.0 == name_similarity("Tri", "Irt")


def test_mononym_against_a_longer_name_is_partial():
    """A single name fully matched inside a longer one scores 0.9 (PARTIAL_WEIGHT)."""
    score, notes = compare_names(name_key("Sukarno"), name_key("Sukarno Putra"))
    assert 0.9 == pytest.approx(score)
    assert ("partial",) == notes


def test_initials():
    """An initial matches a token starting with it, for a little less than a full token."""
    score, notes = compare_names(name_key("B. Santoso"), name_key("Budi Santoso"))
    assert 0.85 < score < 1.0
    assert "initials" in notes


def test_notes_name_what_happened_never_values():
    """Notes are fixed words: reordered, titles, old spelling (never a token)."""
    _, notes = compare_names(name_key("Bapak Djoko Santosa"), name_key("Santoso Joko"))
    assert {"reordered", "titles", "old spelling"} <= set(notes)
    assert not {"joko", "santoso", "santosa"} & {word for note in notes for word in note.split()}


def test_symmetry_of_the_alignment():
    """The greedy alignment runs in one canonical order, so argument order never matters."""
    pairs = [("Ana Ani Anu", "Ani Ana"), ("Budi B Santoso", "Santoso Budi"), ("ab ba", "ba ab a")]
    for a, b in pairs:
        assert name_similarity(a, b) == name_similarity(b, a)


def test_no_name_scores_zero():
    """A name made only of titles has no tokens and matches nothing."""
    assert 0.0 == name_similarity("Bapak", "Bapak")


def test_name_key_repr_hides_the_name():
    """The key's repr shows a count only."""
    assert "NameKey(tokens=2)" == repr(name_key("Ana Putri"))


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: name_similarity(None, "x"), "$.a"),
        (lambda: name_similarity("x", 3), "$.b"),
        (lambda: normalize_name(b"Ana"), "$.text"),
        (lambda: normalize_name("Ana", organization="yes"), "$.organization"),
    ],
)
def test_bad_input(call, path):
    """Wrong types raise InvalidType naming the argument, never echoing it."""
    with pytest.raises(InvalidType) as info:
        call()
    assert path == info.value.path
    assert "Ana" not in str(info.value)


def test_empty_comma_parts_are_skipped():
    """Stray commas leave no empty tokens behind."""
    assert "budi santoso" == normalize_name("Budi Santoso,, ,")


def test_block_codes():
    """Doubled letters count once, y reads as i, and the code is cut to its length."""
    from crmcore.parties._names import block_code  # noqa: PLC0415 - a private helper

    assert "muha" == block_code("muhammad", 4)
    assert "puti" == block_code("puttyi", 4)
    assert "ab" == block_code("ab", 4)

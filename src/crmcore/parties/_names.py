"""Name keys and name similarity: folding, titles, old Indonesian spellings, token alignment.

A name is compared through its *key*, built in five steps (documented in
``docs/duplicates.md``):

1. **Fold**: case-fold, Unicode NFKD with the combining marks dropped
   (``José`` → ``jose``), and the Latin letters NFKD leaves whole mapped by
   :data:`_LETTERS` (``ø`` → ``o``, ``ł`` → ``l``, ``æ`` → ``ae``, ...).
2. **Tokens**: hyphens, slashes and underscores separate tokens, other
   punctuation is dropped (``O'Brien`` → ``obrien``, ``S.Kom`` → ``skom``).
3. **Titles**: honorifics and titles leading the name (:data:`PREFIX_TITLES`:
   ``Bapak``, ``Ibu``, ``Pak``, ``Bu``, ``Sdr.``, ``H.``, ``Dr.``, ``Ir.``,
   ``Mr``, ...) and degrees trailing it (:data:`SUFFIX_TITLES`: ``S.E.``,
   ``S.Kom``, ``M.M.``, ``PhD``, ...) are removed. A trailing degree that
   could be a name (``Ma``, ``Se``, ``St``) is removed only when written
   with a dot or after a comma. A part after a comma that is not a title is
   kept (``Santoso, Budi``). An organization's legal forms (:data:`LEGAL_FORMS`:
   ``PT``, ``CV``, ``Tbk``, ``Ltd``, ...) are removed wherever they stand.
4. **Old spellings**: each token is rewritten in the modern Indonesian
   spelling (EYD, 1972) by :data:`OLD_SPELLINGS`; a token holding one of
   the unambiguous old digraphs (``oe``, ``dj``, ``tj``, ``nj``, ``sj``) is
   old spelling throughout, so its ``j`` becomes ``y`` too
   (``Tjahjo`` → ``cahyo``, ``Djojo`` → ``joyo``).
5. **Repeats**: a token repeated counts once (a single name typed into both
   the given and family fields, common for mononyms, is one name).

Two keys are compared by *token alignment*: every token pair is scored with
Jaro-Winkler (an initial against a token starting with it scores
:data:`INITIAL_SIMILARITY`, two tokens of at most three letters with two
adjacent letters swapped :data:`TRANSPOSITION_SIMILARITY`; a pair below
:data:`TOKEN_FLOOR` counts as no match), and the best-scoring pairs are
taken greedily, each token at most once. The *full* score weighs each matched pair by its characters over all
the characters of both names, so an extra or missing token lowers it. When
every token of the shorter name is matched (a mononym against a longer
name, a dropped middle name), the *partial* score ignores the unmatched
tokens of the longer one and counts :data:`PARTIAL_WEIGHT` of it, provided
every matched pair scores at least :data:`PARTIAL_FLOOR`. The name
similarity is the larger of the two; equal token sets in any order score 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import MutableMapping
from itertools import pairwise
from typing import Final

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType
from crmcore.parties._similarity import check_two_texts, winkler

#: Letters NFKD does not decompose, and their ASCII stand-ins (applied after case-folding).
_LETTERS: Final = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "\u0131": "i",  # dotless i
        "ħ": "h",
        "ŧ": "t",
        "ĸ": "k",
        "ŋ": "ng",
    }
)

#: Honorifics and titles removed where they lead a person's name, in their compact form
#: (lower case, dots removed): Indonesian forms of address (Bapak/Bpk/Bp/Pak, Ibu/Bu,
#: Saudara/Sdr, Saudari/Sdri, Tuan/Tn, Nyonya/Ny, Nona/Nn, Mas, Mbak/Mba, Kak, Bang, Dik),
#: the pilgrimage titles Haji/H. and Hajjah/Hj., religious and noble titles (Kiai Haji/KH,
#: Ustadz, Raden), academic and professional titles (Dr, Drs, Dra, Drg, Ir, Prof) and the
#: common international ones (Mr, Mrs, Ms, Miss, Mx, Sir, Dame, Madam, Mme, Mlle, Herr,
#: Frau, Sr, Sra, Srta, Dott, Rev).
PREFIX_TITLES: Final = frozenset(
    """
    bapak bpk bp pak ibu bu saudara sdr saudari sdri sdra tuan tn nyonya ny nona nn
    mas mbak mba kak kakak bang abang dik adik h hj haji hajjah hajah kh ustadz ustad ustazah
    raden dr drs dra drg ir prof
    mr mrs ms miss mx sir dame madam mme mlle herr frau sr sra srta dott rev
    """.split()
)

#: Degrees and suffixes removed where they trail a person's name, in their compact form:
#: Indonesian degrees (S.E., S.H., S.T., S.Kom, S.Pd, S.Si, S.Sos, S.Ked, S.Psi, S.Ag,
#: S.I.Kom, S.Ak, S.Farm, S.Kep, S.K.M., A.Md, M.M., M.Si, M.Kom, M.T., M.H., M.Pd, M.Kes,
#: M.Ak, M.B.A., Sp.A, Sp.OG, Sp.PD, ...) and international ones (PhD, MSc, BSc, BA, MA,
#: MD, Jr, Sr, II, III, IV, Esq).
SUFFIX_TITLES: Final = frozenset(
    """
    se sh st skom spd ssi ssos sked spsi sag sip sikom sak sfarm skep skm sp sgz sthi sei
    ssn sds sh shi sstp ip amd amdkeb amdkep
    mm msi mkom mt mh mpd mkes mak mag mba mhum msc ma
    spa spog sppd spb spjp spkk spm spot sps
    phd bsc ba md jr sr ii iii iv esq
    """.split()
)

#: Trailing titles that are also names or name parts (``Ma``, ``Se``, ``St``, ``Sp``, ...):
#: removed only when written with a dot or after a comma.
_AMBIGUOUS_SUFFIXES: Final = frozenset(
    "se sh st sp ip ma ba md mt mh mm ii iv sr jr mak mag sak sei spa sps".split()
)

#: An organization's legal forms, removed wherever they stand in its name: Indonesian
#: (PT, CV, UD, PD, Fa, Tbk, Persero, Koperasi) and international ones.
LEGAL_FORMS: Final = frozenset(
    """
    pt cv ud pd fa tbk persero perum koperasi kop
    ltd limited llc inc incorporated corp corporation co company plc llp lp
    gmbh ag kg bv nv sa sas sarl srl spa ab as oy pte pty sdn bhd kk
    """.split()
)

#: Old Indonesian spellings (Van Ophuijsen 1901 and Republican/Soewandi 1947) and their
#: modern (EYD 1972) forms, applied in this order; ``oe`` is left alone where it ends a
#: three-letter token (``Doe``, ``Joe``, ``Zoe``). ``ch`` becomes ``kh`` everywhere
#: (``Chairil`` → ``khairil``), harmless for other names because both sides are rewritten
#: alike. ``j`` becomes ``y`` only in a token holding one of the old digraphs ``oe``,
#: ``dj``, ``tj``, ``nj`` or ``sj``: a lone ``j`` is a modern ``j`` as often as an old ``y``.
OLD_SPELLINGS: Final = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("nj", "ny"),
    ("sj", "sy"),
    ("ch", "kh"),
    ("j", "y"),
)
_OLD_MARKERS: Final = ("dj", "tj", "nj", "sj")
#: ``oe`` anywhere but as the end of a three-letter token (``Doe``, ``Joe``, ``Zoe``).
_OLD_OE: Final = re.compile(r"oe(?!$)|(?<=..)oe$")

#: Similarity of an initial (``B``) and a token that starts with it (``budi``).
INITIAL_SIMILARITY: Final = 0.85
#: Similarity of two tokens of at most three letters that differ by two adjacent letters
#: swapped (``tri``, ``tir``): Jaro's window is 0 for them, so it never sees a transposition.
TRANSPOSITION_SIMILARITY: Final = 0.85
#: Token pairs scoring below this count as not matching at all.
TOKEN_FLOOR: Final = 0.8
#: Share of the partial score (unmatched tokens of the longer name ignored) that counts.
PARTIAL_WEIGHT: Final = 0.9
#: The partial score counts only when every matched token pair scores at least this.
PARTIAL_FLOOR: Final = 0.9
#: Most tokens of one name that are compared (a longer name keeps its first ones).
MAX_TOKENS: Final = 8
#: Longest token compared, in characters (longer ones are cut).
MAX_TOKEN_LENGTH: Final = 40

_SEPARATORS: Final = re.compile("[-\u2010-\u2015/_\\s]+")  # hyphens and dashes, slash, _
_NOT_ALNUM: Final = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Case-fold ``text``, drop its accents (NFKD) and map the letters NFKD keeps whole."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)


def modern_spelling(token: str) -> str:
    """``token`` in the modern Indonesian spelling (see :data:`OLD_SPELLINGS`)."""
    old = any(marker in token for marker in _OLD_MARKERS) or _OLD_OE.search(token) is not None
    if not old and "ch" not in token:
        return token
    text = _OLD_OE.sub("u", token).replace("dj", "\0").replace("tj", "c")
    text = text.replace("nj", "ny").replace("sj", "sy").replace("ch", "kh")
    if old:
        text = text.replace("j", "y")
    return text.replace("\0", "j")


class NameKey:
    """A name prepared for comparison: its tokens and what preparing it changed.

    Holds personal data (the folded name): it stays inside the matcher and
    its repr shows nothing but counts.
    """

    __slots__ = ("compact", "sorted_tokens", "spelling", "titles", "tokens")

    def __init__(self, tokens: tuple[str, ...], *, titles: bool, spelling: bool) -> None:
        self.tokens = tokens
        self.sorted_tokens = tuple(sorted(tokens))
        self.compact = "".join(tokens)
        self.titles = titles
        self.spelling = spelling

    def __repr__(self) -> str:
        return f"NameKey(tokens={len(self.tokens)})"


def _split(text: str) -> list[tuple[str, bool]]:
    """Tokens of ``text`` in compact form, each with whether it was written with a dot."""
    out: list[tuple[str, bool]] = []
    for raw in _SEPARATORS.split(text):
        compact = _NOT_ALNUM.sub("", raw)
        if compact:
            out.append((compact, "." in raw))
    return out


def _strip_person_titles(parts: list[list[tuple[str, bool]]]) -> tuple[list[str], bool]:
    first = parts[0]
    start = 0
    while start < len(first) and first[start][0] in PREFIX_TITLES:
        start += 1
    end = len(first)
    while end > start:
        token, dotted = first[end - 1]
        if token not in SUFFIX_TITLES or (token in _AMBIGUOUS_SUFFIXES and not dotted):
            break
        end -= 1
    removed = start > 0 or end < len(first)
    tokens = [token for token, _ in first[start:end]]
    for part in parts[1:]:
        compact = [token for token, _ in part]
        if not compact:
            continue
        if "".join(compact) in SUFFIX_TITLES or all(t in SUFFIX_TITLES for t in compact):
            removed = True
            continue
        skip = 0
        while skip < len(compact) and compact[skip] in PREFIX_TITLES:
            skip += 1
        removed = removed or skip > 0
        tokens.extend(compact[skip:])
    return tokens, removed


def name_key(text: str, *, organization: bool = False) -> NameKey:
    """The key of a person's (or, with ``organization``, an organization's) name."""
    parts = [_split(part) for part in fold(text).split(",")]
    kept: list[str]
    if organization:
        tokens = [token for part in parts for token, _ in part]
        kept = [token for token in tokens if token not in LEGAL_FORMS]
        titles = len(kept) < len(tokens)
    else:
        kept, titles = _strip_person_titles(parts)
    spelling = False
    seen: dict[str, None] = {}
    for token in kept:
        modern = modern_spelling(token)[:MAX_TOKEN_LENGTH]
        spelling = spelling or modern != token
        seen.setdefault(modern)
    return NameKey(tuple(seen)[:MAX_TOKENS], titles=titles, spelling=spelling)


#: Cache of token-pair scores shared by the comparisons of one run (never module state).
TokenCache = MutableMapping[tuple[str, str], float]


def token_similarity(x: str, y: str, cache: TokenCache | None = None) -> float:
    """The score of two tokens: Jaro-Winkler, or :data:`INITIAL_SIMILARITY` for an initial."""
    if x == y:
        return 1.0
    if x > y:
        x, y = y, x
    if cache is not None:
        known = cache.get((x, y))
        if known is not None:
            return known
    if len(x) == 1 or len(y) == 1:
        short, long_ = (x, y) if len(x) == 1 else (y, x)
        score = INITIAL_SIMILARITY if long_.startswith(short) else 0.0
    else:
        score = winkler(x, y)
        if score < TRANSPOSITION_SIMILARITY and len(x) == len(y) <= 3 and _swapped(x, y):
            score = TRANSPOSITION_SIMILARITY
    if cache is not None:
        cache[(x, y)] = score
    return score


def _swapped(x: str, y: str) -> bool:
    """True if ``y`` is ``x`` with two adjacent letters swapped."""
    for i in range(len(x) - 1):
        if x[i] != y[i]:
            return x[i + 2 :] == y[i + 2 :] and x[i] == y[i + 1] and x[i + 1] == y[i]
    return False


def align(
    a: tuple[str, ...], b: tuple[str, ...], cache: TokenCache | None = None
) -> tuple[float, float | None, bool, bool]:
    """Align the tokens of two names: ``(full, partial, reordered, initials)``.

    ``partial`` is ``None`` unless every token of the shorter side was matched
    and the sides differ in length.
    """
    pairs: list[tuple[float, int, int]] = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            score = token_similarity(x, y, cache)
            if score >= TOKEN_FLOOR:
                pairs.append((-score, i, j))
    pairs.sort()
    used_a: set[int] = set()
    used_b: set[int] = set()
    matched: list[tuple[float, int, int]] = []
    for negative, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            matched.append((-negative, i, j))
    total = sum(len(x) for x in a) + sum(len(y) for y in b)
    weighted = sum(score * (len(a[i]) + len(b[j])) for score, i, j in matched)
    full = weighted / total if total else 0.0
    partial: float | None = None
    strong = all(score >= PARTIAL_FLOOR for score, _, _ in matched)
    if len(a) != len(b) and len(matched) == min(len(a), len(b)) and matched and strong:
        covered = sum(len(a[i]) + len(b[j]) for _, i, j in matched)
        partial = weighted / covered
    in_order = [j for _, _, j in sorted(matched, key=lambda m: m[1])]
    reordered = any(later < earlier for earlier, later in pairwise(in_order))
    initials = any(len(a[i]) == 1 or len(b[j]) == 1 for score, i, j in matched if score < 1.0)
    return full, partial, reordered, initials


def compare_names(
    a: NameKey, b: NameKey, cache: TokenCache | None = None
) -> tuple[float, tuple[str, ...]]:
    """The similarity of two name keys and notes on how it was reached (no name values)."""
    notes: list[str] = []
    if not a.tokens or not b.tokens:
        return 0.0, ()
    if a.tokens == b.tokens:
        score = 1.0
    elif a.sorted_tokens == b.sorted_tokens:
        score = 1.0
        notes.append("reordered")
    elif a.compact == b.compact:
        score = 1.0
        notes.append("joined")
    else:
        score = _fuzzy(a, b, cache, notes)
    if a.titles or b.titles:
        notes.append("titles")
    if a.spelling or b.spelling:
        notes.append("old spelling")
    return score, tuple(notes)


def _fuzzy(a: NameKey, b: NameKey, cache: TokenCache | None, notes: list[str]) -> float:
    if a.tokens > b.tokens:  # one canonical order: the greedy alignment is symmetric
        a, b = b, a
    full, partial, reordered, initials = align(a.tokens, b.tokens, cache)
    score = full
    if partial is not None and PARTIAL_WEIGHT * partial > full:
        score = PARTIAL_WEIGHT * partial
        notes.append("partial")
    if reordered:
        notes.append("reordered")
    if initials:
        notes.append("initials")
    return score


def name_similarity(a: str, b: str) -> float:
    """The similarity of two person names, from 0 to 1, as the duplicate matcher scores them.

    Case, accents, honorifics and degrees, old Indonesian spellings, token
    order and repeated tokens do not count; typos count a little (Jaro-Winkler
    per token); a missing token counts less than a wrong one. See the module
    documentation of :mod:`crmcore.parties` for the full definition.

    >>> name_similarity("Bapak Ir. H. Soekarno", "sukarno")
    1.0
    >>> name_similarity("Putri, Ana", "Ana Putri")
    1.0
    >>> round(name_similarity("Ana Putri", "Ana Putry"), 2)
    0.95
    >>> name_similarity("Ana Putri", "Budi Santoso")
    0.0

    Raises:
        InvalidType: either argument is not a str.

    .. versionadded:: 0.1
    """
    check_two_texts(a, b)
    return compare_names(name_key(a[:1000]), name_key(b[:1000]))[0]


def normalize_name(text: str, *, organization: bool = False) -> str:
    """A name as the matcher compares it: folded, without titles, in modern spelling.

    >>> normalize_name("Ibu Hj. Siti Nurhaliza, S.E., M.M.")
    'siti nurhaliza'
    >>> normalize_name("Bpk. Djoko Tjahjono")
    'joko cahyono'
    >>> normalize_name("PT Sinar Jaya Abadi Tbk", organization=True)
    'sinar jaya abadi'

    Raises:
        InvalidType: ``text`` is not a str or ``organization`` not a bool.

    .. versionadded:: 0.1
    """
    if not isinstance(text, str):
        raise InvalidType(f"must be a str, not {type_name(text)}", path="$.text")
    if not isinstance(organization, bool):
        raise InvalidType(f"must be a bool, not {type_name(organization)}", path="$.organization")
    return " ".join(name_key(text[:1000], organization=organization).tokens)


def block_code(token: str, length: int) -> str:
    """A short code of a token for blocking: doubled letters once, ``y`` as ``i``, cut."""
    out: list[str] = []
    for char in token.replace("y", "i"):
        if not out or out[-1] != char:
            out.append(char)
            if len(out) == length:
                break
    return "".join(out)

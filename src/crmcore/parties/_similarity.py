"""String similarity: the Jaro and Jaro-Winkler measures.

Jaro (1989) counts the characters two strings share within a window and the
transpositions among them; Winkler (1990) raises the score of strings that
share a prefix, which suits names, where typing errors are rarer at the start.

For strings ``a`` and ``b`` of lengths ``|a|`` and ``|b|``, a character of
``a`` *matches* an equal, not yet matched character of ``b`` at most
``max(|a|, |b|) // 2 - 1`` positions away; ``m`` is the number of matches and
``t`` half the number of matched characters that appear in a different order.
Then::

    jaro = (m / |a| + m / |b| + (m - t) / m) / 3          (0 when m = 0)
    jaro_winkler = jaro + l * p * (1 - jaro)              when jaro > 0.7

with ``l`` the length of the common prefix (at most 4) and ``p = 0.1``.
"""

from __future__ import annotations

from typing import Final

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType

#: Winkler's prefix scale ``p``.
PREFIX_SCALE: Final = 0.1
#: Longest common prefix that raises the score (Winkler's ``l`` is at most 4).
MAX_PREFIX: Final = 4
#: Jaro score above which the prefix raises it (Winkler's boost threshold).
BOOST_THRESHOLD: Final = 0.7


def jaro(a: str, b: str) -> float:
    """The Jaro similarity of two strings, from 0 (nothing shared) to 1 (equal).

    Two empty strings are equal (1.0); an empty and a non-empty one share
    nothing (0.0). The result does not depend on the order of the arguments.
    """
    if a == b:
        return 1.0
    if a > b:  # one canonical order makes the greedy matching exactly symmetric
        a, b = b, a
    len_a, len_b = len(a), len(b)
    if not len_a or not len_b:
        return 0.0
    window = max(max(len_a, len_b) // 2 - 1, 0)
    taken = [False] * len_b
    matched_a: list[str] = []
    for i, char in enumerate(a):
        for j in range(max(0, i - window), min(i + window + 1, len_b)):
            if not taken[j] and b[j] == char:
                taken[j] = True
                matched_a.append(char)
                break
    m = len(matched_a)
    if not m:
        return 0.0
    matched_b = [b[j] for j in range(len_b) if taken[j]]
    # Jaro (1989): t is half the number of matched characters out of order.
    t = sum(1 for x, y in zip(matched_a, matched_b, strict=True) if x != y) / 2
    return (m / len_a + m / len_b + (m - t) / m) / 3


def check_two_texts(a: object, b: object) -> None:
    """Refuse a comparison whose arguments (``$.a``, ``$.b``) are not both str."""
    for path, value in (("$.a", a), ("$.b", b)):
        if not isinstance(value, str):
            raise InvalidType(f"must be a str, not {type_name(value)}", path=path)


def jaro_winkler(a: str, b: str) -> float:
    """The Jaro-Winkler similarity of two strings, from 0 to 1.

    Winkler (1990), "String comparator metrics and enhanced decision rules in
    the Fellegi-Sunter model of record linkage": the Jaro score plus
    ``l * 0.1 * (1 - jaro)`` for a common prefix of ``l`` (at most 4)
    characters, when the Jaro score is above 0.7. The comparison is exact
    (case and accents count); :func:`name_similarity` normalizes names first.

    >>> round(jaro_winkler("MARTHA", "MARHTA"), 3)
    0.961
    >>> round(jaro_winkler("DWAYNE", "DUANE"), 3)
    0.84
    >>> round(jaro_winkler("DIXON", "DICKSONX"), 3)
    0.813

    Raises:
        InvalidType: either argument is not a str.

    .. versionadded:: 0.1
    """
    check_two_texts(a, b)
    return winkler(a, b)


def winkler(a: str, b: str) -> float:
    """:func:`jaro_winkler` without the argument checks (the matcher's inner loop)."""
    score = jaro(a, b)
    if score <= BOOST_THRESHOLD or score == 1.0:
        return score
    prefix = 0
    for x, y in zip(a[:MAX_PREFIX], b[:MAX_PREFIX], strict=False):
        if x != y:
            break
        prefix += 1
    return score + prefix * PREFIX_SCALE * (1.0 - score)

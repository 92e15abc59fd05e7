"""What duplicate detection returns: candidate pairs with their scores and explanations.

Explanations name rules, fields and similarities, never the values compared:
``email: exact``, ``name: 0.94 (jaro-winkler, reordered)``.
"""

from __future__ import annotations

from typing import Any

import attrs

from crmcore._kernel._fields import Checked
from crmcore.parties._records import PartyKey, check_key
from crmcore.parties._rules import EXACT_FIELDS, MatchField


@attrs.frozen(slots=True)
class FieldSimilarity(Checked):
    """How similar two parties are on one field.

    Attributes:
        field: the field compared.
        similarity: from 0 to 1 (exact fields: 1 or 0).
        notes: how the similarity was reached, never a value: for names
            ``reordered``, ``partial`` (a token of the longer name unmatched),
            ``initials``, ``joined`` (the same letters split differently),
            ``titles`` (honorifics or degrees removed), ``old spelling``,
            ``person and organization``; for addresses the part scores.

    >>> str(FieldSimilarity(MatchField.NAME, 0.9375, ("reordered",)))
    'name: 0.94 (jaro-winkler, reordered)'
    >>> str(FieldSimilarity(MatchField.EMAIL, 1.0))
    'email: exact'

    .. versionadded:: 0.1
    """

    field: MatchField
    similarity: float
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.field in EXACT_FIELDS:
            return f"{self.field.value}: {'exact' if self.similarity == 1.0 else 'different'}"
        how = ("jaro-winkler", *self.notes) if self.field is MatchField.NAME else self.notes
        detail = f" ({', '.join(how)})" if how else ""
        return f"{self.field.value}: {self.similarity:.2f}{detail}"


@attrs.frozen(slots=True)
class RuleMatch(Checked):
    """A rule that holds for a pair: its name, its score and the similarity of each field.

    .. versionadded:: 0.1
    """

    rule: str
    score: float
    fields: tuple[FieldSimilarity, ...]

    def __str__(self) -> str:
        return f"{self.rule} {self.score:.2f}: " + "; ".join(str(f) for f in self.fields)


def _left(_: object, __: attrs.Attribute[Any], value: object) -> None:
    check_key(value, "$.left")


def _right(_: object, __: attrs.Attribute[Any], value: object) -> None:
    check_key(value, "$.right")


@attrs.frozen(slots=True)
class Candidate(Checked):
    """Two parties that may be the same: their keys, the score, and why.

    Attributes:
        left: the key of the party that came first in the input (or the probe).
        right: the key of the other party.
        score: the best score of the rules that hold (0 to 1).
        rule: the name of the rule that gave ``score`` (the first such rule).
        matches: every rule that holds, in the rule set's order.

    .. versionadded:: 0.1
    """

    left: PartyKey = attrs.field(validator=_left)
    right: PartyKey = attrs.field(validator=_right)
    score: float
    rule: str
    matches: tuple[RuleMatch, ...]

    def explain(self) -> str:
        """One line per rule that holds, best first, with the similarity of each field."""
        ordered = sorted(self.matches, key=lambda m: -m.score)
        return "\n".join(str(match) for match in ordered)


@attrs.frozen(slots=True)
class DuplicateReport(Checked):
    """The candidates a duplicate search found, best first, and what the search did.

    Attributes:
        candidates: the candidate pairs, by score (highest first), then by the
            input position of the left party and of the right party.
        parties: how many parties were searched.
        blocks: how many blocks (parties sharing a blocking key) held two or more parties.
        oversized_blocks: how many of those held more than ``max_block_size``
            parties and were compared by a sliding window.
        comparisons: how many distinct pairs were compared.

    .. versionadded:: 0.1
    """

    candidates: tuple[Candidate, ...]
    parties: int
    blocks: int
    oversized_blocks: int
    comparisons: int

    def groups(self) -> tuple[tuple[PartyKey, ...], ...]:
        """The parties linked by candidates, as groups (connected through any chain of pairs).

        Members appear in the order the candidates first name them, and groups
        in the order of their first member.
        """
        parent: dict[PartyKey, PartyKey] = {}

        def root(key: PartyKey) -> PartyKey:
            parent.setdefault(key, key)
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for candidate in self.candidates:
            a, b = root(candidate.left), root(candidate.right)
            if a != b:
                parent[b] = a
        members: dict[PartyKey, list[PartyKey]] = {}
        for key in parent:
            members.setdefault(root(key), []).append(key)
        return tuple(tuple(group) for group in members.values())

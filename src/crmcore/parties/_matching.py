"""Duplicate detection: prepared parties, rule evaluation, blocking, and the searches.

Blocking (see ``docs/duplicates.md``): each rule names the fields it cannot
hold without (:meth:`MatchRule.necessary`), and those decide the keys a party
is filed under. Only parties sharing a key are compared, each pair once, by
every rule. A rule that needs an equal email (or phone) blocks on the
normalized email (phone): lossless. A rule that needs a similar name at a
similar address blocks on the postal code (and, separately, the locality)
with the first letter of each name token; one that needs a similar name only,
on short codes of the name tokens and of token pairs; one that needs a similar
address only, on the postal code or locality with a code of each street word.
Fuzzy keys trade recall: a pair whose every token is mistyped in its first
letters is never compared.

A block of more than ``max_block_size`` parties is never compared all against
all: its parties are sorted by name and each is compared with the ``window``
after it. The comparisons are therefore at most the number of (party, key)
memberships times ``max((max_block_size - 1) / 2, window)``: linear in the
number of parties, whatever the input.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from itertools import combinations
from typing import Final, TypeVar

from crmcore._kernel._checks import require_type, tuple_of, type_name
from crmcore.customers import Channel, Customer, PartyKind, PostalAddress
from crmcore.errors import InvalidType, ValidationError
from crmcore.parties._addresses import (
    AddressKey,
    address_bound,
    address_key,
    compare_addresses,
)
from crmcore.parties._names import NameKey, TokenCache, block_code, compare_names, name_key
from crmcore.parties._records import PHONE_CHANNELS, PartyKey, PartyRecord, names_of
from crmcore.parties._results import Candidate, DuplicateReport, FieldSimilarity, RuleMatch
from crmcore.parties._rules import DEFAULT_RULES, MatchField, MatchRule, MatchRuleSet

#: ``progress(done, total)``: blocks compared so far and in all.
ProgressCallback = Callable[[int, int], object]

#: Most addresses of one party that are compared (the first ones).
MAX_COMPARED_ADDRESSES: Final = 5
#: Most tokens of one name that make blocking keys (the longest ones).
MAX_KEY_TOKENS: Final = 4
#: Tolerance of the early exit of a rule (scores are sums of floats).
_SLACK: Final = 1e-9
#: Cost order of the fields: the cheap exact ones first.
_COST: Final = {MatchField.EMAIL: 0, MatchField.PHONE: 1, MatchField.ADDRESS: 2, MatchField.NAME: 3}


class _Party:
    """A party prepared once: normalized values and keys. Holds personal data; never shown."""

    __slots__ = ("addresses", "emails", "index", "key", "kind", "names", "phones", "sort_key")

    def __init__(
        self,
        index: int,
        key: PartyKey,
        kind: PartyKind,
        *,
        names: Iterable[str],
        emails: Iterable[str],
        phones: Iterable[str],
        addresses: Iterable[PostalAddress],
    ) -> None:
        self.index = index
        self.key = key
        self.kind = kind
        self.emails = frozenset(emails)
        self.phones = frozenset(phones)
        organization = kind is PartyKind.ORGANIZATION
        keys = [name_key(n, organization=organization) for n in names]
        self.names: tuple[NameKey, ...] = tuple(k for k in keys if k.tokens)
        found = (address_key(a) for a in tuple(addresses)[:MAX_COMPARED_ADDRESSES])
        self.addresses: tuple[AddressKey, ...] = tuple(k for k in found if k.notes())
        self.sort_key = " ".join(self.names[0].sorted_tokens) if self.names else ""

    def __repr__(self) -> str:
        return f"_Party(index={self.index})"


def _party(index: int, item: object, path: str) -> _Party:
    """Prepare a customer (read directly: its values are normalized already) or a record."""
    if isinstance(item, Customer):
        points = item.contact_points
        return _Party(
            index,
            item.id,
            item.kind,
            names=names_of(item.name),
            emails=[p.value for p in points if p.channel is Channel.EMAIL],
            phones=[p.value for p in points if p.channel in PHONE_CHANNELS],
            addresses=item.profile.addresses,
        )
    if isinstance(item, PartyRecord):
        return _Party(
            index,
            item.key,
            item.kind,
            names=item.names,
            emails=item.emails,
            phones=item.phones,
            addresses=item.addresses,
        )
    raise InvalidType(f"must be a Customer or a PartyRecord, not {type_name(item)}", path=path)


class _Rule:
    """A rule compiled for the inner loop: float weights, fields in cost order."""

    __slots__ = ("declared", "fields", "name", "rest", "threshold", "total")

    def __init__(self, rule: MatchRule) -> None:
        self.name = rule.name
        self.declared = tuple(f.field for f in rule.fields)
        ordered = sorted(rule.fields, key=lambda f: _COST[f.field])
        self.fields = tuple((f.field, float(f.weight), float(f.min_similarity)) for f in ordered)
        self.total = sum(weight for _, weight, _ in self.fields)
        # rest[k]: the weight of the fields after the k-th, for the early exit.
        self.rest = tuple(
            sum(weight for _, weight, _ in self.fields[k + 1 :]) for k in range(len(self.fields))
        )
        self.threshold = float(rule.threshold)


#: One field's comparison inside the matcher: (similarity, notes), or None when a side lacks it.
_Found = tuple[float, tuple[str, ...]] | None
_K = TypeVar("_K", NameKey, AddressKey)


def _better(found: tuple[float, tuple[str, ...]], best: tuple[float, tuple[str, ...]]) -> bool:
    """Higher similarity wins; a tie goes to fewer notes, then the first notes in order.

    The tie-break depends only on the two results, so comparing a with b and b
    with a picks the same explanation among several names (or addresses).
    """
    if found[0] != best[0]:
        return found[0] > best[0]
    return (len(found[1]), found[1]) < (len(best[1]), best[1])


def _best_pair(
    xs: tuple[_K, ...],
    ys: tuple[_K, ...],
    compare: Callable[[_K, _K, TokenCache], tuple[float, tuple[str, ...]]],
    cache: TokenCache,
) -> tuple[float, tuple[str, ...]]:
    """The best comparison of any of ``xs`` with any of ``ys`` (see :func:`_better`)."""
    best: tuple[float, tuple[str, ...]] = (-1.0, ())
    for x in xs:
        for y in ys:
            found = compare(x, y, cache)
            if _better(found, best):
                best = found
    return best


class _Matcher:
    """Compares prepared parties under one rule set, with a token cache for the run."""

    def __init__(self, rules: MatchRuleSet) -> None:
        self.rules = tuple(_Rule(rule) for rule in rules.rules)
        self.cache: TokenCache = {}

    def field(self, field: MatchField, a: _Party, b: _Party) -> _Found:
        if field is MatchField.EMAIL:
            if not a.emails or not b.emails:
                return None
            return (1.0 if not a.emails.isdisjoint(b.emails) else 0.0), ()
        if field is MatchField.PHONE:
            if not a.phones or not b.phones:
                return None
            return (1.0 if not a.phones.isdisjoint(b.phones) else 0.0), ()
        if field is MatchField.NAME:
            return self.names(a, b)
        return self.addresses(a, b)

    def names(self, a: _Party, b: _Party) -> _Found:
        if not a.names or not b.names:
            return None
        if a.kind is not b.kind:
            return 0.0, ("person and organization",)
        return _best_pair(a.names, b.names, compare_names, self.cache)

    def addresses(self, a: _Party, b: _Party) -> _Found:
        if not a.addresses or not b.addresses:
            return None
        return _best_pair(a.addresses, b.addresses, compare_addresses, self.cache)

    @staticmethod
    def address_bound(a: _Party, b: _Party) -> float:
        """At least the address similarity of ``a`` and ``b`` (1.0 when either has none)."""
        if not a.addresses or not b.addresses:
            return 1.0
        return max(address_bound(x, y) for x in a.addresses for y in b.addresses)

    def compare(self, a: _Party, b: _Party) -> Candidate | None:
        """The candidate ``a`` and ``b`` make, or ``None`` if no rule holds."""
        known: dict[MatchField, _Found] = {}
        held: list[tuple[_Rule, float]] = []
        for rule in self.rules:
            acc = 0.0
            needed = rule.threshold * rule.total - _SLACK
            for position, (field, weight, minimum) in enumerate(rule.fields):
                if field in known:
                    found = known[field]
                else:
                    if field is MatchField.ADDRESS:
                        # A cheap upper bound spares the full comparison of far-apart addresses.
                        bound = self.address_bound(a, b)
                        if bound < minimum or acc + weight * bound + rule.rest[position] < needed:
                            break
                    found = known[field] = self.field(field, a, b)
                if found is None or found[0] < minimum:
                    break
                acc += weight * found[0]
                if acc + rule.rest[position] < needed:
                    break
            else:
                score = acc / rule.total
                if score >= rule.threshold:
                    held.append((rule, score))
        if not held:
            return None
        matches = tuple(
            RuleMatch(rule.name, score, tuple(_similarity(f, known[f]) for f in rule.declared))
            for rule, score in held
        )
        best = max(matches, key=lambda m: m.score)  # the first of the best, in rule order
        return Candidate(a.key, b.key, best.score, best.rule, matches)


def _similarity(field: MatchField, found: _Found) -> FieldSimilarity:
    score, notes = (0.0, ()) if found is None else found  # a rule that holds has every field
    return FieldSimilarity(field, score, notes)


# -- blocking ---------------------------------------------------------------------------


def _key_kinds(rules: MatchRuleSet) -> frozenset[str]:
    """The kinds of blocking keys the rule set needs (see the module documentation)."""
    kinds: set[str] = set()
    for rule in rules.rules:
        necessary = rule.necessary()
        if MatchField.EMAIL in necessary:
            kinds.add("email")
        elif MatchField.PHONE in necessary:
            kinds.add("phone")
        elif MatchField.NAME in necessary and MatchField.ADDRESS in necessary:
            kinds.add("name_place")
        elif necessary:
            kinds.add(necessary[0].value)
        else:  # any one field may carry the rule: every field's own keys
            kinds.update(f.field.value for f in rule.fields)
    return frozenset(kinds)


def _places(party: _Party) -> list[tuple[str, ...]]:
    """Where a party lives, as block keys: its postal codes, and its localities with a street word.

    A locality alone would make blocks of whole cities; with a code of one of
    the street's words it stays as fine as a postal code.
    """
    places: list[tuple[str, ...]] = []
    for address in party.addresses:
        if address.postal is not None:
            places.append(("pc", address.country, address.postal))
        if address.locality is not None:
            words = sorted({block_code(w, 3) for w in address.words}) or [""]
            places.extend(("lc", address.country, address.locality, w) for w in words)
    return places


def _name_codes(name: NameKey) -> list[str]:
    longest = sorted((t for t in name.tokens if len(t) > 1), key=lambda t: (-len(t), t))
    return sorted({block_code(t, 4) for t in longest[:MAX_KEY_TOKENS]})


def blocking_keys(party: _Party, kinds: frozenset[str]) -> list[tuple[str, ...]]:
    """The keys a party is filed under, in a fixed order, each once."""
    keys: list[tuple[str, ...]] = []
    if "email" in kinds:
        keys.extend(("e", email) for email in sorted(party.emails))
    if "phone" in kinds:
        keys.extend(("p", phone) for phone in sorted(party.phones))
    if "name" in kinds:
        for name in party.names:
            codes = _name_codes(name)
            keys.extend(("n", code) for code in codes)
            keys.extend(("nn", x[:3], y[:3]) for x, y in combinations(codes, 2))
    if "name_place" in kinds:
        initials = sorted({t[0] for name in party.names for t in name.tokens})
        keys.extend(("np", *place, i) for place in _places(party) for i in initials)
    if "address" in kinds:
        keys.extend(("ad", *place) for place in _places(party))
    return list(dict.fromkeys(keys))


# -- the searches -----------------------------------------------------------------------


def _party_type(item: object, path: str) -> Customer | PartyRecord:
    if not isinstance(item, (Customer, PartyRecord)):
        raise InvalidType(f"must be a Customer or a PartyRecord, not {type_name(item)}", path=path)
    return item


def _prepare(parties: object, path: str) -> list[_Party]:
    items = tuple_of(parties, path, _party_type)
    prepared = [_party(index, item, path) for index, item in enumerate(items)]
    seen: dict[PartyKey, int] = {}
    for party in prepared:
        if party.key in seen:
            raise ValidationError(
                f"must not repeat the key of {path}[{seen[party.key]}]",
                path=f"{path}[{party.index}].key",
                code="duplicate",
            )
        seen[party.key] = party.index
    return prepared


def _check_rules(rules: object) -> MatchRuleSet:
    return require_type(rules, MatchRuleSet, "$.rules", "a MatchRuleSet")


def _check_progress(progress: object) -> ProgressCallback | None:
    if progress is not None and not callable(progress):
        raise InvalidType(
            f"must be a callable progress(done, total), not {type_name(progress)}",
            path="$.progress",
        )
    return progress


def _ordered(candidates: list[tuple[int, int, Candidate]]) -> tuple[Candidate, ...]:
    candidates.sort(key=lambda item: (-item[2].score, item[0], item[1]))
    return tuple(candidate for _, _, candidate in candidates)


def find_duplicates(
    parties: Iterable[Customer | PartyRecord],
    rules: MatchRuleSet = DEFAULT_RULES,
    *,
    progress: ProgressCallback | None = None,
) -> DuplicateReport:
    """Find the pairs of parties that may be the same, with a score and an explanation each.

    Parties are customers or :class:`PartyRecord` objects (leads and other
    parties), each with a distinct key. Only parties sharing a blocking key
    are compared (see ``docs/duplicates.md`` for the keys, what they cost in
    recall, and the cap on block size that keeps the work linear). The
    result does not depend on anything but the input and its order.

    Args:
        parties: the parties to search.
        rules: the match rules and blocking limits (:data:`DEFAULT_RULES` by default).
        progress: called as ``progress(done, total)`` with the blocks compared
            so far, about a hundred times in a long search.

    Raises:
        ValidationError: a party is not a customer or record, two share a key,
            or ``rules`` or ``progress`` has the wrong type.

    .. versionadded:: 0.1
    """
    checked_rules = _check_rules(rules)
    report = _check_progress(progress)
    prepared = _prepare(parties, "$.parties")
    kinds = _key_kinds(checked_rules)
    blocks: dict[tuple[str, ...], list[int]] = {}
    for party in prepared:
        for key in blocking_keys(party, kinds):
            blocks.setdefault(key, []).append(party.index)
    shared = [members for members in blocks.values() if len(members) > 1]
    matcher = _Matcher(checked_rules)
    count = len(prepared)
    compared: set[int] = set()
    found: list[tuple[int, int, Candidate]] = []
    cap, window = checked_rules.max_block_size, checked_rules.window
    oversized = 0
    step = max(1, len(shared) // 100)
    for done, members in enumerate(shared, start=1):
        if len(members) <= cap:
            pairs: Iterable[tuple[int, int]] = combinations(members, 2)
        else:
            oversized += 1
            pairs = _window_pairs(members, prepared, window)
        for i, j in pairs:
            code = i * count + j
            if code in compared:
                continue
            compared.add(code)
            candidate = matcher.compare(prepared[i], prepared[j])
            if candidate is not None:
                found.append((i, j, candidate))
        if report is not None and (done % step == 0 or done == len(shared)):
            report(done, len(shared))
    return DuplicateReport(
        candidates=_ordered(found),
        parties=count,
        blocks=len(shared),
        oversized_blocks=oversized,
        comparisons=len(compared),
    )


def _window_pairs(members: list[int], prepared: list[_Party], window: int) -> list[tuple[int, int]]:
    ordered = sorted(members, key=lambda i: (prepared[i].sort_key, i))
    pairs: list[tuple[int, int]] = []
    for x, i in enumerate(ordered):
        pairs.extend((min(i, j), max(i, j)) for j in ordered[x + 1 : x + 1 + window])
    return pairs


def all_pairs(
    parties: Iterable[Customer | PartyRecord], rules: MatchRuleSet = DEFAULT_RULES
) -> DuplicateReport:
    """Every pair compared, without blocking: quadratic, for tests and benchmarks only."""
    prepared = _prepare(parties, "$.parties")
    matcher = _Matcher(_check_rules(rules))
    found: list[tuple[int, int, Candidate]] = []
    for a, b in combinations(prepared, 2):
        candidate = matcher.compare(a, b)
        if candidate is not None:
            found.append((a.index, b.index, candidate))
    count = len(prepared)
    return DuplicateReport(
        candidates=_ordered(found),
        parties=count,
        blocks=0,
        oversized_blocks=0,
        comparisons=count * (count - 1) // 2,
    )


def find_matches(
    party: Customer | PartyRecord,
    among: Iterable[Customer | PartyRecord],
    rules: MatchRuleSet = DEFAULT_RULES,
) -> tuple[Candidate, ...]:
    """The parties of ``among`` that may be the same as ``party`` (a lead, a new sign-up).

    Each candidate has ``party``'s key on the left. A party of ``among``
    with ``party``'s own key is skipped. The same blocking as
    :func:`find_duplicates` applies: where more than ``max_block_size``
    parties share a key with ``party``, only the ``window`` nearest by name
    on each side are compared.

    Raises:
        ValidationError: an argument has the wrong type, or two parties of
            ``among`` share a key.

    .. versionadded:: 0.1
    """
    probe = _party(-1, party, "$.party")
    checked_rules = _check_rules(rules)
    prepared = _prepare(among, "$.among")
    kinds = _key_kinds(checked_rules)
    wanted = set(blocking_keys(probe, kinds))
    blocks: dict[tuple[str, ...], list[int]] = {}
    for other in prepared:
        if other.key == probe.key:
            continue
        for key in blocking_keys(other, kinds):
            if key in wanted:
                blocks.setdefault(key, []).append(other.index)
    chosen: set[int] = set()
    cap, window = checked_rules.max_block_size, checked_rules.window
    for members in blocks.values():
        if len(members) <= cap:
            chosen.update(members)
            continue
        ordered = sorted(members, key=lambda i: (prepared[i].sort_key, i))
        place = bisect.bisect_left([prepared[i].sort_key for i in ordered], probe.sort_key)
        chosen.update(ordered[max(0, place - window) : place + window])
    matcher = _Matcher(checked_rules)
    found: list[tuple[int, int, Candidate]] = []
    for index in sorted(chosen):
        candidate = matcher.compare(probe, prepared[index])
        if candidate is not None:
            found.append((0, index, candidate))
    return _ordered(found)


def match_pair(
    a: Customer | PartyRecord, b: Customer | PartyRecord, rules: MatchRuleSet = DEFAULT_RULES
) -> Candidate | None:
    """Compare two parties directly (no blocking): the candidate they make, or ``None``.

    >>> from crmcore.customers import ContactPoint, CustomerId, PersonName
    >>> a = PartyRecord.from_parts(
    ...     CustomerId("c-1"),
    ...     name=PersonName("Soekarno"),
    ...     contact_points=[ContactPoint("email", "bung.karno@example.id")],
    ... )
    >>> b = PartyRecord.from_parts(
    ...     CustomerId("c-2"),
    ...     name=PersonName("Ir.", family="Sukarno"),
    ...     contact_points=[ContactPoint("email", "Bung.Karno@example.id")],
    ... )
    >>> print(match_pair(a, b).explain())
    email_and_name 1.00: email: exact; name: 1.00 (jaro-winkler, titles, old spelling)

    Raises:
        ValidationError: an argument has the wrong type.

    .. versionadded:: 0.1
    """
    left = _party(0, a, "$.a")
    right = _party(1, b, "$.b")
    return _Matcher(_check_rules(rules)).compare(left, right)

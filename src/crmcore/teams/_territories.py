"""Territories: serializable rules over a party's country, region, postal code, industry and size.

A :class:`Territory` constrains some of five criteria (:class:`Criterion`);
each constrained criterion lists the values it accepts, and a party matches
the territory when every constrained criterion accepts the party's value
(any one of the listed values; a party without that value does not match).
A territory that constrains nothing matches every party: a catch-all.

A :class:`TerritorySet` resolves a party (its :class:`PartyFacts`) to zero or
one territory. **Precedence** among the territories that match:

1. the one constraining the most criteria (the most specific) wins;
2. on a tie, the one whose matching postal-code prefix is longest wins
   (``"4011"`` is more specific than ``"40"``; no postal criterion counts as 0);
3. on a tie still, the one declared first in the set wins.

The :class:`TerritoryResolution` says which territory won and why, naming
territories and criteria, never the party's values (a postal code can locate
a person).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from operator import attrgetter
from typing import Any, Final, TypeVar

import attrs

from crmcore._kernel._checks import (
    check_unique,
    clean_text,
    enum_converter,
    instance_of,
    limit,
    normalize_tag,
    tuple_of,
    type_name,
)
from crmcore._kernel._fields import Checked, check_fields
from crmcore.customers import COUNTRY_CODES, PostalAddress
from crmcore.errors import InvalidType, ValidationError
from crmcore.teams._ids import TerritoryId

T = TypeVar("T")

#: Longest region name, in characters.
MAX_REGION: Final = 100
#: Longest postal code or postal-code prefix once spaces and hyphens are removed.
MAX_POSTAL_CODE: Final = 20
#: Longest territory name, in characters.
MAX_TERRITORY_NAME: Final = 200
#: Most values one criterion of a territory may list.
MAX_CRITERION_VALUES: Final = 1_000
#: Most territories one set may hold.
MAX_TERRITORIES: Final = 10_000
#: Largest employee count (a bound well above any employer's headcount).
MAX_EMPLOYEES: Final = 10**9

_POSTAL: Final = re.compile(r"[A-Z0-9]{1,20}")


class Criterion(StrEnum):
    """A party attribute a territory can constrain, in the order explanations list them."""

    COUNTRY = "country"
    REGION = "region"
    POSTAL_CODE = "postal_code"
    INDUSTRY = "industry"
    SIZE = "size"


# -- normalization -----------------------------------------------------------------------


def normalize_country(value: object, path: str = "$.country") -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased.

    >>> normalize_country(" id ")
    'ID'
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a country code str, not {type_name(value)}", path=path)
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            "must be an ISO 3166-1 alpha-2 country code such as 'ID'", path=path, code="country"
        )
    return code


def normalize_region(value: object, path: str = "$.region") -> str:
    """A region (a province, state or ISO 3166-2 code) as territories compare it: trimmed, case-folded.

    >>> normalize_region("  Jawa  Barat ")
    'jawa barat'
    """
    text = clean_text(value, path, max_length=MAX_REGION, what="a region")
    # Case folding can leave text that is not NFC (a dotted capital I becomes i and a
    # combining dot): normalize again, so that normalizing twice changes nothing.
    folded = unicodedata.normalize("NFC", text.casefold())
    if len(folded) > MAX_REGION:  # folding can lengthen text: "ß" becomes "ss"
        raise ValidationError(
            f"must be at most {MAX_REGION} characters", path=path, code="too_long"
        )
    return folded


def normalize_postal_code(value: object, path: str = "$.postal_code") -> str:
    """A postal code or prefix as territories compare it: upper case, without spaces or hyphens.

    Only ASCII letters and digits remain, at most 20 of them.

    >>> normalize_postal_code("sw1a 1aa")
    'SW1A1AA'
    >>> normalize_postal_code("94043-1351")
    '940431351'
    """
    if not isinstance(value, str):
        raise InvalidType(f"must be a postal code str, not {type_name(value)}", path=path)
    text = unicodedata.normalize("NFC", value).replace(" ", "").replace("-", "").upper()
    if _POSTAL.fullmatch(text) is None:
        raise ValidationError(
            f"must be 1 to {MAX_POSTAL_CODE} ASCII letters and digits (spaces and hyphens "
            "are ignored)",
            path=path,
            code="postal_code",
        )
    return text


def normalize_industry(value: object, path: str = "$.industry") -> str:
    """An industry label as territories compare it: a normalized tag such as ``"retail"``.

    >>> normalize_industry(" Financial Services ")
    'financial services'
    """
    return normalize_tag(value, path)


def _employee_count(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidType(f"must be an int, not {type_name(value)}", path=path)
    if not 0 <= value <= MAX_EMPLOYEES:
        raise ValidationError(f"must be from 0 to {MAX_EMPLOYEES}", path=path, code="range")
    return value


def _facts_country(value: object) -> str | None:
    return None if value is None else normalize_country(value, "$.country")


def _facts_region(value: object) -> str | None:
    return None if value is None else normalize_region(value, "$.region")


def _facts_postal_code(value: object) -> str | None:
    return None if value is None else normalize_postal_code(value, "$.postal_code")


def _facts_industry(value: object) -> str | None:
    return None if value is None else normalize_industry(value, "$.industry")


def _facts_employee_count(value: object) -> int | None:
    return None if value is None else _employee_count(value, "$.employee_count")


# -- the party ---------------------------------------------------------------------------


@attrs.frozen(slots=True, kw_only=True, repr=False)
class PartyFacts:
    """What territories read about a party: country, region, postal code, industry, headcount.

    Every value is optional and normalized as territories compare it. The
    region and postal code may locate a person: the repr hides them.

    >>> facts = PartyFacts(
    ...     country="id", region="Jawa Barat", postal_code="40111", industry="Retail"
    ... )
    >>> facts
    PartyFacts(country='ID', industry='retail', employee_count=None, <redacted>)
    >>> facts.region, facts.postal_code
    ('jawa barat', '40111')

    .. versionadded:: 0.1
    """

    country: str | None = attrs.field(default=None, converter=_facts_country)
    region: str | None = attrs.field(default=None, converter=_facts_region)
    postal_code: str | None = attrs.field(default=None, converter=_facts_postal_code)
    industry: str | None = attrs.field(default=None, converter=_facts_industry)
    employee_count: int | None = attrs.field(default=None, converter=_facts_employee_count)

    @classmethod
    def from_address(
        cls,
        address: PostalAddress,
        *,
        industry: str | None = None,
        employee_count: int | None = None,
    ) -> PartyFacts:
        """The facts of a party at ``address`` (its country, region and postal code).

        Raises:
            InvalidType: ``address`` is not a :class:`~crmcore.customers.PostalAddress`.
            ValidationError: the address's postal code cannot be compared
                (``$.address.postal_code``), or ``industry`` or
                ``employee_count`` breaks a rule.
        """
        instance_of(PostalAddress, "a PostalAddress")(address, "$.address")
        try:
            return cls(
                country=address.country, region=address.region, postal_code=address.postal_code
            ).with_organization(industry=industry, employee_count=employee_count)
        except ValidationError as exc:
            if exc.path in {"$.country", "$.region", "$.postal_code"}:
                raise exc.under("$.address") from None
            raise

    def with_organization(
        self, *, industry: str | None = None, employee_count: int | None = None
    ) -> PartyFacts:
        """The same facts with an industry and an employee count (``None`` keeps the current one)."""
        return attrs.evolve(
            self,
            industry=self.industry if industry is None else industry,
            employee_count=self.employee_count if employee_count is None else employee_count,
        )

    def __repr__(self) -> str:
        return (
            f"PartyFacts(country={self.country!r}, industry={self.industry!r}, "
            f"employee_count={self.employee_count!r}, <redacted>)"
        )


# -- size bands --------------------------------------------------------------------------


def _band_min(value: object) -> int:
    return _employee_count(value, "$.min_employees")


def _band_max(value: object) -> int | None:
    return None if value is None else _employee_count(value, "$.max_employees")


@attrs.frozen(slots=True)
class SizeBand:
    """An employee-count band: ``min_employees`` to ``max_employees``, both included.

    ``max_employees=None`` leaves the band open at the top.

    >>> SizeBand(50, 249).contains(120)
    True
    >>> SizeBand(1000).contains(250_000)
    True
    >>> SizeBand(50, 10)
    Traceback (most recent call last):
    ...
    crmcore.errors.ValidationError: $.max_employees: must not be less than min_employees

    .. versionadded:: 0.1
    """

    min_employees: int = attrs.field(default=0, converter=_band_min)
    max_employees: int | None = attrs.field(default=None, converter=_band_max)

    def __attrs_post_init__(self) -> None:
        if self.max_employees is not None and self.max_employees < self.min_employees:
            raise ValidationError(
                "must not be less than min_employees", path="$.max_employees", code="bounds"
            )

    def contains(self, employee_count: int) -> bool:
        """True if ``employee_count`` lies in the band."""
        count = _employee_count(employee_count, "$.employee_count")
        return self.min_employees <= count and (
            self.max_employees is None or count <= self.max_employees
        )


# -- territories -------------------------------------------------------------------------


def _criterion_values(
    value: object, path: str, check: Callable[[object, str], T], key: Callable[[T], Any]
) -> tuple[T, ...]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a sequence, not {type_name(value)}", path=path)
    items = tuple_of(value, path, check, max_items=MAX_CRITERION_VALUES)
    return tuple(sorted(set(items), key=key))


def _same(value: str) -> str:
    return value


def _territory_countries(value: object) -> tuple[str, ...]:
    return _criterion_values(value, "$.countries", normalize_country, _same)


def _territory_regions(value: object) -> tuple[str, ...]:
    return _criterion_values(value, "$.regions", normalize_region, _same)


def _territory_postal_prefixes(value: object) -> tuple[str, ...]:
    return _criterion_values(value, "$.postal_prefixes", normalize_postal_code, _same)


def _territory_industries(value: object) -> tuple[str, ...]:
    return _criterion_values(value, "$.industries", normalize_industry, _same)


def _band_key(band: SizeBand) -> tuple[int, int]:
    top = MAX_EMPLOYEES + 1 if band.max_employees is None else band.max_employees
    return (band.min_employees, top)


def _territory_sizes(value: object) -> tuple[SizeBand, ...]:
    return _criterion_values(value, "$.sizes", instance_of(SizeBand, "a SizeBand"), _band_key)


def _territory_name(value: object) -> str:
    return clean_text(value, "$.name", max_length=MAX_TERRITORY_NAME, what="a territory name")


def _check_territory_id(value: object, path: str = "$.territory_id") -> None:
    """Refuse anything but a :class:`TerritoryId` (a plain str included)."""
    if type(value) is not TerritoryId:
        raise InvalidType(f"must be a TerritoryId, not {type_name(value)}", path=path)


def _territory_id(_: object, __: attrs.Attribute[Any], value: object) -> None:
    _check_territory_id(value, "$.id")


@attrs.frozen(slots=True, kw_only=True)
class Territory:
    """A territory: the values it accepts for each criterion it constrains.

    Every criterion is a list of accepted values (any one matches); an empty
    list leaves the criterion unconstrained. Values are normalized, sorted
    and kept once: countries as ISO 3166-1 alpha-2 codes, regions case-folded,
    postal-code prefixes in upper case without spaces or hyphens, industries
    as tags, sizes as :class:`SizeBand` values.

    >>> west_java = Territory(
    ...     id=TerritoryId("id-west-java"),
    ...     name="West Java",
    ...     countries=["ID"],
    ...     regions=["Jawa Barat"],
    ...     sizes=[SizeBand(50, 999)],
    ... )
    >>> west_java.criteria
    (<Criterion.COUNTRY: 'country'>, <Criterion.REGION: 'region'>, <Criterion.SIZE: 'size'>)
    >>> west_java.matches(PartyFacts(country="ID", region="jawa barat", employee_count=120))
    True
    >>> west_java.mismatches(PartyFacts(country="ID", employee_count=20))
    (<Criterion.REGION: 'region'>, <Criterion.SIZE: 'size'>)

    .. versionadded:: 0.1
    """

    id: TerritoryId = attrs.field(validator=_territory_id)
    name: str = attrs.field(converter=_territory_name)
    countries: tuple[str, ...] = attrs.field(
        default=(), converter=_territory_countries, metadata=limit(MAX_CRITERION_VALUES)
    )
    regions: tuple[str, ...] = attrs.field(
        default=(), converter=_territory_regions, metadata=limit(MAX_CRITERION_VALUES)
    )
    postal_prefixes: tuple[str, ...] = attrs.field(
        default=(), converter=_territory_postal_prefixes, metadata=limit(MAX_CRITERION_VALUES)
    )
    industries: tuple[str, ...] = attrs.field(
        default=(), converter=_territory_industries, metadata=limit(MAX_CRITERION_VALUES)
    )
    sizes: tuple[SizeBand, ...] = attrs.field(
        default=(), converter=_territory_sizes, metadata=limit(MAX_CRITERION_VALUES)
    )

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """The criteria the territory constrains, in :class:`Criterion` order."""
        given = {
            Criterion.COUNTRY: self.countries,
            Criterion.REGION: self.regions,
            Criterion.POSTAL_CODE: self.postal_prefixes,
            Criterion.INDUSTRY: self.industries,
            Criterion.SIZE: self.sizes,
        }
        return tuple(criterion for criterion, values in given.items() if values)

    @property
    def specificity(self) -> int:
        """How many criteria the territory constrains (0 for a catch-all)."""
        return len(self.criteria)

    def prefix_length(self, facts: PartyFacts) -> int:
        """The length of the longest postal-code prefix matching ``facts`` (0 if none does)."""
        checked = _facts(facts)
        code = checked.postal_code
        if code is None:
            return 0
        return max((len(p) for p in self.postal_prefixes if code.startswith(p)), default=0)

    def mismatches(self, facts: PartyFacts) -> tuple[Criterion, ...]:
        """The constrained criteria that ``facts`` does not satisfy (empty: the party matches)."""
        checked = _facts(facts)
        failed: list[Criterion] = []
        if self.countries and checked.country not in self.countries:
            failed.append(Criterion.COUNTRY)
        if self.regions and checked.region not in self.regions:
            failed.append(Criterion.REGION)
        if self.postal_prefixes and not self.prefix_length(checked):
            failed.append(Criterion.POSTAL_CODE)
        if self.industries and checked.industry not in self.industries:
            failed.append(Criterion.INDUSTRY)
        count = checked.employee_count
        if self.sizes and (count is None or not any(b.contains(count) for b in self.sizes)):
            failed.append(Criterion.SIZE)
        return tuple(failed)

    def matches(self, facts: PartyFacts) -> bool:
        """True if every constrained criterion accepts the party's value."""
        return not self.mismatches(facts)


def _facts(value: object) -> PartyFacts:
    return instance_of(PartyFacts, "a PartyFacts")(value, "$.facts")


# -- resolution --------------------------------------------------------------------------


def _match_criteria(value: object) -> tuple[Criterion, ...]:
    if isinstance(value, (str, bytes)):
        raise InvalidType(f"must be a sequence, not {type_name(value)}", path="$.criteria")

    def check(item: object, path: str) -> Criterion:
        return enum_converter(Criterion, path)(item)

    items = tuple_of(value, "$.criteria", check, max_items=len(Criterion))
    order = list(Criterion)
    if list(items) != sorted(set(items), key=order.index):
        raise ValidationError(
            "must list each criterion once, in Criterion order", path="$.criteria", code="order"
        )
    return items


@attrs.frozen(slots=True, kw_only=True)
class TerritoryMatch(Checked):
    """One territory a party matches, with what decides its precedence.

    Attributes:
        territory_id: the territory.
        position: its index in the set (declared order, from 0).
        criteria: the criteria it constrains (all of them matched).
        prefix_length: the length of its longest postal-code prefix the party's
            code starts with (0 when it has no postal criterion).
    """

    territory_id: TerritoryId
    position: int
    criteria: tuple[Criterion, ...] = attrs.field(converter=_match_criteria)
    prefix_length: int = 0

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        for name in ("position", "prefix_length"):
            if getattr(self, name) < 0:
                raise ValidationError("must be 0 or more", path=f"$.{name}", code="negative")
        if self.prefix_length > MAX_POSTAL_CODE:
            raise ValidationError(
                f"must be at most {MAX_POSTAL_CODE}", path="$.prefix_length", code="range"
            )

    @property
    def precedence(self) -> tuple[int, int, int]:
        """The sort key of precedence: most criteria, then longest prefix, then declared first."""
        return (-len(self.criteria), -self.prefix_length, self.position)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _criteria_count(count: int) -> str:
    return "1 criterion" if count == 1 else f"{count} criteria"


def _criteria_words(match: TerritoryMatch) -> str:
    words = []
    for criterion in match.criteria:
        if criterion is Criterion.POSTAL_CODE:
            words.append(f"postal_code (a prefix of {_plural(match.prefix_length, 'character')})")
        else:
            words.append(criterion.value)
    return ", ".join(words)


@attrs.frozen(slots=True, kw_only=True)
class TerritoryResolution(Checked):
    """The territory a party resolved to, the other territories it matched, and why.

    Attributes:
        matches: every territory the party matches, in precedence order: the
            winner first (empty: no territory matches).
    """

    matches: tuple[TerritoryMatch, ...] = ()

    def __attrs_post_init__(self) -> None:
        check_fields(self)
        keys = [m.precedence for m in self.matches]
        if keys != sorted(keys) or len({m.position for m in self.matches}) != len(keys):
            raise ValidationError(
                "must list the matches in precedence order, each position once",
                path="$.matches",
                code="order",
            )
        if len({m.territory_id for m in self.matches}) != len(keys):
            raise ValidationError(
                "must name each territory once", path="$.matches", code="duplicate"
            )

    @property
    def winner(self) -> TerritoryMatch | None:
        """The winning match, or ``None`` if no territory matches."""
        return self.matches[0] if self.matches else None

    @property
    def territory_id(self) -> TerritoryId | None:
        """The territory the party belongs to, or ``None``."""
        return self.matches[0].territory_id if self.matches else None

    @property
    def explanation(self) -> tuple[str, ...]:
        """Why the winner won, one line per matching territory (no party values)."""
        if not self.matches:
            return ("no territory matches",)
        first = self.matches[0]
        if first.criteria:
            lines = [
                (
                    f"{first.territory_id} wins: it matches {_criteria_words(first)} "
                    f"({_criteria_count(len(first.criteria))})"
                )
            ]
        else:
            lines = [f"{first.territory_id} wins: it has no criteria and matches every party"]
        for other in self.matches[1:]:
            count = _criteria_count(len(other.criteria))
            if len(other.criteria) < len(first.criteria):
                lines.append(f"{other.territory_id} also matches but is less specific ({count})")
            elif other.prefix_length < first.prefix_length:
                winning = _plural(first.prefix_length, "character")
                prefix = (
                    f"no postal-code prefix (the winner's has {winning})"
                    if not other.prefix_length
                    else f"a shorter postal-code prefix ({other.prefix_length} against {winning})"
                )
                lines.append(f"{other.territory_id} also matches {count} but with {prefix}")
            else:
                lines.append(
                    f"{other.territory_id} also matches as specifically but is declared later "
                    f"(position {other.position} after {first.position})"
                )
        return tuple(lines)


def _set_territories(value: object) -> tuple[Territory, ...]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise InvalidType(f"must be a sequence, not {type_name(value)}", path="$.territories")
    items = tuple_of(
        value, "$.territories", instance_of(Territory, "a Territory"), max_items=MAX_TERRITORIES
    )
    check_unique(
        items, attrgetter("id"), "$.territories[{}].id", "must not name the same territory twice"
    )
    return items


@attrs.frozen(slots=True)
class TerritorySet:
    """Territories in declared order, resolving a party to at most one of them.

    See the module documentation for the precedence.

    >>> territories = TerritorySet(
    ...     [
    ...         Territory(id=TerritoryId("indonesia"), name="Indonesia", countries=["ID"]),
    ...         Territory(
    ...             id=TerritoryId("bandung"),
    ...             name="Bandung",
    ...             countries=["ID"],
    ...             postal_prefixes=["40"],
    ...         ),
    ...     ]
    ... )
    >>> resolution = territories.resolve(PartyFacts(country="ID", postal_code="40111"))
    >>> resolution.territory_id
    TerritoryId('bandung')
    >>> for line in resolution.explanation:
    ...     print(line)
    bandung wins: it matches country, postal_code (a prefix of 2 characters) (2 criteria)
    indonesia also matches but is less specific (1 criterion)

    .. versionadded:: 0.1
    """

    territories: tuple[Territory, ...] = attrs.field(
        default=(), converter=_set_territories, metadata=limit(MAX_TERRITORIES)
    )

    @property
    def ids(self) -> tuple[TerritoryId, ...]:
        """The territories' ids in declared order."""
        return tuple(t.id for t in self.territories)

    def get(self, territory_id: TerritoryId) -> Territory:
        """The territory with ``territory_id``.

        Raises:
            InvalidType: ``territory_id`` is not a :class:`TerritoryId`.
            ValidationError: the set holds no such territory (code ``unknown_territory``).
        """
        _check_territory_id(territory_id)
        for territory in self.territories:
            if territory.id == territory_id:
                return territory
        raise ValidationError(
            "must name a territory of the set", path="$.territory_id", code="unknown_territory"
        )

    def resolve(self, facts: PartyFacts) -> TerritoryResolution:
        """The territory ``facts`` belongs to, with every other match and the reasons.

        Raises:
            InvalidType: ``facts`` is not a :class:`PartyFacts` (``$.facts``).
        """
        checked = _facts(facts)
        found = [
            TerritoryMatch(
                territory_id=territory.id,
                position=position,
                criteria=territory.criteria,
                prefix_length=territory.prefix_length(checked),
            )
            for position, territory in enumerate(self.territories)
            if territory.matches(checked)
        ]
        found.sort(key=lambda match: match.precedence)
        return TerritoryResolution(matches=tuple(found))

"""Address keys and address similarity.

An address is compared through its key: the country; the postal code in
compact form (upper case, letters and digits only: ``40 111`` → ``40111``,
``SW1A 1AA`` → ``SW1A1AA``); the locality folded like a name, without the
words in :data:`LOCALITY_WORDS` (``Kota Bandung`` → ``bandung``); and the
street lines folded, split into words and numbers, without the words in
:data:`STREET_WORDS` (``Jl. Merdeka No. 10`` → ``merdeka`` and ``10``).
Numbers lose their leading zeros (``RT 02`` → ``2``).

Two addresses in different countries score 0. Otherwise the score is the
weighted mean of the parts both addresses have: the street (weight 0.5:
the token alignment of its words, as for names, halved when both give
house numbers and none agree, scaled by the share of numbers in common),
the postal code (0.3: equal or not) and the locality (0.2: Jaro-Winkler).
"""

from __future__ import annotations

import re
from typing import Final

from crmcore.customers import PostalAddress
from crmcore.parties._names import PARTIAL_WEIGHT, TokenCache, align, fold
from crmcore.parties._similarity import winkler

#: Words dropped from street lines: street types and fillers, in Indonesian (Jalan/Jl/Jln,
#: Raya, Gang/Gg, Nomor/No, Kavling/Kav, Komplek/Komp, Perumahan/Perum, Blok/Blk, RT, RW,
#: Kelurahan/Kel, Kecamatan/Kec, Desa/Ds, Kampung/Kp, Dusun/Dsn) and in English (Street/St,
#: Road/Rd, Avenue/Ave, Lane/Ln, Drive/Dr, Boulevard/Blvd, Number/Nr, Unit, Apt, Floor/Fl).
STREET_WORDS: Final = frozenset(
    """
    jalan jl jln gang gg nomor no nmr kavling kav komplek kompleks komp perumahan perum
    blok blk rt rw kelurahan kel kecamatan kec desa ds kampung kp kamp dusun dsn raya
    street st road rd avenue ave av lane ln drive dr boulevard blvd number nr unit apt
    apartment floor fl suite ste
    """.split()
)
#: Words dropped from localities: administrative kinds (Kota, Kabupaten/Kab, Kecamatan/Kec,
#: City, Town, Regency, DKI, Provinsi).
LOCALITY_WORDS: Final = frozenset(
    "kota kabupaten kab kecamatan kec city town regency dki provinsi".split()
)

#: Weights of the address parts (over the parts both addresses have).
STREET_WEIGHT: Final = 0.5
POSTAL_WEIGHT: Final = 0.3
LOCALITY_WEIGHT: Final = 0.2

_TOKEN: Final = re.compile(r"[^\W_]+")


class AddressKey:
    """An address prepared for comparison. Holds personal data; the repr shows none."""

    __slots__ = ("country", "locality", "numbers", "postal", "words")

    def __init__(
        self,
        country: str,
        postal: str | None,
        locality: str | None,
        words: tuple[str, ...],
        numbers: frozenset[str],
    ) -> None:
        self.country = country
        self.postal = postal
        self.locality = locality
        self.words = words
        self.numbers = numbers

    def same_as(self, other: AddressKey) -> bool:
        """True if every part of the two keys is equal."""
        return (
            self.words == other.words
            and self.numbers == other.numbers
            and self.postal == other.postal
            and self.locality == other.locality
        )

    def notes(self) -> tuple[str, ...]:
        """The notes of comparing the key with itself."""
        found = ["street 1.00"] if self.words or self.numbers else []
        if self.postal is not None:
            found.append("postal code same")
        if self.locality is not None:
            found.append("locality 1.00")
        return tuple(found)

    def __repr__(self) -> str:
        return f"AddressKey(country={self.country!r})"


def _compact(text: str | None, dropped: frozenset[str] = frozenset()) -> str | None:
    if text is None:
        return None
    tokens = [t for t in _TOKEN.findall(fold(text)) if t not in dropped]
    return "".join(tokens) or None


def address_key(address: PostalAddress) -> AddressKey:
    """The key of a postal address."""
    words: list[str] = []
    numbers: set[str] = set()
    for line in address.lines:
        for token in _TOKEN.findall(fold(line)):
            if any(c.isdigit() for c in token):
                numbers.add(token.lstrip("0") or "0")
            elif token not in STREET_WORDS:
                words.append(token)
    postal = _compact(address.postal_code)
    return AddressKey(
        address.country,
        postal.upper() if postal else None,
        _compact(address.locality, LOCALITY_WORDS),
        tuple(dict.fromkeys(words))[:8],
        frozenset(numbers),
    )


def compare_addresses(
    a: AddressKey, b: AddressKey, cache: TokenCache | None = None
) -> tuple[float, tuple[str, ...]]:
    """The similarity of two address keys, with the part scores as notes (no address values)."""
    if a.country != b.country:
        return 0.0, ("country different",)
    if a.same_as(b):
        return 1.0, a.notes()
    parts: list[tuple[float, float]] = []
    notes: list[str] = []
    street = _street(a, b, cache)
    if street is not None:
        parts.append((STREET_WEIGHT, street))
        notes.append(f"street {street:.2f}")
    if a.postal is not None and b.postal is not None:
        same = a.postal == b.postal
        parts.append((POSTAL_WEIGHT, 1.0 if same else 0.0))
        notes.append("postal code same" if same else "postal code different")
    if a.locality is not None and b.locality is not None:
        locality = winkler(a.locality, b.locality)
        parts.append((LOCALITY_WEIGHT, locality))
        notes.append(f"locality {locality:.2f}")
    if not parts:
        return 0.0, ("nothing to compare",)
    total = sum(weight for weight, _ in parts)
    return sum(weight * score for weight, score in parts) / total, tuple(notes)


def address_bound(a: AddressKey, b: AddressKey) -> float:
    """An upper bound of :func:`compare_addresses`, from the country and postal codes alone."""
    if a.country != b.country:
        return 0.0
    if a.postal is None or b.postal is None or a.postal == b.postal:
        return 1.0
    others = 0.0
    if (a.words or a.numbers) and (b.words or b.numbers):
        others += STREET_WEIGHT
    if a.locality is not None and b.locality is not None:
        others += LOCALITY_WEIGHT
    return others / (others + POSTAL_WEIGHT)


def _street(a: AddressKey, b: AddressKey, cache: TokenCache | None) -> float | None:
    if not (a.words or a.numbers) or not (b.words or b.numbers):
        return None
    if a.words and b.words:
        left, right = (a.words, b.words) if a.words <= b.words else (b.words, a.words)
        full, partial, _, _ = align(left, right, cache)
        words = max(full, PARTIAL_WEIGHT * partial) if partial is not None else full
    elif a.words or b.words:
        words = 0.0
    else:
        words = 1.0
    if a.numbers and b.numbers:
        shared = len(a.numbers & b.numbers) / len(a.numbers | b.numbers)
        return words * (0.5 + 0.5 * shared)
    return words

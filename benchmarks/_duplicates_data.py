"""Seeded synthetic customers with known duplicates, for bench_duplicates.py.

``generate(n, seed=...)`` returns ``n`` customers, of which ``duplicate_share``
(5% by default) are seeded duplicates of other customers, and the set of true
duplicate pairs. The same seed always gives the same customers.

The population is mostly Indonesian (single names, two and three token names,
Batak and Chinese-Indonesian family names), with international customers
(accented and non-ASCII Latin names) and a few organizations. Households put
two to four distinct people at one address under one family name, and half of
them share one family email address: distinct people who look alike, so the
figures measure precision as well as recall.

A duplicate copies another customer and changes one to three things about
the name (a typo: substitution, deletion, insertion or transposition;
reordered tokens or "Family, Given"; an honorific or degree added; old
Indonesian spelling; a token dropped or the single name typed twice; case
and accents) and, independently, its contact details: the email kept (in
another case), replaced or dropped; the phone kept (sometimes typed in
national form), replaced ("changed phones") or dropped; the address kept
(written differently: ``Jalan``/``Jl.``, ``No.``, ``Kota``), replaced (moved)
or dropped. Some duplicates therefore keep no shared email, phone or address:
no rule without a name-only match can find them, and they count against recall.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime

from crmcore.customers import (
    ContactPoint,
    Customer,
    CustomerId,
    OrganizationName,
    PersonName,
    PostalAddress,
)

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

INDONESIAN_GIVEN = """
Budi Siti Agus Dewi Sri Wahyu Eko Rizki Putri Ayu Indah Fajar Dian Rina Hendra Yusuf Ahmad
Muhammad Nur Andi Bambang Joko Kartika Lestari Yanti Wulan Bayu Dimas Galih Hadi Irwan Kurnia
Lina Maya Nanda Oki Purnama Rahmat Sari Teguh Umar Vina Wati Yoga Zainal Anisa Citra Desi Fitri
Gilang Hana Imam Jaka Kevin Larasati Mega Novi Okta Pandu Ratna Satria Tri Utami Wawan Yudi
Arif Cahya Dodi Endang Farida Gita Heru Ika Surya Syahrul Khairul Nyoman Wayan Ketut Made Komang
""".split()

INDONESIAN_FAMILY = """
Santoso Wijaya Saputra Pratama Hidayat Kusuma Setiawan Nugroho Gunawan Siregar Nasution Harahap
Simanjuntak Sitompul Lubis Tanjung Purba Halim Tan Lim Wibowo Susanto Hartono Kurniawan Permana
Firmansyah Ramadhan Maulana Hakim Syahputra Utomo Sinaga Pangaribuan Manurung Tambunan Situmorang
Rahayu Lestari Anggraini Puspita Wulandari Handayani Suryadi Cahyono Prasetyo Suhendra Darmawan
Budiman Sutanto Salim Gozali Tanoto Wirawan Effendi Hasibuan Batubara Ginting Tarigan Sembiring
""".split()

MONONYMS = """
Sukarno Suharto Mulyono Sutrisno Suparman Wagiman Sumarni Sumiati Paijo Tukiman Suyatno Sukirman
Darsono Karyadi Juminten Sunarti Suwarno Sudirman Purnomo Slamet Ngatini Rusdi Waluyo Kasiman
""".split()

INTERNATIONAL_GIVEN = """
John Maria Michael Sarah David Anna James Emma Wei Li Hiroshi Yuki José François Zoë Søren Łukasz
Jürgen Chloé Mateo Sofía Liam Olivia Noah Ava Ethan Mia Lucas Amélie Björn Ines Marco Giulia Pablo
Aoife Siobhán Nikolaj Małgorzata Dmitri Elena Ahmed Fatima Omar Leila Raj Priya Arjun Ananya
""".split()

INTERNATIONAL_FAMILY = """
Smith García Müller Nguyen Wang Kim O'Brien Dubois Rossi Kowalski Jensen Björk Johnson Brown Lee
Martin Bernard Schmidt Schneider Fischer Weber Ferrari Russo Silva Santos Pereira Novak Horvat
Yamamoto Tanaka Suzuki Chen Liu Zhang Patel Sharma Singh Kumar Ivanov Petrova Andersson Nielsen
Jørgensen Ó_Súilleabháin Núñez Peña Çelik Öztürk Łukasiewicz
""".split()

ORGANIZATION_WORDS = """
Sinar Jaya Abadi Maju Bersama Sejahtera Makmur Sentosa Karya Mandiri Cahaya Bintang Timur Nusantara
Global Teknologi Solusi Prima Utama Mitra Sumber Rejeki Harapan Baru Indah Agung Surya Mega Persada
""".split()

LEGAL_FORMS = ("PT", "PT.", "CV", "CV.", "UD")
PREFIX_TITLES = ("Bapak", "Ibu", "Pak", "Bu", "Sdr.", "Sdri.", "H.", "Hj.", "Dr.", "Ir.", "Bpk.")
SUFFIX_TITLES = (", S.E.", ", S.Kom", ", M.M.", " S.Kom", ", S.H.", ", S.T., M.T.", ", A.Md")

CITIES = [
    ("Jakarta", "DKI Jakarta", "10"),
    ("Jakarta Selatan", "DKI Jakarta", "12"),
    ("Jakarta Barat", "DKI Jakarta", "11"),
    ("Jakarta Timur", "DKI Jakarta", "13"),
    ("Bandung", "Jawa Barat", "40"),
    ("Bekasi", "Jawa Barat", "17"),
    ("Bogor", "Jawa Barat", "16"),
    ("Depok", "Jawa Barat", "16"),
    ("Surabaya", "Jawa Timur", "60"),
    ("Malang", "Jawa Timur", "65"),
    ("Semarang", "Jawa Tengah", "50"),
    ("Solo", "Jawa Tengah", "57"),
    ("Yogyakarta", "DI Yogyakarta", "55"),
    ("Medan", "Sumatera Utara", "20"),
    ("Palembang", "Sumatera Selatan", "30"),
    ("Padang", "Sumatera Barat", "25"),
    ("Pekanbaru", "Riau", "28"),
    ("Denpasar", "Bali", "80"),
    ("Makassar", "Sulawesi Selatan", "90"),
    ("Manado", "Sulawesi Utara", "95"),
    ("Balikpapan", "Kalimantan Timur", "76"),
    ("Pontianak", "Kalimantan Barat", "78"),
    ("Tangerang", "Banten", "15"),
]
STREETS = """
Merdeka Sudirman Thamrin Gatot_Subroto Diponegoro Ahmad_Yani Pemuda Veteran Pahlawan Kartini
Gajah_Mada Hayam_Wuruk Pattimura Imam_Bonjol Cendrawasih Melati Mawar Anggrek Kenanga Flamboyan
Asia_Afrika Braga Dago Pasteur Cihampelas Malioboro Kaliurang Pandanaran Pemuda_Raya Sisingamangaraja
Teuku_Umar Hasanuddin Sam_Ratulangi Kebon_Jeruk Kemang_Raya Fatmawati Panglima_Polim Wolter_Monginsidi
""".split()
FOREIGN = [
    ("SG", "Singapore", "Orchard Road", "23"),
    ("MY", "Kuala Lumpur", "Jalan Bukit Bintang", "55"),
    ("AU", "Sydney", "George Street", "20"),
    ("NL", "Amsterdam", "Keizersgracht", "10"),
    ("DE", "Berlin", "Friedrichstraße", "10"),
    ("GB", "London", "Baker Street", "NW"),
    ("US", "New York", "Broadway", "10"),
    ("JP", "Tokyo", "Omotesando", "15"),
]
FOREIGN_CODES = {"SG": "65", "MY": "60", "AU": "61", "NL": "31", "DE": "49", "GB": "44", "US": "1"}
FOREIGN_CODES["JP"] = "81"
PROVIDERS = ("gmail.com", "yahoo.co.id", "yahoo.com", "outlook.com", "hotmail.com", "ymail.com")


@dataclass
class Spec:
    """One customer before it is built: mutable, so duplicates can be derived from it."""

    organization: bool
    tokens: list[str]  # the name tokens, given first
    email: str | None
    phone: str | None
    address: tuple[list[str], str, str, str | None, str] | None  # lines, country, locality, ...
    national_phone: bool = False
    prefix: str | None = None
    suffix: str | None = None
    comma: bool = False


@dataclass
class SyntheticData:
    """The customers and the true duplicate pairs (as frozensets of two ids)."""

    customers: list[Customer]
    truth: set[frozenset[CustomerId]]


def _plain(word: str) -> str:
    return word.replace("_", " ")


def _ascii(text: str) -> str:
    import unicodedata  # noqa: PLC0415 - only the generator needs it

    folded = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in folded if not unicodedata.combining(c))
    return out.translate(str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}))


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.emails: set[str] = set()
        self.phones: set[str] = set()

    # -- originals ----------------------------------------------------------------------

    def person_tokens(self, international: bool) -> list[str]:
        rng = self.rng
        if international:
            given = [rng.choice(INTERNATIONAL_GIVEN)]
            if rng.random() < 0.2:
                given.append(rng.choice(INTERNATIONAL_GIVEN))
            return [*given, _plain(rng.choice(INTERNATIONAL_FAMILY))]
        roll = rng.random()
        if roll < 0.12:
            return [rng.choice(MONONYMS)]
        if roll < 0.35:
            return [
                rng.choice(INDONESIAN_GIVEN),
                rng.choice(INDONESIAN_GIVEN),
                rng.choice(INDONESIAN_FAMILY),
            ]
        return [rng.choice(INDONESIAN_GIVEN), rng.choice(INDONESIAN_FAMILY)]

    def email_for(self, tokens: list[str]) -> str:
        rng = self.rng
        while True:
            words = ["".join(c for c in _ascii(t).lower() if c.isalnum()) for t in tokens[:2]]
            base = ".".join(w for w in words if w) or "user"
            local = f"{base}{rng.randint(1, 9999)}"
            email = f"{local}@{rng.choice(PROVIDERS)}"
            if email not in self.emails:
                self.emails.add(email)
                return email

    def phone_for(self, country: str) -> str:
        rng = self.rng
        while True:
            if country == "ID":
                number = (
                    "+628" + str(rng.randint(11, 99)) + "".join(rng.choices(string.digits, k=8))
                )
            else:
                number = "+" + FOREIGN_CODES[country] + str(rng.randint(2, 9))
                number += "".join(rng.choices(string.digits, k=8))
            if number not in self.phones:
                self.phones.add(number)
                return number

    def address_for(self, country: str) -> tuple[list[str], str, str, str | None, str]:
        rng = self.rng
        if country == "ID":
            city, region, prefix = rng.choice(CITIES)
            street = _plain(rng.choice(STREETS))
            number = rng.randint(1, 250)
            lines = [f"Jl. {street} No. {number}"]
            if rng.random() < 0.3:
                lines.append(f"RT {rng.randint(1, 15):02d}/RW {rng.randint(1, 12):02d}")
            postal = f"{prefix}{rng.randint(100, 240)}"
            return lines, "ID", city, region, postal
        code, city, street, prefix = rng.choice(FOREIGN)
        number = rng.randint(1, 400)
        if code == "GB":
            postal = f"NW1 {rng.randint(1, 9)}XE"
        else:
            postal = f"{prefix}{rng.randint(100, 999)}"
        line = f"{number} {street}" if code in {"AU", "GB", "US"} else f"{street} {number}"
        return [line], code, city, None, postal

    def original(self) -> Spec:
        rng = self.rng
        if rng.random() < 0.04:
            words = rng.sample(ORGANIZATION_WORDS, rng.randint(2, 3))
            tokens = [rng.choice(LEGAL_FORMS), *words]
            return Spec(
                True,
                tokens,
                self.email_for(words) if rng.random() < 0.8 else None,
                self.phone_for("ID") if rng.random() < 0.8 else None,
                self.address_for("ID") if rng.random() < 0.8 else None,
            )
        international = rng.random() < 0.15
        country = rng.choice(sorted(FOREIGN_CODES)) if international else "ID"
        tokens = self.person_tokens(international)
        spec = Spec(
            False,
            tokens,
            self.email_for(tokens) if rng.random() < 0.8 else None,
            self.phone_for(country) if rng.random() < 0.85 else None,
            self.address_for(country) if rng.random() < 0.6 else None,
        )
        if rng.random() < 0.1:
            spec.prefix = rng.choice(PREFIX_TITLES)
        return spec

    def household(self, head: Spec) -> list[Spec]:
        """Two to four other people at the head's address, under the head's family name."""
        rng = self.rng
        members = []
        shared_email = head.email if rng.random() < 0.5 else None
        taken = set(head.tokens)
        for _ in range(rng.randint(1, 3)):
            given = rng.choice(INDONESIAN_GIVEN)
            while given in taken:
                given = rng.choice(INDONESIAN_GIVEN)
            taken.add(given)
            tokens = [given, *head.tokens[-1:]] if len(head.tokens) > 1 else [given]
            email = shared_email or self.email_for(tokens)
            phone = self.phone_for("ID") if rng.random() < 0.8 else None
            members.append(Spec(False, tokens, email, phone, head.address))
        return members

    # -- duplicates ---------------------------------------------------------------------

    def typo(self, token: str) -> str:
        rng = self.rng
        if len(token) < 3:
            return token
        i = rng.randrange(1, len(token) - 1)
        kind = rng.randrange(4)
        letters = "aeiouyknrstmlh"
        if kind == 0:
            return token[:i] + rng.choice(letters) + token[i + 1 :]
        if kind == 1:
            return token[:i] + token[i + 1 :]
        if kind == 2:
            return token[:i] + rng.choice(letters) + token[i:]
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]

    def old_spelling(self, token: str) -> str:
        text = token
        for modern, old in (("u", "oe"), ("c", "tj"), ("ny", "nj"), ("sy", "sj"), ("kh", "ch")):
            if modern in text.lower() and self.rng.random() < 0.7:
                text = text.replace(modern, old, 1)
        if "j" in text and self.rng.random() < 0.7:
            text = text.replace("j", "dj", 1)
        if text.startswith("J"):
            text = "Dj" + text[1:]
        return text

    def perturb_name(self, spec: Spec) -> None:  # noqa: C901, PLR0912 - a branch per change
        rng = self.rng
        changes = rng.sample(range(8), rng.choice((1, 1, 2, 2, 3)))
        for change in changes:
            tokens = spec.tokens
            if change == 0:
                i = rng.randrange(len(tokens))
                tokens[i] = self.typo(tokens[i])
            elif change == 1 and len(tokens) > 1 and not spec.organization:
                if rng.random() < 0.5:
                    spec.tokens = [*tokens[1:], tokens[0]]
                else:
                    spec.tokens = [tokens[-1], *tokens[:-1]]
                    spec.comma = rng.random() < 0.5
            elif change == 2 and not spec.organization:
                if rng.random() < 0.6:
                    spec.prefix = rng.choice(PREFIX_TITLES)
                else:
                    spec.suffix = rng.choice(SUFFIX_TITLES)
            elif change == 3:
                spec.tokens = [self.old_spelling(t) for t in tokens]
            elif change == 4 and not spec.organization:
                if len(tokens) == 1:
                    spec.tokens = [tokens[0], tokens[0]]
                elif len(tokens) == 3:
                    spec.tokens = [tokens[0], tokens[2]]
            elif change == 5:
                spec.tokens = [t.upper() if rng.random() < 0.5 else t.lower() for t in tokens]
            elif change == 6:
                spec.tokens = [_ascii(t) for t in tokens]
            elif change == 7 and spec.organization:
                words = [t for t in tokens if t not in LEGAL_FORMS]
                spec.tokens = [*words, rng.choice(("Tbk", "Tbk.", ""))] if words else tokens
                spec.tokens = [t for t in spec.tokens if t]

    def duplicate(self, original: Spec) -> Spec:  # noqa: C901, PLR0912 - a branch per change
        rng = self.rng
        spec = Spec(
            original.organization,
            list(original.tokens),
            original.email,
            original.phone,
            original.address,
            prefix=original.prefix,
        )
        self.perturb_name(spec)
        roll = rng.random()
        if spec.email is not None:
            if roll < 0.25:
                spec.email = self.email_for(spec.tokens)
            elif roll < 0.4:
                spec.email = None
            elif roll < 0.55:
                spec.email = spec.email.upper()
        roll = rng.random()
        if spec.phone is not None:
            if roll < 0.3:  # a changed phone
                spec.phone = self.phone_for("ID" if spec.phone.startswith("+62") else "SG")
            elif roll < 0.5:
                spec.phone = None
            elif roll < 0.7 and spec.phone.startswith("+62"):
                spec.national_phone = True
        roll = rng.random()
        if spec.address is not None:
            if roll < 0.15:
                spec.address = self.address_for(spec.address[1])
            elif roll < 0.4:
                spec.address = None
            elif roll < 0.7:
                lines, country, city, region, postal = spec.address
                first = lines[0].replace("Jl. ", "Jalan ").replace(" No. ", " No ")
                city = f"Kota {city}" if country == "ID" and rng.random() < 0.5 else city.upper()
                spec.address = ([first, *lines[1:]], country, city, region, postal)
        elif roll < 0.2:
            spec.address = self.address_for("ID")
        return spec


def _name(spec: Spec) -> PersonName | OrganizationName:
    if spec.organization:
        return OrganizationName(" ".join(spec.tokens))
    tokens = spec.tokens
    prefix = f"{spec.prefix} " if spec.prefix else ""
    suffix = spec.suffix or ""
    if spec.comma and len(tokens) > 1:
        return PersonName(f"{prefix}{tokens[0]},", family=" ".join(tokens[1:]) + suffix)
    if len(tokens) == 1:
        return PersonName(f"{prefix}{tokens[0]}{suffix}")
    return PersonName(f"{prefix}{' '.join(tokens[:-1])}", family=tokens[-1] + suffix)


def _customer(index: int, spec: Spec) -> Customer:
    points = []
    if spec.email is not None:
        points.append(ContactPoint("email", spec.email))
    if spec.phone is not None:
        if spec.national_phone:
            points.append(
                ContactPoint.phone(
                    "0" + spec.phone[3:], default_country_code="62", channel="whatsapp"
                )
            )
        else:
            points.append(ContactPoint.phone(spec.phone))
    addresses = []
    if spec.address is not None:
        lines, country, locality, region, postal = spec.address
        addresses.append(
            PostalAddress(
                lines=lines, country=country, locality=locality, region=region, postal_code=postal
            )
        )
    return Customer.register(
        CustomerId(f"c-{index:07d}"),
        name=_name(spec),
        at=AT,
        contact_points=points,
        addresses=addresses,
    )


def generate(n: int, *, seed: int = 14, duplicate_share: float = 0.05) -> SyntheticData:
    """``n`` customers, ``duplicate_share`` of them seeded duplicates, and the true pairs."""
    gen = _Generator(seed)
    rng = gen.rng
    duplicates = round(n * duplicate_share)
    specs: list[Spec] = []
    while len(specs) < n - duplicates:
        spec = gen.original()
        specs.append(spec)
        if not spec.organization and spec.address is not None and rng.random() < 0.12:
            specs.extend(gen.household(spec))
    specs = specs[: n - duplicates]
    cluster = list(range(len(specs)))  # each spec's original
    for _ in range(duplicates):
        source = rng.randrange(len(specs))
        specs.append(gen.duplicate(specs[source]))
        cluster.append(cluster[source])
    order = list(range(len(specs)))
    rng.shuffle(order)
    customers = [_customer(position, specs[i]) for position, i in enumerate(order)]
    ids_by_cluster: dict[int, list[CustomerId]] = {}
    for position, i in enumerate(order):
        ids_by_cluster.setdefault(cluster[i], []).append(customers[position].id)
    truth = {
        frozenset((a, b))
        for ids in ids_by_cluster.values()
        for x, a in enumerate(ids)
        for b in ids[x + 1 :]
    }
    return SyntheticData(customers, truth)

"""The demo's one way of printing money and counted nouns.

Every section of the report prints amounts through :func:`money` and counts
through :func:`plural`, so the whole report reads one way: rupiah as
Indonesians write them (``Rp 19.326.500``: a dot between thousands, a comma
before the sen, the sen shown only when they are not zero), other currencies
the same way behind their ISO code.

>>> from crmcore._kernel._money import Money
>>> money(Money(19_326_500, "IDR")), money(Money("183333.34", "IDR"))
('Rp 19.326.500', 'Rp 183.333,34')
>>> money(Money("-1250.5", "USD")), plural(1, "deal"), plural(2, "deal")
('-USD 1.250,50', '1 deal', '2 deals')
>>> plural(3, "reply", "replies"), plural(1_234, "unit")
('3 replies', '1234 units')
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from crmcore._kernel._money import Money

#: How the report writes each currency's symbol (others: their ISO code).
SYMBOLS: Final = {"IDR": "Rp"}
#: Every amount :func:`money` prints, as a regular expression (tests read the report with it).
MONEY_PATTERN: Final = re.compile(r"-?(?:Rp|[A-Z]{3}) \d{1,3}(?:\.\d{3})*(?:,\d+)?")


def number(value: int) -> str:
    """A whole number with a dot between thousands (``19.219``)."""
    return f"{value:,}".replace(",", ".")


def money(amount: Money) -> str:
    """``amount`` rounded to its currency's minor unit, written the Indonesian way."""
    rounded = amount.rounded()
    value: Decimal = rounded.amount
    sign = "-" if value < 0 else ""
    whole, _, sen = f"{abs(value):.{rounded.minor_unit}f}".partition(".")
    text = number(int(whole))
    if sen.strip("0"):
        text += "," + sen
    return f"{sign}{SYMBOLS.get(rounded.currency, rounded.currency)} {text}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the noun in the right number (``1 deal``, ``2 deals``)."""
    word = singular if count == 1 else (many if many is not None else singular + "s")
    return f"{count} {word}"


def parse_money(text: str) -> Money:
    """The amount :func:`money` wrote as ``text`` (its inverse, for readers of the report).

    >>> parse_money("Rp 183.333,34"), parse_money("-USD 1.250,50")
    (Money('183333.34', 'IDR'), Money('-1250.50', 'USD'))
    """
    negative = text.startswith("-")
    symbol, _, digits = text.removeprefix("-").partition(" ")
    codes = {shown: code for code, shown in SYMBOLS.items()}
    value = Decimal(digits.replace(".", "").replace(",", "."))
    return Money(-value if negative else value, codes.get(symbol, symbol))

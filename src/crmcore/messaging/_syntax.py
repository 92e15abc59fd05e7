"""The placeholder syntax of message templates: a small parser, never ``str.format``.

A template is literal text with placeholders ``{name}``, where ``name`` is a
snake_case field name (a lowercase letter, then lowercase letters, digits or
underscores). ``{{`` and ``}}`` stand for literal braces. Everything else
between braces (positional fields ``{0}``, attribute or item access
``{a.b}`` / ``{a[0]}``, conversions ``{a!r}``, format specs ``{a:>10}``,
empty ``{}``, nested braces) is refused, as is a brace without its partner:
``str.format`` would treat these as instructions, and a template written by a
user must never be able to reach into the values it is filled with.

The parser reads each character once, and the text it is given is bounded by
the template's length limits, so parsing costs at most linear time.
"""

from __future__ import annotations

import re
from typing import Final

import attrs

from crmcore._kernel._checks import type_name
from crmcore.errors import InvalidType, Problem

#: Longest placeholder (field) name, in characters.
MAX_FIELD_NAME: Final = 64

_FIELD_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\Z")


@attrs.frozen(slots=True)
class Slot:
    """A placeholder in a parsed template: the field whose value goes here."""

    name: str


#: A parsed template: literal text and slots, in order.
Segments = tuple[str | Slot, ...]


def is_field_name(name: str) -> bool:
    """True if ``name`` is a valid placeholder name (snake_case, at most 64 characters).

    >>> is_field_name("first_name"), is_field_name("First"), is_field_name("0")
    (True, False, False)
    """
    return len(name) <= MAX_FIELD_NAME and _FIELD_NAME.match(name) is not None


_UNSAFE: Final = (
    "must use only placeholders such as {first_name} (a snake_case field name in braces); "
    "write {{ and }} for literal braces"
)
_UNMATCHED: Final = "must not hold a brace without its partner; write {{ and }} for literal braces"


def parse(text: str, path: str) -> tuple[Segments, list[Problem]]:
    """Split ``text`` into literal text and placeholders, with the problems found.

    Each problem names ``path`` and a code: ``unsafe_placeholder`` for
    anything between braces that is not a field name, ``unmatched_brace``
    for a lone ``{`` or ``}``. The offending text is never repeated. At most
    one problem of each code is reported per text.

    >>> parse("Hi {first_name}, {{literal}}", "$.body")[0]
    ('Hi ', Slot(name='first_name'), ', {literal}')
    >>> [p.code for p in parse("{a.b} and {", "$.body")[1]]
    ['unsafe_placeholder', 'unmatched_brace']
    """
    segments: list[str | Slot] = []
    codes: list[str] = []
    literal: list[str] = []
    index, end = 0, len(text)
    close = -1  # the first "}" after the last "{" looked at (end: none); see _placeholder
    while index < end:
        ch = text[index]
        if ch in "{}" and text.startswith(ch, index + 1):
            literal.append(ch)  # "{{" or "}}": a literal brace
            index += 2
        elif ch == "{":
            close = _next_close(text, index, close)
            slot, code, index = _placeholder(text, index, close)
            if slot is not None:
                if literal:
                    segments.append("".join(literal))
                    literal = []
                segments.append(slot)
            elif code not in codes:
                codes.append(code)
        elif ch == "}":
            if _UNMATCHED_CODE not in codes:
                codes.append(_UNMATCHED_CODE)
            index += 1
        else:
            # Copy the run of plain text up to the next brace in one step.
            brace = _BRACE.search(text, index)
            stop = end if brace is None else brace.start()
            literal.append(text[index:stop])
            index = stop
    if literal:
        segments.append("".join(literal))
    return tuple(segments), [Problem(path, _RULES[code], code) for code in codes]


_BRACE: Final = re.compile(r"[{}]")
_UNMATCHED_CODE: Final = "unmatched_brace"
_UNSAFE_CODE: Final = "unsafe_placeholder"
_RULES: Final = {_UNMATCHED_CODE: _UNMATCHED, _UNSAFE_CODE: _UNSAFE}


def _next_close(text: str, index: int, close: int) -> int:
    """The first ``}`` after ``index`` (``len(text)``: none), reusing ``close`` while ahead."""
    if close > index:
        return close
    found = text.find("}", index + 1)
    return len(text) if found < 0 else found


def _placeholder(text: str, index: int, close: int) -> tuple[Slot | None, str, int]:
    """Read the placeholder opened at ``index`` and closed at ``close`` (``len(text)``: never).

    Returns the slot or the refusal's code, and where to go on. Every text
    position is scanned a bounded number of times: ``close`` is found once
    for all the openers before it, and the search for a nested opener stops
    at ``close``, after which reading goes on.
    """
    if close >= len(text):
        return None, _UNMATCHED_CODE, index + 1
    opener = text.find("{", index + 1, close)
    name = text[index + 1 : close]
    if opener >= 0 or not is_field_name(name):
        # Nesting, attribute or item access, a conversion, a format spec: never a field.
        return None, _UNSAFE_CODE, close + 1
    return Slot(name), "", close + 1


def escape(text: str) -> str:
    """Double every brace of ``text`` so that a template shows it literally.

    >>> escape("{not a placeholder}")
    '{{not a placeholder}}'

    Raises:
        InvalidType: ``text`` is not a str (``$.text``).
    """
    if not isinstance(text, str):
        raise InvalidType(f"must be a str, not {type_name(text)}", path="$.text")
    return text.replace("{", "{{").replace("}", "}}")

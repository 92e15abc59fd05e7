"""Site build: crmcore's doctested pages and reST-flavoured docstrings read as Markdown.

Two uses, both registered in ``mkdocs.yml``: an MkDocs hook (``hooks:``) whose
``on_page_markdown`` fences the doctest runs a page left outside a code fence, and a Griffe
extension (:class:`MarkdownDocstrings`, under the Python handler's ``extensions``) for the
docstrings of the API reference.

crmcore's docstrings are Google style with a few reStructuredText habits: doctest runs
(``>>>``) anywhere in the text, Sphinx roles (``:class:`Money```), ``::`` literal blocks and
simple tables bordered with ``===``. Markdown would read a doctest's ``[a, b]`` output as a link
and fold the tables into one paragraph, so before the docstrings are parsed this extension:

- fences every run of doctest examples (prompt, continuation and output lines) as ``pycon``;
- fences reST simple tables as text and ``::`` literal blocks as Python code;
- turns a Sphinx role into inline code (``:class:`Money``` becomes `` `Money` ``; an explicit
  title, ``:meth:`render <MessageTemplate.render>```, keeps the title), even when the role or an
  inline ````code```` span is broken across lines (Python-Markdown's code spans stay on one line);
- turns ``.. versionadded:: 0.1`` (and ``versionchanged``, ``deprecated``) into a sentence.

The docstrings themselves are untouched (pytest still runs their examples); only the text the
site renders changes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|data|mod|exc|obj|const|term|ref):`~?([^`]+)`")
_TITLED = re.compile(r"^(.*?)\s*<[^<>]+>$", re.DOTALL)
_SPAN = re.compile(r"``([^`]+)``")
_BREAK = re.compile(r"\s*\n\s*")
_DIRECTIVE = re.compile(r"^(\s*)\.\. (versionadded|versionchanged|deprecated)::\s*(\S+)\s*(.*)$")
_DIRECTIVE_WORDS = {
    "versionadded": "Added in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
}
_BORDER = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _fence_doctests(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        if in_fence or not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        pad = " " * _indent(line)
        block: list[str] = []
        # A doctest run ends at the first blank line (doctest's own rule), or at a fence.
        while i < len(lines) and lines[i].strip() and not (block and _FENCE.match(lines[i])):
            block.append(lines[i])
            i += 1
        if out and out[-1].strip():
            out.append("")
        out.append(f"{pad}```pycon")
        out.extend(block)
        out.append(f"{pad}```")
        out.append("")
    return out


def _fence_tables(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        if _FENCE.match(lines[i]):
            in_fence = not in_fence
        if in_fence or not _BORDER.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        # A simple table: a top border, the header and a border under it, rows, a bottom
        # border. A table without a header has two borders: the second ends it when a blank
        # line (or the end of the text) follows it.
        end = i + 1
        borders = 1
        while end < len(lines) and borders < 3:
            end += 1
            if _BORDER.match(lines[end - 1]):
                borders += 1
                if end == len(lines) or not lines[end].strip():
                    break
        pad = " " * _indent(lines[i])
        if out and out[-1].strip():
            out.append("")
        out.append(f"{pad}```text")
        out.extend(lines[i:end])
        out.append(f"{pad}```")
        i = end
    return out


def _fence_literal_blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    in_fence = False
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence or not line.rstrip().endswith("::"):
            out.append(line)
            i += 1
            continue
        out.append(line.rstrip()[:-1])  # "text::" reads as "text:"
        i += 1
        base = _indent(line)
        start = i
        while i < len(lines) and not lines[i].strip():
            i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        if not body:
            out.extend(lines[start:i])
            continue
        pad = " " * base
        out.append("")
        out.append(f"{pad}```python")
        out.extend(body)
        out.append(f"{pad}```")
        out.append("")
    return out


def _role(match: re.Match[str]) -> str:
    target = _BREAK.sub(" ", match.group(1).strip())
    titled = _TITLED.match(target)
    return f"`{titled.group(1) if titled else target}`"


def _span(match: re.Match[str]) -> str:
    return f"``{_BREAK.sub(' ', match.group(1))}``"


def _directive(line: str) -> str:
    found = _DIRECTIVE.match(line)
    if found is None:
        return line
    pad, name, version, rest = found.groups()
    return f"{pad}*{_DIRECTIVE_WORDS[name]} {version}.*{' ' + rest if rest else ''}"


def _prose(lines: list[str]) -> list[str]:
    # Roles and code spans may run over a line break: rewrite the whole stretch of prose.
    if not lines:
        return []
    text = _SPAN.sub(_span, _ROLE.sub(_role, "\n".join(lines)))
    return [_directive(line) for line in text.split("\n")]


def markdown_docstring(text: str) -> str:
    """The docstring ``text`` as the site renders it."""
    lines = text.splitlines()
    lines = _fence_literal_blocks(_fence_tables(_fence_doctests(lines)))
    fenced = False
    result: list[str] = []
    prose: list[str] = []
    for line in lines:
        if _FENCE.match(line):
            if not fenced:
                result.extend(_prose(prose))
                prose = []
            fenced = not fenced
            result.append(line)
        elif fenced:
            result.append(line)
        else:
            prose.append(line)
    result.extend(_prose(prose))
    return "\n".join(result)


class MarkdownDocstrings(griffe.Extension):
    """Rewrite each docstring once, when its object is created."""

    def on_instance(self, *, obj: griffe.Object, **_kwargs: Any) -> None:
        """Griffe hook: ``obj`` was just created from its source."""
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """MkDocs hook: a page's doctest runs outside a code fence are shown as ``pycon`` code."""
    return "\n".join(_fence_doctests(markdown.split("\n")))

"""The site's Markdown rewriting (docs/_hooks/site_markdown.py), on hand-written docstrings."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from tests._optional import in_ci

HOOK = Path(__file__).resolve().parents[2] / "docs" / "_hooks" / "site_markdown.py"


@pytest.fixture(scope="module")
def hook() -> ModuleType:
    """The hook module; it needs griffe (the docs extra): a skip locally, a failure in CI."""
    try:
        import griffe  # noqa: F401, PLC0415
    except ImportError:
        if in_ci():
            pytest.fail("griffe is not installed: CI installs it with the docs extra")
        pytest.skip("griffe is not installed (pip install -e '.[docs]')")
    spec = importlib.util.spec_from_file_location("_site_markdown", HOOK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_doctest_run_is_fenced_up_to_the_first_blank_line(hook: ModuleType) -> None:
    text = "Intro.\n>>> x = [1]\n>>> x\n[1]\n\nAfter."
    assert hook.markdown_docstring(text) == (
        "Intro.\n\n```pycon\n>>> x = [1]\n>>> x\n[1]\n```\n\n\nAfter."
    )


def test_an_indented_run_keeps_its_indentation_and_fenced_runs_are_left_alone(
    hook: ModuleType,
) -> None:
    text = "Examples:\n    >>> 1\n    1\n```python\n>>> 2\n```"
    assert hook.markdown_docstring(text) == (
        "Examples:\n\n    ```pycon\n    >>> 1\n    1\n    ```\n\n```python\n>>> 2\n```"
    )


def test_a_simple_table_is_fenced_as_text(hook: ModuleType) -> None:
    table = ["===  ===", "a    b", "===  ===", "1    2", "===  ==="]
    text = "\n".join(["Table:", *table, "after"])
    assert hook.markdown_docstring(text).split("\n") == [
        "Table:",
        "",
        "```text",
        *table,
        "```",
        "after",
    ]


def test_a_literal_block_becomes_python_code(hook: ModuleType) -> None:
    text = "Like this::\n\n    class A:\n        pass\n\nDone."
    assert hook.markdown_docstring(text).split("\n") == [
        "Like this:",
        "",
        "```python",
        "    class A:",
        "        pass",
        "```",
        "",
        "Done.",
    ]
    # "::" with nothing indented after it keeps its text.
    assert hook.markdown_docstring("Ends::\nnot indented") == "Ends:\nnot indented"


def test_sphinx_roles_become_inline_code_outside_fences_only(hook: ModuleType) -> None:
    text = "See :class:`~crmcore.Money` and :func:`score`.\n```text\n:class:`Kept`\n```"
    assert hook.markdown_docstring(text) == (
        "See `crmcore.Money` and `score`.\n```text\n:class:`Kept`\n```"
    )


def test_the_mkdocs_hook_fences_a_page_and_the_griffe_extension_a_docstring(
    hook: ModuleType,
) -> None:
    import griffe  # noqa: PLC0415

    assert hook.on_page_markdown("a\n>>> 1\n1\n") == "a\n\n```pycon\n>>> 1\n1\n```\n\n"
    obj = griffe.Function("f", docstring=griffe.Docstring(">>> [1][0]\n1"))
    hook.MarkdownDocstrings().on_instance(obj=obj)
    assert obj.docstring is not None
    assert obj.docstring.value == "```pycon\n>>> [1][0]\n1\n```\n"
    bare = griffe.Function("g")
    hook.MarkdownDocstrings().on_instance(obj=bare)
    assert bare.docstring is None


def test_a_headerless_table_ends_at_its_second_border_before_a_blank_line(
    hook: ModuleType,
) -> None:
    table = ["===  ===", "a    b", "c    d", "===  ==="]
    text = "\n".join(["Envelope:", "", *table, "", ">>> 1", "1"])
    assert hook.markdown_docstring(text).split("\n") == [
        "Envelope:",
        "",
        "```text",
        *table,
        "```",
        "",
        "```pycon",
        ">>> 1",
        "1",
        "```",
        "",
    ]


def test_roles_and_code_spans_broken_across_lines_are_joined(hook: ModuleType) -> None:
    text = (
        "Use :meth:`render\n    <MessageTemplate.render>` first; cost ``a * (b +\n"
        "    c)`` and ``d``.\nAlso :class:`~crmcore.Money`."
    )
    assert hook.markdown_docstring(text) == (
        "Use `render` first; cost ``a * (b + c)`` and ``d``.\nAlso `crmcore.Money`."
    )


def test_version_directives_become_sentences(hook: ModuleType) -> None:
    text = "Text.\n\n    .. versionadded:: 0.1\n.. deprecated:: 0.3 Use `g`.\n.. note:: kept"
    assert hook.markdown_docstring(text) == (
        "Text.\n\n    *Added in version 0.1.*\n*Deprecated since version 0.3.* Use `g`."
        "\n.. note:: kept"
    )

"""Tests for `crmcore.messaging._syntax`: the placeholder parser."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.messaging import MAX_FIELD_NAME, MessageTemplate, escape
from crmcore.messaging._syntax import Slot, is_field_name, parse
from crmcore.testing.strategies._messaging import (
    message_templates,
    unsafe_placeholders,
    unsafe_template_texts,
)

REFUSED = ("unsafe_placeholder", "unmatched_brace")


def build(body, fields=("first_name",), subject=None):
    return MessageTemplate(key="k", language="en", body=body, subject=subject, fields=set(fields))


def test_parse_splits_literals_and_slots():
    """Literal text, escaped braces and placeholders come out in order."""
    segments, problems = parse("{{Hi}} {first_name}!{tier}", "$.body")
    assert [] == problems
    assert ("{Hi} ", Slot("first_name"), "!", Slot("tier")) == segments


@pytest.mark.parametrize(
    "text",
    [
        "{0}",
        "{a.b}",
        "{a[0]}",
        "{a!r}",
        "{a:>10}",
        "{}",
        "{a{b}}",
        "{A}",
        "{ a}",
        "{_a}",
        "{é}",
        "{" + "a" * (MAX_FIELD_NAME + 1) + "}",
    ],
)
def test_unsafe_placeholders_are_refused_at_build_time(text):
    """Everything str.format would interpret beyond a plain name is refused, at $.body."""
    with pytest.raises(ValidationError) as caught:
        build(f"Hello {text}")
    assert "unsafe_placeholder" == caught.value.code
    assert "$.body" == caught.value.path
    assert text not in caught.value.rule


@pytest.mark.parametrize("text", ["{", "}", "a } b", "{first_name", "{{first_name}"])
def test_unmatched_braces_are_refused(text):
    """A brace without its partner is unmatched_brace."""
    with pytest.raises(ValidationError) as caught:
        build(f"x {text} y")
    assert "unmatched_brace" in {p.code for p in caught.value.problems}


def test_subject_problems_are_reported_at_the_subject():
    """The subject is parsed with the same rules and reported at $.subject."""
    with pytest.raises(ValidationError) as caught:
        build("fine", subject="Hi {first_name!r} {")
    assert {("$.subject", "unsafe_placeholder"), ("$.subject", "unmatched_brace")} == {
        (p.path, p.code) for p in caught.value.problems
    }


def test_every_problem_is_reported_once_per_code_and_text():
    """Several bad constructs in one text give one problem per code; body and subject both."""
    with pytest.raises(ValidationError) as caught:
        build("{0} {1} } }", subject="{x.y}", fields=("first_name",))
    assert [
        ("$.subject", "unsafe_placeholder"),
        ("$.body", "unsafe_placeholder"),
        ("$.body", "unmatched_brace"),
    ] == [(p.path, p.code) for p in caught.value.problems]


def test_field_names():
    """Field names are snake_case, starting with a letter, at most MAX_FIELD_NAME characters."""
    assert is_field_name("a")
    assert is_field_name("a" * MAX_FIELD_NAME)
    assert not is_field_name("a" * (MAX_FIELD_NAME + 1))
    assert not is_field_name("1a")
    assert not is_field_name("")
    assert not is_field_name("a\n")


@given(unsafe_template_texts())
def test_unsafe_syntax_is_always_refused(text):
    """Any text holding a refused construct fails to build with a syntax code."""
    with pytest.raises(ValidationError) as caught:
        build(text)
    assert {p.code for p in caught.value.problems} & set(REFUSED)


@given(unsafe_placeholders(), unsafe_placeholders())
def test_unsafe_constructs_are_refused_in_subjects_too(first, second):
    """The subject refuses the same constructs as the body."""
    with pytest.raises(ValidationError) as caught:
        build("fine", subject=f"{first} {second}")
    assert all(p.path == "$.subject" for p in caught.value.problems)


@given(st.text(string.printable.replace("{", "").replace("}", ""), max_size=50))
def test_text_without_braces_is_one_literal(text):
    """Text without braces parses to itself."""
    segments, problems = parse(text, "$.body")
    assert [] == problems
    assert text == "".join(segments)


@given(st.text(max_size=60))
def test_escape_round_trips(text):
    """An escaped text parses back to exactly one literal: the text."""
    segments, problems = parse(escape(text), "$.body")
    assert [] == problems
    assert text == "".join(s for s in segments if isinstance(s, str))
    assert all(isinstance(s, str) for s in segments)


@given(message_templates())
def test_the_parser_agrees_with_str_format_on_valid_templates(template):
    """On the safe subset, the parser finds the fields str.format's own parser finds.

    ``string.Formatter().parse`` is the reference (used here on trusted text only).
    """
    for text in filter(None, (template.body, template.subject)):
        expected = [(literal, name) for literal, name, _, _ in string.Formatter().parse(text)]
        names = [name for _, name in expected if name is not None]
        segments, problems = parse(text, "$.body")
        assert [] == problems
        assert names == [s.name for s in segments if isinstance(s, Slot)]
        assert "".join(lit for lit, _ in expected) == "".join(
            s for s in segments if isinstance(s, str)
        )

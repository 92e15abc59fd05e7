"""Property tests of `MessageTemplate.render`, on the shipped messaging strategies."""

import string
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore import ValidationError
from crmcore.messaging._format import format_value
from crmcore.testing.strategies._messaging import message_templates, message_values_for

TEMPLATES_AND_VALUES = message_templates().flatmap(
    lambda t: st.tuples(st.just(t), message_values_for(t))
)


class RecordingMapping(Mapping[str, object]):
    """A mapping that records every key it is asked for, and whether it was iterated."""

    def __init__(self, data: dict[str, object]) -> None:
        self._data = data
        self.asked: list[object] = []
        self.iterated = False

    def __getitem__(self, key: str) -> object:
        self.asked.append(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        self.asked.append(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        self.iterated = True
        return iter(self._data)

    def __len__(self) -> int:
        self.iterated = True
        return len(self._data)


def _expected(text, template, values):
    """The rendered text by an independent route: str.format on the trusted template text.

    Every value is formatted first (so str.format only ever sees plain str
    values and the template's own, already validated, syntax).
    """
    texts = {name: format_value(value, template.language, "$") for name, value in values.items()}
    return text.format_map(texts)


@given(TEMPLATES_AND_VALUES)
def test_rendering_with_every_value_fills_every_placeholder(drawn):
    """With all values present rendering succeeds and writes each value where its placeholder was."""
    template, values = drawn
    message = template.render(values)
    assert _expected(template.body, template, values) == message.body
    if template.subject is None:
        assert message.subject is None
    else:
        assert _expected(template.subject, template, values) == message.subject
    assert (template.key, template.language, template.channel) == (
        message.key,
        message.language,
        message.channel,
    )


@given(TEMPLATES_AND_VALUES, st.data())
def test_a_missing_value_is_always_reported_by_name(drawn, data):
    """Dropping any placeholders' values reports exactly those, by path, and renders nothing."""
    template, values = drawn
    names = sorted(template.placeholders)
    if not names:
        assert template.render({}).body
        return
    dropped = data.draw(st.sets(st.sampled_from(names), min_size=1))
    kept = {k: v for k, v in values.items() if k not in dropped}
    with pytest.raises(ValidationError) as caught:
        template.render(kept)
    missing = {p.path for p in caught.value.problems if p.code == "missing_value"}
    assert {f"$.values.{name}" for name in dropped} == missing
    assert len(dropped) == len(caught.value.problems)


@given(
    TEMPLATES_AND_VALUES,
    st.dictionaries(st.text(string.ascii_letters + "_.[]{}!:", max_size=12), st.integers()),
)
def test_rendering_never_reads_a_key_outside_the_placeholders(drawn, extra):
    """Only the template's placeholders are looked up; the mapping is never iterated."""
    template, values = drawn
    recording = RecordingMapping({**extra, **values})
    template.render(recording)
    assert set(recording.asked) <= template.placeholders
    assert not recording.iterated


@given(TEMPLATES_AND_VALUES, st.data())
def test_failed_renders_read_only_placeholders_and_never_show_values(drawn, data):
    """With bad values, still only placeholders are read, and no value text is in the error."""
    template, values = drawn
    names = sorted(template.placeholders)
    if not names:
        return
    marker = "SECRET-" + data.draw(st.text(string.ascii_letters, min_size=4, max_size=8))
    spoiled = data.draw(st.sets(st.sampled_from(names), min_size=1))
    bad = {k: (marker + "\n" if k in spoiled else v) for k, v in values.items()}
    recording = RecordingMapping({**bad, "unrelated": marker})
    with pytest.raises(ValidationError) as caught:
        template.render(recording)
    assert set(recording.asked) <= template.placeholders
    assert marker not in str(caught.value)
    assert marker not in repr(caught.value.problems)
    assert {f"$.values.{k}" for k in spoiled} == {p.path for p in caught.value.problems}

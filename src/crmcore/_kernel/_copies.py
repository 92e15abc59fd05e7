"""Building an aggregate from some of its fields: what ``attrs.evolve`` does, minus repeated checks.

Every command returns a new aggregate. ``attrs.evolve`` would build it through
the class's ``__init__``, running every converter and validator again, though
the fields a command leaves alone hold values those same checks accepted
already (the aggregate is immutable, and so are its values). A
:class:`Builder` builds the new aggregate the way attrs' ``__init__`` does,
field by field, but converts and validates only the fields given:

- :meth:`Builder.copy` (a command's changes): unchanged fields are taken from
  the old aggregate as they are; derived values whose inputs are unchanged
  (``Aggregate.derived_inputs``) are carried over;
- :meth:`Builder.build` (a new aggregate): fields left out take their
  default, which was converted and validated once, when the builder was made.

Given fields go through their converters in field order, then their
validators in field order, exactly as attrs orders them, so the first error
is the one attrs would raise. The aggregate's invariants are left to the
caller (``Aggregate._check_state``), which runs them all.

Like attrs, a builder writes straight-line Python for each set of fields a
command passes (compiled once per class and set of fields, and registered
with :mod:`linecache` so that tracebacks show it), because a loop over the
fields costs more than the checks it saves.
"""

from __future__ import annotations

import linecache
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from crmcore._kernel._derived import (
    EMPTY,
    Derivable,
    carried_slots,
    derived,
    kept,
    start_keeping,
)

#: Most compiled functions a builder keeps (one per command shape; there are few).
MAX_SHAPES: Final = 64

_MISSING: Final = object()


class Builder:
    """Builds aggregates of one class from some of their fields (see the module documentation)."""

    def __init__(self, cls: type, derived_inputs: Mapping[str, tuple[str, ...]]) -> None:
        self.cls = cls
        self.fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
        self.aliases = frozenset(_alias(field) for field in self.fields)
        self.defaults = _plain_defaults(self.fields)
        carried = []
        for name, inputs in derived_inputs.items():
            if not isinstance(getattr(cls, name, None), derived):
                raise TypeError(f"{cls.__name__}.{name} is not a derived value")
            carried.append((name, frozenset(inputs)))
        self.carried: tuple[tuple[str, frozenset[str]], ...] = tuple(carried)
        # Keyed by the names in the order given (one command always passes them so) and
        # the names of the fields taken as they are (see copy_taking).
        self._compiled: dict[
            tuple[bool, tuple[str, ...], tuple[str, ...]], Callable[[Any, Any, Any], Any]
        ] = {}

    def copy(self, old: Any, changes: Mapping[str, Any]) -> Any | None:
        """``old`` with ``changes`` (by init name) converted and validated; ``None`` if unknown."""
        return self.copy_taking(old, changes, (), ())

    def copy_taking(
        self,
        old: Any,
        changes: Mapping[str, Any],
        taken: tuple[str, ...],
        values: tuple[Any, ...],
    ) -> Any | None:
        """Like :meth:`copy`, with the fields named ``taken`` (by name) set to ``values`` as they are.

        The caller vouches that ``values`` pass their fields' converters and
        validators unchanged; ``taken`` must not name a field of ``changes``.
        """
        function = self._compiled.get((True, tuple(changes), taken))
        if function is None:
            function = self._function(True, changes.keys(), taken)
            if function is None:
                return None
        return function(old, changes, values)

    def build(self, given: Mapping[str, Any]) -> Any | None:
        """A new aggregate of ``given`` fields and plain defaults; ``None`` if that cannot be."""
        function = self._compiled.get((False, tuple(given), ()))
        if function is None:
            function = self._function(False, given.keys(), ())
            if function is None:
                return None
        return function(None, given, ())

    def _function(
        self, copy: bool, keys: typing.AbstractSet[str], taken: tuple[str, ...]
    ) -> Callable[[Any, Any, Any], Any] | None:
        shape = (copy, tuple(keys), taken)
        function = self._compiled.get(shape)
        if function is None:
            names = frozenset(keys)
            if not names <= self.aliases:
                return None
            if not copy and not self.aliases - names <= self.defaults.keys():
                return None
            if any(
                field.name in taken and _alias(field) in names for field in self.fields
            ) or not set(taken) <= {field.name for field in self.fields}:
                raise ValueError("taken fields must be fields of the class and not changed")
            function = self._compile(copy, names, taken)
            if len(self._compiled) < MAX_SHAPES:
                self._compiled[shape] = function
        return function

    def _compile(
        self, copy: bool, keys: frozenset[str], taken: tuple[str, ...] = ()
    ) -> Callable[[Any, Any, Any], Any]:
        names: dict[str, Any] = {
            "_new": object.__new__,
            "_set": object.__setattr__,
            "_cls": self.cls,
            "_keep": start_keeping,
            "_empty": EMPTY,
            "_kept": kept,
            "_disabled": attrs.validators.get_disabled,
        }
        lines = ["def build(old, given, taken):", "    new = _new(_cls)"]
        checks: list[str] = []
        for index, field in enumerate(self.fields):
            alias = _alias(field)
            if alias in keys:
                value = f"given[{alias!r}]"
                if field.converter is not None:
                    names[f"_c{index}"] = field.converter
                    value = f"_c{index}({value})"
                lines.append(f"    v{index} = {value}")
                if field.validator is not None:
                    names[f"_v{index}"] = field.validator
                    names[f"_a{index}"] = field
                    checks.append(f"        _v{index}(new, _a{index}, v{index})")
                value = f"v{index}"
            elif field.name in taken:
                value = f"taken[{taken.index(field.name)}]"
            elif copy:
                value = f"old.{field.name}"
            else:
                names[f"_d{index}"] = self.defaults[alias]
                value = f"_d{index}"
            lines.append(f"    _set(new, {field.name!r}, {value})")
        carry = [name for name, inputs in self.carried if copy and inputs.isdisjoint(keys)]
        # The store of derived values, slot by slot (what ``start_keeping`` does, minus
        # its loop): carried values straight from the old object's slots, others empty.
        plan = carried_slots(self.cls, carry)
        if any(source is not None for _, source in plan):
            names["_carry"] = frozenset(carry)
            lines.append("    try:")
            lines.extend(
                f"        _set(new, {slot!r}, {'_empty' if source is None else f'old.{source}'})"
                for slot, source in plan
            )
            # An old object whose store was never started (unpickled): carry what it has.
            lines.append("    except AttributeError:")
            lines.append("        _keep(new, {n: v for n, v in _kept(old).items() if n in _carry})")
        else:
            lines.extend(f"    _set(new, {slot!r}, _empty)" for slot, _ in plan)
        if checks:
            lines.append("    if not _disabled():")
            lines.extend(checks)
        lines.append("    return new")
        source = "\n".join(lines) + "\n"
        mode = "copy" if copy else "build"
        named = f"{self.cls.__module__}.{self.cls.__qualname__}"
        filename = f"<crmcore {mode} {named} of {', '.join(sorted(keys))}>"
        if taken:
            filename = f"{filename[:-1]}, taking {', '.join(taken)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), names)  # noqa: S102 - code written above from field names.
        function: Callable[[Any, Any, Any], Any] = names["build"]
        return function


def builder_of(cls: type, derived_inputs: Mapping[str, tuple[str, ...]]) -> Builder | None:
    """The builder of ``cls``, made on first use and kept on the class.

    ``None`` for a class attrs' own path must build: one with a field that
    ``__init__`` does not set, or a converter that takes the instance.
    """
    found = cls.__dict__.get("_crmcore_builder_", _MISSING)
    if found is _MISSING:
        fields = attrs.fields(cls)
        simple = issubclass(cls, Derivable) and all(
            field.init and not isinstance(field.converter, attrs.Converter) for field in fields
        )
        found = Builder(cls, derived_inputs) if simple else None
        type.__setattr__(cls, "_crmcore_builder_", found)
    return typing.cast("Builder | None", found)


def _alias(field: attrs.Attribute[Any]) -> str:
    return field.alias or field.name


def _plain_defaults(fields: tuple[attrs.Attribute[Any], ...]) -> dict[str, Any]:
    """The converted default of every field whose default is a value its checks accept.

    A default that is a factory, or that its converter or validator cannot
    take without an instance, is left out: such fields must then be given.
    """
    found: dict[str, Any] = {}
    for field in fields:
        default = field.default
        if default is attrs.NOTHING or isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            continue
        try:
            value = field.converter(default) if field.converter is not None else default  # type: ignore[operator]
            if field.validator is not None:
                field.validator(None, field, value)
        except Exception:  # noqa: BLE001, S112 - then the field must be given.
            continue
        found[_alias(field)] = value
    return found

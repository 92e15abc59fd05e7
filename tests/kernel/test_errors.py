"""Tests for `crmcore.errors`."""

import importlib
import pickle
import pkgutil

import pytest

import crmcore
from crmcore import errors
from crmcore.errors import (
    ConcurrencyConflict,
    CrmcoreError,
    CurrencyMismatch,
    DuplicateId,
    DuplicateKey,
    InvalidType,
    NotFound,
    Problem,
    SchemaVersionError,
    ValidationError,
    join_path,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ValidationError, ValueError),
        (InvalidType, TypeError),
        (InvalidType, ValueError),
        (CurrencyMismatch, ValueError),
        (SchemaVersionError, ValueError),
        (NotFound, KeyError),
    ],
)
def test_errors_are_also_the_builtin_a_caller_expects(cls, builtin):
    """Each library error subclasses the builtin a plain-Python caller would catch."""
    assert issubclass(cls, builtin)
    assert issubclass(cls, CrmcoreError)


def test_every_public_error_derives_from_the_root():
    """Every exception class exported by crmcore.errors is a CrmcoreError."""
    exported = [getattr(errors, name) for name in errors.__all__]
    classes = [obj for obj in exported if isinstance(obj, type) and issubclass(obj, BaseException)]
    assert classes
    assert all(issubclass(cls, CrmcoreError) for cls in classes)


def test_every_error_class_is_drawn_in_the_module_docstring():
    """The tree in errors.py's docstring names every exported error class."""
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException) and obj is not CrmcoreError:
            assert name in doc, name


def test_validation_error_carries_path_rule_and_code():
    """The attributes are what was passed; the message is path then rule."""
    err = ValidationError("must not be empty", path="$.name", code="too_short")
    assert ("$.name", "must not be empty", "too_short") == (err.path, err.rule, err.code)
    assert "$.name: must not be empty" == str(err)
    assert (Problem("$.name", "must not be empty", "too_short"),) == err.problems


def test_under_nests_every_problem_and_keeps_the_class():
    """under() prefixes the error's own path and each problem's path."""
    err = InvalidType.collect(
        [Problem("$.a", "must be a str", "type"), Problem("$[2]", "must be an int", "type")]
    )
    nested = err.under("$.items[0]")
    assert isinstance(nested, InvalidType)
    assert ["$.items[0].a", "$.items[0][2]"] == [p.path for p in nested.problems]
    assert "$.items[0].a: must be a str (and 1 more problem)" == str(nested)
    assert "$.a" == err.path  # the original is untouched


def test_collect_needs_a_problem():
    """collect() with nothing to report is refused with a crmcore error (was a bare ValueError)."""
    with pytest.raises(ValidationError, match="at least one") as info:
        ValidationError.collect([])
    assert ("$.problems", "empty") == (info.value.path, info.value.code)


@pytest.mark.parametrize("problems", [None, "oops", [None], [Problem("$", "x", "y"), 3]])
def test_collect_refuses_what_is_not_a_sequence_of_problems(problems):
    """collect() checks its argument instead of failing on an attribute lookup."""
    with pytest.raises(InvalidType):
        ValidationError.collect(problems)


@pytest.mark.parametrize(
    ("prefix", "path", "expected"),
    [
        ("$.a", "$.b", "$.a.b"),
        ("$.a", "$[0]", "$.a[0]"),
        ("$.a", "$", "$.a"),
        ("$", "$.b", "$.b"),
        ("$.a", "b", "$.a.b"),
    ],
)
def test_join_path(prefix, path, expected):
    """Paths nest the way JSONPath reads."""
    assert expected == join_path(prefix, path)


def test_concurrency_conflict_carries_both_versions():
    """A conflict says which version was expected and which is stored."""
    err = ConcurrencyConflict("customer", "c-1", expected_version=3, actual_version=5)
    assert (3, 5) == (err.expected_version, err.actual_version)
    assert "version 3" in str(err)
    assert "version 5" in str(err)
    gone = ConcurrencyConflict("customer", "c-1", expected_version=3, actual_version=None)
    assert "removed" in str(gone)


def test_not_found_message_is_not_quoted_like_a_key_error():
    """NotFound is a KeyError but reads as a sentence."""
    assert "no customer with id c-9" == str(NotFound("customer", "c-9"))
    assert "already exists" in str(DuplicateId("customer", "c-9"))


def test_root_names_are_reexported_from_the_package():
    """The common errors are importable from crmcore itself."""
    assert crmcore.CrmcoreError is CrmcoreError
    assert crmcore.ValidationError is ValidationError
    assert crmcore.InvalidType is InvalidType
    assert crmcore.CurrencyMismatch is CurrencyMismatch


@pytest.mark.parametrize(
    "error",
    [
        NotFound("customer", "c-1"),
        NotFound("customer", key="email address"),
        DuplicateId("customer", "c-1"),
        DuplicateKey("customer", "email", aggregate_id="c-2", owner_id="c-1"),
        ConcurrencyConflict("customer", "c-1", expected_version=1, actual_version=2),
        ValidationError("must be a str", path="$.a", code="type"),
    ],
)
def test_errors_survive_pickling(error):
    """Errors raised in a worker process cross back intact."""
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes.
    assert type(error) is type(copy)
    assert str(error) == str(copy)
    assert vars(error) == vars(copy)


def test_not_found_by_key_never_shows_the_value():
    """A natural-key miss names the key, not its value."""
    error = NotFound("customer", key="email address")
    assert "no customer has this email address" == str(error)
    assert error.aggregate_id is None


def test_every_error_class_in_the_library_is_in_the_tree():
    """Each CrmcoreError subclass anywhere in crmcore is named in the errors docstring."""
    for info in pkgutil.walk_packages(crmcore.__path__, prefix="crmcore."):
        if info.name.startswith("crmcore.testing"):
            continue
        importlib.import_module(info.name)
    pending = [CrmcoreError]
    seen = set()
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("crmcore") and sub not in seen:
                seen.add(sub)
                pending.append(sub)
    doc = errors.__doc__ or ""
    missing = sorted(cls.__name__ for cls in seen if cls.__name__ not in doc)
    assert [] == missing

"""Fixtures for the differential checks: the reference libraries, each optional.

Each reference library (``phonenumbers``, ``email-validator``, ``pycountry``,
``babel``, ``holidays``) comes with the test extra. Without it a check skips
locally, but under CI (``CI=true``), where the extra is installed, a missing
library is a failure: a skip there would hide a check that never ran.
"""

from types import ModuleType

import pytest
from tests._optional import optional


def reference(module: str, distribution: str) -> ModuleType:
    """Import ``module``: a skip without it locally, a failure without it in CI."""
    return optional(module, distribution)


@pytest.fixture(scope="module")
def phonenumbers() -> ModuleType:
    """The ``phonenumbers`` package (libphonenumber's metadata and rules)."""
    return reference("phonenumbers", "phonenumbers")


@pytest.fixture(scope="module")
def email_validator() -> ModuleType:
    """The ``email_validator`` package."""
    return reference("email_validator", "email-validator")


@pytest.fixture(scope="module")
def pycountry() -> ModuleType:
    """The ``pycountry`` package (ISO 4217 codes and names from Debian's iso-codes)."""
    return reference("pycountry", "pycountry")


@pytest.fixture(scope="module")
def babel_numbers() -> ModuleType:
    """``babel.numbers`` (CLDR's currency digits and territory currencies)."""
    return reference("babel.numbers", "babel")


@pytest.fixture(scope="module")
def holidays() -> ModuleType:
    """The ``holidays`` package."""
    return reference("holidays", "holidays")

"""The PostgreSQL server of the tests and doctests: its DSN from ``CRMCORE_POSTGRES_DSN``.

Without the variable the tests skip, except under ``CI=true``, where they fail:
CI starts a server (``.ci/postgres.sh start``) and must never pass by skipping.
Doctests (the README, the module's docstring) find the DSN as ``dsn``.
"""

import os

import pytest


def _dsn():
    dsn = os.environ.get("CRMCORE_POSTGRES_DSN")
    if dsn:
        return dsn
    if os.environ.get("CI") == "true":
        pytest.fail("CRMCORE_POSTGRES_DSN is not set: CI must start PostgreSQL (.ci/postgres.sh)")
    pytest.skip("CRMCORE_POSTGRES_DSN is not set (start a server with .ci/postgres.sh start)")
    return None  # pragma: no cover


@pytest.fixture(scope="session")
def dsn():
    return _dsn()


@pytest.fixture(autouse=True)
def _dsn_for_doctests(request):
    if isinstance(request.node, pytest.DoctestItem):
        request.getfixturevalue("doctest_namespace")["dsn"] = _dsn()

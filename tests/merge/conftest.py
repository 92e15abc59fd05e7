"""The fixture of the merge tests: a store holding two duplicates and their records."""

import pytest

from crmcore.repository import InMemoryUnitOfWork

from ._world import world


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    """A store with KEPT, GONE (a duplicate) and OTHER, and one record of each kind for GONE."""
    return world()

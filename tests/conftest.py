"""Shared test configuration: the Hypothesis settings profiles.

Choose one with the ``HYPOTHESIS_PROFILE`` environment variable:

- ``default`` (the default): 100 examples per property, a fresh random seed
  each run and the example database in ``.hypothesis/``.
- ``ci``: the same number of examples with a fixed seed (``derandomize``), so
  a run is reproducible from the commit alone; no example database; a failure
  prints the blob that reproduces it.

Both turn the per-example deadline off: a slow first call (imports, caches)
on a busy machine must not fail a property.
"""

import os

from hypothesis import settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

"""pytest over docs/: the pages' ``>>>`` examples are doctested; the site build's hooks are not.

``docs/_hooks/*.py`` are MkDocs hooks and a Griffe extension that import the ``docs`` extra
(and matplotlib); ``--doctest-modules`` must not import them in a test-only environment.
"""

collect_ignore_glob = ["_hooks/*.py"]

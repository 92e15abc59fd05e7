"""Bridges to distributed engines, each in its own module that the core never imports.

:mod:`crmcore.interop.dask` runs summaries, the global fit, CLV scores, RFM
and segment membership over a Dask DataFrame (``pip install 'crmcore[dask]'``).
"""

__all__: list[str] = []

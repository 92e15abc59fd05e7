"""The names of crmcore's capability packages, shared by the strategies and the plugin.

A module of plain strings that imports nothing of crmcore, so that the
Hypothesis plugin can read it without slowing ``import hypothesis`` down.
"""

from __future__ import annotations

from typing import Final

#: crmcore's capability packages: the plugin registers their public types, and the
#: event strategies import them so that every event class is known.
CAPABILITY_PACKAGES: Final = (
    "crmcore.customers",
    "crmcore.interactions",
    "crmcore.commerce",
    "crmcore.service",
    "crmcore.feedback",
    "crmcore.loyalty",
    "crmcore.sales",
    "crmcore.parties",
    "crmcore.teams",
    "crmcore.activities",
    "crmcore.notes",
    "crmcore.messaging",
    "crmcore.catalog",
    "crmcore.quotes",
    "crmcore.exchange",
    "crmcore.scoring",
    "crmcore.marketing",
    "crmcore.recommendations",
    "crmcore.automation",
    "crmcore.lifecycle",
    "crmcore.segmentation",
    "crmcore.privacy",
)

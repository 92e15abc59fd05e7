"""Registers crmcore's strategies with Hypothesis, without slowing ``import hypothesis`` down.

``pyproject.toml`` declares :func:`_hypothesis_setup_hook` under the
``hypothesis`` entry-point group, so Hypothesis calls it when it is imported.
Importing crmcore's domain modules and strategies then would cost far more
than Hypothesis itself, so the hook imports neither: it registers the types of
the crmcore modules already imported, and installs a small import hook that
registers the types of the others when the program imports them. Each type is
registered with a function that imports :mod:`crmcore.testing.strategies`
only when Hypothesis first asks for that type, so ``st.from_type(Customer)``
works whether ``crmcore`` or ``hypothesis`` was imported first.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

from hypothesis import strategies as st

from crmcore.testing._capabilities import CAPABILITY_PACKAGES

#: The modules whose public types get strategies: the kernel's values and every capability.
_WATCHED: Final = frozenset(
    {"crmcore._kernel._ids", "crmcore._kernel._money", *CAPABILITY_PACKAGES}
)
#: Types with a strategy of their own, by class name (events and ids are found by their base).
_NAMED: Final = frozenset(
    {
        "AccessPolicy",
        "Activity",
        "ActivityCompletion",
        "Assignment",
        "AssignmentRule",
        "Attachment",
        "AuditEntry",
        "AutomationLedger",
        "AutomationRule",
        "AutomationRules",
        "AutomationSettings",
        "BusinessCalendar",
        "Campaign",
        "CampaignMember",
        "Case",
        "CesResponse",
        "ConsentRecord",
        "ContactPoint",
        "CsatResponse",
        "Currency",
        "Customer",
        "DataSubjectRequest",
        "ExchangeRate",
        "ExtensionRule",
        "FieldChange",
        "FieldWeight",
        "Interaction",
        "Jurisdiction",
        "Lead",
        "LegalHold",
        "LifecycleDefinition",
        "LifecycleState",
        "LoyaltyAccount",
        "LoyaltyProgram",
        "MatchRule",
        "MatchRuleSet",
        "MessageTemplate",
        "Money",
        "Note",
        "NpsResponse",
        "Objection",
        "Opportunity",
        "OpportunityLine",
        "Order",
        "OrderLine",
        "OrganizationName",
        "PartyFacts",
        "PartyRecord",
        "Period",
        "PersonName",
        "PipelineDefinition",
        "Plan",
        "Pool",
        "PostalAddress",
        "PriceBook",
        "PriceEntry",
        "Principal",
        "PrivacyState",
        "ProcessingDecision",
        "Product",
        "Profile",
        "QuietHours",
        "Quote",
        "QuoteLine",
        "RateTable",
        "RecordRef",
        "Recurrence",
        "Reminder",
        "ReminderDue",
        "RenderedMessage",
        "Restriction",
        "RetentionPolicy",
        "RetentionRule",
        "Review",
        "RoundRobinCursor",
        "RoundRobinState",
        "ScoringModel",
        "ScoringRule",
        "SeededIdSource",
        "SequentialIdSource",
        "SizeBand",
        "SlaPolicy",
        "StaffMember",
        "Subscription",
        "SurveyResponse",
        "SurvivorshipRules",
        "TaxRule",
        "TaxTable",
        "Team",
        "TemplateCatalog",
        "Territory",
        "TerritoryMatch",
        "TerritoryResolution",
        "TerritoryRoute",
        "TerritorySet",
    }
)


def _resolve(cls: type[Any]) -> Any:
    registry = importlib.import_module("crmcore.testing.strategies._registry")
    return registry.for_type(cls)


def _known(obj: object) -> bool:
    if not isinstance(obj, type) or not obj.__module__.startswith("crmcore."):
        return False
    if obj.__name__ in _NAMED:
        return True
    return any(
        base.__module__ in ("crmcore._kernel._events", "crmcore._kernel._ids")
        and base.__name__ in ("DomainEvent", "Identifier")
        for base in obj.__mro__[1:]
    )


def _register(module: ModuleType) -> None:
    # Public packages list their names in __all__; the kernel's private modules do not.
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if _known(obj):
            st.register_type_strategy(obj, _resolve)  # type: ignore[arg-type]


class _RegisteringLoader(importlib.abc.Loader):
    """Runs a watched module's own loader, then registers the module's types."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _register(module)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_filename, is_package, ...: tracebacks and doctest use them.
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Wraps the loader of each watched crmcore module as it is first imported."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _WATCHED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _RegisteringLoader(spec.loader)
                return spec
        return None


def _hypothesis_setup_hook() -> None:
    """Register crmcore's types now or as their modules are imported (Hypothesis calls this)."""
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
    for name in _WATCHED:
        module = sys.modules.get(name)
        if module is not None:
            _register(module)

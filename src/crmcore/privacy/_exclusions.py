"""Public names of one part of crmcore.privacy: processing exclusions (restriction, objection)."""

from crmcore.privacy._screening import MAX_SCREENED, Exclusion, Screening, screen

__all__: list[str] = ["MAX_SCREENED", "Exclusion", "Screening", "screen"]

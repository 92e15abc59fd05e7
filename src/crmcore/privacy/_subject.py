"""Public names of one part of crmcore.privacy: export and erasure of a data subject."""

from crmcore.privacy._erasure import ErasedRecord, ErasureReport, erase_subject
from crmcore.privacy._export import (
    EXPORT_EXCLUSIONS,
    SUBJECT_REPOSITORIES,
    ExportManifest,
    ExportSection,
    SubjectExport,
    export_subject,
)

__all__: list[str] = [
    "EXPORT_EXCLUSIONS",
    "SUBJECT_REPOSITORIES",
    "ErasedRecord",
    "ErasureReport",
    "ExportManifest",
    "ExportSection",
    "SubjectExport",
    "erase_subject",
    "export_subject",
]

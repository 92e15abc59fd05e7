"""Data-subject rights: requests and their deadlines, export, erasure, retention, restriction.

Under Indonesia's personal data protection law (UU No. 27/2022) and the
GDPR a person may ask what is held about them, have it corrected or
erased, restrict its processing and object to profiling, each within a
deadline. This package models those requests and carries them out over a
unit of work.
"""

from crmcore.privacy._exclusions import *  # noqa: F403
from crmcore.privacy._exclusions import __all__ as _exclusions_all
from crmcore.privacy._rights import *  # noqa: F403 - each part lists its public names
from crmcore.privacy._rights import __all__ as _rights_all
from crmcore.privacy._subject import *  # noqa: F403
from crmcore.privacy._subject import __all__ as _subject_all

__all__ = sorted([*_rights_all, *_subject_all, *_exclusions_all])  # noqa: PLE0605

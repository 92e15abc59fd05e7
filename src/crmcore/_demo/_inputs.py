"""The checks every demo generator runs on its arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from crmcore._kernel._checks import require_aware, type_name
from crmcore.errors import InvalidType


def check_inputs(seed: object, at: object, **sequences: object) -> datetime:
    """Check a generator's arguments in order; return ``at``, the reference time.

    ``seed`` must be an int (``$.seed``), each of ``sequences`` a sequence
    (``$.<name>``, in the order given) and ``at`` an aware datetime (``$.at``).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidType(f"must be an int, not {type_name(seed)}", path="$.seed")
    for name, value in sequences.items():
        if not isinstance(value, Sequence):
            raise InvalidType(f"must be a sequence, not {type_name(value)}", path=f"$.{name}")
    return require_aware(at, "$.at")

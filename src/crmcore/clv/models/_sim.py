"""Argument checks shared by the models' ``simulate`` methods."""

from __future__ import annotations

from crmcore._kernel._checks import type_name
from crmcore.clv.models._data import (
    MAX_COUNT,
    MAX_HORIZON,
    MAX_SIMULATED_CUSTOMERS,
    Checker,
    column,
    is_scalar,
    number,
)
from crmcore.errors import InvalidType, ValidationError


def simulation_size(n_customers: object) -> int:
    """A positive whole number of customers, at most :data:`MAX_SIMULATED_CUSTOMERS`."""
    if isinstance(n_customers, bool) or not isinstance(n_customers, int):
        raise InvalidType(f"must be an int, not {type_name(n_customers)}", path="$.n_customers")
    if n_customers < 1:
        raise ValidationError("must be at least 1", path="$.n_customers", code="too_small")
    if n_customers > MAX_SIMULATED_CUSTOMERS:
        raise ValidationError(
            f"must be at most {MAX_SIMULATED_CUSTOMERS:,}", path="$.n_customers", code="too_large"
        )
    return n_customers


def simulation_seed(seed: object) -> int:
    """An explicit integer seed."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidType(f"must be an int, not {type_name(seed)}", path="$.seed")
    return seed


def simulation_horizons(
    value: object, size: int, name: str = "T", *, whole: bool = False
) -> list[float]:
    """One positive observation length per customer, from a number or a sequence.

    Each is at most :data:`MAX_HORIZON` (a continuous span) or :data:`MAX_COUNT`
    (a whole number of periods).
    """
    limit = MAX_COUNT if whole else MAX_HORIZON
    if is_scalar(value):
        values = [number(value, f"$.{name}")] * size
    else:
        values = column(value, name)
        if len(values) != size:
            raise ValidationError(
                f"must have one item per customer ({size}), not {len(values)}",
                path=f"$.{name}",
                code="length_mismatch",
            )
    checker = Checker()
    vector = not is_scalar(value)
    for index, v in enumerate(values):
        where = f"$.{name}[{index}]" if vector else f"$.{name}"
        if v <= 0:
            checker.add(where, "must be positive", "not_positive")
        elif v > limit:
            checker.add(where, f"must be at most {limit:,g}", "too_large")
        elif whole and v != int(v):
            checker.add(where, "must be a whole number of periods", "not_whole")
        if checker.problems:
            break
    checker.raise_if_any()
    return values

"""Batch predictions: a summary table (or columns) in, columns of predictions out."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, NotRequired, Protocol, TypedDict

from crmcore._kernel._checks import type_name
from crmcore.clv.models._backend import Backend, check_backend, load, numpy_for
from crmcore.clv.models._bgbb import BetaGeoBetaBinom
from crmcore.clv.models._bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.clv.models._clv import FORECASTERS, _periods, lifetime_values
from crmcore.clv.models._data import MAX_ROWS, Percent, column_items, fraction
from crmcore.clv.models._data import horizon as check_horizon
from crmcore.clv.models._gammagamma import GammaGamma, NonPositive, check_policy
from crmcore.clv.models._paretonbd import ParetoNBD
from crmcore.errors import InvalidType, ValidationError


class HasColumns(Protocol):
    """Anything that gives its rows as named columns, such as a ``SummaryTable``."""

    def to_columns(self) -> Mapping[str, Any]:
        """The rows as equally long columns, keyed by name."""
        ...  # pragma: no cover


class Predictions(TypedDict):
    """What :func:`predict` returns: one list per prediction, one item per customer.

    ``customer_id`` is there when the input has one (a ``SummaryTable``
    always does); ``expected_purchases`` when ``t`` is given;
    ``expected_average_spend`` when a spend model is; ``customer_lifetime_value``
    when a ``horizon`` is.
    """

    customer_id: NotRequired[list[Hashable]]
    probability_alive: list[float]
    expected_purchases: NotRequired[list[float]]
    expected_average_spend: NotRequired[list[float]]
    customer_lifetime_value: NotRequired[list[float]]


def predict(
    purchase_model: BetaGeo | ModifiedBetaGeo | ParetoNBD | BetaGeoBetaBinom,
    histories: HasColumns | Mapping[str, Any],
    *,
    t: float | None = None,
    spend_model: GammaGamma | None = None,
    horizon: int | None = None,
    discount_rate: float | Percent | None = None,
    margin: float | Percent = 1.0,
    nonpositive: NonPositive = "exclude",
    backend: Backend = "auto",
) -> Predictions:
    """Every prediction for every customer of a summary table, checked and computed once.

    The histories are read, checked and collapsed to their distinct rows once;
    P(alive) is computed once per distinct history and shared by the
    expected purchases and the lifetime value, whose periods are summed per
    distinct history.

    Args:
        purchase_model: a fitted ``BetaGeo``, ``ModifiedBetaGeo``, ``ParetoNBD``
            or ``BetaGeoBetaBinom``.
        histories: a ``SummaryTable`` (its :meth:`to_columns`) or a mapping of
            columns: ``frequency``, ``recency`` and ``T`` (``periods`` for
            BG/BB, which reads ``T`` when there is no ``periods``), with
            ``monetary_value`` for a spend model and an optional ``customer_id``
            that is passed through. Sequences of numbers: lists, arrays, Series.
        t: also forecast the purchases in the next ``t`` periods.
        spend_model: a fitted ``GammaGamma``: also give the expected spend.
        horizon: also give the lifetime value over this many periods (needs a
            spend model and a ``discount_rate``), as
            :func:`customer_lifetime_value` computes it.
        discount_rate: per period, a fraction from 0 to 1, or a ``Percent``
            (``Percent(1)`` for 1%), as :func:`customer_lifetime_value` takes it.
        margin: share of revenue that is profit, a fraction from 0 to 1 or a
            ``Percent`` (``Percent(30)``); each of the two is read on its own.
        nonpositive: what a repeat buyer with a zero or negative mean spend
            gets, in the expected spend and the lifetime value: ``"exclude"``
            (default) values it at the population mean spend; ``"refuse"``
            raises, naming the row (see :class:`GammaGamma`).
        backend: ``"auto"`` (numpy for large inputs when it is installed),
            ``"python"`` or ``"numpy"``; the results agree to about 1e-12.

    Returns:
        :class:`Predictions`: lists in the rows' order.

    Raises:
        ValidationError: a model of the wrong kind, a missing column
            (``$.histories.frequency``, code ``required``), bad values (named
            under ``$.histories``, such as ``$.histories.recency[3]``), or bad
            options (``$.t``, ``$.horizon``, ``$.discount_rate``, ``$.margin``,
            ``$.nonpositive``, ``$.backend``).

    Example:
        >>> from crmcore.clv import BetaGeo, GammaGamma, predict
        >>> bg = BetaGeo(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> gg = GammaGamma(params={"p": 6.25, "q": 3.74, "v": 15.44})
        >>> columns = {
        ...     "customer_id": ["a", "b", "c"],
        ...     "frequency": [2, 0, 2],
        ...     "recency": [30.43, 0.0, 30.43],
        ...     "T": [38.86, 38.86, 38.86],
        ...     "monetary_value": [22.35, 0.0, 22.35],
        ... }
        >>> out = predict(bg, columns, t=39, spend_model=gg, horizon=52, discount_rate=0.0018)
        >>> out["customer_id"]
        ['a', 'b', 'c']
        >>> [round(p, 3) for p in out["probability_alive"]]
        [0.727, 1.0, 0.727]
        >>> [round(e, 3) for e in out["expected_purchases"]]
        [1.226, 0.195, 1.226]
        >>> [round(v, 2) for v in out["customer_lifetime_value"]]
        [36.79, 8.49, 36.79]
        >>> from crmcore.clv import Percent
        >>> out = predict(
        ...     bg,
        ...     columns,
        ...     spend_model=gg,
        ...     horizon=52,
        ...     discount_rate=Percent(0.18),
        ...     margin=Percent(30),
        ... )
        >>> [round(v, 2) for v in out["customer_lifetime_value"]]
        [11.04, 2.55, 11.04]
    """
    if not isinstance(purchase_model, FORECASTERS):
        raise InvalidType(
            "must be a BetaGeo, ModifiedBetaGeo, ParetoNBD or BetaGeoBetaBinom model, "
            f"not {type_name(purchase_model)}",
            path="$.purchase_model",
        )
    if spend_model is not None and not isinstance(spend_model, GammaGamma):
        raise InvalidType(
            f"must be a GammaGamma model or None, not {type_name(spend_model)}",
            path="$.spend_model",
        )
    span = (
        None if t is None else check_horizon(t, whole=isinstance(purchase_model, BetaGeoBetaBinom))
    )
    options = _lifetime_options(spend_model, horizon, discount_rate, margin)
    policy = check_policy(nonpositive)
    kind = check_backend(backend)
    if kind == "numpy":
        numpy_for(kind, 0)  # refuse here, at $.backend, if numpy is missing
    columns = _columns(histories)
    third = "periods" if isinstance(purchase_model, BetaGeoBetaBinom) else "T"
    name = third if third in columns else "T"
    wanted = ["frequency", "recency", name]
    if spend_model is not None:
        wanted.append("monetary_value")
    arguments = [(key, _required(columns, key)) for key in wanted]
    try:
        rows = load(kind, arguments)
        spend = None
        if spend_model is not None:
            spend = spend_model._spend_column(rows, (0, 3), policy)  # noqa: SLF001 - same package.
        purchase_model._check_histories(rows, name)  # noqa: SLF001 - same package.
    except ValidationError as error:
        raise error.under("$.histories") from None
    ids = _identifiers(columns["customer_id"], rows.size) if "customer_id" in columns else None
    alive = rows.listed(purchase_model._alive_column(rows))  # noqa: SLF001 - same package.
    out: Predictions = (
        {"probability_alive": alive}
        if ids is None
        else {"customer_id": ids, "probability_alive": alive}
    )
    if span is not None:
        expected = purchase_model._expected_column(rows, span)  # noqa: SLF001 - same package.
        out["expected_purchases"] = rows.listed(expected)
    if spend is not None:
        out["expected_average_spend"] = rows.listed(spend)
        if options is not None:
            periods, rate, share = options
            values = lifetime_values(purchase_model, spend, rows, periods, rate, share)
            out["customer_lifetime_value"] = rows.listed(values)
    return out


def _lifetime_options(
    spend_model: GammaGamma | None,
    horizon: object,
    discount_rate: object,
    margin: object,
) -> tuple[int, float, float] | None:
    """The checked ``(periods, rate, margin)`` of a lifetime value, or ``None`` without a horizon.

    Each of the discount rate and the margin is a fraction or a ``Percent``.
    """
    share = fraction(margin, "margin", what="the share of revenue that is profit")
    rate_of = "the discount rate per period"
    if horizon is None:
        if discount_rate is not None:
            fraction(discount_rate, "discount_rate", what=rate_of)
        return None
    periods = _periods(horizon)
    if spend_model is None:
        raise ValidationError(
            "must be given with a horizon: the lifetime value needs the expected spend",
            path="$.spend_model",
            code="required",
        )
    if discount_rate is None:
        raise ValidationError(
            "must be given with a horizon (0 for none)", path="$.discount_rate", code="required"
        )
    rate = fraction(discount_rate, "discount_rate", what=rate_of)
    return periods, rate, share


def _columns(histories: object) -> Any:
    """The named columns: a table's ``to_columns()``, a mapping, or a frame of columns.

    Only ``key in columns`` and ``columns[key]`` are used, which a dict, a
    ``SummaryTable``'s columns and a pandas DataFrame all support.
    """
    to_columns = getattr(histories, "to_columns", None)
    if callable(to_columns):
        columns = to_columns()
        if isinstance(columns, Mapping):
            return columns
    elif isinstance(histories, Mapping) or (
        callable(getattr(histories, "keys", None)) and hasattr(histories, "__getitem__")
    ):
        return histories
    raise InvalidType(
        f"must be a SummaryTable or a mapping of columns, not {type_name(histories)}",
        path="$.histories",
    )


def _required(columns: Any, key: str) -> object:
    """One column by name, or a ``required`` error naming it."""
    if key not in columns:
        raise ValidationError("is required", path=f"$.histories.{key}", code="required")
    return columns[key]


def _identifiers(values: object, size: int) -> list[Hashable]:
    """The ``customer_id`` column, passed through as a list of the rows' length."""
    path = "$.histories.customer_id"
    if isinstance(values, (str, bytes, Mapping)) or not hasattr(values, "__iter__"):
        raise InvalidType(f"must be a sequence of ids, not {type_name(values)}", path=path)
    ids = list(column_items(values, path))
    if len(ids) != size or len(ids) > MAX_ROWS:
        raise ValidationError(
            f"must have as many items as frequency ({size})", path=path, code="length_mismatch"
        )
    return ids

"""Rule-based lead scoring: fit and engagement points, decay, caps, grades and temperature.

A :class:`ScoringRule` gives points when its condition holds. Conditions are
rules of :mod:`crmcore.segmentation` (the same serializable language as
segments), read against one of two kinds of facts:

- a **fit** rule reads the lead's facts (a flat mapping, such as
  :func:`lead_facts` gives, merged with the caller's own facts) and gives its
  points once when the condition holds;
- an **engagement** rule reads each :class:`EngagementEvent` (its snapshot
  has the keys ``type``, ``at``, ``channel``, ``campaign`` and ``value``) and
  gives its points for every event that matches, dated at or before the
  scoring time. With ``half_life_days`` the points of an event halve every
  half-life: ``points * 2 ** (-age / half_life)`` (exponential decay as in
  HubSpot's and Marketo's score decay; computed in Decimal, rounded to
  4 places per event). ``cap`` bounds the size of the rule's total
  (``min(total, cap)`` for positive points, ``max(total, -cap)`` for
  negative ones).

A :class:`ScoringModel` adds caps per kind (the fit and the engagement totals
never exceed them), grade thresholds on the fit score (A, B, C, else D) and
temperature thresholds on the engagement score (hot, warm, else cold).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from typing import Any, Final

import attrs

from crmcore._kernel._checks import MAX_INT, require_aware, to_decimal, type_name
from crmcore._kernel._fields import Checked
from crmcore.errors import InvalidType, Problem, ValidationError
from crmcore.scoring._predictive import top_count
from crmcore.segmentation import FieldSpec, Rule, rule_from_dict

#: Deepest condition a scoring rule may hold (a lone condition has depth 1).
MAX_CONDITION_DEPTH: Final = 10
#: Most rules one model may hold.
MAX_SCORING_RULES: Final = 1_000
#: Most engagement events one lead may be scored with.
MAX_ENGAGEMENT_EVENTS: Final = 100_000
#: Longest half-life, in days (a century).
MAX_HALF_LIFE_DAYS: Final = 36_600
#: Largest size of points, caps and thresholds.
MAX_POINTS: Final = Decimal(1_000_000)
#: Precision of the points of one event after decay.
_PLACES: Final = Decimal("0.0001")
_SECONDS_PER_DAY: Final = 86_400
#: Conditions stored in a model may read any field: the facts are the caller's.
_ANY_FIELD: Final = {"*": FieldSpec.of("any")}


class RuleKind(StrEnum):
    """What a scoring rule measures: who the lead is (fit) or what it did (engagement)."""

    FIT = "fit"
    ENGAGEMENT = "engagement"


class Grade(StrEnum):
    """The fit grade: A (best) to D."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Temperature(StrEnum):
    """The engagement temperature: hot, warm or cold."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.name")
    if not value.strip() or len(value) > 200:
        raise ValidationError(
            "must be 1 to 200 characters, not blank", path="$.name", code="length"
        )
    return value


def _kind(value: object) -> RuleKind:
    if isinstance(value, str):
        try:
            return RuleKind(value)
        except ValueError:
            pass
        raise ValidationError("must be fit or engagement", path="$.kind", code="choice")
    raise InvalidType(f"must be fit or engagement, not {type_name(value)}", path="$.kind")


def _condition(value: object) -> Rule:
    """A rule, or a rule's document (what :mod:`crmcore.serialization` reads back)."""
    if isinstance(value, dict):
        try:
            value = rule_from_dict(value, schema=_ANY_FIELD)
        except ValidationError as exc:
            raise exc.under("$.condition") from None
    if not isinstance(value, Rule):
        raise InvalidType(
            f"must be a crmcore.segmentation rule, not {type_name(value)}", path="$.condition"
        )
    if value.depth > MAX_CONDITION_DEPTH:
        raise ValidationError(
            f"must not be nested more than {MAX_CONDITION_DEPTH} levels deep",
            path="$.condition",
            code="too_deep",
        )
    return value


def _bounded(value: object, path: str, *, positive: bool = False) -> Decimal:
    number = to_decimal(value, path)
    if abs(number) > MAX_POINTS:
        raise ValidationError(f"must be at most {MAX_POINTS} in size", path=path, code="too_large")
    if positive and number <= 0:
        raise ValidationError("must be greater than zero", path=path, code="positive")
    return number


def _points(value: object) -> Decimal:
    return _bounded(value, "$.points")


def _half_life(value: object) -> Decimal | None:
    return None if value is None else _bounded(value, "$.half_life_days", positive=True)


def _rule_cap(value: object) -> Decimal | None:
    return None if value is None else _bounded(value, "$.cap", positive=True)


def _fit_cap(value: object) -> Decimal | None:
    return None if value is None else _bounded(value, "$.fit_cap", positive=True)


def _engagement_cap(value: object) -> Decimal | None:
    return None if value is None else _bounded(value, "$.engagement_cap", positive=True)


def _grade_a(value: object) -> Decimal:
    return _bounded(value, "$.grade_a")


def _grade_b(value: object) -> Decimal:
    return _bounded(value, "$.grade_b")


def _grade_c(value: object) -> Decimal:
    return _bounded(value, "$.grade_c")


def _hot(value: object) -> Decimal:
    return _bounded(value, "$.hot")


def _warm(value: object) -> Decimal:
    return _bounded(value, "$.warm")


@attrs.frozen(slots=True)
class ScoringRule:
    """Points given when a condition holds.

    >>> from crmcore.segmentation import field
    >>> rule = ScoringRule("retail", field("industry") == "retail", 15, kind="fit")
    >>> rule.condition, rule.points, rule.kind.value
    (field('industry') == 'retail', Decimal('15'), 'fit')

    Attributes:
        name: unique in its model; contributions are reported under it.
        condition: a :mod:`crmcore.segmentation` rule over the lead's facts
            (fit) or over one engagement event (engagement). A stored rule's
            document is accepted too. Typed ``Any`` for the serializer: it
            holds a :class:`~crmcore.segmentation.Rule`.
        points: what a match gives (negative points take away), an int or Decimal.
        kind: :class:`RuleKind`.
        half_life_days: engagement only: the points of an event halve every this many days.
        cap: engagement only: the largest size of the rule's total.

    Raises:
        ValidationError: a field is malformed (its path, such as
            ``$.condition.all[0].op``); the condition is nested deeper than
            :data:`MAX_CONDITION_DEPTH` (``too_deep``); a fit rule has a
            half-life or a cap (``fit_only_once``).
    """

    name: str = attrs.field(converter=_name)
    condition: Any = attrs.field(converter=_condition)
    points: Decimal = attrs.field(converter=_points)
    kind: RuleKind = attrs.field(default=RuleKind.FIT, converter=_kind)
    half_life_days: Decimal | None = attrs.field(default=None, converter=_half_life)
    cap: Decimal | None = attrs.field(default=None, converter=_rule_cap)

    def __attrs_post_init__(self) -> None:
        if self.half_life_days is not None and self.half_life_days > MAX_HALF_LIFE_DAYS:
            raise ValidationError(
                f"must be at most {MAX_HALF_LIFE_DAYS} days",
                path="$.half_life_days",
                code="too_large",
            )
        if self.kind is RuleKind.FIT:
            for key in ("half_life_days", "cap"):
                if getattr(self, key) is not None:
                    raise ValidationError(
                        "is for engagement rules: a fit rule gives its points once",
                        path=f"$.{key}",
                        code="fit_only_once",
                    )


def _rules(value: object) -> tuple[ScoringRule, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of scoring rules, not {type_name(value)}", path="$.rules"
        )
    rules: list[ScoringRule] = []
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, rule in enumerate(value):
        path = f"$.rules[{index}]"
        if index >= MAX_SCORING_RULES:
            raise ValidationError(
                f"must hold at most {MAX_SCORING_RULES} rules", path="$.rules", code="too_many"
            )
        if not isinstance(rule, ScoringRule):
            problems.append(Problem(path, f"must be a ScoringRule, not {type_name(rule)}", "type"))
            continue
        if rule.name in seen:
            problems.append(
                Problem(f"{path}.name", "duplicates an earlier rule's name", "duplicate")
            )
        seen.add(rule.name)
        rules.append(rule)
    if problems:
        raise ValidationError.collect(problems)
    return tuple(rules)


@attrs.frozen(slots=True)
class ScoringModel:
    """Scoring rules, caps per kind, and the thresholds of grades and temperatures.

    A fit score of at least ``grade_a`` is grade A, at least ``grade_b`` B, at
    least ``grade_c`` C, anything lower D. An engagement score of at least
    ``hot`` is hot, at least ``warm`` warm, anything lower cold.

    Raises:
        ValidationError: a rule is not a :class:`ScoringRule` or repeats a
            name (``$.rules[2].name``, ``duplicate``); thresholds are not in
            strictly falling order (``order``); a cap is not positive.
    """

    rules: tuple[ScoringRule, ...] = attrs.field(converter=_rules)
    fit_cap: Decimal | None = attrs.field(default=None, converter=_fit_cap)
    engagement_cap: Decimal | None = attrs.field(default=None, converter=_engagement_cap)
    grade_a: Decimal = attrs.field(default=Decimal(60), converter=_grade_a)
    grade_b: Decimal = attrs.field(default=Decimal(40), converter=_grade_b)
    grade_c: Decimal = attrs.field(default=Decimal(20), converter=_grade_c)
    hot: Decimal = attrs.field(default=Decimal(50), converter=_hot)
    warm: Decimal = attrs.field(default=Decimal(20), converter=_warm)

    def __attrs_post_init__(self) -> None:
        if not self.grade_a > self.grade_b > self.grade_c:
            raise ValidationError(
                "grade thresholds must fall strictly: grade_a > grade_b > grade_c",
                path="$.grade_b",
                code="order",
            )
        if not self.hot > self.warm:
            raise ValidationError(
                "temperature thresholds must fall strictly: hot > warm",
                path="$.warm",
                code="order",
            )

    def grade(self, fit: Decimal) -> Grade:
        """The grade of a fit score (a Decimal, an int or a numeric str).

        >>> ScoringModel([]).grade(Decimal(45)).value
        'B'

        Raises:
            ValidationError: ``fit`` is not a finite number (path ``$.fit``).
        """
        fit = to_decimal(fit, "$.fit")
        if fit >= self.grade_a:
            return Grade.A
        if fit >= self.grade_b:
            return Grade.B
        return Grade.C if fit >= self.grade_c else Grade.D

    def temperature(self, engagement: Decimal) -> Temperature:
        """The temperature of an engagement score (a Decimal, an int or a numeric str).

        >>> ScoringModel([]).temperature(Decimal(50)).value
        'hot'

        Raises:
            ValidationError: ``engagement`` is not a finite number (path ``$.engagement``).
        """
        engagement = to_decimal(engagement, "$.engagement")
        if engagement >= self.hot:
            return Temperature.HOT
        return Temperature.WARM if engagement >= self.warm else Temperature.COLD


def _event_type(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidType(f"must be a str, not {type_name(value)}", path="$.type")
    if not value or len(value) > 100:
        raise ValidationError("must be 1 to 100 characters", path="$.type", code="length")
    return value


def _optional_text(value: object, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidType(f"must be a str or None, not {type_name(value)}", path=path)
    if len(value) > 200:
        raise ValidationError("must be at most 200 characters", path=path, code="length")
    return value


def _channel(value: object) -> str | None:
    return _optional_text(value, "$.channel")


def _campaign(value: object) -> str | None:
    return _optional_text(value, "$.campaign")


def _event_at(value: object) -> datetime:
    return require_aware(value, "$.at")


def _event_value(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, "$.value")


@attrs.frozen(slots=True)
class EngagementEvent:
    """Something a lead did, when: what engagement rules read.

    Attributes:
        type: what happened, in the caller's words (``"email_open"``, ``"webinar_attended"``).
        at: when (timezone-aware).
        channel: the channel, if any (``"email"``).
        campaign: the campaign code, if any.
        value: a number the event carries (pages viewed, minutes watched), if any.
    """

    type: str = attrs.field(converter=_event_type)
    at: datetime = attrs.field(converter=_event_at)
    channel: str | None = attrs.field(default=None, converter=_channel)
    campaign: str | None = attrs.field(default=None, converter=_campaign)
    value: Decimal | None = attrs.field(default=None, converter=_event_value)

    def facts(self) -> dict[str, object]:
        """The event's snapshot, what an engagement rule's condition reads."""
        return {
            "type": self.type,
            "at": self.at,
            "channel": self.channel,
            "campaign": self.campaign,
            "value": self.value,
        }


@attrs.frozen(slots=True)
class RuleContribution(Checked):
    """What one rule gave a lead's score.

    Attributes:
        rule: the rule's name.
        kind: fit or engagement.
        points: the points given (after decay and the rule's cap).
        matches: 1 for a fit rule that held; the number of events for an engagement rule.
        capped: True if the rule's cap cut its total.
    """

    rule: str
    kind: RuleKind
    points: Decimal
    matches: int
    capped: bool = False


@attrs.frozen(slots=True)
class LeadScore(Checked):
    """A lead's rule-based score, explained.

    Attributes:
        fit: the fit score (the fit rules' points, at most the model's fit cap).
        engagement: the engagement score (likewise, with the engagement cap).
        total: ``fit + engagement``.
        grade: the fit grade, A to D.
        temperature: hot, warm or cold, from the engagement score.
        contributions: the rules that matched, largest ``|points|`` first
            (ties in the model's rule order).
        at: when the lead was scored.
    """

    fit: Decimal
    engagement: Decimal
    total: Decimal
    grade: Grade
    temperature: Temperature
    contributions: tuple[RuleContribution, ...]
    at: datetime

    def top(self, n: int = 3) -> tuple[RuleContribution, ...]:
        """The ``n`` largest contributions.

        Raises:
            ValidationError: ``n`` is not an int of at least 0 (path ``$.n``).
        """
        return self.contributions[: top_count(n)]


def _facts(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidType(f"must be a mapping of facts, not {type_name(value)}", path=path)
    return value


def _events(value: object) -> tuple[EngagementEvent, ...]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise InvalidType(
            f"must be a sequence of EngagementEvent, not {type_name(value)}", path="$.events"
        )
    events: list[EngagementEvent] = []
    for index, event in enumerate(value):
        if index >= MAX_ENGAGEMENT_EVENTS:
            raise ValidationError(
                f"must hold at most {MAX_ENGAGEMENT_EVENTS} events",
                path="$.events",
                code="too_many",
            )
        if not isinstance(event, EngagementEvent):
            raise InvalidType(
                f"must be an EngagementEvent, not {type_name(event)}", path=f"$.events[{index}]"
            )
        events.append(event)
    return tuple(events)


def decay_factor(age_seconds: int, half_life_days: Decimal) -> Decimal:
    """``2 ** (-age / half_life)``, in Decimal (28 digits), for an age in whole seconds.

    An age of zero or less (an event not yet in the past) gives 1.

    >>> decay_factor(86_400 * 7, Decimal(7))
    Decimal('0.5')

    Raises:
        ValidationError: ``age_seconds`` is not an int of at most ``2**63 - 1``
            in size (``$.age_seconds``), or ``half_life_days`` not a number
            above zero and at most :data:`MAX_HALF_LIFE_DAYS` (``$.half_life_days``).
    """
    if isinstance(age_seconds, bool) or not isinstance(age_seconds, int):
        raise InvalidType(f"must be an int, not {type_name(age_seconds)}", path="$.age_seconds")
    if abs(age_seconds) > MAX_INT:
        raise ValidationError(
            "must be at most 2**63 - 1 in size", path="$.age_seconds", code="out_of_range"
        )
    half_life = _bounded(half_life_days, "$.half_life_days", positive=True)
    if half_life > MAX_HALF_LIFE_DAYS:
        raise ValidationError(
            f"must be at most {MAX_HALF_LIFE_DAYS} days", path="$.half_life_days", code="too_large"
        )
    return _decay(age_seconds, half_life)


def _decay(age_seconds: int, half_life_days: Decimal) -> Decimal:
    """:func:`decay_factor` on checked input."""
    if age_seconds <= 0:
        return Decimal(1)
    with localcontext() as ctx:
        ctx.prec = 28
        exponent = Decimal(age_seconds) / (half_life_days * _SECONDS_PER_DAY)
        return (Decimal(2) ** -exponent).normalize()


def _age_seconds(at: datetime, when: datetime) -> int:
    delta = at - when
    return delta.days * _SECONDS_PER_DAY + delta.seconds


def _capped(total: Decimal, cap: Decimal | None) -> tuple[Decimal, bool]:
    if cap is None:
        return total, False
    if total > cap:
        return cap, True
    if total < -cap:
        return -cap, True
    return total, False


def score_lead(
    model: ScoringModel,
    facts: Mapping[str, object],
    *,
    at: datetime,
    events: Iterable[EngagementEvent] = (),
) -> LeadScore:
    """Score one lead with ``model``: fit from ``facts``, engagement from ``events``.

    Events after ``at`` are left out. The fit score is the sum of the fit
    rules that hold, capped at ``model.fit_cap``; the engagement score the sum
    of each engagement rule's (decayed, capped) points, capped at
    ``model.engagement_cap``. Caps bound from above only: negative points
    are never cut by a kind's cap.

    >>> from datetime import datetime, timedelta, timezone
    >>> from crmcore.segmentation import field
    >>> at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    >>> model = ScoringModel(
    ...     [
    ...         ScoringRule("referral", field("source") == "referral", 30),
    ...         ScoringRule("student", field("title").contains("student"), -20),
    ...         ScoringRule(
    ...             "opened",
    ...             field("type") == "email_open",
    ...             10,
    ...             kind="engagement",
    ...             half_life_days=7,
    ...             cap=25,
    ...         ),
    ...     ]
    ... )
    >>> events = [EngagementEvent("email_open", at - timedelta(days=7)) for _ in range(3)]
    >>> score = score_lead(model, {"source": "referral", "title": "CTO"}, at=at, events=events)
    >>> score.fit, score.engagement, score.grade.value, score.temperature.value
    (Decimal('30'), Decimal('15.0000'), 'C', 'cold')
    >>> [(c.rule, c.points) for c in score.contributions]
    [('referral', Decimal('30')), ('opened', Decimal('15.0000'))]

    Raises:
        ValidationError: ``model`` is not a :class:`ScoringModel`, ``facts``
            not a mapping, ``at`` naive, an event not an :class:`EngagementEvent`,
            or a fact holds a value of another kind than a rule compares
            (the error names the fact).
    """
    if not isinstance(model, ScoringModel):
        raise InvalidType(f"must be a ScoringModel, not {type_name(model)}", path="$.model")
    checked = _facts(facts, "$.facts")
    when = require_aware(at, "$.at")
    happened = [e for e in _events(events) if e.at <= when]
    snapshots = [e.facts() for e in happened]
    totals = {RuleKind.FIT: Decimal(0), RuleKind.ENGAGEMENT: Decimal(0)}
    found: list[tuple[int, RuleContribution]] = []
    for order, rule in enumerate(model.rules):
        test = (
            rule.condition.predicate(at=when)
            if rule.condition.needs_at
            else rule.condition.predicate()
        )
        if rule.kind is RuleKind.FIT:
            if not _test(test, checked, "$.facts"):
                continue
            points, matches, capped = rule.points, 1, False
        else:
            points, matches = Decimal(0), 0
            for index, (event, snapshot) in enumerate(zip(happened, snapshots, strict=True)):
                if not _test(test, snapshot, f"$.events[{index}]"):
                    continue
                matches += 1
                gained = rule.points
                if rule.half_life_days is not None:
                    factor = _decay(_age_seconds(when, event.at), rule.half_life_days)
                    gained = (gained * factor).quantize(_PLACES, rounding=ROUND_HALF_EVEN)
                points += gained
            if not matches:
                continue
            points, capped = _capped(points, rule.cap)
        totals[rule.kind] += points
        found.append((order, RuleContribution(rule.name, rule.kind, points, matches, capped)))
    found.sort(key=lambda item: (-abs(item[1].points), item[0]))
    fit = _upper(totals[RuleKind.FIT], model.fit_cap)
    engagement = _upper(totals[RuleKind.ENGAGEMENT], model.engagement_cap)
    return LeadScore(
        fit=fit,
        engagement=engagement,
        total=fit + engagement,
        grade=model.grade(fit),
        temperature=model.temperature(engagement),
        contributions=tuple(c for _, c in found),
        at=when,
    )


def _upper(total: Decimal, cap: Decimal | None) -> Decimal:
    return total if cap is None or total <= cap else cap


def _test(test: Any, obj: Mapping[str, object], path: str) -> bool:
    try:
        return bool(test(obj))
    except ValidationError as exc:
        raise exc.under(path) from None

"""Tests for `crmcore.analytics._conversion`: stage conversion and campaign response."""

from datetime import UTC, datetime

import pytest

from crmcore import CustomerId, InvalidType, ValidationError
from crmcore.analytics import (
    CampaignResponse,
    StageConversion,
    campaign_response,
    response_rate,
    stage_conversion,
    stage_funnel,
)
from crmcore.customers import CustomerStageChanged


def day(d):
    return datetime(2026, 1, d, 12, tzinfo=UTC)


MOVES = [
    ("a", None, "suspect", day(1)),
    ("a", "suspect", "prospect", day(2)),
    ("a", "prospect", "first_time_customer", day(5)),
    ("b", None, "suspect", day(1)),
    ("b", "suspect", "prospect", day(3)),
    ("c", None, "suspect", day(4)),
    ("d", None, "prospect", day(6)),
    ("d", "prospect", "suspect", day(7)),
    ("d", "suspect", "prospect", day(8)),
    ("d", "prospect", "first_time_customer", day(20)),
]


def test_direct_stage_conversion():
    """For each direct move A → B: customers who entered A, and who then moved on to B."""
    assert (
        StageConversion("prospect", "first_time_customer", 3, 2, 2 / 3),
        StageConversion("prospect", "suspect", 3, 1, 1 / 3),
        StageConversion("suspect", "prospect", 4, 3, 3 / 4),
    ) == stage_conversion(MOVES)


def test_stage_conversion_window():
    """With a window, only entries inside it count, and conversions up to its end."""
    rows = {
        (r.from_stage, r.to_stage): r for r in stage_conversion(MOVES, start=day(3), end=day(10))
    }
    # Entered prospect in the window: b (3rd), d (6th); converted to a customer by the 10th: none.
    assert (
        StageConversion("prospect", "first_time_customer", 2, 0, 0.0)
        == rows["prospect", "first_time_customer"]
    )
    # Entered suspect in the window: c (4th), d (7th); d moved on to prospect on the 8th.
    assert StageConversion("suspect", "prospect", 2, 1, 0.5) == rows["suspect", "prospect"]
    assert () == stage_conversion([])


def test_funnel():
    """Of those who reached each stage, who later reached the next (by any path)."""
    assert (
        StageConversion("suspect", "prospect", 4, 3, 0.75),
        StageConversion("prospect", "first_time_customer", 3, 2, 2 / 3),
        StageConversion("first_time_customer", "client", 2, 0, 0.0),
    ) == stage_funnel(MOVES, ["suspect", "prospect", "first_time_customer", "client"])
    assert (StageConversion("client", "member", 0, 0, None),) == stage_funnel(
        MOVES, ["client", "member"]
    )


def test_lifecycle_events_plug_in():
    """CustomerStageChanged events (occurred_at instead of at) are transitions too."""
    events = [
        CustomerStageChanged(
            sequence=1, occurred_at=day(1), customer_id=CustomerId("c-1"), definition="relationship_ladder",
            from_stage=None, to_stage="suspect", trigger="start",
        ),
        CustomerStageChanged(
            sequence=2, occurred_at=day(2), customer_id=CustomerId("c-1"), definition="relationship_ladder",
            from_stage="suspect", to_stage="prospect", trigger="qualify",
        ),
    ]  # fmt: skip
    assert (StageConversion("suspect", "prospect", 1, 1, 1.0),) == stage_conversion(events)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda: stage_conversion([("a", None, "x")]), "$.transitions[0]"),
        (lambda: stage_conversion([("a", None, "", day(1))]), "$.transitions[0].to_stage"),
        (lambda: stage_conversion([("a", 3, "x", day(1))]), "$.transitions[0].from_stage"),
        (
            lambda: stage_conversion([("a", None, "x", day(1).replace(tzinfo=None))]),
            "$.transitions[0].at",
        ),
        (lambda: stage_conversion(MOVES, start=day(9), end=day(2)), "$.start"),
        (lambda: stage_funnel(MOVES, ["suspect"]), "$.stages"),
        (lambda: stage_funnel(MOVES, "suspect,prospect"), "$.stages"),
        (lambda: stage_funnel(MOVES, ["suspect", None]), "$.stages[1]"),
    ],
)
def test_bad_transitions(call, path):
    """Bad transitions and arguments are refused, naming where."""
    with pytest.raises(ValidationError) as info:
        call()
    assert path == info.value.path


def test_response_rate():
    """Responded over contacted; nobody contacted, no rate."""
    assert 0.065 == response_rate(contacted=400, responded=26)
    assert response_rate(contacted=0, responded=0) is None
    with pytest.raises(ValidationError):
        response_rate(contacted=1, responded=2)
    with pytest.raises(InvalidType):
        response_rate(contacted=1.0, responded=0)


def test_campaign_response():
    """Per campaign: distinct customers contacted and responding; strays counted apart."""
    contacts = [("a", "spring"), ("b", "spring"), ("a", "spring"), ("c", "summer")]
    responses = [("a", "spring"), ("a", "spring"), ("z", "spring"), ("q", "autumn")]
    assert (
        CampaignResponse("autumn", 0, 0, None, 1),
        CampaignResponse("spring", 2, 1, 0.5, 1),
        CampaignResponse("summer", 1, 0, 0.0, 0),
    ) == campaign_response(contacts, responses)
    assert () == campaign_response([], [])


def test_campaign_records_may_be_objects():
    """Contacts and responses may be objects with customer_id and campaign_id."""

    class Touch:
        def __init__(self, customer_id, campaign_id):
            self.customer_id, self.campaign_id = customer_id, campaign_id

    assert (CampaignResponse("x", 1, 1, 1.0, 0),) == campaign_response(
        [Touch("a", "x")], [Touch("a", "x")]
    )
    with pytest.raises(InvalidType) as info:
        campaign_response([object()], [])
    assert "$.contacts[0]" == info.value.path

"""Tests for `crmcore.sales._opportunities`: stage moves, wins, losses and the history."""

import json
from datetime import date, datetime, timedelta, timezone

import attrs
import pytest

from crmcore import DomainEvent, InvalidType, Money, StaffId, TransitionNotAllowed, ValidationError
from crmcore.analytics import stage_conversion
from crmcore.customers import CustomerId
from crmcore.interactions import timeline
from crmcore.sales import (
    STANDARD_PIPELINE,
    LeadId,
    Opportunity,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityId,
    OpportunityLost,
    OpportunityNextStepChanged,
    OpportunityOpened,
    OpportunityOwnerChanged,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    PipelineDefinition,
    PipelineId,
    Stage,
    StageEntry,
    StageKind,
)
from crmcore.serialization import from_dict, to_dict

WIB = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
DAY = timedelta(days=1)
CID = CustomerId("c-1")
P = STANDARD_PIPELINE


def rp(amount):
    return Money(amount, "IDR")


def deal(**changes):
    fields = {
        "customer_id": CID,
        "name": "Coffee machines for three offices",
        "amount": rp(45_000_000),
        "expected_close": date(2026, 4, 30),
        "owner": StaffId("rep-1"),
        "pipeline": P,
        "at": T0,
    }
    fields.update(changes)
    return Opportunity.open(OpportunityId("opp-1"), **fields)


def roundtrip(obj, cls=None):
    return from_dict(cls or type(obj), json.loads(json.dumps(to_dict(obj))))


def test_opening_starts_in_the_first_open_stage():
    """A new opportunity is open in prospecting and records OpportunityOpened."""
    opened = deal(lead_id=LeadId("lead-1"))
    assert ("prospecting", StageKind.OPEN, True) == (opened.stage, opened.kind, opened.is_open)
    assert (StageEntry("prospecting", StageKind.OPEN, T0),) == opened.history
    assert (
        OpportunityOpened(
            sequence=1,
            occurred_at=T0,
            opportunity_id=OpportunityId("opp-1"),
            customer_id=CID,
            pipeline_id=PipelineId("standard"),
            stage="prospecting",
            amount=rp(45_000_000),
            expected_close=date(2026, 4, 30),
            owner=StaffId("rep-1"),
            lead_id=LeadId("lead-1"),
        ),
    ) == opened.pending_events
    assert opened.closed_at is None


def test_opening_in_a_chosen_stage_must_be_an_open_one():
    """A deal can start further down the pipeline, but not already closed."""
    assert "proposal" == deal(stage="proposal").stage
    with pytest.raises(ValidationError) as info:
        deal(stage="closed_won")
    assert ("$.stage", "not_open") == (info.value.path, info.value.code)
    with pytest.raises(ValidationError) as unknown:
        deal(stage="signature")
    assert ("$.stage", "unknown_stage") == (unknown.value.path, unknown.value.code)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"amount": rp(-1)}, "$.amount"),
        ({"amount": 100}, "$.amount"),
        ({"expected_close": T0}, "$.expected_close"),
        ({"owner": "rep-1"}, "$.owner"),
        ({"name": " "}, "$.name"),
        ({"at": datetime(2026, 1, 1)}, "$.at"),  # noqa: DTZ001 - the point of the test
        ({"pipeline": "standard"}, "$.pipeline"),
    ],
)
def test_opening_validates_every_field(fields, path):
    """Bad input names its field."""
    with pytest.raises(ValidationError) as info:
        deal(**fields)
    assert path == info.value.path


def test_moving_between_open_stages_records_each_move():
    """Forwards and backwards between open stages; the same stage is a no-op."""
    moved = deal().move_to("proposal", P, at=T0 + DAY).move_to("qualification", P, at=T0 + 2 * DAY)
    assert ["prospecting", "proposal", "qualification"] == [e.stage for e in moved.history]
    assert (
        OpportunityStageChanged(
            sequence=3,
            occurred_at=T0 + 2 * DAY,
            opportunity_id=moved.id,
            customer_id=CID,
            from_stage="proposal",
            to_stage="qualification",
        )
        == moved.pending_events[-1]
    )
    assert moved is moved.move_to("qualification", P, at=T0 + 3 * DAY)


def test_moving_to_an_unknown_stage_is_refused_and_changes_nothing():
    """An unknown stage is a ValidationError naming $.stage."""
    opened = deal()
    with pytest.raises(ValidationError) as info:
        opened.move_to("contract_sent", P, at=T0 + DAY)
    assert ("$.stage", "unknown_stage") == (info.value.path, info.value.code)
    assert 1 == len(opened.history)


def test_losing_requires_a_reason_and_reopening_clears_it():
    """Lost needs a reason; reopen goes back to the stage it was lost from, without the reason."""
    proposal = deal().move_to("proposal", P, at=T0 + DAY)
    with pytest.raises(ValidationError) as missing:
        proposal.lose(P, at=T0 + 2 * DAY)
    assert ("$.reason", "reason_required") == (missing.value.path, missing.value.code)
    with pytest.raises(ValidationError) as by_move:
        proposal.move_to("closed_lost", P, at=T0 + 2 * DAY)
    assert ("$.reason", "reason_required") == (by_move.value.path, by_move.value.code)
    lost = proposal.lose(P, at=T0 + 2 * DAY, reason="chose a competitor")
    assert (True, "chose a competitor", T0 + 2 * DAY) == (
        lost.is_lost,
        lost.lost_reason,
        lost.closed_at,
    )
    assert isinstance(lost.pending_events[-1], OpportunityLost)
    assert "chose a competitor" == lost.history[-1].reason
    reopened = lost.reopen(P, at=T0 + 3 * DAY)
    assert ("proposal", None, True) == (reopened.stage, reopened.lost_reason, reopened.is_open)
    assert (
        OpportunityReopened(
            sequence=4,
            occurred_at=T0 + 3 * DAY,
            opportunity_id=reopened.id,
            customer_id=CID,
            from_stage="closed_lost",
            to_stage="proposal",
        )
        == reopened.pending_events[-1]
    )


def test_a_lost_deal_moves_only_back_to_an_open_stage():
    """Lost to won, or to another lost stage, is refused; reopen needs a lost deal."""
    pipeline = PipelineDefinition(
        id=PipelineId("two-losses"),
        name="P",
        stages=[
            Stage("open", kind="open", probability="0.5", order=1),
            Stage("won", kind="won", probability=1, order=2),
            Stage("lost_price", kind="lost", probability=0, order=3),
            Stage("lost_silence", kind="lost", probability=0, order=4),
        ],
    )
    lost = deal(pipeline=pipeline).lose(pipeline, at=T0, reason="price", stage="lost_price")
    with pytest.raises(TransitionNotAllowed) as to_won:
        lost.win(pipeline, at=T0 + DAY)
    assert ("$.stage", "transition") == (to_won.value.path, to_won.value.code)
    assert ("opportunity", "lost_price", "won", ("open",)) == (
        to_won.value.machine,
        to_won.value.current,
        to_won.value.wanted,
        to_won.value.allowed,
    )
    assert "it may move to: open" in to_won.value.rule
    with pytest.raises(TransitionNotAllowed) as to_lost:
        lost.move_to("lost_silence", pipeline, at=T0 + DAY, reason="silence")
    assert ("transition", "lost_silence") == (to_lost.value.code, to_lost.value.wanted)
    with pytest.raises(TransitionNotAllowed) as again:
        lost.lose(pipeline, at=T0 + DAY, reason="still no")
    assert "transition" == again.value.code
    with pytest.raises(TransitionNotAllowed) as not_lost:
        deal(pipeline=pipeline).reopen(pipeline, at=T0)
    assert ("transition", "open", ()) == (
        not_lost.value.code,
        not_lost.value.current,
        not_lost.value.allowed,
    )
    with pytest.raises(TransitionNotAllowed) as into_lost:
        lost.reopen(pipeline, at=T0, stage="lost_silence")
    assert ("transition", "lost_silence", ("open",)) == (
        into_lost.value.code,
        into_lost.value.wanted,
        into_lost.value.allowed,
    )
    assert (2, "lost_price") == (len(lost.pending_events), lost.stage)


def test_winning_freezes_the_amount_and_the_currency():
    """After a win, the amount (or its currency) cannot change and the deal moves no more."""
    won = deal().move_to("negotiation", P, at=T0 + DAY).win(P, at=T0 + 5 * DAY)
    assert ("closed_won", True, T0 + 5 * DAY) == (won.stage, won.is_won, won.closed_at)
    assert (
        OpportunityWon(
            sequence=3,
            occurred_at=T0 + 5 * DAY,
            opportunity_id=won.id,
            customer_id=CID,
            from_stage="negotiation",
            to_stage="closed_won",
            amount=rp(45_000_000),
        )
        == won.pending_events[-1]
    )
    for amount in (rp(50_000_000), Money(3_000, "USD")):
        with pytest.raises(ValidationError) as info:
            won.change_amount(amount, at=T0 + 6 * DAY)
        assert ("$.amount", "won_frozen") == (info.value.path, info.value.code)
    for move in (
        lambda: won.move_to("proposal", P, at=T0 + 6 * DAY),
        lambda: won.lose(P, at=T0 + 6 * DAY, reason="cancelled"),
        lambda: won.lose(P, at=T0 + 6 * DAY),
        lambda: won.reopen(P, at=T0 + 6 * DAY),
        lambda: won.win(P, at=T0 + 6 * DAY),
    ):
        with pytest.raises(TransitionNotAllowed) as final:
            move()
        assert ("$.stage", "transition", "closed_won", ()) == (
            final.value.path,
            final.value.code,
            final.value.current,
            final.value.allowed,
        )
    assert won is won.move_to("closed_won", P, at=T0 + 6 * DAY)


def test_win_and_lose_take_only_stages_of_their_kind():
    """win() needs a won stage, lose() a lost stage."""
    with pytest.raises(ValidationError) as win:
        deal().win(P, at=T0, stage="proposal")
    assert "not_won" == win.value.code
    with pytest.raises(ValidationError) as lose:
        deal().lose(P, at=T0, stage="closed_won", reason="x")
    assert "not_lost" == lose.value.code


def test_open_deals_change_amount_currency_and_close_date():
    """While open, amount (even its currency) and expected close date move and are recorded."""
    changed = deal().change_amount(Money(3_000, "USD"), at=T0 + DAY)
    changed = changed.change_expected_close(date(2026, 6, 30), at=T0 + DAY)
    assert (Money(3_000, "USD"), date(2026, 6, 30)) == (changed.amount, changed.expected_close)
    amount, close = changed.pending_events[-2:]
    assert (
        OpportunityAmountChanged(
            sequence=2,
            occurred_at=T0 + DAY,
            opportunity_id=changed.id,
            customer_id=CID,
            amount=Money(3_000, "USD"),
            previous=rp(45_000_000),
        )
        == amount
    )
    assert (
        OpportunityCloseDateChanged(
            sequence=3,
            occurred_at=T0 + DAY,
            opportunity_id=changed.id,
            customer_id=CID,
            expected_close=date(2026, 6, 30),
            previous=date(2026, 4, 30),
        )
        == close
    )
    assert changed is changed.change_amount(Money(3_000, "USD"), at=T0 + DAY)
    lost = changed.lose(P, at=T0 + DAY, reason="budget")
    with pytest.raises(ValidationError) as info:
        lost.change_expected_close(date(2026, 7, 1), at=T0 + DAY)
    assert "closed" == info.value.code


def test_owner_and_next_step():
    """Assigning and setting the next step are recorded; the text stays out of events."""
    changed = deal().assign(StaffId("rep-2"), at=T0 + DAY)
    changed = changed.set_next_step(
        "Call Pak Budi about the quote", at=T0 + DAY, due=date(2026, 3, 5)
    )
    assert (StaffId("rep-2"), date(2026, 3, 5)) == (changed.owner, changed.next_step_due)
    owner, step = changed.pending_events[-2:]
    assert (
        OpportunityOwnerChanged(
            sequence=2,
            occurred_at=T0 + DAY,
            opportunity_id=changed.id,
            customer_id=CID,
            owner=StaffId("rep-2"),
            previous=StaffId("rep-1"),
        )
        == owner
    )
    assert (
        OpportunityNextStepChanged(
            sequence=3,
            occurred_at=T0 + DAY,
            opportunity_id=changed.id,
            customer_id=CID,
            due=date(2026, 3, 5),
        )
        == step
    )
    assert "Budi" not in repr(changed)
    assert "Budi" not in repr(step)
    with pytest.raises(ValidationError) as due:
        changed.set_next_step(None, at=T0 + DAY, due=date(2026, 3, 5))
    assert "due_without_step" == due.value.code
    with pytest.raises(InvalidType):
        changed.assign("rep-3", at=T0 + DAY)
    assert changed is changed.assign(StaffId("rep-2"), at=T0 + DAY)


@pytest.mark.parametrize(
    "command",
    [
        lambda d, at: d.move_to("negotiation", P, at=at),
        lambda d, at: d.move_to("proposal", P, at=at),
        lambda d, at: d.win(P, at=at),
        lambda d, at: d.lose(P, at=at, reason="price"),
        lambda d, at: d.reopen(P, at=at),
        lambda d, at: d.change_amount(rp(1), at=at),
        lambda d, at: d.change_expected_close(date(2026, 5, 1), at=at),
        lambda d, at: d.assign(StaffId("rep-2"), at=at),
        lambda d, at: d.set_next_step("Call", at=at),
    ],
)
def test_commands_dated_before_the_last_change_are_refused_and_change_nothing(command):
    """Times never go backwards: every command checks its time first (time_backwards)."""
    moved = deal().move_to("proposal", P, at=T0 + DAY)
    before = (moved, moved.pending_events, moved.updated_at)
    with pytest.raises(ValidationError) as backwards:
        command(moved, T0 + DAY / 2)
    assert ("$.at", "time_backwards") == (backwards.value.path, backwards.value.code)
    assert before == (moved, moved.pending_events, moved.updated_at)


def test_commands_refuse_another_pipeline():
    """Stage moves need the opportunity's own pipeline."""
    moved = deal().move_to("proposal", P, at=T0 + DAY)
    other = PipelineDefinition(id=PipelineId("other"), name="Other", stages=P.stages)
    with pytest.raises(ValidationError) as pipeline:
        moved.move_to("negotiation", other, at=T0 + DAY)
    assert ("$.pipeline", "other_pipeline") == (pipeline.value.path, pipeline.value.code)


def test_time_in_stages_sums_the_history_up_to_a_time():
    """Each stage counts from its entry to the next move; the current one up to `at`."""
    moved = (
        deal()
        .move_to("proposal", P, at=T0 + 3 * DAY)
        .move_to("qualification", P, at=T0 + 4 * DAY)
        .move_to("proposal", P, at=T0 + 6 * DAY)
    )
    spent = moved.time_in_stages(T0 + 10 * DAY)
    assert {"prospecting": 3 * DAY, "proposal": 5 * DAY, "qualification": 2 * DAY} == spent
    assert ["prospecting", "proposal", "qualification"] == list(spent)
    assert {"prospecting": 3 * DAY, "proposal": DAY / 2} == moved.time_in_stages(T0 + 3.5 * DAY)
    with_pipeline = moved.time_in_stages(T0 + 10 * DAY, pipeline=P)
    assert [s.code for s in P.stages] == list(with_pipeline)
    assert timedelta(0) == with_pipeline["closed_won"]
    assert {} == moved.time_in_stages(T0 - DAY)
    assert sum(spent.values(), timedelta(0)) == 10 * DAY


def test_stage_at_reads_the_history():
    """The stage held at a time comes from the history."""
    moved = deal().move_to("proposal", P, at=T0 + DAY)
    assert moved.stage_at(T0 - DAY) is None
    assert "prospecting" == moved.stage_at(T0)
    assert "proposal" == moved.stage_at(T0 + 2 * DAY)


def test_stage_events_feed_the_conversion_analytics():
    """OpportunityStageChanged events carry what stage_conversion reads."""
    moved = deal().move_to("proposal", P, at=T0 + DAY).win(P, at=T0 + 2 * DAY)
    moves = [e for e in moved.pending_events if isinstance(e, OpportunityStageChanged)]
    rows = {(r.from_stage, r.to_stage): (r.converted, r.entered) for r in stage_conversion(moves)}
    assert (1, 1) == rows[("proposal", "closed_won")]


def test_opportunities_appear_on_the_customer_timeline():
    """The opening and every stage move are timeline facts without the deal's name."""
    moved = deal().move_to("proposal", P, at=T0 + DAY).win(P, at=T0 + 2 * DAY)
    facts = timeline(CID, [moved])
    assert ["opp-1", "opp-1/stage/1", "opp-1/stage/2"] == [f.key for f in facts]
    assert all("Coffee" not in f.summary for f in facts)


def test_everything_round_trips_through_json():
    """Opportunities in every state and all their events survive to_dict and from_dict."""
    moved = (
        deal(lead_id=LeadId("lead-7"), next_step="Send quote", next_step_due=date(2026, 3, 4))
        .move_to("proposal", P, at=T0 + DAY, reason="demo went well")
        .lose(P, at=T0 + 2 * DAY, reason="price")
        .reopen(P, at=T0 + 3 * DAY)
        .change_amount(Money(3_000, "USD"), at=T0 + 3 * DAY)
        .change_expected_close(date(2026, 5, 1), at=T0 + 3 * DAY)
        .assign(StaffId("rep-9"), at=T0 + 3 * DAY)
        .set_next_step(None, at=T0 + 3 * DAY)
        .win(P, at=T0 + 4 * DAY)
    )
    back = roundtrip(moved)
    assert moved == back
    assert moved.pending_events == back.pending_events
    for event in moved.pending_events:
        assert event == roundtrip(event, DomainEvent)
    assert () == moved.without_pending_events().pending_events
    assert list(range(1, 10)) == [e.sequence for e in moved.pending_events]


def test_events_carry_the_envelope():
    """Events are numbered 1..n with derived ids; actor and correlation id come from the command."""
    opened = deal(actor="rep-1", correlation_id="import-3")
    moved = opened.move_to("proposal", P, at=T0 + DAY, actor="rep-2", causation_id="m-1")
    won = moved.win(P, at=T0 + 2 * DAY)
    events = won.pending_events
    assert [1, 2, 3] == [e.sequence for e in events]
    assert ["opportunity:opp-1#1", "opportunity:opp-1#2", "opportunity:opp-1#3"] == [
        e.event_id for e in events
    ]
    assert [("rep-1", "import-3", None), ("rep-2", None, "m-1"), (None, None, None)] == [
        (e.actor, e.correlation_id, e.causation_id) for e in events
    ]
    assert {CID} == {e.customer_id for e in events}
    assert (3, T0 + 2 * DAY) == (won.sequence, won.updated_at)
    stored = won.without_pending_events().assign(StaffId("rep-3"), at=T0 + 3 * DAY)
    assert ["opportunity:opp-1#4"] == [e.event_id for e in stored.pending_events]


def test_events_carry_no_free_text():
    """Reasons, the name and the next step stay in the opportunity, out of its events."""
    moved = (
        deal(next_step="Ring Pak Budi")
        .move_to("proposal", P, at=T0 + DAY, reason="Budi liked the demo")
        .lose(P, at=T0 + 2 * DAY, reason="Budi chose a competitor")
        .reopen(P, at=T0 + 3 * DAY, reason="Budi is back")
        .set_next_step("Visit Budi", at=T0 + 3 * DAY, due=date(2026, 3, 9))
    )
    assert "Budi chose a competitor" == moved.history[2].reason
    for event in moved.pending_events:
        assert not {"reason", "name", "next_step"} & {f.name for f in attrs.fields(type(event))}
        text = json.dumps(to_dict(event))
        assert "Budi" not in text
        assert "Coffee" not in text


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: d["history"][1].update(reason=None), "reason_required"),
        (
            lambda d: d["history"][2].update(
                stage="proposal", kind="open", at=d["history"][0]["at"]
            ),
            "time_backwards",
        ),
        (
            lambda d: d["history"].append(
                {"stage": "proposal", "kind": "open", "at": d["updated_at"], "reason": None}
            ),
            "transition",
        ),
        (lambda d: d["history"][0].update(kind="won"), "history_start"),
        (lambda d: d["history"][2].update(stage="closed_lost"), "same_stage"),
    ],
)
def test_tampered_histories_are_refused(change, code):
    """A stored history must follow the same rules as the commands."""
    closed = deal().lose(P, at=T0 + DAY, reason="price").reopen(P, at=T0 + 2 * DAY)
    won = closed.win(P, at=T0 + 3 * DAY)
    document = to_dict(won.without_pending_events())
    change(document)
    with pytest.raises(ValidationError) as info:
        from_dict(Opportunity, document)
    assert code == info.value.code

"""The ticket lifecycle is one table that the rest reads."""

from __future__ import annotations

from bot.duty.deadlines import STAGE_OF_STATUS
from storage.lifecycle import (
    TRANSITIONS,
    Action,
    Status,
    closed_states,
    fixed_states,
    open_states,
    transition,
)


def test_every_state_is_in_exactly_one_family() -> None:
    """Open, awaiting confirmation and closed split the states between them."""
    families = [*open_states(), *fixed_states(), *closed_states()]
    assert sorted(Status) == sorted(families)
    assert len(set(families)) == len(families)


def test_every_action_has_one_move_and_nothing_leaves_closed() -> None:
    """Each action is one row of the table, and no row starts from a closed state."""
    assert sorted(Action) == sorted(move.action for move in TRANSITIONS)
    assert [] == [move for move in TRANSITIONS if set(move.sources) & set(closed_states())]


def test_each_open_state_waits_on_a_deadline() -> None:
    """Escalation watches exactly the open states: claim, arrival, resolution."""
    assert list(open_states()) == list(STAGE_OF_STATUS)


def test_a_rework_sends_the_ticket_back_to_the_squad() -> None:
    """The reporter's "not solved" moves a resolved ticket back to waiting for a claim."""
    move = transition(Action.REOPEN)
    assert (Status.RESOLVED,) == move.sources
    assert Status.DISPATCHED == move.target

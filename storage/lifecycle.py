"""A ticket's lifecycle as data: its states, their families, and every move between them.

One table that the workflow, the escalation, the digest and the SQL all read, in the manner
of FixMyStreet's ``open_states()`` / ``fixed_states()`` / ``closed_states()``. It lives
beside the SQL because the queries need it too and storage imports nothing above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """The states a ticket row holds (its ``status`` column)."""

    DISPATCHED = "dispatched"  # on a squad's card, waiting for a claim
    CLAIMED = "claimed"  # an officer holds it and is on the way
    ON_SITE = "on_site"  # the officer has arrived
    RESOLVED = "resolved"  # handled; waiting for the reporter's confirmation
    CLOSED = "closed"  # confirmed solved, or closed unconfirmed when the window ended


class Action(StrEnum):
    CLAIM = "claim"
    RELEASE = "release"
    ASSIGN = "assign"
    ARRIVE = "arrive"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    CLOSE_UNCONFIRMED = "close_unconfirmed"
    HAND_OVER = "hand_over"
    MERGE = "merge"
    RECHECK_FAILED = "recheck_failed"


class Who(StrEnum):
    SQUAD = "a member or lead of the ticket's squad"
    CLAIMER = "the officer holding the ticket"
    LEAD = "a lead of the ticket's squad"
    REPORTER = "the reporter"
    LEAD_OR_CLAIMER = "a lead of the ticket's squad, or the officer holding it"
    BOT = "the bot (a deadline or a window)"


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: tuple[Status, ...]
    target: Status
    who: Who


HELD = (Status.CLAIMED, Status.ON_SITE)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.CLAIM, (Status.DISPATCHED,), Status.CLAIMED, Who.SQUAD),
    Transition(Action.RELEASE, HELD, Status.DISPATCHED, Who.CLAIMER),
    Transition(Action.ASSIGN, (Status.DISPATCHED, *HELD), Status.CLAIMED, Who.LEAD),
    Transition(Action.ARRIVE, (Status.CLAIMED,), Status.ON_SITE, Who.CLAIMER),
    Transition(Action.RESOLVE, HELD, Status.RESOLVED, Who.CLAIMER),
    Transition(Action.CONFIRM, (Status.RESOLVED,), Status.CLOSED, Who.REPORTER),
    Transition(Action.REOPEN, (Status.RESOLVED,), Status.DISPATCHED, Who.REPORTER),
    Transition(Action.CLOSE_UNCONFIRMED, (Status.RESOLVED,), Status.CLOSED, Who.BOT),
    Transition(Action.HAND_OVER, (Status.DISPATCHED, *HELD), Status.DISPATCHED, Who.BOT),
    # A duplicate closes, pointing to the ticket it duplicates (duplicate_of).
    Transition(Action.MERGE, (Status.DISPATCHED, *HELD), Status.CLOSED, Who.LEAD_OR_CLAIMER),
    # A re-inspection (复查) found a rectification notice not complied with: the squad
    # handles it again, one class up the 7-2-1 ladder. (A ticket with a notice waits for its
    # reporter past the notice's limit, so it is still resolved when the limit comes.)
    Transition(Action.RECHECK_FAILED, (Status.RESOLVED,), Status.DISPATCHED, Who.SQUAD),
)
_BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


def transition(action: Action) -> Transition:
    return _BY_ACTION[action]


def open_states() -> tuple[Status, ...]:
    """The squad still has work to do: waiting for a claim, held, or on site."""
    return (Status.DISPATCHED, *HELD)


def fixed_states() -> tuple[Status, ...]:
    """Handled by the squad, waiting for the reporter to say whether it was solved."""
    return (Status.RESOLVED,)


def closed_states() -> tuple[Status, ...]:
    return (Status.CLOSED,)


class Recheck(StrEnum):
    """The states of a ticket's re-inspection (its ``recheck_state`` column)."""

    PENDING = "pending"  # a notice with a time limit was issued; waiting for the limit
    DUE = "due"  # the limit came: the card is in the squad chat, waiting for a press
    RECTIFIED = "rectified"
    NOT_RECTIFIED = "not_rectified"
    CANCELLED = "cancelled"  # the ticket started a new round before it was re-inspected


def unfinished_states() -> tuple[Status, ...]:
    """Not closed yet: open or awaiting confirmation (what a digest counts as still open)."""
    return (*open_states(), *fixed_states())

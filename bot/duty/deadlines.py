"""Deadlines per category and the escalation plan derived from a ticket's row.

Nothing here keeps time in memory: a ticket's next escalation step follows from its status,
its dispatch time, the config, and how many steps of the current stage already fired. The
result is stored as ``esc_due_at`` so that timers can always be rebuilt from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.config import Deadlines, Settings
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Status
from storage.tickets import Event, Ticket, TicketChange

# The deadline each open state waits on (the lifecycle's open states, in order).
STAGE_OF_STATUS: dict[str, str] = {
    Status.DISPATCHED: "claim",
    Status.CLAIMED: "arrive",
    Status.ON_SITE: "resolve",
}
STAGES = ("claim", "arrive", "resolve")
MARK_OVERDUE = "mark_overdue"
# Events after which a ticket starts a new round with a squad: its escalation chain restarts.
NEW_ROUND_EVENTS = ("handed_over", "reopened", "recheck_reopened")


@dataclass(frozen=True)
class Plan:
    stage: str
    step: int
    action: str | None
    due: datetime | None


def limits(settings: Settings, category: str) -> Deadlines:
    """The category's own deadlines, or the district's defaults."""
    for entry in settings.categories:
        if entry.code == category and entry.deadlines is not None:
            return entry.deadlines
    return settings.deadlines


def deadline(ticket: Ticket, settings: Settings, stage: str) -> datetime | None:
    if ticket.dispatched_at is None:
        return None
    limit: timedelta = getattr(limits(settings, ticket.category), stage)
    return ticket.dispatched_at + limit


def chain(settings: Settings, stage: str) -> list[tuple[timedelta, str]]:
    """The steps of a stage: first the ticket is marked overdue, then the configured ones."""
    steps = getattr(settings.escalation, stage)
    return [(timedelta(0), MARK_OVERDUE), *((s.after, s.action) for s in steps)]


def plan(ticket: Ticket, settings: Settings) -> Plan | None:
    """The ticket's next escalation step and when it is due (None: nothing to watch)."""
    return plan_of(
        ticket.status,
        ticket.category,
        ticket.dispatched_at,
        ticket.esc_stage,
        ticket.esc_step,
        settings,
    )


def plan_of(
    status: str,
    category: str,
    dispatched_at: datetime | None,
    esc_stage: str | None,
    esc_step: int,
    settings: Settings,
) -> Plan | None:
    """``plan`` from the columns alone, so a restart can re-derive it without whole rows."""
    stage = STAGE_OF_STATUS.get(status)
    if stage is None:
        return None
    step = esc_step if esc_stage == stage else 0
    steps = chain(settings, stage)
    if dispatched_at is None or step >= len(steps):
        return Plan(stage, step, None, None)
    limit: timedelta = getattr(limits(settings, category), stage)
    after, action = steps[step]
    return Plan(stage, step, action, dispatched_at + limit + after)


async def rearm(conn: Connection, ticket: Ticket, settings: Settings) -> Ticket:
    """Store the ticket's next escalation time after any change; return the fresh row."""
    next_step = plan(ticket, settings)
    values: TicketChange = {
        "esc_stage": next_step.stage if next_step else None,
        "esc_step": next_step.step if next_step else 0,
        "esc_due_at": next_step.due if next_step else None,
    }
    if (ticket.esc_stage, ticket.esc_step, ticket.esc_due_at) != tuple(values.values()):
        await ticket_rows.set_ticket(conn, ticket.id, **values)
        fresh = await ticket_rows.get_ticket(conn, ticket.id)
        assert fresh is not None
        return fresh
    return ticket


def overdue_stages(ticket: Ticket) -> list[str]:
    """The stages whose deadline the ticket missed, in order."""
    return [str(stage) for stage in json.loads(ticket.overdue)] if ticket.overdue else []


def duty_mentions(ticket: Ticket) -> list[tuple[int, str]]:
    """The officers on duty when the ticket was dispatched, as (id, name)."""
    if not ticket.duty_mentions:
        return []
    return [(int(user_id), str(name)) for user_id, name in json.loads(ticket.duty_mentions)]


def offsets(settings: Settings) -> dict[tuple[str, str, int], tuple[str, float]]:
    """(category, stage, step) -> (action, seconds after dispatch), for quick bulk planning."""
    table: dict[tuple[str, str, int], tuple[str, float]] = {}
    for category in settings.categories:
        limit = limits(settings, category.code)
        for stage in STAGES:
            base = getattr(limit, stage).total_seconds()
            for step, (after, action) in enumerate(chain(settings, stage)):
                table[(category.code, stage, step)] = (action, base + after.total_seconds())
    return table


def taken_this_round(events: list[Event], stage: str) -> set[str]:
    """The escalation actions of ``stage`` already taken since the ticket's latest hand-over
    or rework: a release restarts the deadline, but a reminder or a lead notice already
    sent for this round is not sent again."""
    taken: set[str] = set()
    for event in events:
        if event.kind in NEW_ROUND_EVENTS:
            taken.clear()
        elif event.kind == "escalated" and event.detail.get("stage") == stage:
            taken.add(str(event.detail.get("action")))
    return taken

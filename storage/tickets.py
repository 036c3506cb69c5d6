"""Tickets and their append-only events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack

from sqlalchemy import Float, bindparam, func, insert, literal, select, type_coerce, update

from storage.database import Connection
from storage.lifecycle import HELD, Action, Status, open_states, transition
from storage.report import DetailChange, ReportDetails
from storage.schema import inserted_id, outbox, ticket_events, tickets


@dataclass(frozen=True)
class Ticket(ReportDetails):
    id: int
    draft_id: int
    status: str
    category: str
    grid_id: str
    squad_id: str
    latitude: float
    longitude: float
    reporter_id: int
    reporter_name: str
    reporter_username: str | None
    anonymous: bool
    group_chat_id: int
    report_message_id: int | None
    locale: str
    card_outbox_id: int | None
    group_notice_outbox_id: int | None
    reported_at: datetime
    dispatched_at: datetime | None
    claimed_at: datetime | None = None
    claimed_by: int | None = None
    claimed_by_name: str | None = None
    on_site_at: datetime | None = None
    on_site_distance_m: float | None = None
    on_site_far: bool | None = None
    resolved_at: datetime | None = None
    resolved_by: int | None = None
    outcome_class: str | None = None
    outcome_action: str | None = None
    outcome_note: str | None = None
    outcome_photo: str | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    rework_count: int = 0
    rating: int | None = None
    confirm_deadline: datetime | None = None
    progress_outbox_id: int | None = None
    resolution_outbox_id: int | None = None
    confirm_outbox_id: int | None = None
    resolve_stage: str | None = None
    resolve_class: str | None = None
    resolve_action: str | None = None
    resolve_prompt_outbox_id: int | None = None
    home_squad_id: str | None = None
    duty_mentions: str | None = None
    overdue: str | None = None
    esc_stage: str | None = None
    esc_step: int = 0
    esc_due_at: datetime | None = None
    first_claimed_at: datetime | None = None
    first_on_site_at: datetime | None = None
    first_resolved_at: datetime | None = None
    handed_from: str | None = None
    handed_stage: str | None = None
    resolve_point: str | None = None
    outcome_point: str | None = None
    outcome_point_m: float | None = None
    # "Same problem?": how many joined it, when the leads were told, what it duplicates.
    supporters: int = 0
    support_alerted_at: datetime | None = None
    duplicate_of: int | None = None
    # A rectification notice's time limit and its re-inspection (复查).
    resolve_limit_s: int | None = None
    recheck_limit_s: int | None = None
    recheck_round: int | None = None
    recheck_due_at: datetime | None = None
    recheck_state: str | None = None
    recheck_outbox_id: int | None = None
    rechecked_at: datetime | None = None
    rechecked_by: int | None = None
    ladder_class: str | None = None
    recheck_card_at: datetime | None = None
    recheck_late_told_at: datetime | None = None


class TicketChange(DetailChange, total=False):
    """The columns a change of a ticket may set, each with its type: a misspelt column or a
    wrong type is a type error, not a surprise in the SQL."""

    draft_id: int
    status: str
    category: str
    grid_id: str
    squad_id: str
    latitude: float
    longitude: float
    reporter_id: int
    reporter_name: str
    reporter_username: str | None
    anonymous: bool
    group_chat_id: int
    report_message_id: int | None
    locale: str
    card_outbox_id: int | None
    group_notice_outbox_id: int | None
    reported_at: datetime
    dispatched_at: datetime | None
    claimed_at: datetime | None
    claimed_by: int | None
    claimed_by_name: str | None
    on_site_at: datetime | None
    on_site_distance_m: float | None
    on_site_far: bool | None
    resolved_at: datetime | None
    resolved_by: int | None
    outcome_class: str | None
    outcome_action: str | None
    outcome_note: str | None
    outcome_photo: str | None
    closed_at: datetime | None
    close_reason: str | None
    rework_count: int
    rating: int | None
    confirm_deadline: datetime | None
    progress_outbox_id: int | None
    resolution_outbox_id: int | None
    confirm_outbox_id: int | None
    resolve_stage: str | None
    resolve_class: str | None
    resolve_action: str | None
    resolve_prompt_outbox_id: int | None
    home_squad_id: str | None
    duty_mentions: str | None
    overdue: str | None
    esc_stage: str | None
    esc_step: int
    esc_due_at: datetime | None
    first_claimed_at: datetime | None
    first_on_site_at: datetime | None
    first_resolved_at: datetime | None
    handed_from: str | None
    handed_stage: str | None
    resolve_point: str | None
    outcome_point: str | None
    outcome_point_m: float | None
    supporters: int
    support_alerted_at: datetime | None
    duplicate_of: int | None
    resolve_limit_s: int | None
    recheck_limit_s: int | None
    recheck_round: int | None
    recheck_due_at: datetime | None
    recheck_state: str | None
    recheck_outbox_id: int | None
    rechecked_at: datetime | None
    rechecked_by: int | None
    ladder_class: str | None
    recheck_card_at: datetime | None
    recheck_late_told_at: datetime | None


@dataclass(frozen=True)
class Event:
    id: int
    ticket_id: int
    kind: str
    actor_id: int | None
    at: datetime
    detail: dict[str, Any]


# Statements built once: building one, and computing its cache key, costs more than SQLite
# takes to run it. Values come as parameters; the SET columns of an UPDATE from their names.
_INSERT_TICKET = insert(tickets)
_INSERT_EVENT = insert(ticket_events)
_TICKET_BY_ID = select(tickets).where(tickets.c.id == bindparam("ticket_id"))
_UPDATE_TICKET = update(tickets).where(tickets.c.id == bindparam("ticket_id"))
# The status inline, not bound: only then can SQLite use the partial index for it.
_UNCONFIRMED_DUE = (
    select(tickets)
    .where(
        tickets.c.status == literal(Status.RESOLVED.value, literal_execute=True),
        tickets.c.confirm_deadline <= bindparam("now"),
    )
    .order_by(tickets.c.confirm_deadline)
    .limit(500)
)
_UPDATE_TICKET_IF = update(tickets).where(
    tickets.c.id == bindparam("ticket_id"),
    tickets.c.status.in_(bindparam("statuses", expanding=True)),
)


async def insert_ticket(conn: Connection, **values: Unpack[TicketChange]) -> int:
    result = await conn.execute(_INSERT_TICKET, values)
    return inserted_id(result)


async def get_ticket(conn: Connection, ticket_id: int) -> Ticket | None:
    row = (await conn.execute(_TICKET_BY_ID, {"ticket_id": ticket_id})).first()
    return Ticket(**row._mapping) if row else None


async def ticket_for_draft(conn: Connection, draft_id: int) -> Ticket | None:
    row = (await conn.execute(select(tickets).where(tickets.c.draft_id == draft_id))).first()
    return Ticket(**row._mapping) if row else None


async def set_ticket(conn: Connection, ticket_id: int, **values: Unpack[TicketChange]) -> None:
    await conn.execute(_UPDATE_TICKET, {**values, "ticket_id": ticket_id})


async def add_event(
    conn: Connection,
    ticket_id: int,
    kind: str,
    at: datetime,
    actor_id: int | None = None,
    **detail: Any,
) -> None:
    """Append one event to a ticket's history; events are never changed afterwards."""
    await conn.execute(
        _INSERT_EVENT,
        {
            "ticket_id": ticket_id,
            "kind": kind,
            "actor_id": actor_id,
            "at": at,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        },
    )


async def events_of(conn: Connection, ticket_id: int) -> list[Event]:
    rows = await conn.execute(
        select(ticket_events)
        .where(ticket_events.c.ticket_id == ticket_id)
        .order_by(ticket_events.c.id)
    )
    return [
        Event(
            id=row.id,
            ticket_id=row.ticket_id,
            kind=row.kind,
            actor_id=row.actor_id,
            at=row.at,
            detail=json.loads(row.detail),
        )
        for row in rows
    ]


async def update_ticket_if(
    conn: Connection, ticket_id: int, statuses: tuple[str, ...], **values: Unpack[TicketChange]
) -> bool:
    """Change a ticket only while its status is one of ``statuses``; False if it moved on.

    Every workflow step goes through this conditional update, so of several officers pressing
    at once exactly one changes the row and the others see that they lost.
    """
    result = await conn.execute(
        _UPDATE_TICKET_IF, {**values, "ticket_id": ticket_id, "statuses": list(statuses)}
    )
    return result.rowcount == 1


async def move_ticket(
    conn: Connection, ticket_id: int, action: Action, **values: Unpack[TicketChange]
) -> bool:
    """Take ``action`` on a ticket if its status allows it (the lifecycle table says from
    which states, and to which); False if it has moved on meanwhile."""
    move = transition(action)
    sources = tuple(state.value for state in move.sources)
    change: TicketChange = {**values, "status": move.target.value}
    return await update_ticket_if(conn, ticket_id, sources, **change)


async def stamp_first(conn: Connection, ticket_id: int, column: str, at: datetime) -> None:
    """Set a ``first_*`` time once; later rounds (after a rework) leave it alone."""
    target = tickets.c[column]
    await conn.execute(
        update(tickets).where(tickets.c.id == ticket_id, target.is_(None)).values({target: at})
    )


async def tickets_where(conn: Connection, *conditions: Any, limit: int = 50) -> list[Ticket]:
    rows = await conn.execute(
        select(tickets).where(*conditions).order_by(tickets.c.reported_at).limit(limit)
    )
    return [Ticket(**row._mapping) for row in rows]


async def open_tickets_of_squad(conn: Connection, squad_id: str) -> list[Ticket]:
    """The squad's tickets not yet resolved, oldest first."""
    return await tickets_where(
        conn,
        tickets.c.squad_id == squad_id,
        tickets.c.status.in_([state.value for state in open_states()]),
    )


async def tickets_of_officer(conn: Connection, user_id: int) -> list[Ticket]:
    """The tickets an officer holds (claimed or on site), oldest first."""
    return await tickets_where(
        conn, tickets.c.claimed_by == user_id, tickets.c.status.in_([state.value for state in HELD])
    )


async def unconfirmed_due(conn: Connection, now: datetime) -> list[Ticket]:
    """Resolved tickets whose reporter did not answer within the confirm window, the
    longest waiting first."""
    rows = await conn.execute(_UNCONFIRMED_DUE, {"now": now})
    return [Ticket(**row._mapping) for row in rows]


async def ticket_by_message(
    conn: Connection, chat_id: int, message_id: int, column: str
) -> Ticket | None:
    """The ticket whose ``column`` outbox item is the message ``message_id`` in ``chat_id``."""
    row = (
        await conn.execute(
            select(tickets)
            .join(outbox, outbox.c.id == tickets.c[column])
            .where(outbox.c.chat_id == chat_id, outbox.c.message_id == message_id)
        )
    ).first()
    return Ticket(**row._mapping) if row else None


async def ticket_by_card_pin(conn: Connection, chat_id: int, message_id: int) -> Ticket | None:
    """The ticket whose current card the map pin ``message_id`` in ``chat_id`` replies to."""
    pin = outbox.alias("pin")
    row = (
        await conn.execute(
            select(tickets)
            .join(pin, pin.c.ticket_id == tickets.c.id)
            .where(
                pin.c.chat_id == chat_id,
                pin.c.message_id == message_id,
                pin.c.purpose == "card_pin",
                pin.c.reply_to_outbox_id == tickets.c.card_outbox_id,
            )
        )
    ).first()
    return Ticket(**row._mapping) if row else None


async def reports_since(conn: Connection, reporter_id: int, since: datetime) -> int:
    """How many tickets a person reported since ``since``."""
    value = (
        await conn.execute(
            select(func.count())
            .select_from(tickets)
            .where(tickets.c.reporter_id == reporter_id, tickets.c.reported_at >= since)
        )
    ).scalar()
    return int(value or 0)


async def any_reported_before(conn: Connection, moment: float) -> bool:
    """Whether any ticket was reported before ``moment`` (unix seconds)."""
    row = await conn.execute(
        select(tickets.c.id).where(type_coerce(tickets.c.reported_at, Float) < moment).limit(1)
    )
    return row.first() is not None

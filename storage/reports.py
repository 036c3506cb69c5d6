"""Read-only queries for digests, statistics and exports (times as raw unix seconds)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, func, select, type_coerce

from storage.database import Connection, insert_for
from storage.schema import digest_log, outbox, ticket_events, tickets

# Tickets made before migration 0003 have no home squad; theirs is the one they were sent to.
HOME_SQUAD = func.coalesce(tickets.c.home_squad_id, tickets.c.squad_id).label("home_squad_id")


def _seconds(column: Any, name: str) -> Any:
    return type_coerce(column, Float).label(name)


DIGEST_COLUMNS = (
    tickets.c.id,
    tickets.c.squad_id,
    tickets.c.grid_id,
    tickets.c.category,
    tickets.c.latitude,
    tickets.c.longitude,
    tickets.c.claimed_by,
    tickets.c.claimed_by_name,
    tickets.c.resolved_by,
    tickets.c.outcome_class,
    tickets.c.outcome_action,
    tickets.c.outcome_point,
    tickets.c.close_reason,
    HOME_SQUAD,
    _seconds(tickets.c.reported_at, "reported_at"),
    _seconds(tickets.c.first_claimed_at, "first_claimed_at"),
    _seconds(tickets.c.first_on_site_at, "first_on_site_at"),
    _seconds(tickets.c.first_resolved_at, "first_resolved_at"),
    _seconds(tickets.c.resolved_at, "resolved_at"),
    _seconds(tickets.c.closed_at, "closed_at"),
)


async def reported_between(conn: Connection, start: float, end: float) -> list[Any]:
    """The tickets reported in [start, end), with what the digest needs."""
    rows = await conn.execute(
        select(*DIGEST_COLUMNS)
        .where(
            type_coerce(tickets.c.reported_at, Float) >= start,
            type_coerce(tickets.c.reported_at, Float) < end,
        )
        .order_by(tickets.c.reported_at)
    )
    return list(rows)


async def received_by_squad(conn: Connection, start: float, end: float) -> dict[str, int]:
    """How many tickets were reported in [start, end), by the squad responsible for them."""
    rows = await conn.execute(
        select(HOME_SQUAD, func.count())
        .where(
            type_coerce(tickets.c.reported_at, Float) >= start,
            type_coerce(tickets.c.reported_at, Float) < end,
        )
        .group_by(HOME_SQUAD)
    )
    return {row[0]: int(row[1]) for row in rows}


async def reopened_before(conn: Connection, ids: list[int], end: float) -> set[int]:
    """Which of ``ids`` had been reopened (rework) before ``end``."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await conn.execute(
            select(ticket_events.c.ticket_id)
            .distinct()
            .where(
                ticket_events.c.ticket_id.in_(chunk),
                ticket_events.c.kind == "reopened",
                type_coerce(ticket_events.c.at, Float) < end,
            )
        )
        found |= {row[0] for row in rows}
    return found


async def open_at(conn: Connection, moment: float) -> list[Any]:
    """Tickets reported before ``moment`` and not closed by then, oldest first.

    Two index-friendly halves (never closed; closed only later) instead of one OR that
    would scan every ticket ever reported.
    """
    columns = (
        tickets.c.id,
        tickets.c.squad_id,
        HOME_SQUAD,
        _seconds(tickets.c.reported_at, "reported_at"),
    )
    still_open, closed_later = _open_at(columns, moment)
    rows = list(await conn.execute(still_open)) + list(await conn.execute(closed_later))
    return sorted(rows, key=lambda row: (row.reported_at, row.id))


def _open_at(columns: tuple[Any, ...], moment: float) -> tuple[Any, Any]:
    reported = type_coerce(tickets.c.reported_at, Float) < moment
    still_open = select(*columns).where(tickets.c.closed_at.is_(None), reported)
    closed_later = select(*columns).where(
        type_coerce(tickets.c.closed_at, Float) >= moment, reported
    )
    return still_open, closed_later


async def events_of_open_at(conn: Connection, moment: float) -> list[EventRow]:
    """The events before ``moment`` of the tickets open at ``moment`` (see open_at), in one
    statement rather than one per few hundred ticket ids."""
    still_open, closed_later = _open_at((tickets.c.id,), moment)
    rows = await conn.execute(
        select(
            ticket_events.c.ticket_id,
            ticket_events.c.kind,
            ticket_events.c.actor_id,
            _seconds(ticket_events.c.at, "at"),
            ticket_events.c.detail,
        )
        .where(
            ticket_events.c.ticket_id.in_(still_open.union_all(closed_later)),
            type_coerce(ticket_events.c.at, Float) < moment,
        )
        .order_by(ticket_events.c.ticket_id, ticket_events.c.id)
    )
    return [
        EventRow(r.ticket_id, r.kind, r.actor_id, r.at, json.loads(r.detail or "{}")) for r in rows
    ]


@dataclass(frozen=True)
class EventRow:
    """One event as the figures read it (time as unix seconds, detail decoded)."""

    ticket_id: int
    kind: str
    actor_id: int | None
    at: float
    detail: dict[str, Any]


async def events_before(
    conn: Connection, ids: list[int], end: float | None = None
) -> list[EventRow]:
    """The events of tickets ``ids`` (before ``end``), each ticket's in the order written."""
    found: list[EventRow] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await conn.execute(
            select(
                ticket_events.c.ticket_id,
                ticket_events.c.kind,
                ticket_events.c.actor_id,
                _seconds(ticket_events.c.at, "at"),
                ticket_events.c.detail,
            )
            .where(
                ticket_events.c.ticket_id.in_(chunk),
                type_coerce(ticket_events.c.at, Float) < (end if end is not None else math.inf),
            )
            .order_by(ticket_events.c.ticket_id, ticket_events.c.id)
        )
        found += [
            EventRow(r.ticket_id, r.kind, r.actor_id, r.at, json.loads(r.detail or "{}"))
            for r in rows
        ]
    return found


RECHECK_EVENTS = ("notice_issued", "recheck_due", "rechecked")


async def recheck_events_between(conn: Connection, start: float, end: float) -> list[Any]:
    """The rectification notices issued, re-inspections fallen due and re-inspections done
    in [start, end), of any ticket, with the ticket's home squad."""
    at = type_coerce(ticket_events.c.at, Float)
    rows = await conn.execute(
        select(
            ticket_events.c.ticket_id,
            ticket_events.c.kind,
            ticket_events.c.detail,
            HOME_SQUAD,
        )
        .join(tickets, tickets.c.id == ticket_events.c.ticket_id)
        .where(ticket_events.c.kind.in_(RECHECK_EVENTS), at >= start, at < end)
        .order_by(ticket_events.c.id)
    )
    return list(rows)


async def pending_files(conn: Connection) -> set[str]:
    """The files that photos and documents still waiting in the outbox will be sent from."""
    rows = await conn.execute(
        select(outbox.c.payload).where(
            outbox.c.status == "pending", outbox.c.kind.in_(("photo", "document"))
        )
    )
    paths: set[str] = set()
    for row in rows:
        payload = json.loads(row.payload)
        paths |= {payload[k] for k in ("photo_path", "document_path") if payload.get(k)}
    return paths


async def count_tickets(conn: Connection) -> int:
    return int((await conn.execute(select(func.count()).select_from(tickets))).scalar() or 0)


async def export_between(conn: Connection, start: float, end: float) -> list[Any]:
    """Every column of the tickets reported in [start, end), oldest first."""
    rows = await conn.execute(
        select(tickets)
        .where(
            type_coerce(tickets.c.reported_at, Float) >= start,
            type_coerce(tickets.c.reported_at, Float) < end,
        )
        .order_by(tickets.c.reported_at)
    )
    return list(rows)


async def claim_digest(conn: Connection, day: str, chat_id: int, at: datetime) -> bool:
    """Record that ``day``'s digest goes to ``chat_id`` now; False if it already went."""
    result = await conn.execute(
        insert_for(conn, digest_log)
        .values(day=day, chat_id=chat_id, posted_at=at)
        .on_conflict_do_nothing(index_elements=["day", "chat_id"])
    )
    return result.rowcount == 1

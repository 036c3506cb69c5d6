"""The re-inspection (复查) timer and its presses: each taken once, by a conditional UPDATE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, literal, select, update

from storage.database import Connection
from storage.lifecycle import Recheck
from storage.schema import tickets

# The state inline, not bound: only then can SQLite use the partial index for it.
BATCH = 200  # re-inspections read per round of the timer
_PENDING = tickets.c.recheck_state == literal(Recheck.PENDING.value, literal_execute=True)
_DUE = (
    select(tickets.c.id)
    .where(_PENDING, tickets.c.recheck_due_at <= bindparam("now"))
    .order_by(tickets.c.recheck_due_at)
    .limit(BATCH)
)
_NEXT = select(func.min(tickets.c.recheck_due_at)).where(_PENDING)
# Cards waiting for a press whose leads were not told yet (the index covers state "due").
_WAITING = tickets.c.recheck_state == literal(Recheck.DUE.value, literal_execute=True)
_UNTOLD = tickets.c.recheck_late_told_at.is_(None)
_LATE = (
    select(tickets.c.id)
    .where(_WAITING, _UNTOLD, tickets.c.recheck_card_at <= bindparam("before"))
    .order_by(tickets.c.recheck_card_at)
    .limit(BATCH)
)
_NEXT_LATE = select(func.min(tickets.c.recheck_card_at)).where(_WAITING, _UNTOLD)


async def rechecks_due(conn: Connection, now: datetime) -> list[int]:
    """Tickets whose re-inspection fell due by ``now``, the longest waiting first."""
    return [row.id for row in await conn.execute(_DUE, {"now": now})]


async def next_recheck(conn: Connection) -> datetime | None:
    """When the earliest pending re-inspection falls due."""
    value: datetime | None = (await conn.execute(_NEXT)).scalar()
    return value


async def move_recheck(
    conn: Connection, ticket_id: int, source: Recheck, target: Recheck, **values: object
) -> bool:
    """Move a ticket's re-inspection from ``source`` to ``target`` (with ``values``); False
    if it is no longer in ``source``: of a timer and a restart, or two presses, one wins."""
    result = await conn.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id, tickets.c.recheck_state == source.value)
        .values(recheck_state=target.value, **values)
    )
    return result.rowcount == 1


async def rechecks_late(conn: Connection, before: datetime) -> list[int]:
    """Re-inspections whose card, out since before ``before`` (now less the window), still
    waits for a press, and whose leads were not told yet."""
    return [row.id for row in await conn.execute(_LATE, {"before": before})]


async def next_late(conn: Connection) -> datetime | None:
    """When the earliest re-inspection card still waiting went out (its leads not told)."""
    value: datetime | None = (await conn.execute(_NEXT_LATE)).scalar()
    return value


async def tell_late(conn: Connection, ticket_id: int, at: datetime) -> bool:
    """Note that the leads are told now; False if the card was pressed meanwhile or they
    were told already (of two workers' timers, one tells)."""
    result = await conn.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id, _WAITING, _UNTOLD)
        .values(recheck_late_told_at=at)
    )
    return result.rowcount == 1

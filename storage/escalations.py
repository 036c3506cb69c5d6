"""A ticket's escalation position (stage, step, when the next step is due): the timer's
statements, each step taken once by a conditional UPDATE (several workers may fire at once)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import Float, bindparam, func, select, text, type_coerce, update

from storage.database import Connection
from storage.schema import tickets


async def escalations_due(conn: Connection, now: datetime, limit: int = 200) -> list[int]:
    """Tickets with an escalation step due by ``now``, soonest first."""
    rows = await conn.execute(
        select(tickets.c.id)
        .where(tickets.c.esc_due_at.is_not(None), tickets.c.esc_due_at <= now)
        .order_by(tickets.c.esc_due_at)
        .limit(limit)
    )
    return [row.id for row in rows]


async def next_escalation(conn: Connection) -> datetime | None:
    """When the earliest escalation step of any ticket is due."""
    value: datetime | None = (await conn.execute(select(func.min(tickets.c.esc_due_at)))).scalar()
    return value


async def take_escalation_step(conn: Connection, ticket_id: int, stage: str, step: int) -> bool:
    """Mark step ``step`` of ``stage`` as fired; False if it already was (fire once)."""
    result = await conn.execute(
        update(tickets)
        .where(
            tickets.c.id == ticket_id,
            tickets.c.esc_stage == stage,
            tickets.c.esc_step == step,
        )
        .values(esc_step=step + 1)
    )
    return result.rowcount == 1


async def move_escalation(
    conn: Connection,
    ticket_id: int,
    seen: tuple[str | None, int],
    stage: str,
    step: int,
) -> bool:
    """Set the escalation position to ``step`` of ``stage`` if it is still ``seen`` (as
    read): a worker that read the ticket before another took a step never undoes it."""
    seen_stage, seen_step = seen
    result = await conn.execute(
        update(tickets)
        .where(
            tickets.c.id == ticket_id,
            tickets.c.esc_stage.is_(None)
            if seen_stage is None
            else tickets.c.esc_stage == seen_stage,
            tickets.c.esc_step == seen_step,
        )
        .values(esc_stage=stage, esc_step=step)
    )
    return result.rowcount == 1


async def escalation_columns(
    conn: Connection, statuses: tuple[str, ...], batch: int = 5000
) -> AsyncIterator[list[Any]]:
    """What an escalation plan needs, for every ticket in ``statuses``, in batches.

    Times come as raw unix seconds: re-deriving 100,000 timers at start-up should not build
    200,000 datetime objects.
    """
    query = select(
        tickets.c.id,
        tickets.c.status,
        tickets.c.category,
        type_coerce(tickets.c.dispatched_at, Float).label("dispatched_at"),
        tickets.c.esc_stage,
        tickets.c.esc_step,
        type_coerce(tickets.c.esc_due_at, Float).label("esc_due_at"),
    ).where(tickets.c.status.in_(statuses))
    async for rows in conn.stream(query, batch):
        yield list(rows)


_SET_FROM_ARRAYS = text(
    "UPDATE tickets SET esc_stage = v.stage, esc_step = v.step, esc_due_at = v.due"
    " FROM unnest(CAST(:ids AS BIGINT[]), CAST(:stages AS TEXT[]), CAST(:steps AS BIGINT[]),"
    " CAST(:dues AS DOUBLE PRECISION[]), CAST(:seen_stages AS TEXT[]),"
    " CAST(:seen_steps AS BIGINT[])) AS v(id, stage, step, due, seen_stage, seen_step)"
    " WHERE tickets.id = v.id AND tickets.esc_stage IS NOT DISTINCT FROM v.seen_stage"
    " AND tickets.esc_step = v.seen_step"
)


async def set_escalations(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store many re-derived escalation plans in one statement; a row changes only if its
    position is still the one read (``seen_stage``, ``seen_step``), so that another worker's
    step taken meanwhile stands."""
    if not rows:
        return
    if conn.dialect == "postgresql":
        # One set-based statement per batch: PostgreSQL ran an executemany as 100,000
        # single-row statements (9 s for a restart after a change of deadlines).
        await conn.execute(
            _SET_FROM_ARRAYS,
            {
                "ids": [row["ticket_id"] for row in rows],
                "stages": [row["stage"] for row in rows],
                "steps": [row["step"] for row in rows],
                "dues": [row["due"] for row in rows],
                "seen_stages": [row["seen_stage"] for row in rows],
                "seen_steps": [row["seen_step"] for row in rows],
            },
        )
        return
    await conn.execute(
        update(tickets)
        .where(
            tickets.c.id == bindparam("ticket_id"),
            tickets.c.esc_stage.is_not_distinct_from(bindparam("seen_stage")),
            tickets.c.esc_step == bindparam("seen_step"),
        )
        .values(
            esc_stage=bindparam("stage"),
            esc_step=bindparam("step"),
            esc_due_at=type_coerce(bindparam("due"), Float),
        ),
        rows,
    )

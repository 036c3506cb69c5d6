"""Manual clock-in and clock-out states, which win over the roster until ``until``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.database import Connection, insert_for
from storage.schema import duty_states


async def set_duty(
    conn: Connection, user_id: int, on_duty: bool, at: datetime, until: datetime
) -> None:
    values = {"on_duty": on_duty, "set_at": at, "until": until}
    statement = insert_for(conn, duty_states).values(user_id=user_id, **values)
    statement = statement.on_conflict_do_update(index_elements=["user_id"], set_=values)
    await conn.execute(statement)


async def active_states(conn: Connection, now: datetime) -> dict[int, bool]:
    """Every manual state still in force: user id -> on duty."""
    rows = await conn.execute(
        select(duty_states.c.user_id, duty_states.c.on_duty).where(duty_states.c.until > now)
    )
    return {row.user_id: bool(row.on_duty) for row in rows}

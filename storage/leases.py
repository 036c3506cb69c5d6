"""Leases: one worker at a time holds a named piece of work (a chat's updates, a chat's
outbox lane) until the lease expires; its holder renews it while it works."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from storage.database import Connection, insert_for
from storage.schema import leases


async def take(conn: Connection, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Hold ``name`` until ``now + ttl`` if it is free, expired or already ours."""
    statement = insert_for(conn, leases).values(name=name, holder=holder, expires_at=now + ttl)
    statement = statement.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "expires_at": now + ttl},
        where=or_(leases.c.holder == holder, leases.c.expires_at < now),
    )
    result = await conn.execute(statement)
    return result.rowcount == 1


async def release(conn: Connection, name: str, holder: str) -> None:
    await conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))

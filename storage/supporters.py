"""The "same problem?" offer: open tickets near a point, and a ticket's supporters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from storage.database import Connection
from storage.lifecycle import Status
from storage.schema import ticket_supporters, tickets


@dataclass(frozen=True)
class Nearby:
    ticket_id: int
    latitude: float
    longitude: float
    reported_at: datetime


@dataclass(frozen=True)
class Supporter:
    ticket_id: int
    user_id: int
    user_name: str
    private: bool
    group_chat_id: int
    chat_id: int
    locale: str
    at: datetime


async def tickets_near(
    conn: Connection,
    category: str,
    states: tuple[Status, ...],
    latitude: float,
    longitude: float,
    half_lat: float,
    half_lon: float,
) -> list[Nearby]:
    """Tickets of ``category`` in ``states`` inside a box around the point, newest first
    (the caller measures the true distance)."""
    c = tickets.c
    rows = await conn.execute(
        select(c.id, c.latitude, c.longitude, c.reported_at)
        .where(
            c.category == category,
            c.status.in_([str(s) for s in states]),
            c.latitude.between(latitude - half_lat, latitude + half_lat),
            c.longitude.between(longitude - half_lon, longitude + half_lon),
        )
        .order_by(c.id.desc())
        .limit(50)
    )
    return [Nearby(r.id, r.latitude, r.longitude, r.reported_at) for r in rows]


async def add_supporter(conn: Connection, supporter: Supporter) -> bool:
    """Make a person a supporter of a ticket; False if they already were."""
    exists = await conn.execute(
        select(ticket_supporters.c.id).where(
            ticket_supporters.c.ticket_id == supporter.ticket_id,
            ticket_supporters.c.user_id == supporter.user_id,
        )
    )
    if exists.first() is not None:
        return False
    await conn.execute(insert(ticket_supporters).values(**supporter.__dict__))
    return True


async def supporters_of(conn: Connection, ticket_id: int) -> list[Supporter]:
    rows = await conn.execute(
        select(ticket_supporters)
        .where(ticket_supporters.c.ticket_id == ticket_id)
        .order_by(ticket_supporters.c.id)
    )
    return [Supporter(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]


async def supporter_count(conn: Connection, ticket_id: int) -> int:
    result = await conn.execute(
        select(func.count()).where(ticket_supporters.c.ticket_id == ticket_id)
    )
    return int(result.scalar_one())

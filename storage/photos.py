"""Resolution photos, kept per round: a rework starts a new round and erases nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from storage.database import Connection
from storage.schema import ticket_photos


@dataclass(frozen=True)
class Photo:
    ticket_id: int
    round: int
    file_id: str
    officer_id: int | None
    at: datetime


async def add_photo(
    conn: Connection, ticket_id: int, round: int, file_id: str, officer_id: int, at: datetime
) -> None:
    await conn.execute(
        insert(ticket_photos).values(
            ticket_id=ticket_id, round=round, file_id=file_id, officer_id=officer_id, at=at
        )
    )


async def photos_of(conn: Connection, ticket_id: int) -> list[Photo]:
    """Every resolution photo of the ticket, oldest first."""
    rows = await conn.execute(
        select(ticket_photos)
        .where(ticket_photos.c.ticket_id == ticket_id)
        .order_by(ticket_photos.c.id)
    )
    return [Photo(row.ticket_id, row.round, row.file_id, row.officer_id, row.at) for row in rows]


async def photo_counts(conn: Connection, ticket_ids: list[int]) -> dict[int, int]:
    """How many resolution photos each of the tickets has, over all its rounds."""
    counts: dict[int, int] = {}
    for start in range(0, len(ticket_ids), 500):  # SQLite's bound-parameter limit
        rows = await conn.execute(
            select(ticket_photos.c.ticket_id, func.count())
            .where(ticket_photos.c.ticket_id.in_(ticket_ids[start : start + 500]))
            .group_by(ticket_photos.c.ticket_id)
        )
        counts.update({row[0]: row[1] for row in rows})
    return counts

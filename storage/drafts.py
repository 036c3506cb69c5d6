"""Report drafts: the reports people are still filling in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.schema import DRAFT_OPEN_STAGES, inserted_id, report_drafts


@dataclass(frozen=True)
class Draft:
    id: int
    trigger_key: str
    chat_id: int
    user_id: int
    user_name: str
    username: str | None
    user_locale: str
    group_chat_id: int
    private: bool
    stage: str
    latitude: float | None
    longitude: float | None
    venue_title: str | None
    venue_address: str | None
    location_message_id: int | None
    grid_id: str | None
    category: str | None
    description: str | None
    photo_file_id: str | None
    prompt_outbox_id: int | None
    panel_outbox_id: int | None
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.stage in DRAFT_OPEN_STAGES


def _draft(row: Any) -> Draft:
    return Draft(**row._mapping)


async def insert_draft(conn: AsyncConnection, **values: Any) -> Draft | None:
    """Insert a draft; None when its trigger_key was already used (a repeated update)."""
    try:
        async with conn.begin_nested():
            result = await conn.execute(insert(report_drafts).values(**values))
    except IntegrityError:
        return None
    return await get_draft(conn, inserted_id(result))


async def get_draft(conn: AsyncConnection, draft_id: int) -> Draft | None:
    row = (await conn.execute(select(report_drafts).where(report_drafts.c.id == draft_id))).first()
    return _draft(row) if row else None


async def open_draft(conn: AsyncConnection, chat_id: int, user_id: int) -> Draft | None:
    """The person's unfinished draft in this chat, if any."""
    row = (
        await conn.execute(
            select(report_drafts).where(
                report_drafts.c.chat_id == chat_id,
                report_drafts.c.user_id == user_id,
                report_drafts.c.stage.in_(DRAFT_OPEN_STAGES),
            )
        )
    ).first()
    return _draft(row) if row else None


async def location_used(conn: AsyncConnection, chat_id: int, message_id: int) -> bool:
    """Whether a draft in this chat already took this location message."""
    row = await conn.execute(
        select(report_drafts.c.id)
        .where(
            report_drafts.c.chat_id == chat_id,
            report_drafts.c.location_message_id == message_id,
        )
        .limit(1)
    )
    return row.first() is not None


async def advance_draft(
    conn: AsyncConnection, draft_id: int, from_stage: str, **values: Any
) -> bool:
    """Update a draft only if it is still at ``from_stage``; False if it moved on."""
    result = await conn.execute(
        update(report_drafts)
        .where(report_drafts.c.id == draft_id, report_drafts.c.stage == from_stage)
        .values(**values)
    )
    return result.rowcount == 1


async def set_draft(conn: AsyncConnection, draft_id: int, **values: Any) -> None:
    await conn.execute(update(report_drafts).where(report_drafts.c.id == draft_id).values(**values))


async def expired_drafts(conn: AsyncConnection, now: datetime, limit: int = 500) -> list[Draft]:
    """Open drafts whose time ran out, oldest first."""
    rows = await conn.execute(
        select(report_drafts)
        .where(
            and_(
                report_drafts.c.ended_at.is_(None),
                report_drafts.c.expires_at <= now,
                report_drafts.c.stage.in_(DRAFT_OPEN_STAGES),
            )
        )
        .order_by(report_drafts.c.expires_at)
        .limit(limit)
    )
    return [_draft(row) for row in rows]

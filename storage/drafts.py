"""Report drafts: the reports people are still filling in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Connection
from storage.report import ReportDetails
from storage.schema import DRAFT_OPEN_STAGES, inserted_id, report_drafts


@dataclass(frozen=True)
class Draft(ReportDetails):
    """A report being filled in; its details (``ReportDetails``) go to the ticket whole."""

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
    location_message_id: int | None
    grid_id: str | None
    category: str | None
    prompt_outbox_id: int | None
    panel_outbox_id: int | None
    same_ticket_id: int | None
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.stage in DRAFT_OPEN_STAGES


# Built once (see storage/tickets.py): the hot path of every report step.
_INSERT_DRAFT = insert(report_drafts)
_DRAFT_BY_ID = select(report_drafts).where(report_drafts.c.id == bindparam("draft_id"))
_OPEN_DRAFT = select(report_drafts).where(
    report_drafts.c.chat_id == bindparam("chat_id"),
    report_drafts.c.user_id == bindparam("user_id"),
    report_drafts.c.stage.in_(DRAFT_OPEN_STAGES),
)
_UPDATE_DRAFT = update(report_drafts).where(report_drafts.c.id == bindparam("draft_id"))
_ADVANCE_DRAFT = update(report_drafts).where(
    report_drafts.c.id == bindparam("draft_id"), report_drafts.c.stage == bindparam("from_stage")
)


def _draft(row: Any) -> Draft:
    return Draft(**row._mapping)


async def insert_draft(conn: Connection, **values: Any) -> Draft | None:
    """Insert a draft; None when its trigger_key was already used (a repeated update)."""
    try:
        async with conn.begin_nested():
            result = await conn.execute(_INSERT_DRAFT, values)
    except IntegrityError:
        return None
    return await get_draft(conn, inserted_id(result))


async def get_draft(conn: Connection, draft_id: int) -> Draft | None:
    row = (await conn.execute(_DRAFT_BY_ID, {"draft_id": draft_id})).first()
    return _draft(row) if row else None


async def open_draft(conn: Connection, chat_id: int, user_id: int) -> Draft | None:
    """The person's unfinished draft in this chat, if any."""
    row = (await conn.execute(_OPEN_DRAFT, {"chat_id": chat_id, "user_id": user_id})).first()
    return _draft(row) if row else None


async def trigger_used(conn: Connection, trigger_key: str) -> bool:
    """Whether a draft was ever started by this update (whatever became of it since)."""
    row = await conn.execute(
        select(report_drafts.c.id).where(report_drafts.c.trigger_key == trigger_key).limit(1)
    )
    return row.first() is not None


async def location_used(conn: Connection, chat_id: int, message_id: int) -> bool:
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


async def advance_draft(conn: Connection, draft_id: int, from_stage: str, **values: Any) -> bool:
    """Update a draft only if it is still at ``from_stage``; False if it moved on."""
    result = await conn.execute(
        _ADVANCE_DRAFT, {**values, "draft_id": draft_id, "from_stage": from_stage}
    )
    return result.rowcount == 1


async def set_draft(conn: Connection, draft_id: int, **values: Any) -> None:
    await conn.execute(_UPDATE_DRAFT, {**values, "draft_id": draft_id})


async def expired_drafts(conn: Connection, now: datetime, limit: int = 500) -> list[Draft]:
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

"""The inbox: updates fetched from Telegram that are not yet known to be handled."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update

from storage.database import Connection, insert_for
from storage.schema import inbox

# Well under SQLite's limit on bound parameters in one statement.
DELETE_CHUNK = 500
_FORGET = delete(inbox).where(inbox.c.update_id.in_(bindparam("ids", expanding=True)))


@dataclass(frozen=True)
class KeptUpdate:
    update_id: int
    received_at: datetime
    raw: str
    unreadable: bool = False
    chat_id: int | None = None


async def keep(conn: Connection, updates: Sequence[tuple[int, str]], now: datetime) -> None:
    """Store fetched updates (id, raw JSON); one fetched again is stored once."""
    if not updates:
        return
    await conn.execute(
        insert_for(conn, inbox).on_conflict_do_nothing(),
        [{"update_id": update_id, "received_at": now, "raw": raw} for update_id, raw in updates],
    )


async def keep_posted(
    conn: Connection, update_id: int, raw: str, chat_id: int | None, now: datetime
) -> bool:
    """Store one update posted to a webhook, with its chat; False if it was stored before
    (Telegram posts an update again when it missed the answer)."""
    result = await conn.execute(
        insert_for(conn, inbox)
        .values(update_id=update_id, received_at=now, raw=raw, chat_id=chat_id)
        .on_conflict_do_nothing()
    )
    return result.rowcount == 1


async def waiting_chats(conn: Connection, limit: int) -> list[int | None]:
    """Chats with updates to handle, the one waiting longest first (None: updates without
    a chat)."""
    rows = await conn.execute(
        select(inbox.c.chat_id)
        .where(inbox.c.unreadable.is_(False))
        .group_by(inbox.c.chat_id)
        .order_by(func.min(inbox.c.update_id))
        .limit(limit)
    )
    return [chat_id for (chat_id,) in rows]


async def next_of_chat(conn: Connection, chat_id: int | None, limit: int) -> list[KeptUpdate]:
    """A chat's updates to handle, in the order Telegram numbered them."""
    chat = inbox.c.chat_id.is_(None) if chat_id is None else inbox.c.chat_id == chat_id
    rows = await conn.execute(
        select(inbox)
        .where(chat, inbox.c.unreadable.is_(False))
        .order_by(inbox.c.update_id)
        .limit(limit)
    )
    return [KeptUpdate(**row._mapping) for row in rows]


async def forget(conn: Connection, update_ids: Collection[int]) -> None:
    """Remove handled updates."""
    ids = sorted(update_ids)
    for start in range(0, len(ids), DELETE_CHUNK):
        chunk = ids[start : start + DELETE_CHUNK]
        await conn.execute(_FORGET, {"ids": chunk})


async def kept(conn: Connection) -> list[KeptUpdate]:
    """Every stored update that can be handled, oldest (lowest update_id) first."""
    rows = await conn.execute(
        select(inbox).where(inbox.c.unreadable.is_(False)).order_by(inbox.c.update_id)
    )
    return [KeptUpdate(**row._mapping) for row in rows]


async def set_aside(conn: Connection, update_ids: Collection[int]) -> None:
    """Mark kept updates unreadable: they stay for inspection and are never handled."""
    if update_ids:
        await conn.execute(
            update(inbox).where(inbox.c.update_id.in_(sorted(update_ids))).values(unreadable=True)
        )


async def unreadable(conn: Connection) -> list[KeptUpdate]:
    """The updates set aside as unreadable, oldest first."""
    rows = await conn.execute(
        select(inbox).where(inbox.c.unreadable.is_(True)).order_by(inbox.c.update_id)
    )
    return [KeptUpdate(**row._mapping) for row in rows]


async def count(conn: Connection) -> int:
    return int((await conn.execute(select(func.count()).select_from(inbox))).scalar() or 0)

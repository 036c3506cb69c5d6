"""Chats the bot met without configuration: each is given the set-up hint once."""

from __future__ import annotations

from datetime import datetime

from storage.database import Connection, insert_for
from storage.schema import hinted_chats


async def claim_hint(conn: Connection, chat_id: int, at: datetime, again: bool) -> bool:
    """Record that ``chat_id`` gets the hint now; False if it had one and ``again`` is off."""
    statement = insert_for(conn, hinted_chats).values(chat_id=chat_id, hinted_at=at)
    if again:
        statement = statement.on_conflict_do_update(
            index_elements=["chat_id"], set_={"hinted_at": at}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["chat_id"])
    result = await conn.execute(statement)
    return result.rowcount == 1

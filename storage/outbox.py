"""The outbox: every message the bot means to send, written before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update

from storage.database import Connection
from storage.schema import inserted_id, outbox

PENDING, SENT, FAILED, SUPERSEDED = "pending", "sent", "failed", "superseded"


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    purpose: str
    ticket_id: int | None
    reply_to_outbox_id: int | None
    reply_to_message_id: int | None
    target_outbox_id: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    message_id: int | None
    last_error: str | None


# Built once (see storage/tickets.py): every message the bot sends passes through these.
_INSERT = insert(outbox)
_LIVE = outbox.c.status.in_((PENDING, SENT))
_LATEST_EDIT = (
    select(outbox.c.id, outbox.c.payload)
    .where(outbox.c.target_outbox_id == bindparam("target"), _LIVE)
    .order_by(outbox.c.id.desc())
    .limit(1)
)
_LIVE_ITEM = select(outbox.c.id, outbox.c.payload).where(outbox.c.id == bindparam("target"), _LIVE)
_SUPERSEDE = (
    update(outbox)
    .where(outbox.c.target_outbox_id == bindparam("target"), outbox.c.status == PENDING)
    .values(status=SUPERSEDED)
)
_WAITING_CHATS = (
    select(outbox.c.chat_id, func.min(outbox.c.id))
    .where(outbox.c.status == PENDING, outbox.c.next_attempt_at > bindparam("now"))
    .group_by(outbox.c.chat_id)
)
_DUE = (
    select(outbox)
    .where(outbox.c.status == PENDING, outbox.c.next_attempt_at <= bindparam("now"))
    .order_by(outbox.c.id)
    .limit(bindparam("limit"))
)
_BY_IDS = select(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True)))
_UPDATE = update(outbox).where(outbox.c.id == bindparam("item_id"))
_MARK = _UPDATE.values(attempts=outbox.c.attempts + 1)


def _item(row: Any) -> OutboxItem:
    values = dict(row._mapping)
    values["payload"] = json.loads(values["payload"])
    return OutboxItem(**values)


async def enqueue(
    conn: Connection,
    *,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    purpose: str,
    now: datetime,
    ticket_id: int | None = None,
    reply_to_outbox_id: int | None = None,
    reply_to_message_id: int | None = None,
    target_outbox_id: int | None = None,
) -> int:
    """Write one message to send; an edit replaces any older unsent edit of its target.

    An edit that would leave the message as it already is (or will be) is not written:
    Telegram refuses it, and it would spend a request of the chat's budget for nothing.
    """
    if target_outbox_id is not None:
        latest = await _latest_content(conn, target_outbox_id)
        if latest is not None and latest[1] == _content(payload):
            return latest[0]
        await conn.execute(_SUPERSEDE, {"target": target_outbox_id})
    result = await conn.execute(
        _INSERT,
        {
            "chat_id": chat_id,
            "kind": kind,
            "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
            "purpose": purpose,
            "ticket_id": ticket_id,
            "reply_to_outbox_id": reply_to_outbox_id,
            "reply_to_message_id": reply_to_message_id,
            "target_outbox_id": target_outbox_id,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )
    return inserted_id(result)


def _content(payload: dict[str, Any]) -> tuple[Any, Any]:
    text = payload.get("text", payload.get("caption"))
    return text, payload.get("markup") or {"inline": []}


async def _latest_content(
    conn: Connection, target_outbox_id: int
) -> tuple[int, tuple[Any, Any]] | None:
    """The newest content of a message: its latest live edit, or the message as sent."""
    # Two indexed look-ups rather than one OR, which SQLite would answer with a full scan.
    row = (await conn.execute(_LATEST_EDIT, {"target": target_outbox_id})).first()
    if row is None:
        row = (await conn.execute(_LIVE_ITEM, {"target": target_outbox_id})).first()
    if row is None:
        return None
    return row.id, _content(json.loads(row.payload))


async def get_item(conn: Connection, item_id: int) -> OutboxItem | None:
    row = (await conn.execute(select(outbox).where(outbox.c.id == item_id))).first()
    return _item(row) if row else None


async def due_items(conn: Connection, now: datetime, limit: int) -> list[OutboxItem]:
    """Pending items whose time has come, in the order they were written.

    A chat whose oldest pending item waits for a retry keeps its later items waiting too,
    so a chat never sees its messages out of order.
    """
    waiting: dict[int, int] = {
        row[0]: row[1] for row in await conn.execute(_WAITING_CHATS, {"now": now})
    }
    rows = await conn.execute(_DUE, {"now": now, "limit": limit})
    return [
        _item(row) for row in rows if row.chat_id not in waiting or row.id < waiting[row.chat_id]
    ]


async def next_due(conn: Connection) -> datetime | None:
    """When the earliest pending item is due, or None when nothing waits."""
    value: datetime | None = (
        await conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == PENDING)
        )
    ).scalar()
    return value


async def items_by_id(conn: Connection, ids: set[int]) -> dict[int, OutboxItem]:
    if not ids:
        return {}
    rows = await conn.execute(_BY_IDS, {"ids": list(ids)})
    return {row.id: _item(row) for row in rows}


async def mark_sent(conn: Connection, item_id: int, at: datetime, message_id: int | None) -> None:
    await conn.execute(
        _MARK, {"item_id": item_id, "status": SENT, "sent_at": at, "message_id": message_id}
    )


async def mark_retry(conn: Connection, item_id: int, next_attempt_at: datetime, error: str) -> None:
    await conn.execute(
        _MARK, {"item_id": item_id, "next_attempt_at": next_attempt_at, "last_error": error}
    )


async def mark_failed(conn: Connection, item_id: int, error: str) -> None:
    await conn.execute(_MARK, {"item_id": item_id, "status": FAILED, "last_error": error})


async def repoint(conn: Connection, item_id: int, message_id: int) -> None:
    """Make later edits of ``item_id`` aim at a re-posted message."""
    await conn.execute(_UPDATE, {"item_id": item_id, "message_id": message_id})


async def count_by_status(conn: Connection) -> dict[str, int]:
    rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    return {row[0]: row[1] for row in rows}

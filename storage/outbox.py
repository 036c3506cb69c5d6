"""The outbox: every message the bot means to send, written before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update

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
    priority: int = 1


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
# The status inline, not bound: only then can SQLite use the partial index for it.
_PENDING_INLINE = text("outbox.status = 'pending'")
_DUE_IN_CHAT = (
    select(outbox)
    .where(
        outbox.c.chat_id == bindparam("chat"),
        _PENDING_INLINE,
        outbox.c.next_attempt_at <= bindparam("now"),
    )
    .order_by(outbox.c.priority, outbox.c.id)
    .limit(bindparam("limit"))
)
_CHAT_WAITS_UNTIL = select(func.min(outbox.c.next_attempt_at)).where(
    outbox.c.chat_id == bindparam("chat"),
    _PENDING_INLINE,
    outbox.c.next_attempt_at > bindparam("now"),
    outbox.c.attempts > 0,  # a retry holds the chat; an item merely written for later does not
)
_DUE_CHATS = (
    select(outbox.c.chat_id)
    .where(_PENDING_INLINE, outbox.c.next_attempt_at <= bindparam("now"))
    .distinct()
)
_PENDING_IN_CHAT = select(func.count()).where(
    outbox.c.chat_id == bindparam("chat"), _PENDING_INLINE
)
_SENT_SINCE = select(outbox.c.sent_at).where(
    outbox.c.chat_id == bindparam("chat"), outbox.c.sent_at > bindparam("since")
)
_FOLD = (
    update(outbox)
    .where(outbox.c.id == bindparam("target"), outbox.c.status == PENDING)
    .values(payload=bindparam("new_payload"))
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
    priority: int = 1,
    not_before: datetime | None = None,
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
            "priority": priority,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": not_before or now,
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


async def fold_edit(conn: Connection, target_outbox_id: int, text_: str, markup: Any) -> bool:
    """Put an edit's content into its target while the target is still unsent.

    The chat then gets one request (the message as it should read now) instead of two.
    Returns False when the target is no longer pending (sent, failed, given up).
    """
    row = (await conn.execute(_BY_IDS, {"ids": [target_outbox_id]})).first()
    if row is None or row.status != PENDING or row.kind not in ("text", "photo"):
        return False
    payload = json.loads(row.payload)
    payload["caption" if row.kind == "photo" else "text"] = text_
    payload["markup"] = markup
    await conn.execute(_SUPERSEDE, {"target": target_outbox_id})
    result = await conn.execute(
        _FOLD,
        {
            "target": target_outbox_id,
            "new_payload": json.dumps(payload, ensure_ascii=False, sort_keys=True),
        },
    )
    return bool(result.rowcount)


async def cancel_pending(conn: Connection, item_id: int) -> bool:
    """Never send ``item_id`` (nor its pending edits) if it is still waiting; True if so."""
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.id == item_id, outbox.c.status == PENDING)
        .values(status=SUPERSEDED, last_error="deleted before it was sent")
    )
    if not result.rowcount:
        return False
    await conn.execute(_SUPERSEDE, {"target": item_id})
    return True


async def due_in_chat(
    conn: Connection, chat_id: int, now: datetime, limit: int
) -> tuple[list[OutboxItem], datetime | None]:
    """One chat's items due now, most urgent first (then in the order written), and when
    the chat may send again if one of its items waits for a retry.

    While any item of a chat waits for a retry (Telegram's ``retry_after`` is for the whole
    chat, and a chat must not see its messages out of order), nothing of that chat is due.
    """
    rows = (await conn.execute(_DUE_IN_CHAT, {"chat": chat_id, "now": now, "limit": limit})).all()
    if not rows:
        return [], None  # nothing due: whether something waits for a retry does not matter
    waits: datetime | None = (
        await conn.execute(_CHAT_WAITS_UNTIL, {"chat": chat_id, "now": now})
    ).scalar()
    if waits is not None:
        return [], waits
    return [_item(row) for row in rows], None


async def due_chats(conn: Connection, now: datetime) -> list[int]:
    """The chats with at least one item due now."""
    return [row[0] for row in await conn.execute(_DUE_CHATS, {"now": now})]


async def pending_in_chat(conn: Connection, chat_id: int) -> int:
    return int((await conn.execute(_PENDING_IN_CHAT, {"chat": chat_id})).scalar() or 0)


async def sent_since(conn: Connection, chat_id: int, since: datetime) -> list[datetime]:
    """When this chat's messages were sent after ``since``: its recent use of its budget."""
    rows = await conn.execute(_SENT_SINCE, {"chat": chat_id, "since": since})
    return sorted(row[0] for row in rows)


async def mark_skipped(conn: Connection, item_id: int, reason: str) -> None:
    await conn.execute(_UPDATE, {"item_id": item_id, "status": SUPERSEDED, "last_error": reason})


async def get_item(conn: Connection, item_id: int) -> OutboxItem | None:
    row = (await conn.execute(select(outbox).where(outbox.c.id == item_id))).first()
    return _item(row) if row else None


async def next_retry(conn: Connection, now: datetime) -> datetime | None:
    """When the earliest item that waits for a retry is due, or None."""
    value: datetime | None = (
        await conn.execute(
            select(func.min(outbox.c.next_attempt_at)).where(
                _PENDING_INLINE, outbox.c.next_attempt_at > now
            )
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


_PURPOSE_OF_MESSAGE = select(outbox.c.purpose).where(
    outbox.c.chat_id == bindparam("chat"), outbox.c.message_id == bindparam("message")
)
_LAST_CREATED_FOR = (
    select(outbox.c.created_at)
    .where(outbox.c.chat_id == bindparam("chat"), outbox.c.purpose == bindparam("purpose"))
    .order_by(outbox.c.id.desc())
    .limit(1)
)


async def purpose_of_message(conn: Connection, chat_id: int, message_id: int) -> str | None:
    """What a message the bot sent in this chat was for (its outbox purpose), if it sent it."""
    rows = await conn.execute(_PURPOSE_OF_MESSAGE, {"chat": chat_id, "message": message_id})
    return next((row[0] for row in rows), None)


async def last_written_for(conn: Connection, chat_id: int, purpose: str) -> datetime | None:
    """When the bot last wrote a message of this purpose for this chat."""
    result = await conn.execute(_LAST_CREATED_FOR, {"chat": chat_id, "purpose": purpose})
    value: datetime | None = result.scalar()
    return value

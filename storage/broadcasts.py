"""Broadcast notices, their acknowledgements, and the grid-group members the bot has seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from storage.database import Connection, insert_for
from storage.schema import broadcast_acks, broadcasts, group_members, inserted_id

COMPOSING, CHOOSING, SENT, CANCELLED = "composing", "choosing", "sent", "cancelled"


@dataclass(frozen=True)
class Broadcast:
    id: int
    lead_id: int
    chat_id: int
    locale: str
    stage: str
    body: str | None
    photo_file_id: str | None
    targets: tuple[int, ...]
    picker_outbox_id: int | None
    sent_at: datetime | None
    reminded_at: datetime | None


def _targets(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


def _broadcast(row: object) -> Broadcast:
    m = row._mapping  # type: ignore[attr-defined]
    return Broadcast(
        m["id"], m["lead_id"], m["chat_id"], m["locale"], m["stage"], m["body"],
        m["photo_file_id"], _targets(m["targets"]), m["picker_outbox_id"], m["sent_at"],
        m["reminded_at"],
    )  # fmt: skip


async def start(conn: Connection, lead_id: int, chat_id: int, locale: str, at: datetime) -> int:
    """A new notice being composed; an unfinished one of the same lead there is dropped."""
    await conn.execute(
        update(broadcasts)
        .where(
            broadcasts.c.lead_id == lead_id,
            broadcasts.c.chat_id == chat_id,
            broadcasts.c.stage.in_((COMPOSING, CHOOSING)),
        )
        .values(stage=CANCELLED)
    )
    result = await conn.execute(
        insert(broadcasts).values(
            lead_id=lead_id, chat_id=chat_id, locale=locale, stage=COMPOSING, created_at=at
        )
    )
    return inserted_id(result)


async def get(conn: Connection, broadcast_id: int) -> Broadcast | None:
    row = (await conn.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id))).first()
    return _broadcast(row) if row is not None else None


async def composing(conn: Connection, lead_id: int, chat_id: int) -> Broadcast | None:
    """The notice this lead is writing in this chat, if the bot waits for its text."""
    row = (
        await conn.execute(
            select(broadcasts)
            .where(
                broadcasts.c.lead_id == lead_id,
                broadcasts.c.chat_id == chat_id,
                broadcasts.c.stage == COMPOSING,
            )
            .order_by(broadcasts.c.id.desc())
            .limit(1)
        )
    ).first()
    return _broadcast(row) if row is not None else None


async def latest_sent(conn: Connection, lead_id: int) -> Broadcast | None:
    row = (
        await conn.execute(
            select(broadcasts)
            .where(broadcasts.c.lead_id == lead_id, broadcasts.c.stage == SENT)
            .order_by(broadcasts.c.id.desc())
            .limit(1)
        )
    ).first()
    return _broadcast(row) if row is not None else None


async def set_content(
    conn: Connection, broadcast_id: int, body: str, photo_file_id: str | None, targets: list[int]
) -> bool:
    """The text is in: on to choosing groups (all chosen to begin with)."""
    result = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.stage == COMPOSING)
        .values(
            stage=CHOOSING,
            body=body,
            photo_file_id=photo_file_id,
            targets=",".join(str(t) for t in targets),
        )
    )
    return result.rowcount == 1


async def set_picker(conn: Connection, broadcast_id: int, outbox_id: int) -> None:
    await conn.execute(
        update(broadcasts).where(broadcasts.c.id == broadcast_id).values(picker_outbox_id=outbox_id)
    )


async def set_targets(conn: Connection, broadcast_id: int, targets: list[int]) -> bool:
    result = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.stage == CHOOSING)
        .values(targets=",".join(str(t) for t in targets))
    )
    return result.rowcount == 1


async def mark_sent(conn: Connection, broadcast_id: int, at: datetime) -> bool:
    """Choosing -> sent, once (a second confirm changes nothing)."""
    result = await conn.execute(
        update(broadcasts)
        .where(broadcasts.c.id == broadcast_id, broadcasts.c.stage == CHOOSING)
        .values(stage=SENT, sent_at=at)
    )
    return result.rowcount == 1


async def mark_reminded(conn: Connection, broadcast_id: int, at: datetime) -> bool:
    """The one reminder is taken, once."""
    result = await conn.execute(
        update(broadcasts)
        .where(
            broadcasts.c.id == broadcast_id,
            broadcasts.c.stage == SENT,
            broadcasts.c.reminded_at.is_(None),
        )
        .values(reminded_at=at)
    )
    return result.rowcount == 1


async def acknowledge(
    conn: Connection, broadcast_id: int, chat_id: int, user_id: int, name: str, at: datetime
) -> bool:
    """Record a person's "got it"; False if they had pressed already."""
    result = await conn.execute(
        insert_for(conn, broadcast_acks)
        .values(broadcast_id=broadcast_id, chat_id=chat_id, user_id=user_id, name=name, at=at)
        .on_conflict_do_nothing(index_elements=["broadcast_id", "user_id"])
    )
    return result.rowcount == 1


async def acknowledged(conn: Connection, broadcast_id: int) -> dict[int, set[int]]:
    """Who pressed, by group."""
    rows = await conn.execute(
        select(broadcast_acks.c.chat_id, broadcast_acks.c.user_id).where(
            broadcast_acks.c.broadcast_id == broadcast_id
        )
    )
    pressed: dict[int, set[int]] = {}
    for chat_id, user_id in rows:
        pressed.setdefault(chat_id, set()).add(user_id)
    return pressed


async def seen(conn: Connection, chat_id: int, user_id: int, name: str, at: datetime) -> None:
    """Note that ``user_id`` is in grid group ``chat_id`` (the name as it reads now)."""
    await conn.execute(
        insert_for(conn, group_members)
        .values(chat_id=chat_id, user_id=user_id, name=name, last_seen=at)
        .on_conflict_do_update(
            index_elements=["chat_id", "user_id"], set_={"name": name, "last_seen": at}
        )
    )


async def members(conn: Connection, chat_ids: tuple[int, ...]) -> dict[int, dict[int, str]]:
    """The members seen in each group: user id -> name."""
    rows = await conn.execute(
        select(group_members.c.chat_id, group_members.c.user_id, group_members.c.name)
        .where(group_members.c.chat_id.in_(chat_ids))
        .order_by(group_members.c.name)
    )
    found: dict[int, dict[int, str]] = {}
    for chat_id, user_id, name in rows:
        found.setdefault(chat_id, {})[user_id] = name
    return found

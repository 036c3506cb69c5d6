"""Tickets written straight to the database as the workflow would have left them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services import Services
from storage import drafts as draft_rows
from storage import tickets as ticket_rows

ZONE = ZoneInfo("Asia/Shanghai")
MARKET = (34.5940, 119.1750)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


async def add(services: Services, number: int, **values: Any) -> None:
    """A ticket as the workflow would have left it, written straight to the database."""
    reported = values.pop("reported")
    events = values.pop("events", [])
    point = values.pop("point", MARKET)
    async with services.db.transaction() as conn:
        draft = await draft_rows.insert_draft(
            conn,
            trigger_key=f"t:{number}",
            chat_id=-1,
            user_id=9001,
            user_name="王老板",
            user_locale="zh",
            group_chat_id=-1001000000201,
            private=False,
            stage="submitted",
            created_at=reported,
            expires_at=reported,
        )
        assert draft is not None
        row = {
            "draft_id": draft.id,
            "status": "dispatched",
            "category": "vending",
            "grid_id": "minzhu-west",
            "squad_id": "minzhu",
            "latitude": point[0],
            "longitude": point[1],
            "reporter_id": 9001,
            "reporter_name": "王老板",
            "anonymous": False,
            "group_chat_id": -1001000000201,
            "locale": "zh",
            "reported_at": reported,
            "dispatched_at": reported,
        }
        row.update(values)
        ticket_id = await ticket_rows.insert_ticket(conn, **row)
        for kind, moment, *who in events:
            actor = who[0] if who else None
            detail = who[1] if len(who) > 1 else {}
            await ticket_rows.add_event(conn, ticket_id, kind, moment, actor, **detail)

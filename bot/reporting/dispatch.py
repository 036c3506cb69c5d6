"""A finished report becomes a ticket, routed to its squad's chat as one card."""

from __future__ import annotations

import json
from datetime import datetime

from bot.core import notices
from bot.core.directory import Directory
from bot.core.notices import Notice
from bot.delivery.outbox import Outbox
from bot.duty.deadlines import rearm
from bot.duty.on_duty import Route
from bot.tickets import cards
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.drafts import Draft
from storage.lifecycle import Status
from storage.report import details_of
from storage.tickets import Ticket, TicketChange


async def create_ticket(
    conn: Connection,
    draft: Draft,
    *,
    directory: Directory,
    outbox: Outbox,
    now: datetime,
    group_locale: str,
    route: Route,
) -> Ticket:
    """Save the ticket, its first events, and the card (and, if private, the group notice).

    Runs inside the caller's transaction: either all of it is saved or none.
    """
    assert draft.grid_id is not None and draft.category is not None
    assert draft.latitude is not None and draft.longitude is not None
    squad = route.squad
    ticket_id = await ticket_rows.insert_ticket(
        conn,
        draft_id=draft.id,
        status=Status.DISPATCHED.value,
        category=draft.category,
        grid_id=draft.grid_id,
        squad_id=squad.id,
        home_squad_id=directory.squad_of_grid[draft.grid_id].id,
        duty_mentions=json.dumps(
            [[m.telegram_id, m.name] for m in route.on_duty], ensure_ascii=False
        ),
        latitude=draft.latitude,
        longitude=draft.longitude,
        **details_of(draft),  # the report's details, whole (storage/report.py)
        reporter_id=draft.user_id,
        reporter_name=draft.user_name,
        reporter_username=draft.username,
        anonymous=draft.private,
        group_chat_id=draft.group_chat_id,
        report_message_id=None if draft.private else draft.location_message_id,
        locale=group_locale,
        reported_at=now,
        dispatched_at=now,
    )
    await ticket_rows.add_event(
        conn, ticket_id, "reported", now, draft.user_id, private=draft.private, draft=draft.id
    )
    await ticket_rows.add_event(
        conn,
        ticket_id,
        "dispatched",
        now,
        None,
        squad=squad.id,
        chat=squad.dispatch_chat_id,
        fallback_from=route.fallback_from.id if route.fallback_from else None,
        on_duty=[m.telegram_id for m in route.on_duty],
    )
    ticket = await ticket_rows.get_ticket(conn, ticket_id)
    assert ticket is not None
    ticket = await rearm(conn, ticket, directory.settings)
    locale = directory.squad_locale(squad)
    card_id = await outbox.put(conn, card_notice(ticket, directory, locale, squad.dispatch_chat_id))
    await outbox.put(conn, pin_notice(ticket, squad.dispatch_chat_id, card_id))
    updates: TicketChange = {"card_outbox_id": card_id}
    if draft.private:
        notice = notices.text(
            draft.group_chat_id,
            cards.group_receipt(ticket, directory, group_locale, route.fallback_from),
            "group_notice",
            ticket_id=ticket_id,
        )
        updates["group_notice_outbox_id"] = await outbox.put(conn, notice)
    await ticket_rows.set_ticket(conn, ticket_id, **updates)
    refreshed = await ticket_rows.get_ticket(conn, ticket_id)
    assert refreshed is not None
    return refreshed


def pin_notice(ticket: Ticket, chat_id: int, card_outbox_id: int) -> Notice:
    """The map pin officers tap to navigate, replying to the card.

    The card goes first: it is what officers act on, and it reaches the chat one request
    sooner than if it had to wait for the pin.
    """
    payload: dict[str, object] = {"latitude": ticket.latitude, "longitude": ticket.longitude}
    kind = "location"
    if ticket.venue_title:
        payload |= {"title": ticket.venue_title, "address": ticket.venue_address or ""}
        kind = "venue"
    return Notice(
        chat_id, kind, "card_pin", payload, ticket_id=ticket.id, reply_to_outbox_id=card_outbox_id
    )


def card_notice(ticket: Ticket, directory: Directory, locale: str, chat_id: int) -> Notice:
    body = cards.card_text(ticket, directory, locale)
    markup = cards.card_buttons(ticket, locale, directory)
    if ticket.photo_file_id:
        payload = {"photo": ticket.photo_file_id, "caption": body, "markup": markup}
        return Notice(chat_id, "photo", "card", payload, ticket_id=ticket.id)
    return notices.text(chat_id, body, "card", markup, ticket_id=ticket.id)

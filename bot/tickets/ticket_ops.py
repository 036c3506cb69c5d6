"""Shared steps of the ticket workflow: re-render the card, talk to the reporter's group."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core import notices
from bot.core.clock import Clock
from bot.core.directory import Directory
from bot.core.i18n import t
from bot.core.notices import Markup, Notice
from bot.core.people import Answer
from bot.delivery.outbox import Outbox
from bot.duty.deadlines import rearm
from bot.tickets import cards
from storage import photos as photo_rows
from storage import tickets as ticket_rows
from storage.database import Connection, Database
from storage.tickets import Ticket


class Alarm:
    """Passes "an escalation is due at ..." to whoever keeps the timer (the JobQueue)."""

    def __init__(self) -> None:
        self.listener: Callable[[datetime], None] | None = None

    def wake_at(self, moment: datetime | None) -> None:
        if moment is not None and self.listener is not None:
            self.listener(moment)


@dataclass
class Desk:
    """What every workflow step needs: the database, the district, the outbox, the clock."""

    db: Database
    directory: Directory
    outbox: Outbox
    clock: Clock
    alarm: Alarm = field(default_factory=Alarm)

    def squad_locale(self, ticket: Ticket) -> str:
        return self.directory.squad_locale(self.directory.squads[ticket.squad_id])

    def squad_chat(self, ticket: Ticket) -> int:
        return self.directory.squads[ticket.squad_id].dispatch_chat_id

    async def reload(self, conn: Connection, ticket_id: int) -> Ticket:
        ticket = await ticket_rows.get_ticket(conn, ticket_id)
        assert ticket is not None
        return ticket

    async def refresh_card(
        self, conn: Connection, ticket: Ticket, mode: str = "", purpose: str = "card"
    ) -> None:
        """After any change: re-derive the ticket's escalation timer, then edit its card
        (``purpose`` "card_refresh" lets the edit wait behind live messages)."""
        ticket = await rearm(conn, ticket, self.directory.settings)
        self.alarm.wake_at(ticket.esc_due_at)
        if ticket.card_outbox_id is None:
            return
        locale = self.squad_locale(ticket)
        notice = notices.edit(
            ticket.card_outbox_id,
            self.squad_chat(ticket),
            cards.card_text(
                ticket, self.directory, locale, await photo_rows.photos_of(conn, ticket.id)
            ),
            purpose,
            caption=ticket.photo_file_id is not None,
            markup=cards.card_buttons(ticket, locale, self.directory, mode),
            ticket_id=ticket.id,
        )
        await self.outbox.put(conn, notice)

    async def tell_squad(self, conn: Connection, ticket: Ticket, body: str) -> None:
        """A new message in the squad chat, replying to the card (it notifies, an edit not)."""
        await self.outbox.put(conn, self.squad_notice(ticket, body))

    async def tell_leads(self, conn: Connection, ticket: Ticket, body: str) -> None:
        """A notice for the ticket's squad's leads: in their lead chat, or as a squad notice
        when the squad chat is their chat too."""
        squad = self.directory.squads[ticket.squad_id]
        chat = self.directory.lead_chat(squad)
        if chat == squad.dispatch_chat_id:
            await self.tell_squad(conn, ticket, body)
        else:
            await self.outbox.put(
                conn, notices.text(chat, body, "lead_notice", ticket_id=ticket.id)
            )

    def squad_notice(self, ticket: Ticket, body: str) -> Notice:
        return notices.text(
            self.squad_chat(ticket),
            body,
            "squad_notice",
            ticket_id=ticket.id,
            reply_to_outbox_id=ticket.card_outbox_id,
        )

    def to_group(
        self, ticket: Ticket, body: str, purpose: str, markup: Markup | None = None
    ) -> Notice:
        """A message to the reporter's group replying to the report (or its public notice)."""
        if ticket.report_message_id is not None:
            return notices.text(
                ticket.group_chat_id,
                body,
                purpose,
                markup,
                ticket_id=ticket.id,
                reply_to_message_id=ticket.report_message_id,
            )
        return notices.text(
            ticket.group_chat_id,
            body,
            purpose,
            markup,
            ticket_id=ticket.id,
            reply_to_outbox_id=ticket.group_notice_outbox_id,
        )

    async def set_progress(
        self, conn: Connection, ticket: Ticket, body: str, *, with_origin: bool = True
    ) -> None:
        """The one progress notice in the group: posted once, then edited in place. After a
        hand-over each later edit still says why another squad has the ticket."""
        if with_origin and ticket.handed_from in self.directory.squads:
            body += "\n" + t(
                ticket.locale,
                "group.handed_note",
                previous=self.directory.squads[ticket.handed_from or ""].name.get(ticket.locale),
                stage=t(ticket.locale, f"stage.{ticket.handed_stage or 'claim'}"),
            )
        if ticket.progress_outbox_id is None:
            item = await self.outbox.put(conn, self.to_group(ticket, body, "progress"))
            await ticket_rows.set_ticket(conn, ticket.id, progress_outbox_id=item)
            return
        await self.outbox.put(
            conn,
            notices.edit(
                ticket.progress_outbox_id,
                ticket.group_chat_id,
                body,
                "progress",
                caption=False,
                ticket_id=ticket.id,
            ),
        )

    def stale(self, locale: str) -> Answer:
        return Answer(t(locale, "button.stale"), alert=True)

    def officer_name(self, user_id: int, fallback: str) -> str:
        return self.directory.member_name(user_id, fallback)

"""The re-inspection (复查) card in the squad chat: its text, its buttons, and its end."""

from __future__ import annotations

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.config import LIMIT_CLASS
from bot.core.i18n import t
from bot.core.notices import Button, Markup, Notice
from bot.core.people import Person
from bot.tickets import cards
from bot.tickets.confirmation import Confirmation
from bot.tickets.limits import limit_text
from storage.database import Connection
from storage.tickets import Ticket


class RecheckCard(Confirmation):
    """How a re-inspection looks; what its presses do is ``bot.tickets.recheck``."""

    def card_text(self, ticket: Ticket, locale: str) -> str:
        """The re-inspection card: where, what was reported, the notice and its limit."""
        zone = self.directory.settings.zone
        place = ticket.venue_title or self.directory.grid_name(ticket.grid_id, locale)
        action = cards.outcome_name(
            self.directory, LIMIT_CLASS, ticket.outcome_action or "", locale
        )
        lines = [
            t(
                locale,
                "recheck.card_title",
                number=cards.ticket_number(ticket.id),
                category=self.directory.category_name(ticket.category, locale),
            ),
            t(
                locale,
                "card.where",
                grid=self.directory.grid_name(ticket.grid_id, locale),
                latitude=f"{ticket.latitude:.5f}",
                longitude=f"{ticket.longitude:.5f}",
            ),
            t(
                locale,
                "card.navigate",
                url=cards.map_link(ticket.latitude, ticket.longitude, place),
            ),
        ]
        if ticket.description:
            lines.append(t(locale, "card.description", text=ticket.description))
        assert ticket.recheck_due_at is not None
        lines.append(
            t(
                locale,
                "recheck.card_notice",
                action=action,
                limit=limit_text(ticket.recheck_limit_s or 0, locale),
                time=cards.local_time(ticket.recheck_due_at, zone),
                officer=ticket.claimed_by_name or "",
            )
        )
        return "\n".join(lines)

    def _card(self, ticket: Ticket) -> Notice:
        locale = self.squad_locale(ticket)
        body = self.card_text(ticket, locale) + "\n" + t(locale, "recheck.card_ask")
        markup = self._card_buttons(ticket, locale)
        chat = self.squad_chat(ticket)
        if ticket.photo_file_id:
            payload = {"photo": ticket.photo_file_id, "caption": body, "markup": markup}
            return Notice(chat, "photo", "recheck_card", payload, ticket_id=ticket.id)
        return notices.text(chat, body, "recheck_card", markup, ticket_id=ticket.id)

    def _card_buttons(self, ticket: Ticket, locale: str) -> Markup:
        return notices.inline(
            [
                [
                    Button(
                        t(locale, "button.rectified"),
                        buttons.encode(Press.RECHECK_RECTIFIED, ticket.id),
                    ),
                    Button(
                        t(locale, "button.not_rectified"),
                        buttons.encode(Press.RECHECK_NOT_RECTIFIED, ticket.id),
                    ),
                ]
            ]
        )

    async def _close_card(
        self,
        conn: Connection,
        ticket: Ticket,
        key: str,
        person: Person | None,
        outcome: str = "enforcement",
    ) -> None:
        """The card keeps what it showed (``ticket`` as it was then), ends with how the
        re-inspection went, and loses its buttons."""
        if ticket.recheck_outbox_id is None:
            return
        locale = self.squad_locale(ticket)
        officer = self.officer_name(person.id, person.name) if person is not None else ""
        ending = t(
            locale,
            key,
            officer=officer,
            time=cards.local_time(self.clock.now(), self.directory.settings.zone),
            outcome=t(locale, f"outcome.{outcome}"),
        )
        await self.outbox.put(
            conn,
            notices.edit(
                ticket.recheck_outbox_id,
                self.squad_chat(ticket),
                self.card_text(ticket, locale) + "\n" + ending,
                "recheck_card",
                caption=ticket.photo_file_id is not None,
                ticket_id=ticket.id,
            ),
        )

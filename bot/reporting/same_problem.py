"""The "same problem?" offer: before a ticket is created, a report near an open ticket of
its category is offered to join it.

After the category is chosen, an open ticket (``open_states()``: the squad still has work to
do) of that category within the category's join radius (geodesic) is offered; the nearest
wins. A ticket awaiting its reporter's confirmation is not offered: the squad thinks it is
done, so a new report there is news for the squad, not support. The offer is the draft's
stage ``same`` (with the ticket in ``same_ticket_id``), so it survives a restart; only the
reporter may answer, and a second or stale press changes nothing.

Joining ends the draft without a ticket or a card: the reporter becomes a supporter of the
ticket (an event on it), and gets a receipt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geopy.distance import geodesic

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.i18n import Raw, t
from bot.core.notices import Button
from bot.core.people import Answer, Person
from bot.reporting.location import LocationStep
from bot.tickets import cards
from bot.tickets.ticket_ops import Desk
from storage import drafts as draft_rows
from storage import supporters as support_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.drafts import Draft
from storage.lifecycle import open_states

METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Offer:
    ticket_id: int
    distance_m: float
    minutes_ago: int


class SameProblemStep(LocationStep):
    async def _same_offer(self, conn: Connection, draft: Draft, code: str) -> Offer | None:
        """The nearest open ticket of ``code`` within its join radius of the draft's point."""
        radius = self.directory.join_radius_m(code)
        if radius <= 0 or draft.latitude is None or draft.longitude is None:
            return None
        lat, lon = draft.latitude, draft.longitude
        half_lat = radius / METRES_PER_DEGREE
        half_lon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        found = await support_rows.tickets_near(
            conn, code, open_states(), lat, lon, half_lat, half_lon
        )
        best: Offer | None = None
        now = self.clock.now()
        for near in found:
            distance = float(geodesic((lat, lon), (near.latitude, near.longitude)).m)
            if distance <= radius and (best is None or distance < best.distance_m):
                minutes = max(0, int((now - near.reported_at).total_seconds() // 60))
                best = Offer(near.ticket_id, distance, minutes)
        return best

    async def _show_offer(self, conn: Connection, draft: Draft, code: str, offer: Offer) -> None:
        locale = draft.user_locale
        ago = (
            t(locale, "same.just_now")
            if offer.minutes_ago < 1
            else t(locale, "same.ago", duration=cards.duration_text(offer.minutes_ago, locale))
        )
        body = t(
            locale,
            "same.offer",
            category=self.directory.category_name(code, locale),
            number=cards.ticket_number(offer.ticket_id),
            ago=ago,
            distance=round(offer.distance_m),
        )
        keyboard = notices.inline(
            [
                [
                    Button(t(locale, "button.join"), buttons.encode(Press.JOIN, draft.id)),
                    Button(t(locale, "button.not_same"), buttons.encode(Press.NOT_SAME, draft.id)),
                ],
                [Button(t(locale, "button.cancel"), buttons.encode(Press.CANCEL, draft.id))],
            ]
        )
        await self._edit_panel(conn, draft, body, keyboard)

    async def _ask_details(self, conn: Connection, draft: Draft, code: str) -> None:
        locale = draft.user_locale
        body = t(
            locale,
            "report.ask_details",
            category=self.directory.category_name(code, locale),
            limit=self.directory.settings.intake.max_description_length,
        )
        keyboard = notices.inline(
            [
                [
                    Button(t(locale, "button.skip"), buttons.encode(Press.SKIP, draft.id)),
                    Button(t(locale, "button.cancel"), buttons.encode(Press.CANCEL, draft.id)),
                ]
            ]
        )
        await self._edit_panel(conn, draft, body, keyboard)

    async def not_same(self, draft_id: int, person: Person) -> Answer:
        """The reporter said "No, it is a new problem": go on to the details as without an offer."""
        async with self.db.transaction() as conn:
            draft = await self._pressed_draft(conn, draft_id, person)
            if isinstance(draft, Answer):
                return draft
            locale = draft.user_locale
            if draft.stage != "same" or draft.category is None:
                return Answer(t(locale, "button.stale"), alert=True)
            if not await draft_rows.advance_draft(
                conn, draft.id, "same", stage="details", expires_at=self.clock.now() + self.timeout
            ):
                return Answer(t(locale, "button.stale"), alert=True)
            await self._ask_details(conn, draft, draft.category)
        return Answer(t(locale, "same.declined_toast"))

    async def join(self, draft_id: int, person: Person) -> Answer:
        """The reporter pressed "Join": no new ticket; the reporter supports the offered one."""
        async with self.db.transaction() as conn:
            draft = await self._pressed_draft(conn, draft_id, person)
            if isinstance(draft, Answer):
                return draft
            locale = draft.user_locale
            if draft.stage != "same" or draft.same_ticket_id is None or draft.category is None:
                return Answer(t(locale, "button.stale"), alert=True)
            ticket = await ticket_rows.get_ticket(conn, draft.same_ticket_id)
            if ticket is None or ticket.status not in open_states():
                # Closed meanwhile: the report goes on as a new problem.
                await draft_rows.advance_draft(
                    conn,
                    draft.id,
                    "same",
                    stage="details",
                    expires_at=self.clock.now() + self.timeout,
                )
                await self._ask_details(conn, draft, draft.category)
                return Answer(t(locale, "same.gone"), alert=True)
            now = self.clock.now()
            if not await draft_rows.advance_draft(
                conn, draft.id, "same", stage="joined", ended_at=now
            ):
                return Answer(t(locale, "button.stale"), alert=True)
            # Their own ticket, or one they already support: nothing new to count.
            added = ticket.reporter_id != person.id and await support_rows.add_supporter(
                conn,
                support_rows.Supporter(
                    ticket_id=ticket.id,
                    user_id=person.id,
                    user_name=draft.user_name,
                    private=draft.private,
                    group_chat_id=draft.group_chat_id,
                    chat_id=draft.chat_id,
                    locale=locale,
                    at=now,
                ),
            )
            await self._joined_receipt(conn, draft, cards.ticket_number(ticket.id))
            if added:
                count = await support_rows.supporter_count(conn, ticket.id)
                await ticket_rows.add_event(
                    conn,
                    ticket.id,
                    "supported",
                    now,
                    person.id,
                    private=draft.private,
                    supporters=count,
                )
                await self._after_join(conn, ticket.id, count)
        return Answer(t(locale, "same.joined_toast", number=cards.ticket_number(ticket.id)))

    async def _after_join(self, conn: Connection, ticket_id: int, count: int) -> None:
        """A new supporter: the card shows their number; at ``intake.support_alert_at``
        supporters the squad's leads are told, once (an event on the ticket)."""
        await ticket_rows.set_ticket(conn, ticket_id, supporters=count)
        desk = Desk(self.db, self.directory, self.outbox, self.clock)
        ticket = await desk.reload(conn, ticket_id)
        await desk.refresh_card(conn, ticket, purpose="card_refresh")
        if count < self.directory.settings.intake.support_alert_at or ticket.support_alerted_at:
            return
        now = self.clock.now()
        await ticket_rows.set_ticket(conn, ticket_id, support_alerted_at=now)
        await ticket_rows.add_event(conn, ticket_id, "support_alert", now, supporters=count)
        squad = self.directory.squads[ticket.squad_id]
        locale = self.directory.squad_locale(squad)
        body = t(
            locale,
            "same.tell_leads",
            number=cards.ticket_number(ticket_id),
            count=count + 1,
            category=self.directory.category_name(ticket.category, locale),
            grid=self.directory.grid_name(ticket.grid_id, locale),
            leads=Raw(
                " ".join(
                    cards.mention(m.telegram_id, m.name) for m in self.directory.leads_of(squad)
                )
            ),
        )
        await desk.tell_leads(conn, ticket, body)

    async def _joined_receipt(self, conn: Connection, draft: Draft, number: str) -> None:
        body = t(draft.user_locale, "same.joined", number=number)
        if not draft.private:
            await self._edit_panel(conn, draft, body, None)
            return
        assert draft.panel_outbox_id is not None
        await self.outbox.put(conn, notices.delete(draft.panel_outbox_id, draft.chat_id, "panel"))
        await self.outbox.put(conn, notices.text(draft.chat_id, body, "panel", {"remove": True}))

"""Officers take tickets: claim, release, assignment by a lead, arrival on site.

Each step is a conditional update of the ticket row (the database decides races), an
event, an edit of the squad's card, and where shop owners care, the group's progress notice.
"""

from __future__ import annotations

from datetime import datetime

from geopy.distance import geodesic

from bot.core.i18n import t
from bot.core.people import ROW_GONE, Answer, Person, Spot
from bot.tickets import cards
from bot.tickets.cards import RELEASE_REASONS, duration_text, minutes_between
from bot.tickets.ticket_ops import Desk
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import HELD, Action, open_states
from storage.tickets import Ticket, TicketChange

CLEARED_CLAIM: TicketChange = {
    "claimed_at": None,
    "claimed_by": None,
    "claimed_by_name": None,
    "on_site_at": None,
    "on_site_distance_m": None,
    "on_site_far": None,
    "resolve_stage": None,
    "resolve_class": None,
    "resolve_action": None,
}


def rework_round(rework_count: int, now: datetime) -> TicketChange:
    """A ticket handed back to its squad for another round after a resolution (the reporter's
    "not solved", or a failed re-inspection): no claim, no outcome, its own deadlines."""
    return CLEARED_CLAIM | {
        "dispatched_at": now,
        "overdue": None,  # a new round: its own deadlines
        "rework_count": rework_count + 1,
        "resolved_at": None,
        "resolved_by": None,
        "outcome_class": None,
        "outcome_action": None,
        "outcome_note": None,
        "outcome_photo": None,
        "outcome_point": None,
        "outcome_point_m": None,
        "confirm_deadline": None,
        "resolve_prompt_outbox_id": None,
    }


class Workflow(Desk):
    def _refuse(self, ticket: Ticket | None, person: Person) -> Answer | None:
        """Refuse a press on a missing ticket or by someone outside its squad."""
        if ticket is None:
            return ROW_GONE
        if not self.directory.may_handle(person.id, ticket.squad_id):
            squad = self.directory.squads[ticket.squad_id]
            locale = self.squad_locale(ticket)
            return Answer(t(locale, "workflow.not_your_squad", squad=squad.name.get(locale)), True)
        return None

    async def _load(self, conn: Connection, ticket_id: int, person: Person) -> Ticket | Answer:
        """The ticket, or the refusal for this presser (missing ticket, another squad)."""
        ticket = await ticket_rows.get_ticket(conn, ticket_id)
        return self._refuse(ticket, person) or ticket or Answer("")

    async def claim(self, ticket_id: int, person: Person) -> Answer:
        """Take the ticket; of several simultaneous presses exactly one wins."""
        async with self.db.transaction() as conn:
            ticket = await self._load(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            now = self.clock.now()
            name = self.officer_name(person.id, person.name)
            if not await ticket_rows.move_ticket(
                conn,
                ticket_id,
                Action.CLAIM,
                claimed_at=now,
                claimed_by=person.id,
                claimed_by_name=name,
            ):
                if ticket.claimed_by is not None and ticket.status in HELD:
                    who = ticket.claimed_by_name or ""
                    return Answer(t(locale, "workflow.already_claimed", name=who), True)
                return self.stale(locale)
            await ticket_rows.add_event(conn, ticket_id, "claimed", now, person.id, name=name)
            await ticket_rows.stamp_first(conn, ticket_id, "first_claimed_at", now)
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            await self._tell_on_the_way(conn, ticket)
        return Answer(t(locale, "workflow.claimed_toast", number=cards.ticket_number(ticket_id)))

    async def _tell_on_the_way(self, conn: object, ticket: Ticket) -> None:
        body = t(
            ticket.locale,
            "group.on_the_way",
            number=cards.ticket_number(ticket.id),
            officer=ticket.claimed_by_name or "",
        )
        await self.set_progress(conn, ticket, body)  # type: ignore[arg-type]

    async def show_menu(self, ticket_id: int, person: Person, mode: str) -> Answer:
        """Open the release-reason or assignment sub-menu on the card (no state changes)."""
        async with self.db.transaction() as conn:
            ticket = await self._load(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if mode == "release" and not (ticket.status in HELD and ticket.claimed_by == person.id):
                return Answer(t(locale, "workflow.only_claimer"), True)
            if mode == "assign" and not self.directory.is_lead(person.id):
                return Answer(t(locale, "workflow.only_lead"), True)
            if mode and ticket.status not in open_states():
                return self.stale(locale)
            await self.refresh_card(conn, ticket, mode)
        return Answer("")

    async def release(self, ticket_id: int, person: Person, reason: str) -> Answer:
        """The claimer gives the ticket back to the squad, with a reason."""
        async with self.db.transaction() as conn:
            ticket = await self._load(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if reason not in RELEASE_REASONS:
                return Answer(t(locale, "button.unknown"), True)
            if ticket.claimed_by != person.id:
                return Answer(t(locale, "workflow.only_claimer"), True)
            now = self.clock.now()
            # The squad gets a fresh claim deadline from the release (a shift change must not
            # send the ticket to the fallback at once); steps already taken are not repeated.
            if not await ticket_rows.move_ticket(
                conn,
                ticket_id,
                Action.RELEASE,
                **(CLEARED_CLAIM | {"dispatched_at": now, "overdue": None}),
            ):
                return self.stale(locale)
            await ticket_rows.add_event(conn, ticket_id, "released", now, person.id, reason=reason)
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            reason_text = t(locale, f"release.reason.{reason}")
            await self.tell_squad(
                conn,
                ticket,
                t(
                    locale,
                    "workflow.released",
                    number=cards.ticket_number(ticket_id),
                    officer=self.officer_name(person.id, person.name),
                    reason=reason_text,
                ),
            )
            body = t(ticket.locale, "group.rearranging", number=cards.ticket_number(ticket_id))
            await self.set_progress(conn, ticket, body)
        return Answer(t(locale, "workflow.released_toast"))

    async def assign(self, ticket_id: int, person: Person, officer_id: int) -> Answer:
        """A lead hands the ticket to a named officer of its squad."""
        async with self.db.transaction() as conn:
            ticket = await self._load(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if not self.directory.is_lead(person.id):
                return Answer(t(locale, "workflow.only_lead"), True)
            if not self.directory.in_squad(officer_id, ticket.squad_id):
                return Answer(t(locale, "button.unknown"), True)
            now = self.clock.now()
            name = self.officer_name(officer_id, str(officer_id))
            if not await ticket_rows.move_ticket(
                conn,
                ticket_id,
                Action.ASSIGN,
                **(
                    CLEARED_CLAIM
                    | {
                        "claimed_at": now,
                        "claimed_by": officer_id,
                        "claimed_by_name": name,
                    }
                ),
            ):
                return self.stale(locale)
            await ticket_rows.stamp_first(conn, ticket_id, "first_claimed_at", now)
            await ticket_rows.add_event(
                conn,
                ticket_id,
                "assigned",
                now,
                person.id,
                officer=officer_id,
                previous=ticket.claimed_by,
            )
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            await self.tell_squad(
                conn,
                ticket,
                t(
                    locale,
                    "workflow.assigned",
                    number=cards.ticket_number(ticket_id),
                    lead=self.officer_name(person.id, person.name),
                    officer=cards.mention(officer_id, name),
                ),
            )
            await self._tell_on_the_way(conn, ticket)
        return Answer(t(locale, "workflow.assigned_toast", officer=name))

    async def arrive(self, ticket_id: int, person: Person, spot: Spot | None) -> Answer:
        """The claimer is on site; with a location, the distance to the reported point."""
        async with self.db.transaction() as conn:
            ticket = await self._load(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if ticket.status in HELD and ticket.claimed_by != person.id:
                return Answer(t(locale, "workflow.only_claimer"), True)
            now = self.clock.now()
            distance: float | None = None
            if spot is not None and spot.valid:
                distance = float(
                    geodesic((spot.latitude, spot.longitude), (ticket.latitude, ticket.longitude)).m
                )
            far = (
                None
                if distance is None
                else distance > self.directory.settings.workflow.arrival_radius_m
            )
            if not await ticket_rows.move_ticket(
                conn,
                ticket_id,
                Action.ARRIVE,
                on_site_at=now,
                on_site_distance_m=distance,
                on_site_far=far,
            ):
                return self.stale(locale)
            await ticket_rows.add_event(
                conn, ticket_id, "on_site", now, person.id, distance_m=distance, far=far
            )
            await ticket_rows.stamp_first(conn, ticket_id, "first_on_site_at", now)
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            after = minutes_between(ticket.reported_at, now) or 0
            body = t(
                ticket.locale,
                "group.on_site_far" if far else "group.on_site",
                number=cards.ticket_number(ticket_id),
                officer=ticket.claimed_by_name or "",
                after=duration_text(after, ticket.locale),
                distance=round(distance or 0),
            )
            await self.set_progress(conn, ticket, body)
        key = "workflow.on_site_far_toast" if far else "workflow.on_site_toast"
        return Answer(t(locale, key), alert=bool(far))

    async def arrive_by_location(
        self, chat_id: int, card_message_id: int, person: Person, spot: Spot
    ) -> Answer | None:
        """An officer's location sent as a reply to a card, or to the map pin under it;
        None if it replies to neither."""
        async with self.db.transaction() as conn:
            ticket = await ticket_rows.ticket_by_message(
                conn, chat_id, card_message_id, "card_outbox_id"
            ) or await ticket_rows.ticket_by_card_pin(conn, chat_id, card_message_id)
        if ticket is None:
            return None
        return await self.arrive(ticket.id, person, spot)

"""Read-only views: a ticket's timeline, a squad's open tickets, an officer's own."""

from __future__ import annotations

from datetime import datetime

from bot.core.config import LIMIT_CLASS
from bot.core.i18n import t, tn
from bot.core.people import Person
from bot.tickets import cards
from bot.tickets.cards import duration_text, local_time, minutes_between
from bot.tickets.limits import limit_text
from bot.tickets.ticket_ops import Desk
from storage import tickets as ticket_rows
from storage.tickets import Event, Ticket

MAX_LISTED = 30


class Views(Desk):
    async def timeline(self, number: int, person: Person, locale: str) -> str:
        """``/ticket N``: every event of the ticket, for its reporter, squad and leads."""
        async with self.db.transaction() as conn:
            ticket = await ticket_rows.get_ticket(conn, number)
            events = await ticket_rows.events_of(conn, number) if ticket else []
        if ticket is None:
            return t(locale, "view.no_such_ticket", number=f"#{number}")
        allowed = person.id == ticket.reporter_id or self.directory.may_handle(
            person.id, ticket.squad_id
        )
        if not allowed:
            return t(locale, "view.not_allowed")
        lines = [self._headline(ticket, locale)]
        lines += [self._event_line(ticket, event, locale) for event in events]
        lines.append(t(locale, f"card.status.{ticket.status}"))
        return "\n".join(lines)

    def _headline(self, ticket: Ticket, locale: str) -> str:
        return t(
            locale,
            "view.headline",
            number=cards.ticket_number(ticket.id),
            category=self.directory.category_name(ticket.category, locale),
            grid=self.directory.grid_name(ticket.grid_id, locale),
        )

    def _event_line(self, ticket: Ticket, event: Event, locale: str) -> str:
        time = local_time(event.at, self.directory.settings.zone)
        actor = self.officer_name(event.actor_id, "") if event.actor_id else ""
        detail = event.detail
        extra = ""
        if event.kind == "dispatched":
            extra = self.directory.squads[detail["squad"]].name.get(locale)
        elif event.kind == "on_site" and detail.get("distance_m") is not None:
            key = "view.distance_far" if detail.get("far") else "view.distance"
            extra = t(
                locale,
                key,
                distance=round(detail["distance_m"]),
                radius=round(self.directory.settings.workflow.arrival_radius_m),
            )
        elif event.kind == "released":
            extra = t(locale, f"release.reason.{detail['reason']}")
        elif event.kind == "assigned":
            extra = self.officer_name(detail["officer"], str(detail["officer"]))
        elif event.kind == "resolved":
            extra = cards.outcome_name(
                self.directory, detail["outcome"], detail.get("action"), locale
            )
            if detail.get("note"):
                extra += t(locale, "view.note", text=detail["note"])
            if detail.get("photo"):
                extra += t(locale, "view.photo")
        elif event.kind == "escalated":
            extra = t(locale, f"stage.{detail['stage']}")
        elif event.kind == "handed_over":
            extra = self.directory.squads[detail["squad"]].name.get(locale)
        elif event.kind in ("supported", "support_alert"):
            extra = str(detail["supporters"])
        elif event.kind in ("merged_into", "merged_from"):
            extra = cards.ticket_number(int(detail["ticket"]))
        elif event.kind == "rated":
            extra = "⭐" * int(detail["rating"])
        elif event.kind == "point_chosen":
            point = self.directory.vending_points.get(detail.get("point") or "")
            extra = point.name.get(locale) if point else t(locale, "view.point_skipped")
        elif event.kind.startswith(("notice_", "recheck")):
            extra = self._recheck_extra(event, locale)
        if event.kind in ("reported", "confirmed", "reopened", "rated"):
            actor = t(locale, "view.reporter")
        key = f"event.{event.kind}"
        if event.kind == "escalated":
            # The overdue mark, a reminder, a lead notice and a hand-over read differently.
            key = f"event.escalated.{detail.get('action', 'mark_overdue')}"
        return t(locale, key, time=time, actor=actor, extra=extra).rstrip()

    def _recheck_extra(self, event: Event, locale: str) -> str:
        """What a rectification notice's and its re-inspection's events add to the line."""
        detail = event.detail
        if event.kind == "notice_issued":
            action = cards.outcome_name(self.directory, LIMIT_CLASS, detail.get("action"), locale)
            limit = t(locale, "view.limit", limit=limit_text(int(detail["limit"]), locale))
            return f"{action} · {limit}"
        if event.kind == "recheck_due" and detail.get("late_minutes", 0) > 0:
            return t(locale, "view.late", duration=duration_text(detail["late_minutes"], locale))
        if event.kind == "rechecked":
            timing = "view.on_time" if detail.get("on_time") else "view.late_recheck"
            return t(locale, f"view.{detail['result']}") + t(locale, timing)
        if event.kind == "recheck_reopened":
            return t(locale, f"outcome.{detail['outcome']}")
        return ""

    async def open_in_squad_chat(self, chat_id: int, locale: str) -> str:
        """``/open``: the squad's unresolved tickets, oldest first, with their ages."""
        squad = self.directory.squad_chats.get(chat_id)
        if squad is None:
            return t(locale, "view.open_only_in_squad_chat")
        async with self.db.transaction() as conn:
            tickets = await ticket_rows.open_tickets_of_squad(conn, squad.id)
        if not tickets:
            return t(locale, "view.none_open", squad=squad.name.get(locale))
        now = self.clock.now()
        lines = [tn(locale, "view.open_title", len(tickets), squad=squad.name.get(locale))]
        lines += [self._list_line(ticket, now, locale) for ticket in tickets[:MAX_LISTED]]
        return "\n".join(lines)

    async def mine(self, person: Person, locale: str) -> str:
        """``/mine``: the tickets an officer holds."""
        async with self.db.transaction() as conn:
            tickets = await ticket_rows.tickets_of_officer(conn, person.id)
        if not tickets:
            return t(locale, "view.none_mine")
        now = self.clock.now()
        lines = [t(locale, "view.mine_title", count=len(tickets))]
        lines += [self._list_line(ticket, now, locale) for ticket in tickets[:MAX_LISTED]]
        return "\n".join(lines)

    def _list_line(self, ticket: Ticket, now: datetime, locale: str) -> str:
        age = minutes_between(ticket.reported_at, now) or 0
        state = t(locale, f"view.state.{ticket.status}", officer=ticket.claimed_by_name or "")
        return t(
            locale,
            "view.line",
            number=cards.ticket_number(ticket.id),
            category=self.directory.category_name(ticket.category, locale),
            grid=self.directory.grid_name(ticket.grid_id, locale),
            state=state,
            age=duration_text(age, locale),
        )

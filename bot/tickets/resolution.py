"""Resolving a ticket with a 7-2-1 outcome: the steps of the officer's resolution prompt
(its look is ``bot.tickets.resolution_prompt``), and the record of the resolution.

A management action that sets a time limit (a rectification notice) asks for the limit and
sets up the re-inspection (``bot.tickets.recheck``) at it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import buttons
from bot.core.config import GUIDED_ACTION, OUTCOME_CLASSES
from bot.core.i18n import t
from bot.core.people import ROW_GONE, Answer, Person
from bot.core.vending_points import measure
from bot.tickets import cards
from bot.tickets.resolution_prompt import ResolutionPrompt, classes_from
from storage import photos as photo_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Action, Recheck, Status
from storage.tickets import Ticket, TicketChange


class Resolution(ResolutionPrompt):
    """The steps of resolving: class, action, limit, point, note, and the record of it."""

    async def start(self, ticket_id: int, person: Person) -> Answer:
        """The holder pressed "Resolve": ask for the outcome class (service first)."""
        return await self._step(
            ticket_id,
            person,
            None,
            "class",
            {"resolve_class": None, "resolve_point": None, "resolve_limit_s": None},
        )

    async def choose_class(self, ticket_id: int, person: Person, outcome: str) -> Answer:
        if outcome not in OUTCOME_CLASSES:
            return Answer("", True, key="button.unknown")
        return await self._step(ticket_id, person, "class", "action", {"resolve_class": outcome})

    async def choose_action(self, ticket_id: int, person: Person, code: str) -> Answer:
        return await self._step(
            ticket_id,
            person,
            "action",
            "note",
            {"resolve_action": code, "resolve_point": None, "resolve_limit_s": None},
        )

    async def choose_limit(self, ticket_id: int, person: Person, seconds: str) -> Answer:
        """The officer picked the time limit of the rectification notice."""
        if not buttons.is_number(seconds, max_digits=8):
            return Answer("", True, key="button.unknown")
        async with self.db.transaction() as conn:
            ticket = await self._load_held(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if ticket.resolve_stage != "limit":
                return self.stale(locale)
            action = self.action_of(ticket)
            if action is None or timedelta(seconds=int(seconds)) not in action.limits:
                return Answer(t(locale, "button.unknown"), True)
            await ticket_rows.set_ticket(
                conn, ticket_id, resolve_limit_s=int(seconds), resolve_stage="note"
            )
            ticket = await self.reload(conn, ticket_id)
            await self._show_prompt(conn, ticket, "note")
        return Answer("")

    async def choose_point(self, ticket_id: int, person: Person, point_id: str | None) -> Answer:
        """The officer picked the vending point the vendor was guided to (None: skipped)."""
        if point_id is not None and point_id not in self.directory.vending_points:
            return Answer("", True, key="button.unknown")
        async with self.db.transaction() as conn:
            ticket = await self._load_held(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if ticket.resolve_stage != "point":
                return self.stale(locale)
            # Any point suited to the category: one offered may have closed since (a point
            # that closed while the officer chose is still where the vendor went).
            suited = self.directory.vending_points.get(point_id or "")
            if (
                suited is not None
                and suited.categories
                and ticket.category not in suited.categories
            ):
                return Answer(t(locale, "button.unknown"), True)
            await ticket_rows.set_ticket(
                conn, ticket_id, resolve_point=point_id, resolve_stage="note"
            )
            await ticket_rows.add_event(
                conn, ticket_id, "point_chosen", self.clock.now(), person.id, point=point_id
            )
            ticket = await self.reload(conn, ticket_id)
            await self._show_prompt(conn, ticket, "note")
        return Answer("")

    async def _step(
        self,
        ticket_id: int,
        person: Person,
        expect: str | None,
        stage: str,
        values: TicketChange,
    ) -> Answer:
        async with self.db.transaction() as conn:
            ticket = await self._load_held(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if expect is not None and ticket.resolve_stage != expect:
                return self.stale(locale)
            if values.get("resolve_class") not in (None, *classes_from(ticket.ladder_class)):
                # After a failed re-inspection the ticket goes up the 7-2-1 ladder.
                lowest = t(locale, f"outcome.{ticket.ladder_class}")
                return Answer(t(locale, "resolve.class_too_low", outcome=lowest), True)
            if "resolve_action" in values:
                actions = self.directory.settings.workflow.actions[ticket.resolve_class or ""]
                codes = {a.code for a in actions}
                if values["resolve_action"] not in codes:
                    return Answer(t(locale, "button.unknown"), True)
            chosen = self.action_of(ticket, values.get("resolve_action"))
            if values.get("resolve_action") == GUIDED_ACTION and self.points_for(ticket):
                stage = "point"  # which point: asked only when one is open to pick
            elif chosen is not None and chosen.limits:
                stage = "limit"  # a rectification notice: by when
            await ticket_rows.set_ticket(conn, ticket_id, **(values | {"resolve_stage": stage}))
            ticket = await self.reload(conn, ticket_id)
            await self._show_prompt(conn, ticket, stage)
        return Answer("")

    async def cancel(self, ticket_id: int, person: Person) -> Answer:
        async with self.db.transaction() as conn:
            ticket = await self._load_held(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            await ticket_rows.set_ticket(
                conn,
                ticket_id,
                resolve_stage=None,
                resolve_class=None,
                resolve_action=None,
                resolve_point=None,
                resolve_limit_s=None,
            )
            if ticket.resolve_prompt_outbox_id is not None:
                await self._close_prompt(conn, ticket, "resolve.cancelled")
                await ticket_rows.set_ticket(conn, ticket_id, resolve_prompt_outbox_id=None)
        return Answer("")

    async def note_reply(
        self,
        chat_id: int,
        prompt_message_id: int,
        person: Person,
        text: str | None,
        photo: str | None,
    ) -> Answer | None:
        """A reply to a resolution prompt; None when the message answers no such prompt."""
        async with self.db.transaction() as conn:
            ticket = await ticket_rows.ticket_by_message(
                conn, chat_id, prompt_message_id, "resolve_prompt_outbox_id"
            )
        if ticket is None:
            return None
        if ticket.status == Status.RESOLVED and photo is not None:
            return await self.add_photo(ticket.id, person, photo)
        limit = self.directory.settings.workflow.max_note_length
        if text is not None and len(text) > limit:
            locale = self.squad_locale(ticket)
            return Answer(t(locale, "resolve.too_long", limit=limit, length=len(text)), True)
        return await self.finish(ticket.id, person, (text or "").strip() or None, photo)

    async def add_photo(self, ticket_id: int, person: Person, photo: str) -> Answer:
        """One more photo (before / after) replying to the prompt after the resolution was
        recorded: kept with this round and counted on the card."""
        async with self.db.transaction() as conn:
            ticket = await ticket_rows.get_ticket(conn, ticket_id)
            if ticket is None:
                return ROW_GONE
            locale = self.squad_locale(ticket)
            if ticket.status != Status.RESOLVED or ticket.resolved_by != person.id:
                return self.stale(locale)
            now = self.clock.now()
            await photo_rows.add_photo(conn, ticket_id, ticket.rework_count, photo, person.id, now)
            await ticket_rows.add_event(conn, ticket_id, "photo_added", now, person.id)
            await self.refresh_card(conn, ticket)
        return Answer(t(locale, "resolve.photo_added", number=cards.ticket_number(ticket_id)))

    async def finish(
        self, ticket_id: int, person: Person, note: str | None, photo: str | None
    ) -> Answer | None:
        """Record the resolution, post it to the reporter's group and ask for confirmation."""
        async with self.db.transaction() as conn:
            ticket = await self._load_held(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = self.squad_locale(ticket)
            if ticket.resolve_stage == "limit":
                # A notice without its time limit would never be re-inspected.
                return Answer(t(locale, "resolve.limit_first"), True)
            # A note sent while the points are offered skips the choice of a point.
            if ticket.resolve_stage not in ("note", "point"):
                return self.stale(locale)
            now = self.clock.now()
            window = self.directory.settings.workflow.confirm_window
            point = self.directory.vending_points.get(ticket.resolve_point or "")
            point_m = (
                round(measure(point, ticket.latitude, ticket.longitude).distance_m)
                if point is not None
                else None
            )
            change: TicketChange = {
                "resolved_at": now,
                "resolved_by": person.id,
                "outcome_class": ticket.resolve_class,
                "outcome_action": ticket.resolve_action,
                "outcome_note": note,
                "outcome_photo": photo,
                "resolve_stage": None,
                "resolve_point": None,
                "outcome_point": point.id if point is not None else None,
                "outcome_point_m": point_m,
                "confirm_deadline": now + window,
            }
            if ticket.resolve_limit_s is not None:
                # The reporter may answer until a window after the limit: an unanswered
                # ticket is still open to its re-inspection then.
                limit = timedelta(seconds=ticket.resolve_limit_s)
                change["confirm_deadline"] = now + limit + window
            change.update(self._recheck_values(ticket, now))
            if not await ticket_rows.move_ticket(conn, ticket_id, Action.RESOLVE, **change):
                return self.stale(locale)
            await self._record_recheck(conn, ticket, person, now)
            await ticket_rows.add_event(
                conn,
                ticket_id,
                "resolved",
                now,
                person.id,
                outcome=ticket.resolve_class,
                action=ticket.resolve_action,
                note=note,
                photo=photo is not None,
                point=point.id if point is not None else None,
                point_m=point_m,
            )
            if photo is not None:
                round_ = ticket.rework_count
                await photo_rows.add_photo(conn, ticket_id, round_, photo, person.id, now)
            await ticket_rows.stamp_first(conn, ticket_id, "first_resolved_at", now)
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            if ticket.resolve_prompt_outbox_id is not None:
                await self._close_prompt(conn, ticket, "resolve.done")
            await self._post_resolution(conn, ticket)
        return Answer(t(locale, "resolve.done", number=cards.ticket_number(ticket_id)))

    def _recheck_values(self, ticket: Ticket, now: datetime) -> TicketChange:
        """The re-inspection a resolution with a rectification notice sets up (and one left
        pending from an earlier round given up)."""
        if ticket.resolve_limit_s is None:
            pending = ticket.recheck_state == Recheck.PENDING
            return {"recheck_state": Recheck.CANCELLED.value} if pending else {}
        return {
            "resolve_limit_s": None,
            "recheck_limit_s": ticket.resolve_limit_s,
            "recheck_round": ticket.rework_count,
            "recheck_due_at": now + timedelta(seconds=ticket.resolve_limit_s),
            "recheck_state": Recheck.PENDING.value,
            "recheck_outbox_id": None,
            "rechecked_at": None,
            "rechecked_by": None,
        }

    async def _record_recheck(
        self, conn: Connection, ticket: Ticket, person: Person, now: datetime
    ) -> None:
        """The events of the notice (and of an earlier round's re-inspection given up), and
        the timer moved to the notice's limit."""
        if ticket.recheck_state == Recheck.PENDING:
            await ticket_rows.add_event(
                conn, ticket.id, "recheck_cancelled", now, None, round=ticket.recheck_round
            )
        if ticket.resolve_limit_s is None:
            return
        due = now + timedelta(seconds=ticket.resolve_limit_s)
        await ticket_rows.add_event(
            conn,
            ticket.id,
            "notice_issued",
            now,
            person.id,
            action=ticket.resolve_action,
            limit=ticket.resolve_limit_s,
            due=due.timestamp(),
        )
        self.alarm.wake_at(due)

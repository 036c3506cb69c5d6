"""Resolving a ticket with a 7-2-1 outcome: the officer's resolution prompt.

The resolution prompt's progress (class, action, note) is kept on the ticket row, so an
officer can carry on after a restart; only the officer holding the ticket may answer it.
"""

from __future__ import annotations

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.config import GUIDED_ACTION, OUTCOME_CLASSES
from bot.core.i18n import t
from bot.core.notices import Button, Markup
from bot.core.people import ROW_GONE, Answer, Person
from bot.core.vending_points import PointNearby, distance_text, measure, nearest_points
from bot.tickets import cards
from bot.tickets.confirmation import Confirmation
from storage import photos as photo_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import HELD, Action, Status
from storage.tickets import Ticket, TicketChange


class Resolution(Confirmation):
    """The officer's resolution prompt (this module) and the reporter's side of it
    (``Confirmation``)."""

    # -- the officer's prompt ---------------------------------------------------------------

    def _holder_check(self, ticket: Ticket | None, person: Person) -> Answer | None:
        if ticket is None:
            return ROW_GONE
        locale = self.squad_locale(ticket)
        if not self.directory.may_handle(person.id, ticket.squad_id):
            squad = self.directory.squads[ticket.squad_id].name.get(locale)
            return Answer(t(locale, "workflow.not_your_squad", squad=squad), True)
        if ticket.status not in HELD:
            return self.stale(locale)
        if ticket.claimed_by != person.id:
            return Answer(t(locale, "workflow.only_claimer"), True)
        return None

    async def _load_held(self, conn: Connection, ticket_id: int, person: Person) -> Ticket | Answer:
        """The ticket the presser holds, or the refusal."""
        ticket = await ticket_rows.get_ticket(conn, ticket_id)
        return self._holder_check(ticket, person) or ticket or Answer("")

    def _prompt_markup(self, ticket: Ticket, stage: str, locale: str) -> Markup:
        def button(text: str, action: Press, argument: str = "") -> Button:
            return Button(text, buttons.encode(action, ticket.id, argument))

        cancel = button(t(locale, "button.cancel"), Press.STOP_RESOLVING)
        if stage == "class":
            row = [
                button(t(locale, f"outcome.{c}"), Press.OUTCOME_CLASS, c) for c in OUTCOME_CLASSES
            ]
            return notices.inline([row, [cancel]])
        if stage == "action":
            actions = self.directory.settings.workflow.actions[ticket.resolve_class or ""]
            rows = [[button(a.name.get(locale), Press.OUTCOME_ACTION, a.code)] for a in actions]
            return notices.inline(
                [*rows, [button(t(locale, "button.back"), Press.RESOLVE), cancel]]
            )
        if stage == "point":
            rows = [
                [
                    button(
                        t(
                            locale,
                            "resolve.point_button",
                            name=n.point.name.get(locale),
                            distance=distance_text(n.distance_m, locale),
                            direction=t(locale, f"compass.{n.compass}"),
                        ),
                        Press.VENDING_POINT,
                        n.point.id,
                    )
                ]
                for n in self.points_for(ticket)
            ]
            skip = button(t(locale, "button.skip"), Press.NO_POINT)
            return notices.inline([*rows, [skip, cancel]])
        return notices.inline([[button(t(locale, "button.skip"), Press.NO_NOTE), cancel]])

    def points_for(self, ticket: Ticket) -> list[PointNearby]:
        """The three nearest points open now that suit the ticket's category."""
        settings = self.directory.settings
        return nearest_points(
            list(settings.vending_points),
            ticket.latitude,
            ticket.longitude,
            self.clock.now().astimezone(settings.zone),
            category=ticket.category,
        )

    def _prompt_text(self, ticket: Ticket, stage: str, locale: str) -> str:
        officer = cards.mention(ticket.claimed_by or 0, ticket.claimed_by_name or "")
        number = cards.ticket_number(ticket.id)
        if stage == "class":
            return t(locale, "resolve.ask_class", officer=officer, number=number)
        if stage == "action":
            outcome = t(locale, f"outcome.{ticket.resolve_class}")
            return t(locale, "resolve.ask_action", officer=officer, number=number, outcome=outcome)
        if stage == "point":
            return t(locale, "resolve.ask_point", officer=officer, number=number)
        limit = self.directory.settings.workflow.max_note_length
        return t(locale, "resolve.ask_note", officer=officer, number=number, limit=limit)

    async def _show_prompt(self, conn: Connection, ticket: Ticket, stage: str) -> None:
        locale = self.squad_locale(ticket)
        body = self._prompt_text(ticket, stage, locale)
        markup = self._prompt_markup(ticket, stage, locale)
        if ticket.resolve_prompt_outbox_id is None:
            notice = notices.text(
                self.squad_chat(ticket),
                body,
                "resolve_prompt",
                markup,
                ticket_id=ticket.id,
                reply_to_outbox_id=ticket.card_outbox_id,
            )
            item = await self.outbox.put(conn, notice)
            await ticket_rows.set_ticket(conn, ticket.id, resolve_prompt_outbox_id=item)
            return
        notice = notices.edit(
            ticket.resolve_prompt_outbox_id,
            self.squad_chat(ticket),
            body,
            "resolve_prompt",
            caption=False,
            markup=markup,
            ticket_id=ticket.id,
        )
        await self.outbox.put(conn, notice)

    async def _close_prompt(self, conn: Connection, ticket: Ticket, key: str) -> None:
        """Replace the resolution prompt (and its buttons) with how it ended."""
        assert ticket.resolve_prompt_outbox_id is not None
        body = t(self.squad_locale(ticket), key, number=cards.ticket_number(ticket.id))
        notice = notices.edit(
            ticket.resolve_prompt_outbox_id,
            self.squad_chat(ticket),
            body,
            "resolve_prompt",
            caption=False,
            ticket_id=ticket.id,
        )
        await self.outbox.put(conn, notice)

    async def start(self, ticket_id: int, person: Person) -> Answer:
        """The holder pressed "Resolve": ask for the outcome class (service first)."""
        return await self._step(
            ticket_id, person, None, "class", {"resolve_class": None, "resolve_point": None}
        )

    async def choose_class(self, ticket_id: int, person: Person, outcome: str) -> Answer:
        if outcome not in OUTCOME_CLASSES:
            return Answer("", True, key="button.unknown")
        return await self._step(ticket_id, person, "class", "action", {"resolve_class": outcome})

    async def choose_action(self, ticket_id: int, person: Person, code: str) -> Answer:
        return await self._step(
            ticket_id, person, "action", "note", {"resolve_action": code, "resolve_point": None}
        )

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
            if "resolve_action" in values:
                actions = self.directory.settings.workflow.actions[ticket.resolve_class or ""]
                codes = {a.code for a in actions}
                if values["resolve_action"] not in codes:
                    return Answer(t(locale, "button.unknown"), True)
            if values.get("resolve_action") == GUIDED_ACTION and self.points_for(ticket):
                stage = "point"  # which point: asked only when one is open to pick
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
            if not await ticket_rows.move_ticket(
                conn,
                ticket_id,
                Action.RESOLVE,
                resolved_at=now,
                resolved_by=person.id,
                outcome_class=ticket.resolve_class,
                outcome_action=ticket.resolve_action,
                outcome_note=note,
                outcome_photo=photo,
                resolve_stage=None,
                resolve_point=None,
                outcome_point=point.id if point is not None else None,
                outcome_point_m=point_m,
                confirm_deadline=now + window,
            ):
                return self.stale(locale)
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

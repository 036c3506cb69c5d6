"""The officer's resolution prompt as it is shown: who may answer it, its text and buttons
for each stage (class, action, time limit, vending point, note), and its message.

The prompt's progress (class, action, limit, point) is kept on the ticket row, so an officer
can carry on after a restart; only the officer holding the ticket may answer it.
"""

from __future__ import annotations

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.config import OUTCOME_CLASSES
from bot.core.config import Action as OutcomeAction
from bot.core.i18n import t
from bot.core.notices import Button, Markup
from bot.core.people import ROW_GONE, Answer, Person
from bot.core.vending_points import PointNearby, distance_text, nearest_points
from bot.tickets import cards
from bot.tickets.confirmation import Confirmation
from bot.tickets.limits import limit_seconds, limit_text
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import HELD
from storage.tickets import Ticket


class ResolutionPrompt(Confirmation):
    """The officer's resolution prompt: its look and its guard (the steps are in
    ``bot.tickets.resolution``); the reporter's side of it is ``Confirmation``."""

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
                button(t(locale, f"outcome.{c}"), Press.OUTCOME_CLASS, c)
                for c in classes_from(ticket.ladder_class)
            ]
            return notices.inline([row, [cancel]])
        if stage == "limit":
            action = self.action_of(ticket)
            rows = [
                [button(limit_text(seconds, locale), Press.TIME_LIMIT, str(seconds))]
                for seconds in (limit_seconds(limit) for limit in (action.limits if action else []))
            ]
            return notices.inline(
                [*rows, [button(t(locale, "button.back"), Press.RESOLVE), cancel]]
            )
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

    def action_of(self, ticket: Ticket, code: str | None = None) -> OutcomeAction | None:
        """The configured action being chosen (``code``) or chosen while resolving."""
        actions = self.directory.settings.workflow.actions.get(ticket.resolve_class or "", [])
        wanted = code if code is not None else ticket.resolve_action
        return next((a for a in actions if a.code == wanted), None)

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
        if stage == "limit":
            action = self.action_of(ticket)
            name = action.name.get(locale) if action else ""
            return t(locale, "resolve.ask_limit", officer=officer, number=number, action=name)
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


def classes_from(lowest: str | None) -> tuple[str, ...]:
    """The 7-2-1 classes from ``lowest`` up (every class when there is no floor)."""
    if lowest not in OUTCOME_CLASSES:
        return OUTCOME_CLASSES
    return OUTCOME_CLASSES[OUTCOME_CLASSES.index(lowest) :]

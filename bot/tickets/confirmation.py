"""The reporter's side of a resolution: the result in the group, "solved" or "not solved"
(a rework), the rating, and the close when the confirmation window ends unanswered.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.i18n import Raw, t
from bot.core.notices import Button, Markup, Notice
from bot.core.people import ROW_GONE, Answer, Person
from bot.core.vending_points import distance_text
from bot.tickets import cards
from bot.tickets.cards import duration_text, minutes_between
from bot.tickets.limits import limit_text
from bot.tickets.ticket_ops import Desk
from bot.tickets.workflow import rework_round
from storage import outbox as outbox_rows
from storage import supporters as support_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Action, Status
from storage.tickets import Ticket

RATINGS = range(1, 6)
CAPTION_LIMIT = 1024  # Telegram's limit on a photo's caption


class Confirmation(Desk):
    def resolution_text(self, ticket: Ticket, locale: str) -> str:
        round_ = ticket.rework_count  # a notice of this round says when it is re-inspected
        lines = [
            t(
                locale,
                "group.resolved",
                number=cards.ticket_number(ticket.id),
                outcome=cards.outcome_text(ticket, self.directory, locale),
                officer=ticket.claimed_by_name or "",
            )
        ]
        point = self.directory.vending_points.get(ticket.outcome_point or "")
        if point is not None:
            distance = distance_text(ticket.outcome_point_m or 0, locale)
            lines.append(
                t(locale, "group.guided", point=point.name.get(locale), distance=Raw(distance))
            )
        if ticket.outcome_note:
            lines.append(t(locale, "card.note", text=ticket.outcome_note))
        if ticket.recheck_limit_s and ticket.recheck_due_at and ticket.recheck_round == round_:
            limit = limit_text(ticket.recheck_limit_s, locale)
            due = cards.local_time(ticket.recheck_due_at, self.directory.settings.zone)
            lines.append(t(locale, "group.recheck_due", limit=limit, time=due))
        parts = []
        for key, moment in (
            ("times.claim", ticket.claimed_at),
            ("times.arrive", ticket.on_site_at),
            ("times.resolve", ticket.resolved_at),
        ):
            minutes = minutes_between(ticket.reported_at, moment)
            if minutes is not None:
                parts.append(t(locale, key, duration=duration_text(minutes, locale)))
        if parts:
            lines.append(
                t(locale, "group.times", times=Raw("，" if locale == "zh" else ", ").join(parts))
            )
        return "\n".join(lines)

    def _confirm_markup(self, ticket: Ticket, locale: str) -> Markup:
        return notices.inline(
            [
                [
                    Button(t(locale, "button.solved"), buttons.encode(Press.SOLVED, ticket.id)),
                    Button(
                        t(locale, "button.not_solved"), buttons.encode(Press.NOT_SOLVED, ticket.id)
                    ),
                ]
            ]
        )

    def _with_photo(self, notice: Notice, photo: str | None) -> Notice:
        """The result as a photo with its text as the caption, when the officer sent one
        (and the text fits a caption; the HTML's length overestimates it, which is safe)."""
        if photo is None or len(notice.payload["text"]) > CAPTION_LIMIT:
            return notice
        payload = {"photo": photo, "caption": notice.payload["text"]}
        if "markup" in notice.payload:
            payload["markup"] = notice.payload["markup"]
        return replace(notice, kind="photo", payload=payload)

    async def _post_resolution(self, conn: Connection, ticket: Ticket) -> None:
        locale = ticket.locale
        body = self.resolution_text(ticket, locale)
        body = await self._tell_supporters(conn, ticket, body)
        markup = self._confirm_markup(ticket, locale)
        photo = ticket.outcome_photo
        if ticket.anonymous:
            # The group learns the result; the question goes to the reporter privately.
            group_item = await self.outbox.put(
                conn, self._with_photo(self.to_group(ticket, body, "resolution"), photo)
            )
            ask = t(locale, "confirm.private_ask", receipt=Raw(body))
            confirm_item = await self.outbox.put(
                conn, notices.text(ticket.reporter_id, ask, "confirm", markup, ticket_id=ticket.id)
            )
        else:
            body = t(
                locale,
                "confirm.group_ask",
                receipt=Raw(body),
                reporter=cards.mention(ticket.reporter_id, ticket.reporter_name),
            )
            group_item = await self.outbox.put(
                conn, self._with_photo(self.to_group(ticket, body, "resolution", markup), photo)
            )
            confirm_item = group_item
        await ticket_rows.set_ticket(
            conn, ticket.id, resolution_outbox_id=group_item, confirm_outbox_id=confirm_item
        )

    async def _tell_supporters(self, conn: Connection, ticket: Ticket, body: str) -> str:
        """Supporters get the result as the reporter does: a private one privately (never
        named in a group), a public one of the ticket's group by a mention under the group's
        result (returned), one of another group there. Only the reporter confirms."""
        mentions: list[str] = []
        for supporter in await support_rows.supporters_of(conn, ticket.id):
            result = self.resolution_text(ticket, supporter.locale)
            if supporter.private:
                text = t(supporter.locale, "same.result_private", receipt=Raw(result))
                await self.outbox.put(
                    conn, notices.text(supporter.user_id, text, "resolution", ticket_id=ticket.id)
                )
            elif supporter.group_chat_id == ticket.group_chat_id:
                mentions.append(cards.mention(supporter.user_id, supporter.user_name))
            else:
                text = t(
                    supporter.locale,
                    "same.result_group",
                    receipt=Raw(result),
                    supporters=cards.mention(supporter.user_id, supporter.user_name),
                )
                await self.outbox.put(
                    conn,
                    notices.text(supporter.group_chat_id, text, "resolution", ticket_id=ticket.id),
                )
        if not mentions:
            return body
        line = t(
            ticket.locale,
            "same.result_mentions",
            supporters=Raw("、" if ticket.locale == "zh" else ", ").join(mentions),
        )
        return f"{body}\n{line}"

    async def _reporters_ticket(
        self, conn: Connection, ticket_id: int, person: Person
    ) -> Ticket | Answer:
        """The ticket if ``person`` reported it; otherwise the refusal to show them."""
        ticket = await ticket_rows.get_ticket(conn, ticket_id)
        if ticket is None:
            return ROW_GONE
        if ticket.reporter_id != person.id:
            return Answer(t(ticket.locale, "confirm.only_reporter"), True)
        return ticket

    async def confirm(self, ticket_id: int, person: Person, solved: bool) -> Answer:
        """The reporter says solved (closes) or not solved (reopens, counts a rework)."""
        async with self.db.transaction() as conn:
            ticket = await self._reporters_ticket(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = ticket.locale
            now = self.clock.now()
            receipt = self.resolution_text(ticket, locale) if ticket.resolved_at else ""
            if solved:
                changed = await ticket_rows.move_ticket(
                    conn,
                    ticket_id,
                    Action.CONFIRM,
                    closed_at=now,
                    close_reason="solved",
                    confirm_deadline=None,
                )
            else:
                changed = await ticket_rows.move_ticket(
                    conn,
                    ticket_id,
                    Action.REOPEN,
                    **rework_round(ticket.rework_count, now),
                )
            if not changed:
                return self.stale(locale)
            await ticket_rows.add_event(
                conn, ticket_id, "confirmed" if solved else "reopened", now, person.id
            )
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            if solved:
                await self._edit_confirm(
                    conn, ticket, "confirm.thanks", self._rating_markup(ticket)
                )
            else:
                await self._edit_confirm(conn, ticket, "confirm.reopened", None, receipt)
                squad_locale = self.squad_locale(ticket)
                await self.tell_squad(
                    conn,
                    ticket,
                    t(
                        squad_locale,
                        "workflow.reopened",
                        number=cards.ticket_number(ticket_id),
                        count=ticket.rework_count,
                    ),
                )
        return Answer(t(locale, "confirm.solved_toast" if solved else "confirm.reopened_toast"))

    def _rating_markup(self, ticket: Ticket) -> Markup:
        return notices.inline(
            [[Button(f"{n}⭐", buttons.encode(Press.RATE, ticket.id, str(n))) for n in RATINGS]]
        )

    async def _edit_confirm(
        self,
        conn: Connection,
        ticket: Ticket,
        key: str,
        markup: Markup | None,
        receipt: str | None = None,
        **extra: object,
    ) -> None:
        """Edit the message that asked the reporter, to show their answer (or its absence)."""
        if ticket.confirm_outbox_id is None:
            return
        locale = ticket.locale
        chat = ticket.reporter_id if ticket.anonymous else ticket.group_chat_id
        if receipt is None:
            receipt = self.resolution_text(ticket, locale)
        body = t(locale, key, receipt=Raw(receipt), number=cards.ticket_number(ticket.id), **extra)
        asked = await outbox_rows.get_item(conn, ticket.confirm_outbox_id)
        await self.outbox.put(
            conn,
            notices.edit(
                ticket.confirm_outbox_id,
                chat,
                body,
                "confirm",
                caption=asked is not None and asked.kind == "photo",
                markup=markup,
                ticket_id=ticket.id,
            ),
        )

    async def rate(self, ticket_id: int, person: Person, value: str) -> Answer:
        async with self.db.transaction() as conn:
            ticket = await self._reporters_ticket(conn, ticket_id, person)
            if isinstance(ticket, Answer):
                return ticket
            locale = ticket.locale
            if not buttons.is_number(value, max_digits=1) or int(value) not in RATINGS:
                return Answer(t(locale, "button.unknown"), True)
            if ticket.status != Status.CLOSED or ticket.close_reason != "solved" or ticket.rating:
                return self.stale(locale)
            now = self.clock.now()
            await ticket_rows.set_ticket(conn, ticket_id, rating=int(value))
            await ticket_rows.add_event(conn, ticket_id, "rated", now, person.id, rating=int(value))
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            await self._edit_confirm(conn, ticket, "confirm.rated", None, stars="⭐" * int(value))
        return Answer(t(locale, "confirm.rated_toast"))

    async def close_unconfirmed(self) -> int:
        """Close every resolved ticket whose confirm window has passed; return how many."""
        async with self.db.transaction() as conn:
            now = self.clock.now()
            due = await ticket_rows.unconfirmed_due(conn, now)
            closed = 0
            for ticket in due:
                if not await ticket_rows.move_ticket(
                    conn,
                    ticket.id,
                    Action.CLOSE_UNCONFIRMED,
                    closed_at=now,
                    close_reason="unconfirmed",
                    confirm_deadline=None,
                ):
                    continue
                closed += 1
                await ticket_rows.add_event(conn, ticket.id, "closed_unconfirmed", now, None)
                fresh = await self.reload(conn, ticket.id)
                await self.refresh_card(conn, fresh)
                await self._edit_confirm(conn, fresh, "confirm.unconfirmed", None)
        return closed

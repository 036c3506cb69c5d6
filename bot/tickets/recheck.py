"""The re-inspection (复查) of a rectification notice, at its time limit.

Resolving with a management action that sets a time limit stores the re-inspection on the
ticket (``recheck_state`` pending, ``recheck_due_at``). At the limit the escalation timer
(bot.duty) calls ``fire_due``: the squad chat gets a card with the original photos and two
buttons. Anyone of the squad may press, as with a claim; of several presses one wins (a
conditional UPDATE of ``recheck_state``). "Rectified" closes the loop; "not rectified"
reopens the ticket for the squad one class up the 7-2-1 ladder, as a new round.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core import notices
from bot.core.config import OUTCOME_CLASSES
from bot.core.i18n import Raw, t
from bot.core.notices import Notice
from bot.core.people import ROW_GONE, Answer, Person
from bot.tickets import cards
from bot.tickets.recheck_card import RecheckCard
from bot.tickets.workflow import rework_round
from storage import photos as photo_rows
from storage import rechecks as recheck_rows
from storage import supporters as support_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Action, Recheck, Status
from storage.tickets import Ticket

# Resolution photos sent under the card besides the reporter's (which the card carries).
MAX_PHOTOS = 3
DONE = (Recheck.RECTIFIED, Recheck.NOT_RECTIFIED)


class _Lost(Exception):
    """The ticket moved on while the press was recorded: undo the whole transaction."""


class Rechecks(RecheckCard):
    async def fire_due(self) -> int:
        """Put a card in the squad chat for every re-inspection due by now; return how many.

        Each is taken once (pending -> due) in the transaction that writes its card, so a
        restart past the limit posts it once, when the bot is back.
        """
        fired = 0
        while True:
            async with self.db.transaction() as conn:
                due = await recheck_rows.rechecks_due(conn, self.clock.now())
            for ticket_id in due:
                fired += await self._fire(ticket_id)
                await asyncio.sleep(0)  # let live updates in between tickets
            if len(due) < recheck_rows.BATCH:
                await self.tell_late()
                return fired

    async def tell_late(self) -> int:
        """Tell the squad's leads, once, of each re-inspection card still waiting for a press
        ``workflow.recheck_window`` after it went out; return how many were told."""
        window = self.directory.settings.workflow.recheck_window
        told = 0
        while True:
            async with self.db.transaction() as conn:
                late = await recheck_rows.rechecks_late(conn, self.clock.now() - window)
            for ticket_id in late:
                told += await self._tell_late(ticket_id)
                await asyncio.sleep(0)
            if len(late) < recheck_rows.BATCH:
                return told

    async def _tell_late(self, ticket_id: int) -> int:
        async with self.db.transaction() as conn:
            now = self.clock.now()
            if not await recheck_rows.tell_late(conn, ticket_id, now):
                return 0
            ticket = await self.reload(conn, ticket_id)
            squad = self.directory.squads[ticket.squad_id]
            locale = self.directory.squad_locale(squad)
            waited = cards.minutes_between(ticket.recheck_card_at, now) or 0
            leads = " ".join(
                cards.mention(m.telegram_id, m.name) for m in self.directory.leads_of(squad)
            )
            body = t(
                locale,
                "recheck.late_leads",
                number=cards.ticket_number(ticket_id),
                duration=cards.duration_text(waited, locale),
                leads=Raw(leads),
            )
            await self.tell_leads(conn, ticket, body)
            await ticket_rows.add_event(
                conn, ticket_id, "recheck_late", now, None, waited_minutes=waited
            )
        return 1

    async def _fire(self, ticket_id: int) -> int:
        async with self.db.transaction() as conn:
            ticket = await ticket_rows.get_ticket(conn, ticket_id)
            now = self.clock.now()
            # Read as due a moment ago, but a new notice since may have moved the limit.
            if ticket is None or ticket.recheck_due_at is None or ticket.recheck_due_at > now:
                return 0
            if not await recheck_rows.move_recheck(conn, ticket_id, Recheck.PENDING, Recheck.DUE):
                return 0
            late = now - ticket.recheck_due_at
            if _moot(ticket):
                await self._give_up(conn, ticket, Recheck.DUE, now)
                return 0
            ticket = await self.reload(conn, ticket_id)
            card_id = await self.outbox.put(conn, self._card(ticket))
            photos = [
                p.file_id
                for p in await photo_rows.photos_of(conn, ticket_id)
                if p.round == ticket.recheck_round
            ]
            for photo in photos[:MAX_PHOTOS]:
                await self.outbox.put(
                    conn,
                    Notice(
                        self.squad_chat(ticket),
                        "photo",
                        "recheck_photo",
                        {"photo": photo, "caption": ""},
                        ticket_id=ticket_id,
                        reply_to_outbox_id=card_id,
                    ),
                )
            await ticket_rows.set_ticket(
                conn, ticket_id, recheck_outbox_id=card_id, recheck_card_at=now
            )
            await self.refresh_card(
                conn, await self.reload(conn, ticket_id), purpose="card_refresh"
            )
            await ticket_rows.add_event(
                conn,
                ticket_id,
                "recheck_due",
                now,
                None,
                limit=ticket.recheck_limit_s,
                late_minutes=round(late.total_seconds() / 60),
            )
        return 1

    async def record(self, ticket_id: int, person: Person, rectified: bool) -> Answer:
        """A press on the card: anyone of the ticket's squad (or a lead) may record it once."""
        try:
            async with self.db.transaction() as conn:
                return await self._record(conn, ticket_id, person, rectified)
        except _Lost:
            return Answer("", True, key="button.stale")

    async def _record(
        self, conn: Connection, ticket_id: int, person: Person, rectified: bool
    ) -> Answer:
        ticket = await ticket_rows.get_ticket(conn, ticket_id)
        if ticket is None:
            return ROW_GONE
        locale = self.squad_locale(ticket)
        if not self.directory.may_handle(person.id, ticket.squad_id):
            squad = self.directory.squads[ticket.squad_id].name.get(locale)
            return Answer(t(locale, "workflow.not_your_squad", squad=squad), True)
        if ticket.recheck_state in DONE:
            who = self.officer_name(ticket.rechecked_by or 0, "")
            return Answer(t(locale, "recheck.already", officer=who), True)
        if ticket.recheck_state != Recheck.DUE:
            return self.stale(locale)
        now = self.clock.now()
        if _moot(ticket):
            await self._give_up(conn, ticket, Recheck.DUE, now)
            return Answer(t(locale, "recheck.moot"), True)
        result = Recheck.RECTIFIED if rectified else Recheck.NOT_RECTIFIED
        if not await recheck_rows.move_recheck(
            conn, ticket_id, Recheck.DUE, result, rechecked_at=now, rechecked_by=person.id
        ):
            return self.stale(locale)
        assert ticket.recheck_due_at is not None
        window = self.directory.settings.workflow.recheck_window
        on_time = now <= ticket.recheck_due_at + window
        await ticket_rows.add_event(
            conn, ticket_id, "rechecked", now, person.id, result=result.value, on_time=on_time
        )
        if rectified:
            ticket = await self.reload(conn, ticket_id)
            await self.refresh_card(conn, ticket)
            await self._close_card(conn, ticket, "recheck.card_rectified", person)
            body = t(
                ticket.locale, "recheck.group_rectified", number=cards.ticket_number(ticket_id)
            )
            await self.outbox.put(conn, self.to_group(ticket, body, "recheck_result"))
            return Answer(
                t(locale, "recheck.rectified_toast", number=cards.ticket_number(ticket_id))
            )
        await self._reopen(conn, ticket, person, now)
        return Answer(t(locale, "recheck.reopened_toast", number=cards.ticket_number(ticket_id)))

    async def _reopen(
        self, conn: Connection, ticket: Ticket, person: Person, now: datetime
    ) -> None:
        """Not rectified: the squad handles the ticket again, a class up the 7-2-1 ladder."""
        higher = next_class(ticket.outcome_class)
        receipt = self.resolution_text(ticket, ticket.locale)
        if not await ticket_rows.move_ticket(
            conn,
            ticket.id,
            Action.RECHECK_FAILED,
            **(
                rework_round(ticket.rework_count, now)
                | {"resolve_limit_s": None, "ladder_class": higher}
            ),
        ):
            raise _Lost
        await ticket_rows.add_event(
            conn, ticket.id, "recheck_reopened", now, person.id, outcome=higher
        )
        fresh = await self.reload(conn, ticket.id)
        await self.refresh_card(conn, fresh)
        await self._close_card(conn, ticket, "recheck.card_not_rectified", person, higher)
        number = cards.ticket_number(ticket.id)
        squad_locale = self.squad_locale(fresh)
        await self.tell_squad(
            conn,
            fresh,
            t(
                squad_locale,
                "recheck.squad_reopened",
                number=number,
                outcome=t(squad_locale, f"outcome.{higher}"),
            ),
        )
        # The reporter's "solved?" buttons would only confuse now.
        await self._edit_confirm(conn, fresh, "recheck.confirm_reopened", None, receipt)
        body = t(fresh.locale, "recheck.group_not_rectified", number=number)
        await self.outbox.put(conn, self.to_group(fresh, body, "recheck_result"))
        private = [(fresh.reporter_id, fresh.locale, "reporter")] if fresh.anonymous else []
        private += [
            (s.user_id, s.locale, "supporter")
            for s in await support_rows.supporters_of(conn, ticket.id)
            if s.private  # a public supporter reads the group's message
        ]
        for user_id, locale, role in private:
            text = t(locale, f"recheck.{role}_not_rectified", number=number)
            await self.outbox.put(
                conn, notices.text(user_id, text, "recheck_result", ticket_id=ticket.id)
            )

    async def _give_up(
        self, conn: Connection, ticket: Ticket, source: Recheck, now: datetime
    ) -> None:
        """The ticket started a new round since the notice: nothing to re-inspect."""
        await recheck_rows.move_recheck(conn, ticket.id, source, Recheck.CANCELLED)
        await ticket_rows.add_event(
            conn, ticket.id, "recheck_cancelled", now, None, round=ticket.recheck_round
        )
        await self._close_card(conn, ticket, "recheck.card_moot", None)


def _moot(ticket: Ticket) -> bool:
    """Whether there is nothing to re-inspect: the reporter confirmed it solved (or it was
    closed otherwise), or it started a new round (a rework) since the notice was issued."""
    return (
        ticket.status != Status.RESOLVED
        or ticket.recheck_round != ticket.rework_count
        or ticket.duplicate_of is not None
    )


def next_class(outcome: str | None) -> str:
    """One class up the 7-2-1 ladder (management -> enforcement); the top stays the top."""
    index = OUTCOME_CLASSES.index(outcome) if outcome in OUTCOME_CLASSES else 1
    return OUTCOME_CLASSES[min(index + 1, len(OUTCOME_CLASSES) - 1)]

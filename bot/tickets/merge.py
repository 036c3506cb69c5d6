"""Merging a duplicate: ``/merge 1043 1042`` in the squad chat closes #1043 as a duplicate
of #1042; its reporter and supporters become supporters of #1042, both timelines say so.

Who may: a lead of the squad, or the officer holding #1043. Both tickets must be open
(``open_states()``) and the squad's own; anything else is refused politely and changes
nothing. The close is the lifecycle's ``merge`` move, a conditional update, so a ticket that
moved on meanwhile is not merged.
"""

from __future__ import annotations

from bot.core import notices
from bot.core.i18n import t
from bot.core.people import Person
from bot.tickets import cards
from bot.tickets.ticket_ops import Desk
from storage import supporters as support_rows
from storage import tickets as ticket_rows
from storage.database import Connection
from storage.lifecycle import Action, open_states
from storage.supporters import Supporter
from storage.tickets import Ticket


class Merger(Desk):
    async def merge(
        self, chat_id: int, person: Person, duplicate_id: int, kept_id: int, locale: str
    ) -> str:
        """The answer to ``/merge <duplicate> <kept>`` in ``chat_id``."""
        squad = self.directory.squad_chats.get(chat_id)
        if squad is None:
            return t(locale, "merge.only_in_squad_chat")
        if duplicate_id == kept_id:
            return t(locale, "merge.usage")
        async with self.db.transaction() as conn:
            duplicate = await ticket_rows.get_ticket(conn, duplicate_id)
            kept = await ticket_rows.get_ticket(conn, kept_id)
            for number, ticket in ((duplicate_id, duplicate), (kept_id, kept)):
                if ticket is None:
                    return t(locale, "merge.no_ticket", number=cards.ticket_number(number))
                if ticket.squad_id != squad.id:
                    return t(locale, "merge.other_squad", number=cards.ticket_number(number))
                if ticket.status not in open_states():
                    return t(locale, "merge.not_open", number=cards.ticket_number(number))
            assert duplicate is not None and kept is not None
            lead = any(m.telegram_id == person.id and m.role == "lead" for m in squad.members)
            if not lead and duplicate.claimed_by != person.id:
                return t(locale, "merge.not_allowed", number=cards.ticket_number(duplicate_id))
            now = self.clock.now()
            if not await ticket_rows.move_ticket(
                conn,
                duplicate_id,
                Action.MERGE,
                closed_at=now,
                close_reason="duplicate",
                duplicate_of=kept_id,
            ):
                return t(locale, "merge.not_open", number=cards.ticket_number(duplicate_id))
            moved = await self._move_supporters(conn, duplicate, kept, now)
            count = await support_rows.supporter_count(conn, kept_id)
            await ticket_rows.set_ticket(conn, kept_id, supporters=count)
            await ticket_rows.add_event(
                conn, duplicate_id, "merged_into", now, person.id, ticket=kept_id
            )
            await ticket_rows.add_event(
                conn, kept_id, "merged_from", now, person.id, ticket=duplicate_id, moved=moved
            )
            await self.refresh_card(conn, await self.reload(conn, duplicate_id))
            await self.refresh_card(conn, await self.reload(conn, kept_id))
            await self._tell_reporter(conn, duplicate, kept_id)
        return t(
            locale,
            "merge.done",
            duplicate=cards.ticket_number(duplicate_id),
            kept=cards.ticket_number(kept_id),
            count=count,
        )

    async def _move_supporters(
        self, conn: Connection, duplicate: Ticket, kept: Ticket, now: object
    ) -> int:
        """The duplicate's reporter and supporters support the kept ticket; how many new."""
        people = [
            Supporter(
                ticket_id=kept.id,
                user_id=duplicate.reporter_id,
                user_name=duplicate.reporter_name,
                private=duplicate.anonymous,
                group_chat_id=duplicate.group_chat_id,
                chat_id=duplicate.reporter_id if duplicate.anonymous else duplicate.group_chat_id,
                locale=duplicate.locale,
                at=self.clock.now(),
            )
        ]
        for old in await support_rows.supporters_of(conn, duplicate.id):
            people.append(
                Supporter(
                    ticket_id=kept.id,
                    user_id=old.user_id,
                    user_name=old.user_name,
                    private=old.private,
                    group_chat_id=old.group_chat_id,
                    chat_id=old.chat_id,
                    locale=old.locale,
                    at=old.at,
                )
            )
        moved = 0
        for supporter in people:
            if supporter.user_id == kept.reporter_id:
                continue
            moved += await support_rows.add_supporter(conn, supporter)
        return moved

    async def _tell_reporter(self, conn: Connection, duplicate: Ticket, kept_id: int) -> None:
        """The duplicate's reporter learns where their report went (privately if private)."""
        body = t(
            duplicate.locale,
            "merge.reporter",
            duplicate=cards.ticket_number(duplicate.id),
            kept=cards.ticket_number(kept_id),
        )
        if duplicate.anonymous:
            notice = notices.text(duplicate.reporter_id, body, "progress", ticket_id=duplicate.id)
        else:
            notice = self.to_group(duplicate, body, "progress")
        await self.outbox.put(conn, notice)

"""Reporting: a shop owner's location, category and details become a ticket.

The steps stand on ``DraftDesk`` (bot.reporting.drafts: the services, the checks, how a
draft ends) and ``LocationStep`` (bot.reporting.location: placing the pin); this module
starts a report and takes the category and the details to the ticket.
"""

from __future__ import annotations

from bot.core import notices
from bot.core.i18n import Raw, t
from bot.core.people import Answer, Person
from bot.reporting.dispatch import create_ticket
from bot.reporting.same_problem import SameProblemStep
from bot.tickets import cards
from storage import drafts as draft_rows
from storage.database import Connection
from storage.drafts import Draft


class Intake(SameProblemStep):
    # -- starting ---------------------------------------------------------------------------

    async def start_in_group(self, chat_id: int, person: Person, message_id: int) -> None:
        """``/report`` in a grid group: ask the reporter for the location."""
        locale = self.directory.group_locale(chat_id)
        async with self.db.transaction() as conn:
            draft = await self._new_draft(
                conn,
                f"g:{chat_id}:{message_id}",
                chat_id,
                chat_id,
                person,
                private=False,
                message_id=message_id,
            )
            if draft is None:
                return
            link = self.private_link(chat_id)
            prompt = notices.text(
                chat_id,
                t(locale, "report.ask_location", name=person.name, link=link),
                "prompt",
                notices.force_reply(t(locale, "report.ask_location_placeholder")),
                reply_to_message_id=message_id,
            )
            await draft_rows.set_draft(
                conn, draft.id, prompt_outbox_id=await self.outbox.put(conn, prompt)
            )

    async def start_private(self, group_chat_id: int, person: Person, message_id: int) -> None:
        """A deep link from a grid group opened a private report."""
        locale = self.directory.group_locale(group_chat_id)
        async with self.db.transaction() as conn:
            draft = await self._new_draft(
                conn,
                f"p:{person.id}:{message_id}",
                person.id,
                group_chat_id,
                person,
                private=True,
                message_id=message_id,
            )
            if draft is None:
                return
            group = self.directory.groups[group_chat_id]
            prompt = notices.text(
                person.id,
                t(locale, "report.private_intro", group=group.name),
                "prompt",
                notices.ask_location(
                    t(locale, "button.send_location"), t(locale, "report.ask_location_placeholder")
                ),
            )
            await draft_rows.set_draft(
                conn, draft.id, prompt_outbox_id=await self.outbox.put(conn, prompt)
            )

    def private_link(self, group_chat_id: int) -> str:
        """The deep link that opens a private (anonymous to the group) report."""
        return f"https://t.me/{self.bot_username}?start=r{abs(group_chat_id)}"

    # -- category and details ---------------------------------------------------------------

    async def choose_category(self, draft_id: int, person: Person, code: str) -> Answer:
        """The reporter pressed a category button."""
        async with self.db.transaction() as conn:
            draft = await self._pressed_draft(conn, draft_id, person)
            if isinstance(draft, Answer):
                return draft
            locale = draft.user_locale
            if code not in self.directory.categories:
                return Answer(t(locale, "button.unknown"), alert=True)
            offer = await self._same_offer(conn, draft, code)
            if not await draft_rows.advance_draft(
                conn,
                draft.id,
                "category",
                stage="details" if offer is None else "same",
                category=code,
                same_ticket_id=None if offer is None else offer.ticket_id,
                expires_at=self.clock.now() + self.timeout,
            ):
                return Answer(t(locale, "button.stale"), alert=True)
            name = self.directory.category_name(code, locale)
            if offer is None:
                await self._ask_details(conn, draft, code)
            else:
                await self._show_offer(conn, draft, code, offer)
        return Answer(t(locale, "report.category_chosen", category=name))

    async def receive_details(
        self,
        chat_id: int,
        person: Person,
        message_id: int,
        text: str | None,
        photo_file_id: str | None,
    ) -> None:
        """A description and/or photo for the reporter's draft; submits the report."""
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(
                conn, await draft_rows.open_draft(conn, chat_id, person.id)
            )
            if draft is None or not draft.is_open:
                if chat_id == person.id:
                    await self._say(conn, chat_id, "report.private_needs_link", message_id, person)
                return
            locale = draft.user_locale
            limit = self.directory.settings.intake.max_description_length
            if draft.stage == "location":
                await self._reply(
                    conn, chat_id, t(locale, "report.need_location"), message_id, "refusal"
                )
            elif draft.stage == "category":
                await self._reply(
                    conn, chat_id, t(locale, "report.need_category"), message_id, "refusal"
                )
            elif draft.stage == "same":
                await self._reply(
                    conn, chat_id, t(locale, "same.need_answer"), message_id, "refusal"
                )
            elif text is not None and len(text) > limit:
                body = t(locale, "report.too_long", limit=limit, length=len(text))
                markup = self._ask_again(draft, "report.ask_details_placeholder")
                await self._reply(conn, chat_id, body, message_id, "refusal", markup)
            else:
                await self._submit(conn, draft, (text or "").strip() or None, photo_file_id)

    async def skip_details(self, draft_id: int, person: Person) -> Answer:
        """The reporter pressed "skip": submit without a description."""
        async with self.db.transaction() as conn:
            draft = await self._pressed_draft(conn, draft_id, person)
            if isinstance(draft, Answer):
                return draft
            if draft.stage != "details":
                return Answer(t(draft.user_locale, "button.stale"), alert=True)
            number = await self._submit(conn, draft, None, None)
        return Answer(t(draft.user_locale, "report.submitted_toast", number=number or ""))

    async def _submit(
        self, conn: Connection, draft: Draft, text: str | None, photo: str | None
    ) -> str | None:
        now = self.clock.now()
        if not await draft_rows.advance_draft(
            conn,
            draft.id,
            "details",
            stage="submitted",
            ended_at=now,
            description=text,
            photo_file_id=photo,
        ):
            return None
        submitted = await draft_rows.get_draft(conn, draft.id)
        assert submitted is not None
        group_locale = self.directory.group_locale(draft.group_chat_id)
        assert submitted.grid_id is not None
        route = await self.duty.route(conn, submitted.grid_id, now)
        ticket = await create_ticket(
            conn,
            submitted,
            directory=self.directory,
            outbox=self.outbox,
            now=now,
            group_locale=group_locale,
            route=route,
        )
        self.duty.alarm.wake_at(ticket.esc_due_at)
        body = cards.group_receipt(
            ticket, self.directory, draft.user_locale, route.fallback_from, private=draft.private
        )
        if not draft.private:
            await self._edit_panel(conn, submitted, body, None)
            return cards.ticket_number(ticket.id)
        # In private the receipt is a new message: only a new message can take away the
        # "send my location" keyboard; the category panel it replaces goes.
        body = t(draft.user_locale, "report.private_done", receipt=Raw(body))
        assert submitted.panel_outbox_id is not None
        await self.outbox.put(
            conn, notices.delete(submitted.panel_outbox_id, draft.chat_id, "panel")
        )
        await self.outbox.put(conn, notices.text(draft.chat_id, body, "panel", {"remove": True}))
        return cards.ticket_number(ticket.id)

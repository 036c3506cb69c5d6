"""Reporting: a shop owner's location, category and details become a ticket.

The conversation state is a draft row, so a report survives a restart mid-way, and every
step checks the draft's stage in the database: a repeated update or a stale button changes
nothing. Every answer goes through the outbox except the toast on a button press.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.clock import Clock
from bot.core.directory import Directory
from bot.core.i18n import Raw, joined, locale_of_language_code, t, tn
from bot.core.notices import Button, Markup
from bot.core.people import ROW_GONE, Answer, Person, Spot
from bot.delivery.outbox import Outbox
from bot.duty.on_duty import Duty
from bot.reporting.dispatch import create_ticket
from bot.tickets import cards
from storage import drafts as draft_rows
from storage import tickets as ticket_rows
from storage.database import Connection, Database
from storage.drafts import Draft

CATEGORY_COLUMNS = 2


class Intake:
    def __init__(
        self,
        db: Database,
        directory: Directory,
        outbox: Outbox,
        clock: Clock,
        bot_username: str = "",
    ) -> None:
        self.db = db
        self.directory = directory
        self.outbox = outbox
        self.clock = clock
        self.bot_username = bot_username
        self.timeout = directory.settings.intake.report_timeout
        self.duty = Duty(db, directory, outbox, clock)

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

    async def _over_limit(
        self, conn: Connection, chat_id: int, person: Person, message_id: int, locale: str
    ) -> bool:
        """Refuse (politely) a person who reported too often in the last hour."""
        limit = self.directory.settings.intake.max_reports_per_hour
        since = self.clock.now() - timedelta(hours=1)
        if await ticket_rows.reports_since(conn, person.id, since) < limit:
            return False
        body = tn(locale, "report.too_many", limit)
        await self._reply(conn, chat_id, body, message_id, "refusal")
        return True

    async def _new_draft(
        self,
        conn: Connection,
        trigger_key: str,
        chat_id: int,
        group_chat_id: int,
        person: Person,
        *,
        private: bool,
        message_id: int,
    ) -> Draft | None:
        """A fresh draft replacing the person's unfinished one; None if it was already
        started, or if the person reported too often lately (then they are told so)."""
        now = self.clock.now()
        if await draft_rows.trigger_used(conn, trigger_key):
            return None  # a repeated update: a double tap in one batch, a replay, a redelivery
        previous = await draft_rows.open_draft(conn, chat_id, person.id)
        locale = self.directory.group_locale(group_chat_id)
        if await self._over_limit(conn, chat_id, person, message_id, locale):
            return None
        if previous is not None:
            await draft_rows.set_draft(conn, previous.id, stage="cancelled", ended_at=now)
            if previous.panel_outbox_id is None and previous.prompt_outbox_id is not None:
                # Only its prompt was sent: the new prompt replaces it; a third message
                # saying so would only be noise.
                await self.outbox.put(
                    conn, notices.delete(previous.prompt_outbox_id, previous.chat_id, "prompt")
                )
            else:
                await self._close_panel(conn, previous, "report.replaced")
        return await draft_rows.insert_draft(
            conn,
            trigger_key=trigger_key,
            chat_id=chat_id,
            user_id=person.id,
            user_name=person.name,
            username=person.username,
            user_locale=self.directory.group_locale(group_chat_id),
            group_chat_id=group_chat_id,
            private=private,
            stage="location",
            created_at=now,
            expires_at=now + self.timeout,
        )

    def private_link(self, group_chat_id: int) -> str:
        """The deep link that opens a private (anonymous to the group) report."""
        return f"https://t.me/{self.bot_username}?start=r{abs(group_chat_id)}"

    # -- location ---------------------------------------------------------------------------

    async def receive_location(
        self, chat_id: int, person: Person, message_id: int, spot: Spot, *, private: bool
    ) -> None:
        """A location (or venue) from a reporter: place it in a grid, then ask the category."""
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(
                conn, await draft_rows.open_draft(conn, chat_id, person.id)
            )
            if draft is not None and not draft.is_open:
                draft = None
            if draft is None and private:
                await self._say(conn, chat_id, "report.private_needs_link", message_id, person)
                return
            if draft is None:
                if await draft_rows.location_used(conn, chat_id, message_id):
                    return  # a repeated update whose report has moved on (or ended)
                # The bot sees plain location messages only as a group admin or with
                # privacy mode off: then a location alone starts a report.
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
            if draft.stage != "location":
                if draft.location_message_id != message_id:
                    await self._say(conn, chat_id, "report.location_already", message_id, draft)
                return
            await self._place(conn, draft, message_id, spot)

    async def _place(self, conn: Connection, draft: Draft, message_id: int, spot: Spot) -> None:
        locale = draft.user_locale
        placement = self.directory.place(spot.latitude, spot.longitude) if spot.valid else None
        if placement is None:
            await self._refuse_outside(conn, draft, message_id, spot)
            return
        now = self.clock.now()
        moved = await draft_rows.advance_draft(
            conn,
            draft.id,
            "location",
            stage="category",
            latitude=spot.latitude,
            longitude=spot.longitude,
            venue_title=_clip(spot.venue_title, 120),
            venue_address=_clip(spot.venue_address, 200),
            location_message_id=message_id,
            grid_id=placement.grid_id,
            expires_at=now + self.timeout,
        )
        if not moved:
            return
        key = "report.ask_category" if placement.inside else "report.ask_category_near"
        body = t(
            locale,
            key,
            grid=self.directory.grid_name(placement.grid_id, locale),
            distance=round(placement.distance_m),
        )
        panel = notices.text(
            draft.chat_id,
            body,
            "panel",
            self._category_keyboard(draft, locale),
            reply_to_message_id=message_id,
        )
        await draft_rows.set_draft(
            conn, draft.id, panel_outbox_id=await self.outbox.put(conn, panel)
        )

    async def _refuse_outside(
        self, conn: Connection, draft: Draft, message_id: int, spot: Spot
    ) -> None:
        locale = draft.user_locale
        area = self.directory.settings.district.name.get(locale)
        covered = Raw(
            joined(locale, (self.directory.grid_name(g, locale) for g in self.directory.grids))
        )
        nearest = self.directory.nearest(spot.latitude, spot.longitude) if spot.valid else None
        if nearest is None:
            body = t(locale, "report.bad_location", area=area, grids=covered)
        else:
            body = t(
                locale,
                "report.outside",
                area=area,
                grids=covered,
                nearest=self.directory.grid_name(nearest.grid_id, locale),
                distance=_distance_text(nearest.distance_m, locale),
            )
        await self._reply(conn, draft.chat_id, body, message_id, "refusal", self._ask_again(draft))

    def _ask_again(
        self, draft: Draft, key: str = "report.ask_location_placeholder"
    ) -> Markup | None:
        """In a group, a refusal asks for a forced reply: in privacy mode the bot sees the
        next message only if it replies to the bot. In private it sees everything."""
        return None if draft.private else notices.force_reply(t(draft.user_locale, key))

    def _category_keyboard(self, draft: Draft, locale: str) -> notices.Markup:
        row: list[Button] = []
        rows: list[list[Button]] = []
        for category in self.directory.settings.categories:
            row.append(
                Button(
                    category.name.get(locale),
                    buttons.encode(Press.CATEGORY, draft.id, category.code),
                )
            )
            if len(row) == CATEGORY_COLUMNS:
                rows.append(row)
                row = []
        if row:
            rows.append(row)
        rows.append([Button(t(locale, "button.cancel"), buttons.encode(Press.CANCEL, draft.id))])
        return notices.inline(rows)

    # -- category and details ---------------------------------------------------------------

    async def choose_category(self, draft_id: int, person: Person, code: str) -> Answer:
        """The reporter pressed a category button."""
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(conn, await draft_rows.get_draft(conn, draft_id))
            refusal = self._check_press(draft, person)
            if refusal is not None or draft is None:
                return refusal or Answer("")
            locale = draft.user_locale
            if code not in self.directory.categories:
                return Answer(t(locale, "button.unknown"), alert=True)
            if not await draft_rows.advance_draft(
                conn,
                draft.id,
                "category",
                stage="details",
                category=code,
                expires_at=self.clock.now() + self.timeout,
            ):
                return Answer(t(locale, "button.stale"), alert=True)
            name = self.directory.category_name(code, locale)
            body = t(
                locale,
                "report.ask_details",
                category=name,
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
            elif text is not None and len(text) > limit:
                body = t(locale, "report.too_long", limit=limit, length=len(text))
                markup = self._ask_again(draft, "report.ask_details_placeholder")
                await self._reply(conn, chat_id, body, message_id, "refusal", markup)
            else:
                await self._submit(conn, draft, (text or "").strip() or None, photo_file_id)

    async def skip_details(self, draft_id: int, person: Person) -> Answer:
        """The reporter pressed "skip": submit without a description."""
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(conn, await draft_rows.get_draft(conn, draft_id))
            refusal = self._check_press(draft, person)
            if refusal is not None or draft is None:
                return refusal or Answer("")
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

    # -- cancelling and expiry --------------------------------------------------------------

    async def cancel_by_button(self, draft_id: int, person: Person) -> Answer:
        async with self.db.transaction() as conn:
            draft = await self._expire_if_due(conn, await draft_rows.get_draft(conn, draft_id))
            refusal = self._check_press(draft, person)
            if refusal is not None or draft is None:
                return refusal or Answer("")
            await self._end(conn, draft, "cancelled", "report.cancelled")
        return Answer(t(draft.user_locale, "report.cancelled"))

    async def cancel_open(self, chat_id: int, person: Person, message_id: int) -> None:
        """``/cancel``: drop the person's unfinished report in this chat, if any."""
        async with self.db.transaction() as conn:
            draft = await draft_rows.open_draft(conn, chat_id, person.id)
            if draft is None:
                await self._say(conn, chat_id, "report.nothing_to_cancel", message_id, person)
            else:
                await self._end(conn, draft, "cancelled", "report.cancelled", message_id)

    async def expire_due(self) -> int:
        """End every draft whose time ran out and tell its reporter; return how many."""
        async with self.db.transaction() as conn:
            expired = await draft_rows.expired_drafts(conn, self.clock.now())
            for draft in expired:
                await self._end(conn, draft, "expired", "report.expired")
        return len(expired)

    async def _end(
        self,
        conn: Connection,
        draft: Draft,
        stage: str,
        key: str,
        reply_to_message_id: int | None = None,
    ) -> None:
        if not await draft_rows.advance_draft(
            conn, draft.id, draft.stage, stage=stage, ended_at=self.clock.now()
        ):
            return
        await self._close_panel(conn, draft, key, reply_to_message_id)

    async def _close_panel(
        self, conn: Connection, draft: Draft, key: str, reply_to_message_id: int | None = None
    ) -> None:
        """Show how a draft ended on its panel, or as a reply (to ``reply_to`` or the prompt)."""
        if key == "report.expired":
            body = tn(draft.user_locale, key, int(self.timeout.total_seconds() // 60))
        else:
            body = t(draft.user_locale, key)
        if draft.panel_outbox_id is not None and not draft.private:
            await self._edit_panel(conn, draft, body, None)
            return
        if draft.panel_outbox_id is not None:
            # In private only a new message takes the "send my location" keyboard away.
            await self.outbox.put(
                conn, notices.delete(draft.panel_outbox_id, draft.chat_id, "panel")
            )
        markup = {"remove": True} if draft.private else None
        if reply_to_message_id is not None:
            notice = notices.text(
                draft.chat_id, body, "draft_end", markup, reply_to_message_id=reply_to_message_id
            )
        else:
            notice = notices.text(
                draft.chat_id, body, "draft_end", markup, reply_to_outbox_id=draft.prompt_outbox_id
            )
        await self.outbox.put(conn, notice)

    # -- helpers ----------------------------------------------------------------------------

    async def _expire_if_due(self, conn: Connection, draft: Draft | None) -> Draft | None:
        """The draft if it is still within its time; otherwise end it (and say so) first."""
        if draft is None or not draft.is_open or draft.expires_at > self.clock.now():
            return draft
        await self._end(conn, draft, "expired", "report.expired")
        return await draft_rows.get_draft(conn, draft.id)

    def _check_press(self, draft: Draft | None, person: Person) -> Answer | None:
        """Refuse a press on someone else's report, or on one that has ended."""
        if draft is None:
            return ROW_GONE
        if draft.user_id != person.id:
            return Answer(
                t(draft.user_locale, "report.not_yours", name=draft.user_name), alert=True
            )
        if not draft.is_open:
            return Answer(t(draft.user_locale, "button.stale"), alert=True)
        return None

    async def _edit_panel(
        self, conn: Connection, draft: Draft, body: str, keyboard: notices.Markup | None
    ) -> None:
        assert draft.panel_outbox_id is not None
        notice = notices.edit(
            draft.panel_outbox_id, draft.chat_id, body, "panel", caption=False, markup=keyboard
        )
        await self.outbox.put(conn, notice)

    async def _reply(
        self,
        conn: Connection,
        chat_id: int,
        body: str,
        message_id: int,
        purpose: str,
        markup: Markup | None = None,
    ) -> None:
        await self.outbox.put(
            conn, notices.text(chat_id, body, purpose, markup, reply_to_message_id=message_id)
        )

    async def _say(
        self, conn: Connection, chat_id: int, key: str, message_id: int, who: Person | Draft
    ) -> None:
        if isinstance(who, Draft):
            locale = who.user_locale
        else:
            locale = (
                self.directory.group_locale(chat_id)
                if chat_id < 0
                else _private_locale(who, self.directory.settings.locale)
            )
        await self._reply(conn, chat_id, t(locale, key), message_id, "refusal")


def _private_locale(person: Person, default: str) -> str:
    return locale_of_language_code(person.language_code, default)


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value


def _distance_text(metres: float, locale: str) -> str:
    if metres >= 1000:
        return t(locale, "distance.km", km=f"{metres / 1000:.1f}")
    return t(locale, "distance.m", m=round(metres))

"""A report's draft: the desk every step of a report stands on, and how a draft ends.

The conversation state is a draft row, so a report survives a restart mid-way, and every
step checks the draft's stage in the database: a repeated update or a stale button changes
nothing. Every answer goes through the outbox except the toast on a button press.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core import notices
from bot.core.clock import Clock
from bot.core.directory import Directory
from bot.core.i18n import locale_of_language_code, t, tn
from bot.core.notices import Markup
from bot.core.people import ROW_GONE, Answer, Person
from bot.delivery.outbox import Outbox
from bot.duty.on_duty import Duty
from storage import drafts as draft_rows
from storage import tickets as ticket_rows
from storage.database import Connection, Database
from storage.drafts import Draft


class DraftDesk:
    """What every step of a report needs: the services, the checks, ending a draft."""

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

    # -- a new draft -----------------------------------------------------------------------

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

    # -- cancelling and expiry --------------------------------------------------------------

    async def cancel_by_button(self, draft_id: int, person: Person) -> Answer:
        async with self.db.transaction() as conn:
            draft = await self._pressed_draft(conn, draft_id, person)
            if isinstance(draft, Answer):
                return draft
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

    async def _pressed_draft(
        self, conn: Connection, draft_id: int, person: Person
    ) -> Draft | Answer:
        """The draft a button press is about, ended first if its time is up; or the polite
        refusal when it is someone else's, has ended, or is gone."""
        draft = await self._expire_if_due(conn, await draft_rows.get_draft(conn, draft_id))
        refusal = self._check_press(draft, person)
        if refusal is not None or draft is None:
            return refusal or Answer("")
        return draft

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

"""A lead's broadcast notice to grid groups, with "got it" tracking and one reminder.

The lead writes ``/notice`` where lead figures may be posted (``leads.audience``: never a
grid group), answers the prompt with the text (and a photo, optionally), picks the groups
and confirms. Every step is a row in ``broadcasts``, so a restart half-way carries on.
Sending to many groups is only writing one notice per group to the outbox, which keeps
each group within Telegram's budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import buttons, notices
from bot.core.buttons import Press
from bot.core.i18n import t, tn
from bot.core.notices import Button, Notice
from bot.core.people import ROW_GONE, Answer, Person
from bot.figures import leads
from bot.figures.leads import Scope
from bot.tickets.ticket_ops import Desk
from storage import broadcasts as rows
from storage.broadcasts import Broadcast
from storage.database import Connection

ALL = "all"
LONGEST_TEXT = 3000
LONGEST_CAPTION = 900  # Telegram's caption limit is 1024, less our header
SEEN_AGAIN_AFTER = timedelta(hours=1)  # a member's last-seen time is refreshed at most so often


@dataclass
class Broadcasts(Desk):
    # Only spares writes: the table is the truth, so losing this on restart is harmless.
    _seen: dict[tuple[int, int], datetime] = field(default_factory=dict, repr=False)

    def groups_for(self, scope: Scope) -> list[int]:
        """The grid groups a lead may send to: those serving a grid of a squad they lead."""
        if scope.everything:
            return list(self.directory.groups)
        grids = {g for s in scope.squads or () for g in self.directory.squads[s].grids}
        return [c for c, group in self.directory.groups.items() if grids & set(group.grids)]

    def _scope(self, chat_id: int, private: bool, lead_id: int) -> leads.Audience:
        return leads.audience(self.directory, chat_id, private, lead_id)

    async def start(self, chat_id: int, private: bool, person: Person, locale: str) -> None:
        """``/notice``: ask for the text, or refuse politely."""
        audience = self._scope(chat_id, private, person.id)
        if audience.scope is None:
            await self._refuse(chat_id, audience, locale)
            return
        if not self.groups_for(audience.scope):
            await self.outbox.send(notices.text(chat_id, t(locale, "notice.no_groups"), "refusal"))
            return
        async with self.db.transaction() as conn:
            await rows.start(conn, person.id, chat_id, locale, self.clock.now())
            markup = notices.force_reply(t(locale, "notice.placeholder"))
            await self.outbox.put(
                conn, notices.text(chat_id, t(locale, "notice.ask_text"), "prompt", markup)
            )

    async def _refuse(self, chat_id: int, audience: leads.Audience, locale: str) -> None:
        """The polite no, in words about notices rather than the figures' refusal."""
        if chat_id in self.directory.groups:
            key = "notice.not_in_grid_group"
        elif audience.refusal == "digest.not_allowed":
            key = "notice.not_allowed"
        else:
            key = "notice.not_here"
        await self.outbox.send(notices.text(chat_id, t(locale, key), "refusal"))

    async def receive(
        self, chat_id: int, private: bool, person: Person, body: str | None, photo: str | None
    ) -> bool:
        """The lead's text (or photo with caption); False if no notice waits for it."""
        async with self.db.transaction() as conn:
            draft = await rows.composing(conn, person.id, chat_id)
            if draft is None:
                return False
            locale = draft.locale
            limit = LONGEST_CAPTION if photo else LONGEST_TEXT
            text = (body or "").strip()
            refusal = None
            if not text:
                refusal = t(locale, "notice.empty")
            elif len(text) > limit:
                refusal = t(locale, "notice.too_long", length=len(text), limit=limit)
            if refusal is not None:
                markup = notices.force_reply(t(locale, "notice.placeholder"))
                await self.outbox.put(conn, notices.text(chat_id, refusal, "refusal", markup))
                return True
            audience = self._scope(chat_id, private, person.id)
            targets = self.groups_for(audience.scope) if audience.scope else []
            await rows.set_content(conn, draft.id, text, photo, targets)
            draft = await rows.get(conn, draft.id)
            assert draft is not None
            body_html, markup = self._picker(draft, targets)
            outbox_id = await self.outbox.put(
                conn, notices.text(chat_id, body_html, "prompt", markup)
            )
            await rows.set_picker(conn, draft.id, outbox_id)
        return True

    def _picker(self, draft: Broadcast, allowed: list[int]) -> tuple[str, notices.Markup]:
        locale = draft.locale
        lines = [t(locale, "notice.pick_title"), "", t(locale, "notice.preview", body=draft.body)]
        if draft.photo_file_id:
            lines.append(t(locale, "notice.with_photo"))
        every = set(allowed) <= set(draft.targets)
        keyboard = [
            [
                Button(
                    t(locale, "notice.all_on" if every else "notice.all_off"),
                    buttons.encode(Press.NOTICE_PICK, draft.id, ALL),
                )
            ]
        ]
        for chat_id in allowed:
            key = "notice.group_on" if chat_id in draft.targets else "notice.group_off"
            data = buttons.encode(Press.NOTICE_PICK, draft.id, str(-chat_id))
            keyboard.append(
                [Button(t(locale, key, name=self.directory.groups[chat_id].name), data)]
            )
        count = len(draft.targets)
        keyboard.append(
            [Button(tn(locale, "notice.send", count), buttons.encode(Press.NOTICE_SEND, draft.id))]
        )
        return "\n".join(lines), notices.inline(keyboard)

    async def _own(self, conn: Connection, broadcast_id: int, person: Person) -> Broadcast | Answer:
        draft = await rows.get(conn, broadcast_id)
        if draft is None:
            return ROW_GONE
        if draft.lead_id != person.id:
            return Answer(t(draft.locale, "notice.not_yours"), alert=True)
        return draft

    async def pick(self, broadcast_id: int, person: Person, argument: str) -> Answer:
        """Toggle one group (or all) on the picker."""
        async with self.db.transaction() as conn:
            draft = await self._own(conn, broadcast_id, person)
            if isinstance(draft, Answer):
                return draft
            if draft.stage != rows.CHOOSING:
                return Answer(t(draft.locale, "notice.already_sent"), alert=True)
            audience = self._scope(draft.chat_id, draft.chat_id > 0, person.id)
            allowed = self.groups_for(audience.scope) if audience.scope else []
            chosen = set(draft.targets)
            if argument == ALL:
                chosen = set() if set(allowed) <= chosen else set(allowed)
            elif buttons.is_number(argument, 16) and -int(argument) in allowed:
                chosen ^= {-int(argument)}
            else:
                return Answer(t(draft.locale, "notice.not_yours"), alert=True)
            await rows.set_targets(conn, draft.id, [c for c in allowed if c in chosen])
            fresh = await rows.get(conn, draft.id)
            assert fresh is not None and fresh.picker_outbox_id is not None
            body, markup = self._picker(fresh, allowed)
            await self.outbox.put(
                conn,
                notices.edit(
                    fresh.picker_outbox_id,
                    fresh.chat_id,
                    body,
                    "prompt",
                    caption=False,
                    markup=markup,
                ),
            )
        return Answer("")

    def _group_notice(self, draft: Broadcast, chat_id: int, key: str) -> Notice:
        locale = self.directory.group_locale(chat_id)
        body = t(locale, key, body=draft.body)
        data = buttons.encode(Press.NOTICE_ACK, draft.id)
        markup = notices.inline([[Button(t(locale, "notice.got_it"), data)]])
        if draft.photo_file_id:
            payload = {"photo": draft.photo_file_id, "caption": body, "markup": markup}
            return Notice(chat_id, "photo", "broadcast", payload)
        return notices.text(chat_id, body, "broadcast", markup)

    async def send(self, broadcast_id: int, person: Person) -> Answer:
        """Confirm: one notice per chosen group into the outbox, once."""
        async with self.db.transaction() as conn:
            draft = await self._own(conn, broadcast_id, person)
            if isinstance(draft, Answer):
                return draft
            locale = draft.locale
            if draft.stage != rows.CHOOSING:
                return Answer(t(locale, "notice.already_sent"), alert=True)
            if not draft.targets:
                return Answer(t(locale, "notice.pick_some"), alert=True)
            await rows.mark_sent(conn, draft.id, self.clock.now())
            for chat_id in draft.targets:
                await self.outbox.put(conn, self._group_notice(draft, chat_id, "notice.body"))
            names = t(locale, "notice.separator").join(
                self.directory.groups[c].name for c in draft.targets
            )
            sent = tn(locale, "notice.sent", len(draft.targets), groups=names)
            if draft.picker_outbox_id is not None:
                await self.outbox.put(
                    conn,
                    notices.edit(
                        draft.picker_outbox_id,
                        draft.chat_id,
                        sent,
                        "prompt",
                        caption=False,
                        markup=self._status_markup(draft),
                    ),
                )
        return Answer(t(locale, "notice.sent_short"))

    def _status_markup(self, draft: Broadcast) -> notices.Markup:
        row = [
            Button(
                t(draft.locale, "notice.status_button"),
                buttons.encode(Press.NOTICE_STATUS, draft.id),
            )
        ]
        if draft.reminded_at is None:
            row.append(
                Button(
                    t(draft.locale, "notice.remind_button"),
                    buttons.encode(Press.NOTICE_REMIND, draft.id),
                )
            )
        return notices.inline([row])

    async def acknowledge(self, broadcast_id: int, chat_id: int, person: Person) -> Answer:
        """A press of "got it" in a group: recorded once per person."""
        locale = self.directory.group_locale(chat_id)
        async with self.db.transaction() as conn:
            draft = await rows.get(conn, broadcast_id)
            if draft is None or draft.stage != rows.SENT or chat_id not in draft.targets:
                return ROW_GONE
            await rows.seen(conn, chat_id, person.id, person.name, self.clock.now())
            first = await rows.acknowledge(
                conn, draft.id, chat_id, person.id, person.name, self.clock.now()
            )
        if not first:
            return Answer(t(locale, "notice.already_noted"), alert=True)
        return Answer(t(locale, "notice.noted"))

    async def status(self, chat_id: int, private: bool, person: Person, locale: str) -> None:
        """``/notices``: the lead's latest notice, per group who pressed and who has not."""
        audience = self._scope(chat_id, private, person.id)
        if audience.scope is None:
            await self._refuse(chat_id, audience, locale)
            return
        async with self.db.transaction() as conn:
            draft = await rows.latest_sent(conn, person.id)
            if draft is None:
                await self.outbox.put(
                    conn, notices.text(chat_id, t(locale, "notice.none"), "refusal")
                )
                return
            await self._put_status(conn, draft, chat_id)

    async def status_by_button(self, broadcast_id: int, person: Person) -> Answer:
        async with self.db.transaction() as conn:
            draft = await self._own(conn, broadcast_id, person)
            if isinstance(draft, Answer):
                return draft
            if draft.stage != rows.SENT:
                return ROW_GONE
            await self._put_status(conn, draft, draft.chat_id)
        return Answer("")

    async def _put_status(self, conn: Connection, draft: Broadcast, chat_id: int) -> None:
        locale = draft.locale
        pressed = await rows.acknowledged(conn, draft.id)
        seen = await rows.members(conn, draft.targets)
        lines = [t(locale, "notice.status_title", body=draft.body[:40] if draft.body else "")]
        for group in draft.targets:
            who = pressed.get(group, set())
            missing = [n for u, n in seen.get(group, {}).items() if u not in who]
            lines.append(
                tn(locale, "notice.status_line", len(who), name=self.directory.groups[group].name)
            )
            if missing:
                lines.append(
                    t(
                        locale,
                        "notice.status_missing",
                        names=t(locale, "notice.separator").join(missing),
                    )
                )
            else:
                lines.append(t(locale, "notice.status_nobody_missing"))
        if draft.reminded_at is not None:
            lines.append(t(locale, "notice.status_reminded"))
        markup = self._status_markup(draft)
        await self.outbox.put(conn, notices.text(chat_id, "\n".join(lines), "digest", markup))

    async def remind(self, broadcast_id: int, person: Person) -> Answer:
        """The one reminder: the notice again in each group; a second one is refused."""
        async with self.db.transaction() as conn:
            draft = await self._own(conn, broadcast_id, person)
            if isinstance(draft, Answer):
                return draft
            if draft.stage != rows.SENT:
                return ROW_GONE
            if not await rows.mark_reminded(conn, draft.id, self.clock.now()):
                return Answer(t(draft.locale, "notice.reminded_already"), alert=True)
            for chat_id in draft.targets:
                await self.outbox.put(conn, self._group_notice(draft, chat_id, "notice.reminder"))
        return Answer(t(draft.locale, "notice.reminded"))

    async def seen(self, chat_id: int, person: Person) -> None:
        """Note a member of a grid group from an update (refreshed at most hourly)."""
        now = self.clock.now()
        last = self._seen.get((chat_id, person.id))
        if last is not None and now - last < SEEN_AGAIN_AFTER:
            return
        async with self.db.transaction() as conn:
            await rows.seen(conn, chat_id, person.id, person.name, now)
        self._seen[(chat_id, person.id)] = now

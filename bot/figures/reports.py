"""Team leads' numbers: the daily digest and statistics for a lead's scope, and the export."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.core import notices
from bot.core.i18n import t
from bot.figures import exports, leads
from bot.figures.digest import Digest, Inputs, compute, day_bounds
from bot.figures.digest_text import DigestText
from bot.figures.leads import EVERY_SQUAD, Audience, Days, Scope
from bot.tickets.ticket_ops import Desk
from storage import photos as photo_rows
from storage import reports as report_rows
from storage import tickets as ticket_rows

RECURRING_WINDOW_DAYS = 7


class Reports(Desk):
    @property
    def files(self) -> Path:
        """Where charts and exports wait for the outbox to upload them."""
        folder = self.db.files
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def audience(self, chat_id: int, private: bool, user_id: int) -> Audience:
        """May ``user_id`` have lead figures posted in ``chat_id``, and whose (bot.leads)."""
        return leads.audience(self.directory, chat_id, private, user_id)

    def digest_day(self, args: list[str]) -> Days:
        return leads.digest_day(args, self.today(), self.yesterday())

    def export_days(self, args: list[str]) -> Days:
        return leads.export_days(args, self.today(), self.yesterday())

    async def post_daily(self, day: date) -> int:
        """Post ``day``'s digest (text and chart) to every lead chat and the command centre,
        once per chat however often it is asked; return how many chats got it now."""
        settings = self.directory.settings
        shared: dict[int, set[str]] = {}
        for each in settings.squads:
            shared.setdefault(self.directory.lead_chat(each), set()).add(each.id)
        # Squads sharing a lead chat get one digest there, of those squads together.
        targets = {chat: Scope(frozenset(squads)) for chat, squads in shared.items()}
        if self.directory.command_centre is not None:
            targets[self.directory.command_centre.dispatch_chat_id] = EVERY_SQUAD
        digests: dict[Scope, Digest] = {}
        for scope in set(targets.values()):
            digests[scope] = await self.digest(day, scope)
        posted = 0
        async with self.db.transaction() as conn:
            for chat_id, scope in targets.items():
                if not await report_rows.claim_digest(
                    conn, day.isoformat(), chat_id, self.clock.now()
                ):
                    continue
                locale = self._scope_locale(scope)
                await self.put_digest(conn, chat_id, digests[scope], locale, scope)
                posted += 1
        return posted

    def _scope_locale(self, scope: Scope) -> str:
        if scope.squads is not None and len(scope.squads) == 1:
            (squad_id,) = scope.squads
            return self.directory.squad_locale(self.directory.squads[squad_id])
        return self.directory.settings.locale

    async def put_digest(
        self,
        conn: Any,
        chat_id: int,
        digest: Digest,
        locale: str,
        scope: Scope = EVERY_SQUAD,
        reply_to: int | None = None,
        title: str | None = None,
    ) -> None:
        """Write the digest text (and chart) for one chat into the outbox."""
        body = self.render(digest, locale, scope)
        if title is not None:
            body = title + "\n" + body.split("\n", 1)[1]
        await self.outbox.put(
            conn, notices.text(chat_id, body, "digest", reply_to_message_id=reply_to)
        )
        if self.directory.settings.digest.chart and digest.squads:
            await self._sweep(conn)
            path = (
                self.files / f"chart-{digest.day.isoformat()}-{locale}-{uuid.uuid4().hex[:8]}.png"
            )
            path.write_bytes(self.chart(digest, locale))
            caption = self.chart_title(digest, locale)
            await self.outbox.put(
                conn,
                notices.Notice(
                    chat_id, "photo", "digest_chart", {"photo_path": str(path), "caption": caption}
                ),
            )

    async def send_export(
        self,
        chat_id: int,
        reply_to: int | None,
        first: date,
        last: date,
        locale: str,
        scope: Scope,
        export_format: str = "xlsx",
    ) -> int:
        """Write the export of ``scope``'s tickets and queue it as a document; return how
        many tickets it holds. The file is removed once the outbox no longer needs it."""
        table = await self.export_table(first, last, locale, scope)
        data = exports.xlsx(table) if export_format == "xlsx" else exports.csv_bytes(table)
        name = f"griddesk-{first.isoformat()}-{last.isoformat()}"
        caption = t(
            locale,
            f"export.caption_{export_format}",
            start=first.isoformat(),
            end=last.isoformat(),
            count=len(table.tickets),
        )
        async with self.db.transaction() as conn:
            # Written inside the transaction, so a sweep (also in one) never sees the file
            # without the outbox item that will send it.
            await self._sweep(conn)
            path = self.files / f"{name}-{uuid.uuid4().hex[:8]}.{export_format}"
            path.write_bytes(data)
            payload = {
                "document_path": str(path),
                "filename": f"{name}.{export_format}",
                "caption": caption,
            }
            await self.outbox.put(
                conn,
                notices.Notice(
                    chat_id, "document", "export", payload, reply_to_message_id=reply_to
                ),
            )
        return len(table.tickets)

    async def export_table(
        self, first: date, last: date, locale: str, scope: Scope = EVERY_SQUAD
    ) -> exports.Table:
        """The tickets reported from ``first`` to ``last`` (local days, inclusive) that
        ``scope`` may see, with every event of theirs (bot.exports)."""
        zone = self.directory.settings.zone
        start, _ = day_bounds(first, zone)
        _, end = day_bounds(last, zone)
        async with self.db.snapshot() as conn:
            rows = await report_rows.export_between(conn, start, end)
            events = await report_rows.events_before(conn, [r.id for r in rows])
            photos = await photo_rows.photo_counts(conn, [r.id for r in rows])
        return exports.build(rows, events, scope, locale, self.directory, photos)

    async def sweep(self) -> int:
        """Remove the chart and export files the outbox no longer needs (sent or given up)."""
        async with self.db.transaction() as conn:
            return await self._sweep(conn)

    async def _sweep(self, conn: Any) -> int:
        # In a write transaction: files are written in one too, with the outbox item that
        # sends them, so a file is never seen here without its item.
        needed = await report_rows.pending_files(conn)
        removed = 0
        for path in self.files.iterdir():
            if str(path) not in needed:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    async def catch_up(self) -> int:
        """At start: if today's digest time has passed, post yesterday's digest (once)."""
        settings = self.directory.settings
        now = self.clock.now().astimezone(settings.zone)
        hour, minute = (int(part) for part in settings.digest.time.split(":"))
        if (now.hour, now.minute) < (hour, minute):
            return 0
        day = self.yesterday()
        _, end = day_bounds(day, settings.zone)
        async with self.db.snapshot() as conn:
            # Before the first ticket ever (the very first start) a day is not news.
            if not await ticket_rows.any_reported_before(conn, end):
                return 0
        return await self.post_daily(day)

    async def digest(self, day: date, scope: Scope = EVERY_SQUAD) -> Digest:
        """The figures of one local day for ``scope``, from the database; a day not yet over
        is counted as of now."""
        zone = self.directory.settings.zone
        start, end = day_bounds(day, zone)
        # Up to and including now: [start, now] is [start, the next float after now).
        end = min(end, math.nextafter(self.clock.now().timestamp(), math.inf))
        window_start, _ = day_bounds(day - timedelta(days=RECURRING_WINDOW_DAYS - 1), zone)
        async with self.db.snapshot() as conn:
            recent = await report_rows.reported_between(conn, window_start, end)
            rows = [row for row in recent if row.reported_at >= start]
            inputs = await self._inputs(conn, rows, recent, (start, end), scope)
            before: dict[str, int] = {}
            for label, back in (("day_before", 1), ("week_before", 7)):
                # The same hours of that day when today is not over, so the counts compare.
                other_start, _ = day_bounds(day - timedelta(days=back), zone)
                counts = await report_rows.received_by_squad(
                    conn, other_start, other_start + (end - start)
                )
                before[label] = sum(n for squad, n in counts.items() if scope.covers(squad))
        digest = compute(
            day, inputs, self.directory.settings, end, self._name, self._officer(scope)
        )
        digest.received_before = before
        return digest

    async def stats(self, days: int, scope: Scope = EVERY_SQUAD) -> tuple[date, date, Digest]:
        """The figures of the last ``days`` full local days (yesterday backwards)."""
        zone = self.directory.settings.zone
        last = self.yesterday()
        first = last - timedelta(days=days - 1)
        start, _ = day_bounds(first, zone)
        _, end = day_bounds(last, zone)
        async with self.db.snapshot() as conn:
            rows = await report_rows.reported_between(conn, start, end)
            inputs = await self._inputs(conn, rows, rows, (start, end), scope)
        digest = compute(
            last, inputs, self.directory.settings, end, self._name, self._officer(scope), first
        )
        return first, last, digest

    async def _inputs(
        self,
        conn: Any,
        rows: list[Any],
        recent: list[Any],
        period: tuple[float, float],
        scope: Scope,
    ) -> Inputs:
        start, end = period
        # Officers are credited for their rounds on every ticket of the period (a ticket of
        # another squad handed to theirs too); the ticket figures are the scope's own.
        events = await report_rows.events_before(conn, [r.id for r in rows], end)
        mine = [row for row in rows if scope.covers(row.home_squad_id)]
        reopened = await report_rows.reopened_before(conn, [r.id for r in mine], end)
        open_rows = [
            r for r in await report_rows.open_at(conn, end) if scope.covers(r.home_squad_id)
        ]
        open_events = await report_rows.events_of_open_at(conn, end)
        points = [row for row in recent if scope.covers(row.home_squad_id)]
        rechecks = [
            row
            for row in await report_rows.recheck_events_between(conn, start, end)
            if scope.covers(row.home_squad_id)
        ]
        return Inputs(mine, reopened, open_rows, points, events, open_events, rechecks)

    def _name(self, user_id: int, detail: dict[str, Any]) -> str:
        return self.directory.member_name(user_id, str(detail.get("name") or user_id))

    def _officer(self, scope: Scope) -> Callable[[int], bool]:
        """Whether an officer belongs in the scope's list: a member of one of its squads."""
        if scope.squads is None:
            return lambda _user_id: True
        squads = scope.squads
        return lambda user_id: any(
            m.squad.id in squads for m in self.directory.memberships.get(user_id, [])
        )

    def today(self) -> date:
        return self.clock.now().astimezone(self.directory.settings.zone).date()

    def yesterday(self) -> date:
        return self.today() - timedelta(days=1)

    def render(self, digest: Digest, locale: str, scope: Scope = EVERY_SQUAD) -> str:
        """The digest as a chat message (bot.digest_text)."""
        return DigestText(self.directory).render(digest, locale, scope)

    def chart(self, digest: Digest, locale: str) -> bytes:
        return DigestText(self.directory).chart(digest, locale)

    def chart_title(self, digest: Digest, locale: str) -> str:
        return DigestText(self.directory).chart_title(digest, locale)

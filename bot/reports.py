"""Team leads' numbers: the daily digest (text, chart) and statistics, for a lead's scope."""

from __future__ import annotations

import math
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot import charts, exports, leads, notices
from bot.config import OUTCOME_CLASSES
from bot.digest import TARGET_SPLIT, Digest, Figures, Inputs, compute, day_bounds
from bot.i18n import Raw, joined, t
from bot.leads import EVERY_SQUAD, Audience, Days, Scope
from bot.ticket_ops import Desk
from storage import reports as report_rows

RECURRING_WINDOW_DAYS = 7


class Reports(Desk):
    @property
    def files(self) -> Path:
        """Where charts and exports wait for the outbox to upload them."""
        folder = self.db.path.parent / "files"
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
        if posted:
            self.outbox.wake()
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
        self.outbox.wake()
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
        return exports.build(rows, events, scope, locale, self.directory)

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
        return await self.post_daily(self.yesterday())

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
            inputs = await self._inputs(conn, rows, recent, end, scope)
            before: dict[str, int] = {}
            for label, back in (("day_before", 1), ("week_before", 7)):
                # The same hours of that day when today is not over, so the counts compare.
                other_start, _ = day_bounds(day - timedelta(days=back), zone)
                other = await report_rows.reported_between(
                    conn, other_start, other_start + (end - start)
                )
                before[label] = sum(scope.covers(r.home_squad_id) for r in other)
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
            inputs = await self._inputs(conn, rows, rows, end, scope)
        digest = compute(
            last, inputs, self.directory.settings, end, self._name, self._officer(scope), first
        )
        return first, last, digest

    async def _inputs(
        self, conn: Any, rows: list[Any], recent: list[Any], end: float, scope: Scope
    ) -> Inputs:
        # Officers are credited for their rounds on every ticket of the period (a ticket of
        # another squad handed to theirs too); the ticket figures are the scope's own.
        events = await report_rows.events_before(conn, [r.id for r in rows], end)
        mine = [row for row in rows if scope.covers(row.home_squad_id)]
        reopened = await report_rows.reopened_before(conn, [r.id for r in mine], end)
        open_rows = [
            r for r in await report_rows.open_at(conn, end) if scope.covers(r.home_squad_id)
        ]
        open_events = await report_rows.events_before(conn, [r.id for r in open_rows], end)
        points = [row for row in recent if scope.covers(row.home_squad_id)]
        return Inputs(mine, reopened, open_rows, points, events, open_events)

    def _name(self, user_id: int, detail: dict[str, Any]) -> str:
        return self.directory.member_name(user_id, str(detail.get("name") or user_id))

    def _officer(self, scope: Scope) -> Any:
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
        """The digest as a chat message: one squad, or each squad of the scope and the total
        (the digest was computed for that scope)."""
        if digest.complete:
            lines = [t(locale, "digest.title", day=digest.day.isoformat())]
        else:
            as_of = digest.as_of.strftime("%H:%M")
            lines = [t(locale, "digest.title_as_of", day=digest.day.isoformat(), time=as_of)]
        if digest.received_before and digest.first_day is None:
            received = digest.total.received
            lines.append(
                t(
                    locale,
                    "digest.compare",
                    day_before=_change(received - digest.received_before["day_before"]),
                    week_before=_change(received - digest.received_before["week_before"]),
                )
            )
        squad_ids = sorted(scope.squads) if scope.squads is not None else list(digest.squads)
        for squad_id in squad_ids:
            lines += self._scope(
                self._squad_name(squad_id, locale),
                digest.squads.get(squad_id, Figures()),
                locale,
                digest,
            )
        if scope.squads is None or len(scope.squads) > 1:
            lines += self._scope(t(locale, "digest.total"), digest.total, locale, digest)
        if digest.hot_grids:
            grids = Raw(
                joined(
                    locale,
                    (f"{self.directory.grid_name(g, locale)} {n}" for g, n in digest.hot_grids),
                )
            )
            lines.append(t(locale, "digest.hot_grids", grids=grids))
        for place in digest.recurring:
            lines.append(
                t(
                    locale,
                    "digest.recurring",
                    grid=self.directory.grid_name(place["grid"], locale),
                    days=place["days"],
                    reports=place["reports"],
                    latitude=place["latitude"],
                    longitude=place["longitude"],
                )
            )
        if digest.officers:
            lines.append(t(locale, "digest.officers_title"))
            for officer in digest.officers[:10]:
                lines.append(
                    t(
                        locale,
                        "digest.officer",
                        name=officer["officer"],
                        claimed=officer["claimed"],
                        on_site=officer["on_site"],
                        resolved=officer["resolved"],
                        reworked=officer["reworked"],
                        arrive=_minutes(officer["median_minutes_to_arrive"]),
                    )
                )
        return "\n".join(lines)

    def _squad_name(self, squad_id: str, locale: str) -> str:
        squad = self.directory.squads.get(squad_id)
        return squad.name.get(locale) if squad is not None else squad_id

    def _scope(self, name: str, figures: Figures, locale: str, digest: Digest) -> list[str]:
        s = figures.summary()
        lines = [
            t(locale, "digest.scope", name=name),
            t(
                locale,
                "digest.counts",
                received=s["received"],
                claimed=s["claimed"],
                on_site=s["on_site"],
                resolved=s["resolved"],
                solved=s["closed_solved"],
                unconfirmed=s["closed_unconfirmed"],
                reopened=s["reopened"],
            ),
        ]
        if s["received"]:
            m = s["minutes"]
            lines.append(
                t(
                    locale,
                    "digest.times",
                    claim=_minutes(m["claim"]["median"]),
                    claim90=_minutes(m["claim"]["p90"]),
                    arrive=_minutes(m["arrive"]["median"]),
                    arrive90=_minutes(m["arrive"]["p90"]),
                    resolve=_minutes(m["resolve"]["median"]),
                    resolve90=_minutes(m["resolve"]["p90"]),
                )
            )
            on_time = s["on_time_rate"]
            lines.append(
                t(
                    locale,
                    "digest.rates",
                    claim=_percent(on_time["claim"]),
                    arrive=_percent(on_time["arrive"]),
                    resolve=_percent(on_time["resolve"]),
                    handling=_percent(s["handling_rate"]),
                    rework=_percent(s["rework_rate"]),
                    closure=_percent(s["closure_rate"]),
                )
            )
            split = s["split_721"]
            lines.append(
                t(
                    locale,
                    "digest.split",
                    **{c: _percent(split[c]) for c in OUTCOME_CLASSES},
                    target="/".join(str(round(TARGET_SPLIT[c] * 100)) for c in OUTCOME_CLASSES),
                )
                + (t(locale, "digest.split_off") if s["split_721_off_target"] else "")
            )
            overdue = s["overdue"]
            if any(overdue.values()):
                lines.append(
                    t(
                        locale,
                        "digest.overdue",
                        **{step: _numbers(locale, overdue[step]) for step in overdue},
                    )
                )
            rated = s["satisfaction"]
            if rated["rated"]:
                lines.append(
                    t(
                        locale,
                        "digest.satisfaction",
                        average=f"{rated['average']:.1f}",
                        rated=rated["rated"],
                        solved=s["closed_solved"],
                    )
                )
            if s["top_actions"]:
                actions = Raw(
                    joined(
                        locale, (f"{self._action_name(a, locale)} {n}" for a, n in s["top_actions"])
                    )
                )
                lines.append(t(locale, "digest.actions", actions=actions))
        if s["open_at_midnight"]:
            oldest = Raw(
                joined(locale, (f"#{o['ticket']} {o['age_hours']}h" for o in s["oldest_open"]))
            )
            if digest.complete:
                lines.append(t(locale, "digest.open", count=s["open_at_midnight"], oldest=oldest))
            else:
                lines.append(
                    t(
                        locale,
                        "digest.open_as_of",
                        count=s["open_at_midnight"],
                        oldest=oldest,
                        time=digest.as_of.strftime("%H:%M"),
                    )
                )
            states = Raw(
                joined(
                    locale,
                    (
                        f"{t(locale, f'digest.state.{state}')} {s['open_by_state'][state]}"
                        for state in OPEN_STATES
                        if s["open_by_state"].get(state)
                    ),
                )
            )
            held = Raw(joined(locale, (f"{n} {c}" for n, c in s["open_by_officer"].items())))
            lines.append(t(locale, "digest.open_by", states=states, officers=held or "-"))
        return lines

    def _action_name(self, key: str, locale: str) -> str:
        outcome, _, code = key.partition(":")
        for action in self.directory.settings.workflow.actions.get(outcome, []):
            if action.code == code:
                return action.name.get(locale)
        return code

    def chart(self, digest: Digest, locale: str) -> bytes:
        """A PNG: median and p90 minutes to arrive per squad, titled in ``locale``."""
        names: list[str] = []
        medians: list[float | None] = []
        p90s: list[float | None] = []
        for squad_id, figures in digest.squads.items():
            squad = self.directory.squads.get(squad_id)
            names.append(squad.name.get(locale) if squad else squad_id)
            summary = figures.summary()["minutes"]["arrive"]
            medians.append(summary["median"])
            p90s.append(summary["p90"])
        return charts.arrival_chart(
            self.chart_title(digest, locale),
            names,
            medians,
            p90s,
            t(locale, "chart.median"),
            t(locale, "chart.p90"),
            t(locale, "chart.minutes"),
            t(locale, "chart.no_data"),
        )

    def chart_title(self, digest: Digest, locale: str) -> str:
        """The chart's title names the range it covers: one day, or first to last day."""
        first = digest.first_day or digest.day
        if first == digest.day:
            return t(locale, "chart.title", day=digest.day.isoformat())
        return t(locale, "chart.title_range", start=first.isoformat(), end=digest.day.isoformat())


OPEN_STATES = ("dispatched", "claimed", "on_site", "resolved")
NUMBERS_SHOWN = 5


def _numbers(locale: str, ids: list[int]) -> str:
    """Ticket numbers, the first few and how many in all: ``#1001、#1003（共 2 件）``."""
    if not ids:
        return "-"
    shown = joined(locale, (f"#{i}" for i in ids[:NUMBERS_SHOWN]))
    return t(locale, "digest.numbers", numbers=Raw(shown), count=len(ids))


def _change(value: int) -> str:
    return f"{value:+d}"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"

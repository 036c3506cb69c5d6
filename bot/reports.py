"""Team leads' numbers: the daily digest (text, chart), statistics and the CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import charts, notices
from bot.config import OUTCOME_CLASSES, Squad
from bot.digest import TARGET_SPLIT, Digest, Figures, compute, day_bounds
from bot.i18n import Raw, joined, t
from bot.ticket_ops import Desk
from storage import reports as report_rows
from storage import tickets as ticket_rows

RECURRING_WINDOW_DAYS = 7


class Reports(Desk):
    @property
    def files(self) -> Path:
        """Where charts and exports wait for the outbox to upload them."""
        folder = self.db.path.parent / "files"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    async def post_daily(self, day: date) -> int:
        """Post ``day``'s digest (text and chart) to every lead chat and the command centre,
        once per chat however often it is asked; return how many chats got it now."""
        settings = self.directory.settings
        digest = await self.digest(day)
        targets: dict[int, Squad | None] = {}
        for each in settings.squads:
            targets.setdefault(self.directory.lead_chat(each), each)
        if self.directory.command_centre is not None:
            targets[self.directory.command_centre.dispatch_chat_id] = None
        posted = 0
        async with self.db.transaction() as conn:
            for chat_id, squad in targets.items():
                if not await report_rows.claim_digest(
                    conn, day.isoformat(), chat_id, self.clock.now()
                ):
                    continue
                locale = self.directory.squad_locale(squad) if squad else settings.locale
                await self.put_digest(conn, chat_id, digest, locale, squad)
                posted += 1
        if posted:
            self.outbox.wake()
        return posted

    async def put_digest(
        self,
        conn: Any,
        chat_id: int,
        digest: Digest,
        locale: str,
        squad: Squad | None,
        reply_to: int | None = None,
        title: str | None = None,
    ) -> None:
        """Write the digest text (and chart) for one chat into the outbox."""
        body = self.render(digest, locale, squad)
        if title is not None:
            body = title + "\n" + body.split("\n", 1)[1]
        await self.outbox.put(
            conn, notices.text(chat_id, body, "digest", reply_to_message_id=reply_to)
        )
        if self.directory.settings.digest.chart and digest.squads:
            path = (
                self.files / f"chart-{digest.day.isoformat()}-{locale}-{uuid.uuid4().hex[:8]}.png"
            )
            path.write_bytes(self.chart(digest, locale))
            caption = t(locale, "chart.title", day=digest.day.isoformat())
            await self.outbox.put(
                conn,
                notices.Notice(
                    chat_id, "photo", "digest_chart", {"photo_path": str(path), "caption": caption}
                ),
            )

    async def write_export(self, start: date, end: date, locale: str) -> tuple[Path, int]:
        """The CSV export as a file for the outbox; returns its path and its row count."""
        data = await self.export_csv(start, end, locale)
        path = (
            self.files
            / f"griddesk-{start.isoformat()}-{end.isoformat()}-{uuid.uuid4().hex[:8]}.csv"
        )
        path.write_bytes(data)
        return path, data.count(b"\n") - 1

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

    async def digest(self, day: date) -> Digest:
        """The figures of one local day, from the database."""
        zone = self.directory.settings.zone
        start, end = day_bounds(day, zone)
        window_start, _ = day_bounds(day - timedelta(days=RECURRING_WINDOW_DAYS - 1), zone)
        async with self.db.snapshot() as conn:
            recent = await report_rows.reported_between(conn, window_start, end)
            rows = [row for row in recent if row.reported_at >= start]
            reopened = await report_rows.reopened_before(conn, [r.id for r in rows], end)
            open_rows = await report_rows.open_at(conn, end)
        return compute(day, rows, reopened, open_rows, recent, self.directory.settings)

    async def stats(self, days: int) -> tuple[date, date, Digest]:
        """The figures of the last ``days`` full local days (yesterday backwards)."""
        zone = self.directory.settings.zone
        last = self.yesterday()
        first = last - timedelta(days=days - 1)
        start, _ = day_bounds(first, zone)
        _, end = day_bounds(last, zone)
        async with self.db.snapshot() as conn:
            rows = await report_rows.reported_between(conn, start, end)
            reopened = await report_rows.reopened_before(conn, [r.id for r in rows], end)
            open_rows = await report_rows.open_at(conn, end)
        digest = compute(last, rows, reopened, open_rows, rows, self.directory.settings, end)
        return first, last, digest

    def scope_of(self, user_id: int) -> Squad | bool | None:
        """What a person may see: False (not a lead), a squad, or None for every squad."""
        memberships = self.directory.memberships.get(user_id, [])
        leads = [m for m in memberships if m.member.role == "lead"]
        if not leads:
            return False
        if len(leads) > 1 or any(m.squad.id == "command_centre" for m in leads):
            return None
        return leads[0].squad

    def yesterday(self) -> date:
        return (
            self.clock.now().astimezone(self.directory.settings.zone) - timedelta(days=1)
        ).date()

    def render(self, digest: Digest, locale: str, squad: Squad | None = None) -> str:
        """The digest as a chat message: one squad, or every squad and the total."""
        lines = [t(locale, "digest.title", day=digest.day.isoformat())]
        if squad is not None:
            figures = digest.squads.get(squad.id, Figures())
            lines += self._scope(squad.name.get(locale), figures, locale)
        else:
            for squad_id, figures in digest.squads.items():
                name = (
                    self.directory.squads[squad_id].name.get(locale)
                    if squad_id in self.directory.squads
                    else squad_id
                )
                lines += self._scope(name, figures, locale)
            lines += self._scope(t(locale, "digest.total"), digest.total, locale)
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
                        resolved=officer["resolved"],
                        arrive=_minutes(officer["median_minutes_to_arrive"]),
                    )
                )
        return "\n".join(lines)

    def _scope(self, name: str, figures: Figures, locale: str) -> list[str]:
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
            lines.append(t(locale, "digest.open", count=s["open_at_midnight"], oldest=oldest))
        return lines

    def _action_name(self, key: str, locale: str) -> str:
        outcome, _, code = key.partition(":")
        for action in self.directory.settings.workflow.actions.get(outcome, []):
            if action.code == code:
                return action.name.get(locale)
        return code

    def chart(self, digest: Digest, locale: str) -> bytes:
        """A PNG: median and p90 minutes to arrive per squad, titled in ``locale``."""
        names, medians, p90s = [], [], []
        for squad_id, figures in digest.squads.items():
            squad = self.directory.squads.get(squad_id)
            names.append(squad.name.get(locale) if squad else squad_id)
            summary = figures.summary()["minutes"]["arrive"]
            medians.append(summary["median"] or 0.0)
            p90s.append(summary["p90"] or 0.0)
        return charts.arrival_chart(
            t(locale, "chart.title", day=digest.day.isoformat()),
            names,
            medians,
            p90s,
            t(locale, "chart.median"),
            t(locale, "chart.p90"),
            t(locale, "chart.minutes"),
        )

    async def export_csv(self, start: date, end: date, locale: str) -> bytes:
        """Tickets reported from ``start`` to ``end`` (inclusive), for Excel: UTF-8 with BOM."""
        zone = self.directory.settings.zone
        first, _ = day_bounds(start, zone)
        _, last = day_bounds(end, zone)
        async with self.db.snapshot() as conn:
            rows = await report_rows.export_between(conn, first, last)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        columns = EXPORT_COLUMNS
        writer.writerow([t(locale, f"export.{c}") for c in columns])
        for row in rows:
            writer.writerow([self._cell(row, c, locale) for c in columns])
        return "\ufeff".encode() + buffer.getvalue().encode("utf-8")

    def _cell(self, row: Any, column: str, locale: str) -> str:
        value = getattr(row, column)
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.astimezone(self.directory.settings.zone).strftime("%Y-%m-%d %H:%M:%S")
        if column == "category":
            return self.directory.category_name(value, locale)
        if column == "grid_id":
            return self.directory.grid_name(value, locale)
        if column == "squad_id" and value in self.directory.squads:
            return self.directory.squads[value].name.get(locale)
        if column == "outcome_class":
            return t(locale, f"outcome.{value}")
        if column == "reporter_name" and row.anonymous:
            return t(locale, "export.anonymous")
        return str(value)


EXPORT_COLUMNS = (
    "id", "status", "category", "grid_id", "squad_id", "latitude", "longitude", "description",
    "reporter_name", "reported_at", "dispatched_at", "first_claimed_at", "claimed_by_name",
    "first_on_site_at", "on_site_distance_m", "first_resolved_at", "outcome_class",
    "outcome_action", "outcome_note", "closed_at", "close_reason", "rework_count", "rating",
)  # fmt: skip


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"

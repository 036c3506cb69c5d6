"""Duty: who is on duty now, clocking in and out by hand, and routing to the on-duty squad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.config import Member, Squad
from bot.core.i18n import Raw, joined, t
from bot.core.people import Person
from bot.duty.rosters import manual_until, on_duty
from bot.tickets import cards
from bot.tickets.ticket_ops import Desk
from storage import duty as duty_rows
from storage.database import Connection


@dataclass(frozen=True)
class Route:
    """Where a new ticket goes: the squad, who is on duty there, and whose it really is."""

    squad: Squad
    on_duty: list[Member]
    fallback_from: Squad | None = None


class Duty(Desk):
    async def on_duty(self, conn: Connection, squad: Squad, at: datetime) -> list[Member]:
        manual = await duty_rows.active_states(conn, at)
        return on_duty(squad, at, self.directory.settings.zone, manual)

    async def manual_state(self, conn: Connection, officer: int, at: datetime) -> bool | None:
        """The officer's clock-in (True) or clock-out (False) in force, None if neither."""
        return (await duty_rows.active_states(conn, at)).get(officer)

    async def route(self, conn: Connection, grid_id: str, at: datetime) -> Route:
        """The grid's squad if anyone is on duty there, else its fallbacks in turn.

        When nobody is on duty anywhere along the way, the grid's own squad keeps it: a
        ticket is never dropped, and the card says nobody was on duty.
        """
        home = self.directory.squad_of_grid[grid_id]
        squad: Squad | None = home
        seen: set[str] = set()
        while squad is not None and squad.id not in seen:
            seen.add(squad.id)
            officers = await self.on_duty(conn, squad, at)
            if officers:
                return Route(squad, officers, None if squad is home else home)
            squad = self.directory.fallback_of(squad)
        return Route(home, [])

    async def clock_in_out(self, person: Person, on: bool, locale: str) -> str:
        """``/onduty`` or ``/offduty``: the manual state holds until the roster next changes."""
        memberships = self.directory.memberships.get(person.id)
        if not memberships:
            return t(locale, "duty.not_a_member")
        squad = memberships[0].squad
        now = self.clock.now()
        zone = self.directory.settings.zone
        until = manual_until(squad, person.id, now, zone)
        async with self.db.transaction() as conn:
            await duty_rows.set_duty(conn, person.id, on, now, until)
        key = "duty.clocked_in" if on else "duty.clocked_out"
        return t(locale, key, until=cards.local_time(until, zone))

    async def board_for(self, chat_id: int, viewer: Person, locale: str) -> str:
        """``/duty`` for its audience: squad chats and squad members see who is on duty;
        a grid group (shop owners) or anyone else only whether each squad has someone."""
        directory = self.directory
        private = chat_id == viewer.id
        if chat_id in directory.squad_chats or (private and viewer.id in directory.memberships):
            return await self.board(locale)
        squads = list(directory.squads.values())
        group = directory.groups.get(chat_id)
        if group is not None:
            serving = {directory.squad_of_grid[grid].id for grid in group.grids}
            squads = [squad for squad in squads if squad.id in serving]
        return await self.board(locale, squads, names=False)

    async def board(
        self, locale: str, squads: list[Squad] | None = None, *, names: bool = True
    ) -> str:
        """Who is on duty now in each squad (``names``), or only whether anyone is."""
        now = self.clock.now()
        lines = [t(locale, "duty.title", time=cards.local_time(now, self.directory.settings.zone))]
        async with self.db.transaction() as conn:
            for squad in squads if squads is not None else self.directory.squads.values():
                officers = await self.on_duty(conn, squad, now)
                name = squad.name.get(locale)
                if not names:
                    key = "duty.line_someone" if officers else "duty.line_nobody"
                    lines.append(t(locale, key, squad=name))
                    continue
                listed = (
                    Raw(joined(locale, (m.name for m in officers)))
                    if officers
                    else t(locale, "duty.nobody")
                )
                lines.append(t(locale, "duty.line", squad=name, names=listed))
        return "\n".join(lines)

"""Who is on duty: weekly shifts (also across midnight), date overrides, manual clock-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.config import DAYS, Member, Squad, parse_hours

MANUAL_CAP = timedelta(hours=12)


@dataclass(frozen=True)
class ShiftWindow:
    start: datetime
    end: datetime
    officers: frozenset[int]

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def windows_on(squad: Squad, day: date, zone: ZoneInfo) -> list[ShiftWindow]:
    """The shifts that start on ``day`` (local date): the override's if any, else the week's."""
    if squad.roster is None:
        return []
    override = next((o for o in squad.roster.overrides if o.date == day), None)
    if override is not None:
        spans = [(s.hours, s.officers) for s in override.shifts]
    else:
        weekday = DAYS[day.weekday()]
        spans = [(s.hours, s.officers) for s in squad.roster.shifts if weekday in s.days]
    windows = []
    for hours, officers in spans:
        start, end = parse_hours(hours)
        length = (end - start) if end > start else (end + 1440 - start)
        # Local wall-clock start, so a shift is 08:00 whatever the season's UTC offset.
        begin = datetime.combine(day, time(start // 60, start % 60), zone)
        windows.append(ShiftWindow(begin, begin + timedelta(minutes=length), frozenset(officers)))
    return windows


def _windows_near(squad: Squad, moment: datetime, zone: ZoneInfo, days: int) -> list[ShiftWindow]:
    today = moment.astimezone(zone).date()
    return [
        window
        for offset in range(-1, days + 1)
        for window in windows_on(squad, today + timedelta(days=offset), zone)
    ]


def scheduled(squad: Squad, moment: datetime, zone: ZoneInfo) -> set[int]:
    """Officers the roster puts on duty at ``moment``; without a roster, every member."""
    if squad.roster is None:
        return {m.telegram_id for m in squad.members}
    return {
        officer
        for window in _windows_near(squad, moment, zone, 0)
        if window.covers(moment)
        for officer in window.officers
    }


def on_duty(
    squad: Squad, moment: datetime, zone: ZoneInfo, manual: dict[int, bool]
) -> list[Member]:
    """The squad's members on duty: a manual clock-in or -out wins over the roster."""
    planned = scheduled(squad, moment, zone)
    return [
        member
        for member in squad.members
        if manual.get(member.telegram_id, member.telegram_id in planned)
    ]


def manual_until(squad: Squad, officer: int, moment: datetime, zone: ZoneInfo) -> datetime:
    """How long a clock-in or -out holds: until the roster next changes for the officer.

    That is the end of the current shift, or the start of the next one; at most 12 hours.
    """
    boundaries = [
        edge
        for window in _windows_near(squad, moment, zone, 2)
        if officer in window.officers
        for edge in (window.start, window.end)
        if edge > moment
    ]
    cap = moment + MANUAL_CAP
    return min([*boundaries, cap])

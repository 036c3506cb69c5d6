"""The district in the config: grids, squads with their members and rosters, grid groups,
categories, the command centre and the designated vending points."""

from __future__ import annotations

from datetime import date as date_type
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from bot.core.config.basics import (
    DAYS,
    Locale,
    Location,
    Names,
    Strict,
    check_geometry,
    day_spans,
    parse_hours,
)
from bot.core.config.sections import Deadlines


class Category(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,23}$")
    name: Names
    deadlines: Deadlines | None = None
    # A new report this close to an open ticket of the category is offered to join it.
    join_radius_m: float | None = Field(default=None, ge=0, le=5000)


class CommandCentre(Strict):
    """The district's command centre (指挥中心): the last fallback, and sees every squad."""

    name: Names
    chat_id: int
    members: list[Member] = Field(default_factory=list)


class Grid(Strict):
    """One grid: an area with one responsible squad.

    ``polygon`` is a GeoJSON Polygon or MultiPolygon geometry (or a Feature holding one);
    ``geojson_file`` names a file with the same, relative to the config file.
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: Names
    polygon: dict[str, Any] | None = None
    geojson_file: str | None = None

    @model_validator(mode="after")
    def _one_geometry(self) -> Grid:
        if (self.polygon is None) == (self.geojson_file is None):
            raise ValueError("give exactly one of polygon or geojson_file")
        if self.polygon is not None:
            check_geometry(self.polygon)
        return self


class OverrideShift(Strict):
    """Local hours (``08:00-20:00``, or ``20:00-08:00`` across midnight) and officers."""

    hours: str
    officers: list[int] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value


class Shift(OverrideShift):
    """A weekly shift: on these days, these local hours, these officers (telegram ids)."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)


class Override(Strict):
    """A date whose shifts replace the weekly ones (holidays, swaps); none means nobody."""

    date: date_type
    shifts: list[OverrideShift] = Field(default_factory=list)


class Roster(Strict):
    shifts: list[Shift] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)


class Member(Strict):
    telegram_id: int = Field(gt=0)
    name: str = Field(min_length=1)
    role: Literal["officer", "lead"] = "officer"


class Squad(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: Names
    dispatch_chat_id: int
    grids: list[str] = Field(min_length=1)
    members: list[Member] = Field(min_length=1)
    locale: Locale | None = None
    roster: Roster | None = None
    fallback: str | None = None
    lead_chat_id: int | None = None

    @model_validator(mode="after")
    def _roster_names_members(self) -> Squad:
        if self.roster is None:
            return self
        ids = {m.telegram_id for m in self.members}
        named = [(f"roster.shifts[{i}]", s.officers) for i, s in enumerate(self.roster.shifts)]
        for i, override in enumerate(self.roster.overrides):
            named += [
                (f"roster.overrides[{i}].shifts[{j}]", s.officers)
                for j, s in enumerate(override.shifts)
            ]
        for where, officers in named:
            for officer in officers:
                if officer not in ids:
                    raise ValueError(f"{where}: {officer} is not a member of this squad")
        _check_overlaps(self.roster)
        return self

    @field_validator("members")
    @classmethod
    def _unique_members(cls, members: list[Member]) -> list[Member]:
        return _unique_member_ids(members)


def _unique_member_ids(members: list[Member]) -> list[Member]:
    seen: set[int] = set()
    for member in members:
        if member.telegram_id in seen:
            raise ValueError(f"telegram_id {member.telegram_id} is listed twice")
        seen.add(member.telegram_id)
    return members


class GridGroup(Strict):
    """A "城管+商户" chat where shop owners report; ``grids`` are the grids it serves."""

    chat_id: int = Field(lt=0)
    name: str = Field(min_length=1)
    grids: list[str] = Field(min_length=1)
    locale: Locale | None = None


class VendingPoint(Strict):
    """A designated vending point (临时经营点) that officers guide street vendors to.

    ``hours`` are local opening hours like the rosters' (``06:00-09:00``; ``20:00-02:00``
    crosses midnight), one or more; ``categories`` are the report categories it suits
    (empty: every category).
    """

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,24}$")
    name: Names
    location: Location
    hours: list[str] = Field(min_length=1)
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    categories: list[str] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: list[str]) -> list[str]:
        spans = day_spans(hours)
        # Compared over two days, so a span across midnight meets the next morning's.
        shifted = spans + [(a + 1440, b + 1440) for a, b in spans]
        for i, (a0, a1) in enumerate(spans):
            for j, (b0, b1) in enumerate(shifted):
                if j % len(spans) != i and a0 < b1 and b0 < a1:
                    other = hours[j % len(spans)]
                    raise ValueError(f"opening hours {hours[i]!r} and {other!r} overlap")
        return hours


WEEK = 7 * 24 * 60


def _week_intervals(day: int, hours: str) -> list[tuple[int, int]]:
    """A shift on ``day`` as minute intervals of the week, split where it wraps to Monday."""
    start, end = parse_hours(hours)
    begin = day * 1440 + start
    finish = day * 1440 + (end if end > start else end + 1440)
    if finish <= WEEK:
        return [(begin, finish)]
    return [(begin, WEEK), (0, finish - WEEK)]


def _overlapping(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)


def _check_overlaps(roster: Roster) -> None:
    """The same officer in two shifts at the same time is a mistake in the roster."""
    weekly = [
        (i, set(s.officers), [iv for d in s.days for iv in _week_intervals(DAYS.index(d), s.hours)])
        for i, s in enumerate(roster.shifts)
    ]
    for n, (i, officers, spans) in enumerate(weekly):
        for j, others, other_spans in weekly[n + 1 :]:
            if officers & others and _overlapping(spans, other_spans):
                raise ValueError(
                    f"roster.shifts[{i}] and roster.shifts[{j}] overlap for the same officer"
                )
    for k, override in enumerate(roster.overrides):
        day = [
            (j, set(s.officers), _week_intervals(0, s.hours)) for j, s in enumerate(override.shifts)
        ]
        for n, (i, officers, spans) in enumerate(day):
            for j, others, other_spans in day[n + 1 :]:
                if officers & others and _overlapping(spans, other_spans):
                    raise ValueError(f"roster.overrides[{k}]: shifts[{i}] and shifts[{j}] overlap")
    dates = [o.date for o in roster.overrides]
    if len(dates) != len(set(dates)):
        raise ValueError("roster.overrides: a date is given twice")

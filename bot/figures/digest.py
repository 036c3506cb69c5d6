"""The daily digest: the figures digital urban-management evaluations use, for one day.

A ticket counts in the local day it was reported, and every figure is "as of the end of that
day" (midnight), so a finished day's digest reads the same whenever it is made; a day not yet
over is counted as of now (``Digest.as_of``, ``complete`` False). Tickets count with their
grid's squad (``home_squad_id``), also after a hand-over. Formulas:

- received: tickets reported that day
- claimed / on site / resolved: of those, first claimed / on site / resolved before midnight
- closed as solved / closed unconfirmed: of those, closed that way before midnight
- reopened (rework, 返工): of those, reopened at least once before midnight
- time to claim / arrive / resolve: first claim / arrival / resolution minus report time;
  median (middle value, mean of the two middle ones) and p90 (nearest rank: the value at
  position ceil(0.9 n) of the sorted times)
- on-time rate (按期处置率) per step: tickets whose first claim / arrival / resolution came
  within the category's deadline, divided by received
- handling rate (处置率) = resolved / received; closure rate (结案率) = (closed as solved +
  closed unconfirmed) / received; rework rate (返工率) = reopened / resolved
- 7-2-1 split: resolved tickets by the outcome class of their resolution, against 70/20/10
- still open at midnight: every ticket reported before midnight and not closed by then
- satisfaction: the mean of the ratings given before midnight, and how many rated
- per officer: by round, from the events (bot/rounds.py)
- duplicates avoided: joins (a report that joined one of these tickets instead of opening
  its own, "supported" events before midnight) plus merges (of these tickets, merged into
  another as a duplicate before midnight)
- rectification notices and re-inspections: by when they happened that day, of any ticket
  (bot/figures/recheck_figures.py)
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.config import OUTCOME_CLASSES, Settings
from bot.duty.deadlines import limits
from bot.figures.hotspots import recurring_places
from bot.figures.recheck_figures import RecheckFigures
from bot.figures.rounds import officer_figures, states
from storage.reports import EventRow

TARGET_SPLIT = {"service": 0.7, "management": 0.2, "enforcement": 0.1}
# A split within 10 points of 70/20/10 in every class is on target.
SPLIT_TOLERANCE = 0.10
OLDEST_SHOWN = 3


def day_bounds(day: date, zone: ZoneInfo) -> tuple[float, float]:
    """The local day [00:00, next 00:00) as unix seconds (DST-safe)."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.timestamp(), end.timestamp()


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def off_target(split: dict[str, float | None]) -> bool:
    """Whether a 7-2-1 split strays more than SPLIT_TOLERANCE from 70/20/10 in any class."""
    return any(
        share is not None and abs(share - TARGET_SPLIT[c]) > SPLIT_TOLERANCE
        for c, share in split.items()
    )


@dataclass
class Figures:
    """One scope's figures: a squad, or the whole district."""

    received: int = 0
    claimed: int = 0
    on_site: int = 0
    resolved: int = 0
    closed_solved: int = 0
    closed_unconfirmed: int = 0
    reopened: int = 0
    on_time: dict[str, int] = field(default_factory=lambda: {"claim": 0, "arrive": 0, "resolve": 0})
    minutes: dict[str, list[float]] = field(
        default_factory=lambda: {"claim": [], "arrive": [], "resolve": []}
    )
    outcomes: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    guided: Counter[str] = field(default_factory=Counter)  # vendors guided, per vending point
    open_at_midnight: int = 0
    oldest_open: list[tuple[int, float]] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    overdue: dict[str, list[int]] = field(
        default_factory=lambda: {"claim": [], "arrive": [], "resolve": []}
    )
    open_by_state: Counter[str] = field(default_factory=Counter)
    open_by_officer: Counter[str] = field(default_factory=Counter)
    joined: int = 0
    merged: int = 0
    rechecks: RecheckFigures = field(default_factory=RecheckFigures)

    def summary(self) -> dict[str, Any]:
        """The figures as plain numbers (rates as fractions, times in minutes)."""
        times = {
            step: {"median": median(values), "p90": p90(values), "count": len(values)}
            for step, values in self.minutes.items()
        }
        resolved_split = sum(self.outcomes.values())
        split = {c: rate(self.outcomes[c], resolved_split) for c in OUTCOME_CLASSES}
        return {
            "received": self.received,
            "claimed": self.claimed,
            "on_site": self.on_site,
            "resolved": self.resolved,
            "closed_solved": self.closed_solved,
            "closed_unconfirmed": self.closed_unconfirmed,
            "reopened": self.reopened,
            "open_at_midnight": self.open_at_midnight,
            "oldest_open": [{"ticket": i, "age_hours": round(h, 1)} for i, h in self.oldest_open],
            "minutes": times,
            "on_time_rate": {step: rate(n, self.received) for step, n in self.on_time.items()},
            "handling_rate": rate(self.resolved, self.received),
            "closure_rate": rate(self.closed_solved + self.closed_unconfirmed, self.received),
            "rework_rate": rate(self.reopened, self.resolved),
            "split_721": split,
            "split_721_off_target": off_target(split),
            "overdue": {step: list(numbers) for step, numbers in self.overdue.items()},
            "open_by_state": dict(self.open_by_state),
            "open_by_officer": dict(self.open_by_officer.most_common()),
            "top_actions": self.actions.most_common(3),
            "guided_by_point": dict(sorted(self.guided.items(), key=lambda kv: (-kv[1], kv[0]))),
            "joined": self.joined,
            "merged": self.merged,
            "duplicates_avoided": self.joined + self.merged,
            **self.rechecks.summary(),
            "satisfaction": {
                "rated": len(self.ratings),
                "average": statistics.mean(self.ratings) if self.ratings else None,
            },
        }


@dataclass
class Digest:
    day: date
    total: Figures
    squads: dict[str, Figures]
    hot_grids: list[tuple[str, int]]
    recurring: list[dict[str, Any]]
    officers: list[dict[str, Any]]
    as_of: datetime
    complete: bool = True
    first_day: date | None = None
    # Tickets received on the day before and on the same weekday a week before (same scope).
    received_before: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "received_day_before": self.received_before.get("day_before"),
            "received_week_before": self.received_before.get("week_before"),
            "day": self.day.isoformat(),
            "first_day": (self.first_day or self.day).isoformat(),
            "as_of": self.as_of.isoformat(),
            "complete": self.complete,
            "total": self.total.summary(),
            "squads": {k: v.summary() for k, v in self.squads.items()},
            "hot_grids": self.hot_grids,
            "recurring_places": self.recurring,
            "officers": self.officers,
        }


@dataclass
class Inputs:
    """What the storage queries returned for one digest."""

    rows: list[Any]
    reopened: set[int]
    open_rows: list[Any]
    recent_points: list[Any]
    events: list[EventRow] = field(default_factory=list)
    open_events: list[EventRow] = field(default_factory=list)
    # Notices and re-inspections of the period, with their ticket's home squad.
    rechecks: list[Any] = field(default_factory=list)


def compute(
    day: date,
    inputs: Inputs,
    settings: Settings,
    end: float,
    name_of: Callable[[int, dict[str, Any]], str],
    officer_in_scope: Callable[[int], bool] = lambda _: True,
    first_day: date | None = None,
) -> Digest:
    """The digest of the tickets reported up to ``end`` (the end of ``day``, or now for a
    day not yet over) from the rows the storage queries returned."""
    zone = settings.zone
    _, midnight = day_bounds(day, zone)
    total = Figures()
    squads: dict[str, Figures] = defaultdict(Figures)
    grids: Counter[str] = Counter()
    ratings = {e.ticket_id: int(e.detail["rating"]) for e in inputs.events if e.kind == "rated"}
    seconds = _limits(settings)
    joins = Counter(e.ticket_id for e in inputs.events if e.kind == "supported")
    merges = {e.ticket_id for e in inputs.events if e.kind == "merged_into"}
    for row in inputs.rows:
        grids[row.grid_id] += 1
        deadlines = seconds(row.category)
        reopened = row.id in inputs.reopened
        for figures in (total, squads[row.home_squad_id]):
            _count(figures, row, end, reopened, deadlines)
            figures.joined += joins[row.id]
            figures.merged += row.id in merges
            if row.id in ratings:
                figures.ratings.append(ratings[row.id])
    for event in inputs.rechecks:
        detail = json.loads(event.detail or "{}")
        for figures in (total, squads[event.home_squad_id]):
            figures.rechecks.add(event.kind, detail)
    open_states = states(inputs.open_events)
    for row in inputs.open_rows:
        age = (end - row.reported_at) / 3600
        state, holder = open_states.get(row.id, ("dispatched", None))
        holder_name = name_of(holder, {}) if holder is not None else None
        for figures in (total, squads[row.home_squad_id]):
            figures.open_at_midnight += 1
            if len(figures.oldest_open) < OLDEST_SHOWN:
                figures.oldest_open.append((row.id, age))
            figures.open_by_state[state] += 1
            if holder_name is not None:
                figures.open_by_officer[holder_name] += 1
    officers = officer_figures(inputs.events, name_of)
    people = [
        {
            "officer": o.name,
            "claimed": o.claimed,
            "on_site": o.on_site,
            "resolved": o.resolved,
            "reworked": o.reworked,
            "median_minutes_to_arrive": median(o.arrive_minutes),
        }
        for user_id, o in sorted(
            officers.items(), key=lambda p: (-p[1].resolved, -p[1].claimed, p[1].name)
        )
        if officer_in_scope(user_id)
    ]
    return Digest(
        day=day,
        total=total,
        squads=dict(sorted(squads.items())),
        hot_grids=grids.most_common(5),
        recurring=recurring_places(inputs.recent_points, zone),
        officers=people,
        as_of=datetime.fromtimestamp(end, zone),
        complete=end >= midnight,
        first_day=first_day,
    )


def _before(moment: float | None, end: float) -> bool:
    return moment is not None and moment < end


def _limits(settings: Settings) -> Callable[[str], tuple[float, float, float]]:
    """Each category's claim / arrival / resolution limits in seconds, looked up once."""
    cache: dict[str, tuple[float, float, float]] = {}

    def seconds(category: str) -> tuple[float, float, float]:
        if category not in cache:
            d = limits(settings, category)
            cache[category] = (
                d.claim.total_seconds(),
                d.arrive.total_seconds(),
                d.resolve.total_seconds(),
            )
        return cache[category]

    return seconds


def _count(
    figures: Figures,
    row: Any,
    end: float,
    reopened: bool,
    deadlines: tuple[float, float, float],
) -> None:
    figures.received += 1
    steps = (
        ("claim", row.first_claimed_at, deadlines[0]),
        ("arrive", row.first_on_site_at, deadlines[1]),
        ("resolve", row.first_resolved_at, deadlines[2]),
    )
    for step, moment, limit in steps:
        if not _before(moment, end):
            skipped = step == "arrive" and _before(row.first_resolved_at, end)
            if not skipped and end - row.reported_at > limit:
                figures.overdue[step].append(row.id)
            continue
        seconds = moment - row.reported_at
        figures.minutes[step].append(seconds / 60)
        if seconds <= limit:
            figures.on_time[step] += 1
        else:
            figures.overdue[step].append(row.id)
    figures.claimed += _before(row.first_claimed_at, end)
    figures.on_site += _before(row.first_on_site_at, end)
    figures.resolved += _before(row.first_resolved_at, end)
    closed = _before(row.closed_at, end)
    figures.closed_solved += closed and row.close_reason == "solved"
    figures.closed_unconfirmed += closed and row.close_reason == "unconfirmed"
    figures.reopened += reopened
    if row.outcome_class and _before(row.resolved_at, end):
        figures.outcomes[row.outcome_class] += 1
        figures.actions[f"{row.outcome_class}:{row.outcome_action}"] += 1
        if row.outcome_point:
            figures.guided[row.outcome_point] += 1

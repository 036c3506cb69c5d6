"""Per-officer figures, round by round, from the ticket events.

A ticket's current row only knows its latest holder, so counting from it credits whoever
holds the ticket now. The events know who did each step:

- a claim (or an assignment by a lead) counts one claim for the officer who got the ticket;
  a ticket claimed again after a release, a reassignment or a rework counts again, for
  whoever claimed it that time;
- an arrival counts for the officer who arrived, with the minutes from their own claim (or
  assignment) of that round to the arrival;
- a resolution counts for the officer who resolved it; when the reporter reopens it (返工),
  that resolution also counts as reworked for the officer who made it;
- a release, a reassignment to someone else, a hand-over and a rework end the holder's
  round: what they did in it stays theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from storage.reports import EventRow


@dataclass
class OfficerFigures:
    name: str
    claimed: int = 0
    on_site: int = 0
    resolved: int = 0
    reworked: int = 0
    arrive_minutes: list[float] = field(default_factory=list)


@dataclass
class _Round:
    holder: int | None = None
    since: float | None = None
    resolver: int | None = None


def officer_figures(
    events: Iterable[EventRow], name_of: Callable[[int, dict[str, Any]], str]
) -> dict[int, OfficerFigures]:
    """Every officer's claims, arrivals, resolutions and reworked resolutions in ``events``
    (each ticket's events in the order they were written)."""
    officers: dict[int, OfficerFigures] = {}
    rounds: dict[int, _Round] = {}

    def entry(user_id: int, detail: dict[str, Any]) -> OfficerFigures:
        if user_id not in officers:
            officers[user_id] = OfficerFigures(name_of(user_id, detail))
        return officers[user_id]

    for event in events:
        current = rounds.setdefault(event.ticket_id, _Round())
        kind, actor = event.kind, event.actor_id
        if kind in ("claimed", "assigned"):
            holder = actor if kind == "claimed" else event.detail.get("officer")
            if holder is None:
                continue
            detail = event.detail if kind == "claimed" else {}
            entry(holder, detail).claimed += 1
            current.holder, current.since = holder, event.at
        elif kind == "on_site" and actor is not None:
            figures = entry(actor, {})
            figures.on_site += 1
            if current.holder == actor and current.since is not None:
                figures.arrive_minutes.append((event.at - current.since) / 60)
        elif kind == "resolved" and actor is not None:
            entry(actor, {}).resolved += 1
            current.resolver = actor
        elif kind == "reopened":
            if current.resolver is not None:
                entry(current.resolver, {}).reworked += 1
            rounds[event.ticket_id] = _Round()
        elif kind == "recheck_reopened":
            # Not rectified after a notice: a new round, but the notice was no rework.
            rounds[event.ticket_id] = _Round()
        elif kind in ("released", "handed_over"):
            current.holder, current.since = None, None
    return officers


# The state a ticket is in after each kind of event (the lifecycle replayed from history).
STATE_AFTER = {
    "reported": "dispatched",
    "dispatched": "dispatched",
    "handed_over": "dispatched",
    "released": "dispatched",
    "reopened": "dispatched",
    "claimed": "claimed",
    "assigned": "claimed",
    "on_site": "on_site",
    "resolved": "resolved",
    "confirmed": "closed",
    "closed_unconfirmed": "closed",
}


def states(events: Iterable[EventRow]) -> dict[int, tuple[str, int | None]]:
    """Each ticket's state and holder after ``events`` (e.g. those before midnight)."""
    found: dict[int, tuple[str, int | None]] = {}
    for event in events:
        state = STATE_AFTER.get(event.kind)
        if state is None:
            continue
        _, holder = found.get(event.ticket_id, ("dispatched", None))
        if event.kind == "claimed":
            holder = event.actor_id
        elif event.kind == "assigned":
            holder = event.detail.get("officer")
        elif state == "dispatched":
            holder = None
        found[event.ticket_id] = (state, holder)
    return found

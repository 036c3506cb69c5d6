"""Places reported again and again: a recurring fruit truck wants a patrol or a vending
point, not another ticket.

A recurring place is a report with others within ``RADIUS_M`` on at least ``MIN_DAYS``
different local days of the window; overlapping places are merged, busiest first.
Distances are equirectangular (exact enough at 100 m); the work is vectorised per 100 m
cell, so a week of a big city's reports takes a fraction of a second.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

RADIUS_M = 100.0
MIN_DAYS = 3
MAX_PLACES = 5
METRES_PER_DEGREE = 111_320.0


def recurring_places(points: list[Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Places with reports on several days; ``points`` have latitude, longitude,
    reported_at (unix seconds) and grid_id."""
    if not points:
        return []
    lat = np.array([p.latitude for p in points], dtype=float)
    lon = np.array([p.longitude for p in points], dtype=float)
    scale = np.cos(np.radians(lat.mean()))
    x, y = lon * scale * METRES_PER_DEGREE, lat * METRES_PER_DEGREE
    local_days = [datetime.fromtimestamp(p.reported_at, zone).date() for p in points]
    first = min(local_days)
    day_bits = np.array([1 << min((d - first).days, 62) for d in local_days], dtype=np.int64)
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    cx, cy = (x // RADIUS_M).astype(int), (y // RADIUS_M).astype(int)
    for index, key in enumerate(zip(cx.tolist(), cy.tolist(), strict=True)):
        cells[key].append(index)
    days = np.zeros(len(points), dtype=int)
    counts = np.zeros(len(points), dtype=int)
    for (i, j), members in cells.items():
        near = [
            k for di in (-1, 0, 1) for dj in (-1, 0, 1) for k in cells.get((i + di, j + dj), [])
        ]
        here, there = np.array(members), np.array(near)
        close = np.hypot(x[here, None] - x[None, there], y[here, None] - y[None, there]) <= RADIUS_M
        seen = np.bitwise_or.reduce(np.where(close, day_bits[None, there], 0), axis=1)
        days[here] = [bin(int(bits)).count("1") for bits in seen]
        counts[here] = close.sum(axis=1)
    used = np.zeros(len(points), dtype=bool)
    places: list[dict[str, Any]] = []
    for index in np.lexsort((np.arange(len(points)), -counts, -days)):
        if days[index] < MIN_DAYS:
            break
        if used[index]:
            continue
        used |= np.hypot(x - x[index], y - y[index]) <= RADIUS_M
        centre = points[int(index)]
        places.append(
            {
                "latitude": round(centre.latitude, 5),
                "longitude": round(centre.longitude, 5),
                "grid": centre.grid_id,
                "days": int(days[index]),
                "reports": int(counts[index]),
            }
        )
        if len(places) == MAX_PLACES:
            break
    return places

"""Places reported again and again: a recurring fruit truck wants a patrol or a vending
point, not another ticket.

A recurring place is a report with others within ``RADIUS_M`` on at least ``MIN_DAYS``
different local days of the window; overlapping places are merged, busiest first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

RADIUS_M = 100.0
MIN_DAYS = 3
MAX_PLACES = 5
METRES_PER_DEGREE = 111_320.0


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Equirectangular is exact enough at 100 m and far cheaper than a geodesic.
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, lat2 - lat1) * METRES_PER_DEGREE


def recurring_places(points: list[Any], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Places with reports on several days; ``points`` have latitude, longitude,
    reported_at (unix seconds) and grid_id."""
    cell = RADIUS_M / METRES_PER_DEGREE
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, p in enumerate(points):
        cells[(int(p.latitude // cell), int(p.longitude // cell))].append(index)
    days = [datetime.fromtimestamp(p.reported_at, zone).date() for p in points]
    neighbours: list[list[int]] = []
    for p in points:
        row, col = int(p.latitude // cell), int(p.longitude // cell)
        near = [
            j
            for dr in (-1, 0, 1)
            for dc in (-2, -1, 0, 1, 2)  # a degree of longitude is shorter than one of latitude
            for j in cells.get((row + dr, col + dc), [])
            if _metres(p.latitude, p.longitude, points[j].latitude, points[j].longitude) <= RADIUS_M
        ]
        neighbours.append(near)
    ranked = sorted(
        range(len(points)),
        key=lambda i: (-len({days[j] for j in neighbours[i]}), -len(neighbours[i]), i),
    )
    used: set[int] = set()
    places = []
    for i in ranked:
        if i in used:
            continue
        distinct_days = {days[j] for j in neighbours[i]}
        if len(distinct_days) < MIN_DAYS:
            break
        used.update(neighbours[i])
        centre = points[i]
        places.append(
            {
                "latitude": round(centre.latitude, 5),
                "longitude": round(centre.longitude, 5),
                "grid": centre.grid_id,
                "days": len(distinct_days),
                "reports": len(neighbours[i]),
            }
        )
        if len(places) == MAX_PLACES:
            break
    return places

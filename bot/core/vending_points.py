"""Designated vending points: which are open at a local time, and the nearest of them.

Pure functions over the config, shared by ``/points`` and the officer's resolution prompt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import geodesic

from bot.core.config import VendingPoint, day_spans
from bot.core.i18n import t

# Eight compass points, clockwise from north; the catalogs name them (``compass.n`` ...).
COMPASS = ("n", "ne", "e", "se", "s", "sw", "w", "nw")


@dataclass(frozen=True)
class PointNearby:
    """A vending point with its geodesic distance and the walking direction to it."""

    point: VendingPoint
    distance_m: float
    compass: str


def distance_text(metres: float, locale: str) -> str:
    """``350 米`` / ``350 m``; ``1.2 公里`` / ``1.2 km`` from a kilometre on."""
    if metres >= 1000:
        return t(locale, "distance.km", km=f"{metres / 1000:.1f}")
    return t(locale, "distance.m", m=round(metres))


def is_open(point: VendingPoint, local: datetime) -> bool:
    """Whether the point is open at this local time (hours across midnight included)."""
    minute = local.hour * 60 + local.minute
    return any(
        start <= minute < end or start <= minute + 1440 < end
        for start, end in day_spans(point.hours)
    )


def next_opening(point: VendingPoint, local: datetime) -> datetime:
    """The next local time the point opens after ``local`` (now, if it is open)."""
    if is_open(point, local):
        return local
    today = local.replace(second=0, microsecond=0) - timedelta(
        hours=local.hour, minutes=local.minute
    )
    starts = [
        today + timedelta(days=d, minutes=s) for d in (0, 1) for s, _ in day_spans(point.hours)
    ]
    return min(s for s in starts if s > local)


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial bearing in degrees (0 = north, clockwise) from the first point."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    x = math.sin(dlon) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlon)
    return math.degrees(math.atan2(x, y)) % 360


def compass_point(degrees: float) -> str:
    """The nearest of eight compass points to a bearing."""
    return COMPASS[int((degrees + 22.5) // 45) % 8]


def measure(point: VendingPoint, latitude: float, longitude: float) -> PointNearby:
    there = (point.location.latitude, point.location.longitude)
    distance = geodesic((latitude, longitude), there).meters
    direction = compass_point(bearing(latitude, longitude, *there))
    return PointNearby(point=point, distance_m=distance, compass=direction)


def nearest_points(
    points: list[VendingPoint],
    latitude: float,
    longitude: float,
    local: datetime,
    *,
    category: str | None = None,
    limit: int = 3,
    open_only: bool = True,
) -> list[PointNearby]:
    """The ``limit`` nearest points (open at ``local`` unless told otherwise), nearest first.

    With a ``category``, only points suited to it (a point naming no categories suits all).
    """
    chosen = [
        p
        for p in points
        if (not open_only or is_open(p, local))
        and (category is None or not p.categories or category in p.categories)
    ]
    measured = sorted(
        (measure(p, latitude, longitude) for p in chosen), key=lambda n: (n.distance_m, n.point.id)
    )
    return measured[:limit]

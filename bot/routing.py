"""Point -> grid: polygon containment, or the nearest grid just outside."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import shapely
from geopy.distance import geodesic
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Placement:
    """Where a point fell: its grid, and how far outside it (0 when inside)."""

    grid_id: str
    distance_m: float

    @property
    def inside(self) -> bool:
        return self.distance_m == 0.0


class GridIndex:
    """A spatial index over the grid polygons (WGS-84, GeoJSON geometries)."""

    def __init__(self, grids: Iterable[tuple[str, dict[str, Any]]]) -> None:
        self._ids: list[str] = []
        geometries = []
        for grid_id, geometry in grids:
            if geometry.get("type") == "Feature":
                geometry = geometry["geometry"]
            polygon = shape(geometry)
            shapely.prepare(polygon)
            self._ids.append(grid_id)
            geometries.append(polygon)
        self._geometries = geometries
        self._tree = shapely.STRtree(geometries)

    def locate(self, latitude: float, longitude: float, max_outside_m: float) -> Placement | None:
        """The grid holding the point, else the nearest within ``max_outside_m``, else None."""
        if not _valid(latitude, longitude):
            return None
        point = Point(longitude, latitude)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits):
            return Placement(self._ids[int(min(hits))], 0.0)
        nearest = self.nearest(latitude, longitude)
        if nearest is None or nearest.distance_m > max_outside_m:
            return None
        return nearest

    def nearest(self, latitude: float, longitude: float) -> Placement | None:
        """The nearest grid and its distance in metres, however far."""
        if not _valid(latitude, longitude):
            return None
        point = Point(longitude, latitude)
        index = self._tree.nearest(point)
        if index is None:
            return None
        polygon = self._geometries[int(index)]
        if polygon.intersects(point):
            return Placement(self._ids[int(index)], 0.0)
        best = self._closest_within(point, latitude, longitude, polygon)
        return Placement(self._ids[int(index)], best)

    def _closest_within(
        self, point: Point, latitude: float, longitude: float, polygon: Any
    ) -> float:
        # The tree's nearest works in degrees, which stretch with latitude; so measure the
        # true (geodesic) distance to the closest boundary point.
        on_boundary = nearest_points(polygon, point)[0]
        return float(geodesic((latitude, longitude), (on_boundary.y, on_boundary.x)).m)


def _valid(latitude: float, longitude: float) -> bool:
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )

"""Point -> grid: polygon containment, or the nearest grid just outside."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from geopy.distance import geodesic
from shapely.geometry import Point, box, shape
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
        self._cells = CellIndex(geometries)

    def locate(self, latitude: float, longitude: float, max_outside_m: float) -> Placement | None:
        """The grid holding the point, else the nearest within ``max_outside_m``, else None."""
        if not _valid(latitude, longitude):
            return None
        inside = self._cells.containing(longitude, latitude)
        if inside is not None:
            return Placement(self._ids[inside], 0.0)
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


Ring = list[tuple[float, float]]


class CellIndex:
    """Which polygon holds a point, by a hash of square cells.

    Building a shapely Point and querying the tree costs some 25 us a lookup (shapely's
    per-call overhead). Here a lookup is a dictionary look-up: a cell lying wholly inside
    one polygon answers at once, and in a cell an edge crosses, the point is tested against
    the few vertices of each polygon's part inside that cell. Where polygons overlap, the
    earliest wins, as with the tree.
    """

    def __init__(self, geometries: list[Any]) -> None:
        bounds = shapely.bounds(geometries) if geometries else np.zeros((0, 4))
        sides = np.minimum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        # Half the typical grid's side: every grid then wholly holds at least one cell.
        size = float(np.median(sides)) / 2 if len(sides) else 1.0
        self._size = size if size > 0 else 1.0
        self._covered: dict[tuple[int, int], int] = {}
        self._crossing: dict[tuple[int, int], list[tuple[int, list[Ring]]]] = {}
        members: dict[tuple[int, int], list[int]] = {}
        for number, (min_x, min_y, max_x, max_y) in enumerate(bounds):
            for x in range(self._cell(min_x), self._cell(max_x) + 1):
                for y in range(self._cell(min_y), self._cell(max_y) + 1):
                    members.setdefault((x, y), []).append(number)
        for cell, numbers in members.items():
            self._classify(cell, [(n, geometries[n]) for n in numbers])

    def _cell(self, value: float) -> int:
        return math.floor(value / self._size)

    def _classify(self, cell: tuple[int, int], polygons: list[tuple[int, Any]]) -> None:
        x, y = cell
        square = box(x * self._size, y * self._size, (x + 1) * self._size, (y + 1) * self._size)
        parts = []
        for number, polygon in polygons:
            clipped = [p for p in shapely.get_parts(polygon.intersection(square)) if p.area > 0]
            if clipped:
                parts.append((number, polygon, clipped))
        if not parts:
            return
        if parts[0][1].contains(square):
            self._covered[cell] = parts[0][0]
            return
        self._crossing[cell] = [
            (number, [list(ring.coords) for p in clipped for ring in (p.exterior, *p.interiors)])
            for number, _, clipped in parts
        ]

    def containing(self, x: float, y: float) -> int | None:
        """The earliest polygon holding the point (x, y), or None."""
        cell = (self._cell(x), self._cell(y))
        covered = self._covered.get(cell)
        if covered is not None:
            return covered
        for number, rings in self._crossing.get(cell, ()):
            if _inside(rings, x, y):
                return number
        return None


def _inside(rings: list[Ring], x: float, y: float) -> bool:
    """Even-odd ray casting: whether (x, y) lies inside the rings (holes included)."""
    inside = False
    for ring in rings:
        x1, y1 = ring[0]
        for x2, y2 in ring[1:]:
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                inside = not inside
            x1, y1 = x2, y2
    return inside


def _valid(latitude: float, longitude: float) -> bool:
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )

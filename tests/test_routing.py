"""Point -> grid routing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from bot.core.config import load_settings
from bot.core.directory import Directory
from bot.core.routing import GridIndex

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


@pytest.fixture(name="directory")
def fixture_directory() -> Directory:
    return Directory(load_settings(EXAMPLE))


def test_point_inside_grid(directory: Directory) -> None:
    """A point inside a polygon lands in that grid, distance 0."""
    placement = directory.place(34.594, 119.175)
    assert placement is not None
    assert ("minzhu-west", 0.0) == (placement.grid_id, placement.distance_m)
    assert "minzhu" == directory.squad_of_grid[placement.grid_id].id


def test_point_in_file_grid(directory: Directory) -> None:
    """A grid loaded from a .geojson file routes to its own squad."""
    placement = directory.place(34.602, 119.185)
    assert placement is not None
    assert "xinpu" == directory.squad_of_grid[placement.grid_id].id


def test_point_just_outside_goes_to_nearest(directory: Directory) -> None:
    """A point 100 m south of a grid (tolerance 150 m) goes to that grid."""
    placement = directory.place(34.5891, 119.175)
    assert placement is not None
    assert "minzhu-west" == placement.grid_id
    assert 90 < placement.distance_m < 110


def test_point_far_outside_is_nowhere(directory: Directory) -> None:
    """A point 1.1 km away is outside the service area, and the nearest grid is known."""
    assert directory.place(34.58, 119.175) is None
    nearest = directory.nearest(34.58, 119.175)
    assert nearest is not None
    assert "minzhu-west" == nearest.grid_id
    assert 1000 < nearest.distance_m < 1200


@pytest.mark.parametrize(
    ("lat", "lon"), [(float("nan"), 119.0), (91.0, 119.0), (34.0, 181.0), (float("inf"), 0.0)]
)
def test_impossible_coordinates_are_nowhere(directory: Directory, lat: float, lon: float) -> None:
    """Out-of-range or NaN coordinates route nowhere instead of failing."""
    assert directory.place(lat, lon) is None
    assert directory.nearest(lat, lon) is None


def test_cell_index_agrees_with_shapely_on_awkward_polygons() -> None:
    """Concave grids, a hole, a multipolygon and an overlap: every point lands where
    shapely's own containment test puts it (the earlier grid where two overlap)."""
    geometries = [
        {  # an L shape
            "type": "Polygon",
            "coordinates": [[[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4], [0, 0]]],
        },
        {  # a square with a square hole
            "type": "Polygon",
            "coordinates": [
                [[2, 2], [6, 2], [6, 6], [2, 6], [2, 2]],
                [[3, 3], [5, 3], [5, 5], [3, 5], [3, 3]],
            ],
        },
        {  # two triangles, one of them inside the hole above
            "type": "MultiPolygon",
            "coordinates": [
                [[[3.2, 3.2], [4.8, 3.2], [4, 4.8], [3.2, 3.2]]],
                [[[7, 0], [9, 0], [8, 3], [7, 0]]],
            ],
        },
        {  # overlaps the L and the holed square: they come first
            "type": "Polygon",
            "coordinates": [[[0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5], [0.5, 0.5]]],
        },
        {  # a wide grid over the triangle and the square's edge, whole cells inside it
            "type": "Polygon",
            "coordinates": [[[5, -1], [10, -1], [10, 7], [5, 7], [5, -1]]],
        },
    ]
    index = GridIndex([(f"g{n}", g) for n, g in enumerate(geometries)])
    shapes = [shape(g) for g in geometries]
    rng = random.Random(7)
    checked = 0
    for _ in range(4000):
        x, y = rng.uniform(-1, 10), rng.uniform(-1, 7)
        point = Point(x, y)
        if any(s.boundary.distance(point) < 1e-9 for s in shapes):
            continue
        expected = next((f"g{n}" for n, s in enumerate(shapes) if s.intersects(point)), None)
        placed = index.locate(y, x, 0.0)
        assert expected == (placed.grid_id if placed and placed.inside else None), (x, y)
        checked += 1
    assert checked > 3900

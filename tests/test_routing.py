"""Point -> grid routing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_settings
from bot.directory import Directory

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

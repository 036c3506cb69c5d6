"""Designated vending points: config validation, opening hours, nearest open, directions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.core.config import ConfigError, load_settings
from bot.core.vending_points import compass_point, is_open, nearest_points, next_opening

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(name="raw")
def fixture_raw() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def write(tmp_path: Path, raw: dict) -> Path:
    (tmp_path / "grids").mkdir(exist_ok=True)
    for geojson in (EXAMPLE.parent / "grids").glob("*.geojson"):
        (tmp_path / "grids" / geojson.name).write_text(geojson.read_text(encoding="utf-8"))
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=ZONE)


def test_example_points_load() -> None:
    """The shipped example has three points with hours, capacity and categories."""
    settings = load_settings(EXAMPLE)
    points = {p.id: p for p in settings.vending_points}
    assert ["minzhu-market", "east-night", "xinpu-square"] == list(points)
    assert 40 == points["minzhu-market"].capacity
    assert ["vending"] == points["east-night"].categories


def test_unknown_category_names_the_field(tmp_path: Path, raw: dict) -> None:
    """A point suited to a category not configured is refused, naming its field path."""
    raw["vending_points"][1]["categories"] = ["vending", "fireworks"]
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, raw))
    assert "config.yaml: vending_points[1].categories: unknown category 'fireworks'" in str(
        caught.value
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", ["6:00-9:00"], r"vending_points\[0\]\.hours: .*hours must look like"),
        ("hours", [], r"vending_points\[0\]\.hours: "),
        ("hours", ["08:00-12:00", "11:00-14:00"], r"vending_points\[0\]\.hours: .*overlap"),
        ("hours", ["20:00-02:00", "01:00-03:00"], r"vending_points\[0\]\.hours: .*overlap"),
        ("capacity", 0, r"vending_points\[0\]\.capacity: "),
        (
            "location",
            {"latitude": 119.1, "longitude": 34.5},
            r"vending_points\[0\]\.location\.latitude",
        ),
        (
            "location",
            {"latitude": 34.5},
            r"vending_points\[0\]\.location\.longitude: Field required",
        ),
    ],
)
def test_bad_point_names_the_field(
    tmp_path: Path, raw: dict, field: str, value: object, message: str
) -> None:
    """Bad hours, capacity or location stop start-up with the point's field path."""
    raw["vending_points"][0][field] = value
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, raw))


def test_duplicate_point_id_is_refused(tmp_path: Path, raw: dict) -> None:
    """Two points with one id are a mistake."""
    raw["vending_points"][1]["id"] = "minzhu-market"
    with pytest.raises(ConfigError, match="vending_points: 'minzhu-market' appears twice"):
        load_settings(write(tmp_path, raw))


def test_check_config_refuses_bad_point(
    tmp_path: Path, raw: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk check-config` exits 2 naming a bad point's field, 0 and a count on the example."""
    from bot.cli import main

    assert 0 == main(["check-config", "--config", str(EXAMPLE)])
    assert "3 vending points" in capsys.readouterr().out
    raw["vending_points"][2]["name"] = {"zh": "广场"}
    assert 2 == main(["check-config", "--config", str(write(tmp_path, raw))])
    assert "vending_points[2].name.en: Field required" in capsys.readouterr().err


def test_hours_across_midnight() -> None:
    """A 17:00-01:00 point is open at 23:59 and 00:30, closed at 01:00 and 16:59."""
    night = {p.id: p for p in load_settings(EXAMPLE).vending_points}["east-night"]
    assert [True, True, False, False] == [
        is_open(night, t) for t in (local(23, 59), local(0, 30), local(1), local(16, 59))
    ]


def test_next_opening_is_the_nearest_start() -> None:
    """Between the morning and evening market the point next opens at 16:30 the same day."""
    market = load_settings(EXAMPLE).vending_points[0]
    assert local(16, 30) == next_opening(market, local(12))
    assert datetime(2026, 11, 25, 6, 0, tzinfo=ZONE) == next_opening(market, local(21))


def test_nearest_open_points_in_order() -> None:
    """At 18:00 the three points open are listed nearest first; at 03:00 none is."""
    points = load_settings(EXAMPLE).vending_points
    found = nearest_points(points, 34.5936, 119.1760, local(18))
    assert ["minzhu-market", "xinpu-square", "east-night"] == [n.point.id for n in found]
    assert found[0].distance_m < 30
    assert [] == nearest_points(points, 34.5936, 119.1760, local(3))


def test_category_filters_points() -> None:
    """A parking report is offered only points that suit every category."""
    points = load_settings(EXAMPLE).vending_points
    found = nearest_points(points, 34.5936, 119.1760, local(18), category="parking")
    assert ["xinpu-square"] == [n.point.id for n in found]


@pytest.mark.parametrize(
    ("degrees", "expected"),
    [
        (0, "n"),
        (22.4, "n"),
        (22.6, "ne"),
        (90, "e"),
        (180, "s"),
        (250, "w"),
        (300, "nw"),
        (359, "n"),
    ],
)
def test_compass_points(degrees: float, expected: str) -> None:
    """Bearings round to the nearest of eight compass points."""
    assert expected == compass_point(degrees)

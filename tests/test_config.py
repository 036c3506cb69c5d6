"""The district config: the example validates, and mistakes name file and field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.config import ConfigError, load_settings, parse_duration

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


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


def test_example_config_is_valid() -> None:
    """The shipped example loads, with its geojson_file grid resolved to a polygon."""
    settings = load_settings(EXAMPLE)
    assert 3 <= len(settings.grids)
    assert 2 <= len(settings.squads)
    assert {"vending", "piled_goods", "parking", "noise", "waste", "other"} <= {
        c.code for c in settings.categories
    }
    assert all(grid.polygon is not None for grid in settings.grids)
    assert "Asia/Shanghai" == settings.timezone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        (30, timedelta(seconds=30)),
    ],
)
def test_durations_read_as_written(text: object, expected: timedelta) -> None:
    """Durations are written 90s, 5m, 2h, 1d."""
    assert expected == parse_duration(text)


def test_bad_duration_is_refused() -> None:
    """A duration without a unit is an error, not a guess."""
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("ten minutes")


def test_error_names_file_and_field_path(tmp_path: Path, raw: dict) -> None:
    """A wrong member id is reported as squads[1].members[0].telegram_id in the file."""
    raw["squads"][1]["members"][0]["telegram_id"] = "abc"
    path = write(tmp_path, raw)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert f"{path}: squads[1].members[0].telegram_id:" in str(caught.value)


def test_token_in_file_is_refused(tmp_path: Path, raw: dict) -> None:
    """The token never lives in the file: a token key is an unknown field."""
    raw["telegram"]["token"] = "123:abc"
    with pytest.raises(ConfigError, match=r"telegram\.token: Extra inputs are not permitted"):
        load_settings(write(tmp_path, raw))


def test_grid_without_squad_is_refused(tmp_path: Path, raw: dict) -> None:
    """Every grid needs exactly one responsible squad."""
    raw["squads"][1]["grids"] = ["minzhu-west"]
    with pytest.raises(ConfigError, match="covered by both"):
        load_settings(write(tmp_path, raw))


def test_open_ring_is_refused(tmp_path: Path, raw: dict) -> None:
    """A polygon ring that does not close is named with its grid's path."""
    raw["grids"][0]["polygon"]["coordinates"][0].pop()
    with pytest.raises(ConfigError, match=r"grids\[0\]: .*ring must end where it starts"):
        load_settings(write(tmp_path, raw))


def test_unknown_time_zone_is_refused(tmp_path: Path, raw: dict) -> None:
    """A misspelt time zone stops start-up with its field named."""
    raw["timezone"] = "Asia/Shanghia"
    with pytest.raises(ConfigError, match="timezone: unknown time zone"):
        load_settings(write(tmp_path, raw))


def test_check_config_command(
    tmp_path: Path, raw: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk check-config` exits 0 on a good file and 2 naming the field on a bad one."""
    assert 0 == main(["check-config", "--config", str(EXAMPLE)])
    raw["grid_groups"][0]["grids"] = ["nowhere"]
    assert 2 == main(["check-config", "--config", str(write(tmp_path, raw))])
    assert "unknown grid 'nowhere'" in capsys.readouterr().err


def test_join_radius_per_category_over_the_default(tmp_path: Path, raw: dict) -> None:
    """A category's join radius wins over intake.join_radius_m, which the others take."""
    from bot.core.directory import Directory

    raw.setdefault("intake", {})["join_radius_m"] = 70
    settings = load_settings(write(tmp_path, raw))
    directory = Directory(settings)
    assert 150.0 == directory.join_radius_m("noise")
    assert 70.0 == directory.join_radius_m("vending")

"""The daily digest on a hand-built day; every expected figure is counted by hand below."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import Settings
from bot.core.i18n import t
from bot.services import Services
from standin.html import parse_html
from tests.catalog import pattern, shown
from tests.clock import FakeClock
from tests.daybook import add, at

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
LI_MING, WANG_QIANG = 710002, 710003
NEAR_MARKET = (34.5944, 119.1750)  # about 45 m north
ELSEWHERE = (34.6020, 119.1850)


@pytest.fixture(name="services")
async def fixture_services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    clock.current = at("2026-11-24 08:00")
    services = Services.create(settings, clock)
    await services.open("griddesk_bot")
    yield services
    await services.close()


@pytest.fixture(name="day")
async def fixture_day(services: Services) -> Services:
    """T1..T4 reported on the 23rd (local), T5..T7 before it."""
    await add(
        services,
        1,
        reported=at("2026-11-23 09:00"),
        status="closed",
        first_claimed_at=at("2026-11-23 09:03"),
        claimed_by=LI_MING,
        claimed_by_name="李明",
        first_on_site_at=at("2026-11-23 09:20"),
        first_resolved_at=at("2026-11-23 09:50"),
        resolved_at=at("2026-11-23 09:50"),
        resolved_by=LI_MING,
        outcome_class="service",
        outcome_action="guided_point",
        closed_at=at("2026-11-23 10:00"),
        close_reason="solved",
        events=[
            ("claimed", at("2026-11-23 09:03"), LI_MING, {"name": "李明"}),
            ("on_site", at("2026-11-23 09:20"), LI_MING),
            ("resolved", at("2026-11-23 09:50"), LI_MING, {"outcome": "service"}),
        ],
    )
    await add(
        services,
        2,
        reported=at("2026-11-23 10:00"),
        status="closed",
        first_claimed_at=at("2026-11-23 10:10"),
        claimed_by=WANG_QIANG,
        claimed_by_name="王强",
        first_on_site_at=at("2026-11-23 10:40"),
        first_resolved_at=at("2026-11-23 13:00"),
        resolved_at=at("2026-11-23 13:00"),
        resolved_by=WANG_QIANG,
        outcome_class="management",
        outcome_action="reminder_notice",
        closed_at=at("2026-11-24 13:00"),
        close_reason="unconfirmed",
        point=ELSEWHERE,
    )
    await add(
        services,
        3,
        reported=at("2026-11-23 23:50"),
        squad_id="xinpu",
        category="waste",
        grid_id="xinpu-north",
        status="claimed",
        first_claimed_at=at("2026-11-24 00:05"),
        point=ELSEWHERE,
    )
    await add(
        services,
        4,
        reported=at("2026-11-23 00:30"),
        category="noise",
        first_claimed_at=at("2026-11-23 00:32"),
        first_resolved_at=at("2026-11-23 01:00"),
        rework_count=1,
        events=[("reopened", at("2026-11-23 01:30"))],
        point=ELSEWHERE,
    )
    await add(services, 5, reported=at("2026-11-22 20:00"), point=NEAR_MARKET)
    await add(
        services,
        6,
        reported=at("2026-11-22 08:00"),
        status="closed",
        closed_at=at("2026-11-23 12:00"),
        close_reason="solved",
        point=ELSEWHERE,
    )
    await add(
        services,
        7,
        reported=at("2026-11-21 08:00"),
        status="closed",
        closed_at=at("2026-11-21 12:00"),
        close_reason="solved",
        point=NEAR_MARKET,
    )
    return services


async def test_counts_and_rates_match_the_hand_count(day: Services) -> None:
    """Counts as of midnight: T3's claim after midnight and T2's closing next day don't count."""
    figures = (await day.reports.digest(DAY)).total.summary()
    assert (4, 3, 2, 3, 1, 0, 1) == (
        figures["received"],
        figures["claimed"],
        figures["on_site"],
        figures["resolved"],
        figures["closed_solved"],
        figures["closed_unconfirmed"],
        figures["reopened"],
    )
    assert {"claim": 0.5, "arrive": 0.25, "resolve": 0.5} == figures["on_time_rate"]
    assert (0.75, 0.25, 1 / 3) == (
        figures["handling_rate"],
        figures["closure_rate"],
        figures["rework_rate"],
    )


async def test_medians_and_p90(day: Services) -> None:
    """Claim 3,10,2 min; arrive 20,40; resolve 50,180,30 (nearest-rank p90)."""
    minutes = (await day.reports.digest(DAY)).total.summary()["minutes"]
    assert (3, 10) == (minutes["claim"]["median"], minutes["claim"]["p90"])
    assert (30, 40) == (minutes["arrive"]["median"], minutes["arrive"]["p90"])
    assert (50, 180) == (minutes["resolve"]["median"], minutes["resolve"]["p90"])


async def test_split_and_open_tickets(day: Services) -> None:
    """7-2-1: one service, one management; open at midnight: T5 (28 h), T4, T2, T3."""
    digest = await day.reports.digest(DAY)
    figures = digest.total.summary()
    assert {"service": 0.5, "management": 0.5, "enforcement": 0.0} == figures["split_721"]
    assert 4 == figures["open_at_midnight"]
    assert [(1005, 28.0), (1004, 23.5), (1002, 14.0)] == [
        (o["ticket"], o["age_hours"]) for o in figures["oldest_open"]
    ]
    assert (3, 1) == (digest.squads["minzhu"].received, digest.squads["xinpu"].received)


async def test_hot_spots_and_officers(day: Services) -> None:
    """The market corner was reported on the 21st, 22nd and 23rd within 100 m: recurring;
    李明 claimed at 09:03 and arrived at 09:20: 17 minutes from his claim."""
    digest = await day.reports.digest(DAY)
    assert [("minzhu-west", 3), ("xinpu-north", 1)] == digest.hot_grids
    assert 1 == len(digest.recurring)
    assert (3, 3) == (digest.recurring[0]["days"], digest.recurring[0]["reports"])
    by_name = {o["officer"]: o for o in digest.officers}
    assert (1, 1, 17) == (
        by_name["李明"]["claimed"],
        by_name["李明"]["resolved"],
        by_name["李明"]["median_minutes_to_arrive"],
    )


async def test_empty_day(services: Services) -> None:
    """A day without reports gives zeros and no rates, and renders without failing."""
    digest = await services.reports.digest(DAY)
    figures = digest.total.summary()
    assert (0, None, None) == (
        figures["received"],
        figures["handling_rate"],
        figures["rework_rate"],
    )
    text = parse_html(services.reports.render(digest, "zh")).text
    assert shown("zh", "digest.title", day="2026-11-23") in text


async def test_rendered_digest_reads_the_figures(day: Services) -> None:
    """The chat text names each squad, the rates and the 7-2-1 split against its target."""
    text = parse_html(day.reports.render(await day.reports.digest(DAY), "zh")).text
    counts = {"received": "4", "claimed": "3", "on_site": "2", "resolved": "3"}
    assert pattern("zh", "digest.counts", **counts).search(text)
    rates = {"handling": "75%", "rework": "33%", "closure": "25%"}
    assert pattern("zh", "digest.rates", **rates).search(text)
    split = {"service": "50%", "management": "50%", "enforcement": "0%", "target": "70/20/10"}
    assert shown("zh", "digest.split", **split) in text
    assert pattern("zh", "digest.recurring").search(text)


async def test_chart_is_a_png_with_a_cjk_font(day: Services) -> None:
    """The chart renders as PNG, with a CJK font installed by setup.sh."""
    from bot.figures.charts import cjk_font

    png = day.reports.chart(await day.reports.digest(DAY), "zh")
    assert png.startswith(b"\x89PNG")
    assert cjk_font() is not None, "no CJK font: run setup.sh (installs fonts-wqy-microhei)"


async def test_export_is_excel_friendly_csv(day: Services) -> None:
    """The export is UTF-8 with a byte-order mark, local times, and headers in Chinese."""
    from bot.figures.exports import csv_bytes

    data = csv_bytes(await day.reports.export_table(DAY, DAY, "zh"))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert t("zh", "export.id") == rows[0][0]
    assert ["1004", "1001", "1002", "1003"] == [r[0] for r in rows[1:]]
    first = dict(zip(rows[0], rows[2], strict=True))
    assert ("2026-11-23 09:00:00", "占道经营", t("zh", "outcome.service")) == (
        first[t("zh", "export.reported_at")],
        first[t("zh", "export.category")],
        first[t("zh", "export.outcome_class")],
    )


async def test_daily_post_goes_once_to_each_lead_chat(day: Services) -> None:
    """Posting the same day twice reaches each chat once (squads and the command centre)."""
    assert 3 == await day.reports.post_daily(DAY)
    assert 0 == await day.reports.post_daily(DAY)
    assert 0 == await day.reports.catch_up()  # yesterday's (the 23rd's) digest went already


def test_setup_installs_the_font() -> None:
    """The project's own set-up installs the CJK font the chart needs."""
    setup = (Path(__file__).resolve().parent.parent / "setup.sh").read_text()
    assert "fonts-wqy-microhei" in setup


def test_cli_prints_the_digest_as_json_and_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk digest --date D --format json|text` prints the figures from the database;
    a malformed or out-of-range date is refused with exit status 2."""
    import json

    import yaml

    from bot.cli import main

    example = Path(__file__).resolve().parent.parent / "config.yaml"
    raw = yaml.safe_load(example.read_text(encoding="utf-8"))
    raw["database"]["path"] = str(tmp_path / "cli.db")
    raw["grids"][2]["geojson_file"] = str(example.parent / raw["grids"][2]["geojson_file"])
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert 0 == main(
        ["digest", "--config", str(config), "--date", "2026-11-23", "--format", "json"]
    )
    figures = json.loads(capsys.readouterr().out)
    assert ("2026-11-23", 0, "2026-11-24T00:00:00+08:00", True) == (
        figures["day"],
        figures["total"]["received"],
        figures["as_of"],
        figures["complete"],
    )
    assert 0 == main(["digest", "--config", str(config), "--date", "2026-11-23"])
    assert shown("zh", "digest.title", day="2026-11-23") in capsys.readouterr().out
    assert 2 == main(["digest", "--config", str(config), "--date", "23.11.2026"])
    assert 2 == main(["digest", "--config", str(config), "--date", "9999-12-31"])
    assert 2 == main(["digest", "--config", str(config), "--date", "0001-01-01"])
    assert shown("zh", "digest.too_early") in capsys.readouterr().err

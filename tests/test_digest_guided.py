"""The digest counts vendors guided to each designated vending point, in text and JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from bot.core.config import Settings
from bot.core.i18n import joined, tn
from bot.services import Services
from tests.catalog import pattern
from tests.clock import FakeClock
from tests.daybook import add, at

DAY = date(2026, 11, 23)


def guided(point: str, resolved: str) -> dict:
    return {
        "reported": at("2026-11-23 18:00"),
        "status": "resolved",
        "first_resolved_at": at(resolved),
        "resolved_at": at(resolved),
        "outcome_class": "service",
        "outcome_action": "guided_point",
        "outcome_point": point,
        "outcome_point_m": 120.0,
    }


@pytest.fixture(name="services")
async def fixture_services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    clock.current = at("2026-11-24 08:00")
    services = Services.create(settings, clock)
    await services.open("griddesk_bot")
    await add(services, 1, **guided("minzhu-market", "2026-11-23 18:20"))
    await add(services, 2, **guided("minzhu-market", "2026-11-23 18:40"))
    await add(services, 3, **guided("east-night", "2026-11-23 19:00"))
    # Resolved after midnight: not yet guided as of the day's end.
    await add(services, 4, **guided("east-night", "2026-11-24 00:10"))
    yield services
    await services.close()


async def test_json_counts_per_point(services: Services) -> None:
    """Two to the morning market, one to the night market; the one after midnight waits."""
    digest = (await services.reports.digest(DAY)).as_json()
    assert {"minzhu-market": 2, "east-night": 1} == digest["total"]["guided_by_point"]
    assert {"minzhu-market": 2, "east-night": 1} == digest["squads"]["minzhu"]["guided_by_point"]


async def test_text_names_points_in_both_languages(services: Services) -> None:
    """The digest text names each point with its count, in Chinese and English."""
    digest = await services.reports.digest(DAY)
    for locale, morning, night in (
        ("zh", "民主路早市临时经营点", "东区夜市临时经营点"),
        ("en", "Minzhu Rd morning market point", "East night market point"),
    ):
        points = joined(locale, [f"{morning} 2", f"{night} 1"])
        assert tn(locale, "digest.guided", 3, points=points) in (
            services.reports.render(digest, locale)
        )


async def test_day_without_guidance_has_no_line(services: Services) -> None:
    """A day nobody was guided shows an empty count and no line."""
    digest = await services.reports.digest(date(2026, 11, 22))
    assert {} == digest.as_json()["total"]["guided_by_point"]
    assert not pattern("zh", "digest.guided.other").search(services.reports.render(digest, "zh"))

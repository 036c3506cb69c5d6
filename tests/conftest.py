"""Fixtures: the real Application, a stand-in Telegram, a database file, a hand-moved clock."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.config import Database as DatabaseSettings
from bot.core.config import DigestSettings, Settings, load_settings
from standin import World
from tests import backends
from tests.clock import FakeClock
from tests.harness import Harness, start_harness

# PTB 22 warns when a RetryAfter is built unless it may use timedelta; faults build them.
os.environ.setdefault("PTB_TIMEDELTA", "1")

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


@pytest.fixture(name="clock")
def fixture_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session", name="postgres_template")
def fixture_postgres_template() -> Iterator[backends.Template]:
    template = backends.Template()
    yield template
    template.close()


@pytest.fixture(name="database", params=[backends.SQLITE, backends.POSTGRES])
def fixture_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_template: backends.Template
) -> Iterator[DatabaseSettings]:
    """Where a test's records live: a SQLite file, then (with GRIDDESK_TEST_POSTGRES set) a
    PostgreSQL database of its own."""
    if request.param == backends.SQLITE:
        yield DatabaseSettings(path=backends.sqlite_file(tmp_path))
        return
    if backends.server() is None:
        pytest.skip(f"PostgreSQL runs need {backends.ENV}")
    yield DatabaseSettings(url=postgres_template.fresh())


@pytest.fixture(name="settings")
def fixture_settings(database: DatabaseSettings) -> Settings:
    settings = load_settings(EXAMPLE)
    # The daily digest at 23:59 keeps the catch-up at start out of tests about other things;
    # without a join radius every report is a new problem (tests/test_same_problem.py turns
    # the "same problem?" offer on).
    return settings.model_copy(
        update={
            "intake": settings.intake.model_copy(update={"join_radius_m": 0.0}),
            "categories": [
                c.model_copy(update={"join_radius_m": None}) for c in settings.categories
            ],
            "database": database,
            "digest": DigestSettings(time="23:59"),
        }
    )


@pytest.fixture(name="world")
def fixture_world(clock: FakeClock) -> World:
    from tests.harness import populate

    world = World(clock=lambda: clock.now().timestamp())
    populate(world)
    return world


@pytest.fixture(name="harness")
async def fixture_harness(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    harness = await start_harness(world, settings, clock)
    yield harness
    await harness.stop()

"""Fixtures: the real Application, a stand-in Telegram, a database file, a hand-moved clock."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core.config import Database as DatabaseSettings
from bot.core.config import DigestSettings, Settings, load_settings
from standin import World
from storage.database import migrate
from tests import backends
from tests.clock import FakeClock
from tests.harness import Harness, start_harness

# PTB 22 warns when a RetryAfter is built unless it may use timedelta; faults build them.
os.environ.setdefault("PTB_TIMEDELTA", "1")

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


@pytest.fixture(name="clock")
def fixture_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="example", scope="session")
def fixture_example() -> Settings:
    """config.yaml as loaded, once: settings are frozen, so every test may share them."""
    return load_settings(EXAMPLE)


@pytest.fixture(name="schema", scope="session")
def fixture_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated to the newest schema, once per session."""
    path = tmp_path_factory.mktemp("schema") / "griddesk.db"
    migrate(path)
    # The last connection's close checkpoints the WAL: the one file is the whole database.
    assert not path.with_name(path.name + "-wal").exists()
    return path


def fresh_database(schema: Path, directory: Path) -> DatabaseSettings:
    """A new database in ``directory`` at the newest schema, as a first start leaves it.

    A copy of the session's migrated file: running every migration for every test was about
    a quarter of the suite's time. The bot still migrates it on open (nothing left to do).
    """
    path = directory / "griddesk.db"
    shutil.copyfile(schema, path)
    return DatabaseSettings(path=str(path))


@pytest.fixture(scope="session", name="postgres_database")
def fixture_postgres_database() -> Iterator[backends.ProcessDatabase]:
    template = backends.ProcessDatabase()
    yield template
    template.close()


@pytest.fixture(name="database", params=[backends.SQLITE, backends.POSTGRES])
def fixture_database(
    request: pytest.FixtureRequest,
    schema: Path,
    tmp_path: Path,
    postgres_database: backends.ProcessDatabase,
) -> Iterator[DatabaseSettings]:
    """Where a test's records live: a SQLite file, then (with GRIDDESK_TEST_POSTGRES set) a
    PostgreSQL database of its own."""
    if request.param == backends.SQLITE:
        yield fresh_database(schema, tmp_path)
        return
    if backends.server() is None:
        pytest.skip(f"PostgreSQL runs need {backends.ENV}")
    yield DatabaseSettings(url=postgres_database.fresh())


@pytest.fixture(name="settings")
def fixture_settings(example: Settings, database: DatabaseSettings) -> Settings:
    # The daily digest at 23:59 keeps the catch-up at start out of tests about other things;
    # without a join radius every report is a new problem (tests/test_same_problem.py turns
    # the "same problem?" offer on).
    return example.model_copy(
        update={
            "intake": example.intake.model_copy(update={"join_radius_m": 0.0}),
            "categories": [
                c.model_copy(update={"join_radius_m": None}) for c in example.categories
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

"""Moving a district to PostgreSQL: `griddesk copy-db`, and `griddesk backup` on a server."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.core.config import Database as DatabaseSettings
from bot.core.config import Settings
from standin import World
from storage import copy as copy_rows
from storage.database import head_revision, migrate
from storage.schema import metadata
from tests import backends
from tests.clock import FakeClock
from tests.harness import LI_MING, MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"
needs_postgres = pytest.mark.skipif(
    backends.server() is None, reason=f"copy-db tests need {backends.ENV}"
)


@pytest.fixture(name="database")
def fixture_database(tmp_path: Path) -> DatabaseSettings:
    """The district's records start in a SQLite file (the copy's source)."""
    return DatabaseSettings(path=backends.sqlite_file(tmp_path))


@pytest.fixture(name="target")
def fixture_target(postgres_database: backends.ProcessDatabase) -> Iterator[str]:
    """An empty, migrated PostgreSQL database, as the city's IT department hands it over."""
    if backends.server() is None:
        pytest.skip(f"copy-db tests need {backends.ENV}")
    yield postgres_database.fresh()


async def copy_db(config: Path, url: str) -> int:
    """`griddesk copy-db --to url`, run as from a shell (it runs an event loop of its own)."""
    return await asyncio.to_thread(main, ["copy-db", "--config", str(config), "--to", url])


def config_file(tmp_path: Path, database: dict[str, Any]) -> Path:
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["database"] = database
    raw["grids"][2]["geojson_file"] = str(EXAMPLE.parent / raw["grids"][2]["geojson_file"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def solved_with_photo(harness: Harness) -> int:
    """A ticket reported, claimed, resolved with a photo and confirmed solved; its id."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=3)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    harness.clock.advance(minutes=20)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:guided_point"
    )
    await harness.say(
        MINZHU_SQUAD, LI_MING, photo=True, caption="已劝离", reply_to=prompt.message_id
    )
    result = await harness.message_of((await harness.ticket(ticket.id)).resolution_outbox_id)
    harness.clock.advance(minutes=5)
    await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:ok:{ticket.id}")
    assert "closed" == (await harness.ticket(ticket.id)).status
    return ticket.id


async def district_day(harness: Harness) -> int:
    """Two solved tickets and one claimed; the first ticket's id."""
    first = await solved_with_photo(harness)
    harness.clock.advance(minutes=10)
    await solved_with_photo(harness)
    harness.clock.advance(minutes=10)
    open_one = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.press_on_card(open_one.id, LI_MING, f"v1:claim:{open_one.id}")
    return first


def stored(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rows as values: a SQLite boolean reads 0/1, PostgreSQL's True/False."""
    return [tuple(int(v) if isinstance(v, bool) else v for v in row) for row in rows]


@needs_postgres
async def test_a_copied_district_runs_on_unchanged(
    world: World,
    settings: Settings,
    clock: FakeClock,
    target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """After copy-db the bot on PostgreSQL shows the same timeline and digest, every row and
    time is as stored, and the next report takes the next ticket number."""
    harness = await start_harness(world, settings, clock)
    first = await district_day(harness)
    await harness.say(MINZHU_SQUAD, LI_MING, text=f"/ticket {first}")
    timeline = harness.bot_last(MINZHU_SQUAD).text
    day = clock.now().astimezone(settings.zone).date()
    figures = (await harness.services.reports.digest(day)).as_json()
    await harness.stop()
    source = settings.database
    tickets_before = await backends.rows(source, "SELECT * FROM tickets ORDER BY id")
    photos = await backends.rows(source, "SELECT count(*) FROM ticket_photos")
    assert (3, 2) == (len(tickets_before), photos[0][0])

    config = config_file(tmp_path, {"path": source.path})
    assert 0 == await copy_db(config, target)
    out = capsys.readouterr().out
    assert "The bot must be stopped" in out
    assert f"the next ticket is #{first + 3}" in out
    assert "  tickets" in out and "3 / 3" in out

    moved = settings.model_copy(update={"database": DatabaseSettings(url=target)})
    for table in metadata.sorted_tables:
        order = ", ".join(column.name for column in table.primary_key.columns)
        query = f"SELECT * FROM {table.name} ORDER BY {order}"
        assert stored(await backends.rows(source, query)) == stored(
            await backends.rows(moved.database, query)
        ), table.name
    anonymous = await backends.rows(moved.database, "SELECT anonymous FROM tickets")
    assert {False} == {row[0] for row in anonymous}

    again = await start_harness(world, moved, clock)
    try:
        assert figures == (await again.services.reports.digest(day)).as_json()
        await again.say(MINZHU_SQUAD, LI_MING, text=f"/ticket {first}")
        assert timeline == again.bot_last(MINZHU_SQUAD).text
        clock.advance(minutes=1)
        ticket = await again.report_in_group(MARKET_GROUP, WANG)
        assert first + 3 == ticket.id
    finally:
        await again.stop()


@needs_postgres
async def test_a_target_holding_tickets_is_refused(
    world: World,
    settings: Settings,
    clock: FakeClock,
    target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A second copy into the same database is refused politely and adds nothing."""
    harness = await start_harness(world, settings, clock)
    await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.stop()
    config = config_file(tmp_path, {"path": settings.database.path})
    assert 0 == await copy_db(config, target)
    capsys.readouterr()
    assert 2 == await copy_db(config, target)
    assert "already holds 1 ticket;" in capsys.readouterr().err
    rows = await backends.rows(DatabaseSettings(url=target), "SELECT count(*) FROM tickets")
    assert [(1,)] == rows


@needs_postgres
async def test_a_file_behind_the_code_is_refused(
    settings: Settings, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file at an older revision is refused with the way to migrate it; nothing is copied."""
    from alembic.script import ScriptDirectory

    from storage.database import _alembic_config

    path = settings.database.path
    migrate(path)
    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    older = script.get_revision(head_revision()).down_revision
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (older,))
    config = config_file(tmp_path, {"path": path})
    assert 2 == await copy_db(config, target)
    err = capsys.readouterr().err
    assert f"revision {older}" in err and "start the bot once on the file" in err


@needs_postgres
async def test_a_count_mismatch_fails_loudly_and_keeps_nothing(
    world: World,
    settings: Settings,
    clock: FakeClock,
    target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a table's rows do not all arrive the command exits 1 naming the table, and the
    target is left empty (the copy is one transaction)."""
    harness = await start_harness(world, settings, clock)
    await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.stop()
    batches = copy_rows._batches

    def losing_an_event(*args: Any) -> Iterator[list[dict[str, Any]]]:
        for rows in batches(*args):
            yield rows[1:] if args[1].name == "ticket_events" else rows

    monkeypatch.setattr(copy_rows, "_batches", losing_an_event)
    config = config_file(tmp_path, {"path": settings.database.path})
    assert 1 == await copy_db(config, target)
    err = capsys.readouterr().err
    assert "ticket_events" in err and "nothing was kept" in err
    rows = await backends.rows(DatabaseSettings(url=target), "SELECT count(*) FROM tickets")
    assert [(0,)] == rows


async def test_copy_db_wants_a_postgresql_target_it_can_reach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--to` must name a PostgreSQL database, and one that answers; the password is never
    printed."""
    path = str(tmp_path / "g.db")
    migrate(path)
    config = config_file(tmp_path, {"path": path})
    assert 2 == await copy_db(config, "sqlite:///other.db")
    assert "must be a PostgreSQL URL" in capsys.readouterr().err
    assert 2 == await copy_db(config, "postgresql://griddesk:s3cret@127.0.0.1:1/griddesk")
    err = capsys.readouterr().err
    assert "cannot open postgresql://griddesk:***@127.0.0.1:1/griddesk" in err
    assert "s3cret" not in err


def test_backup_on_postgresql_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk backup` with database.url points to pg_dump and pg_restore, exits 2, and
    neither it nor check-config prints the password."""
    url = "postgresql+asyncpg://griddesk:s3cret@db.internal:5432/griddesk"
    config = config_file(tmp_path, {"url": url})
    assert 2 == main(["backup", "--config", str(config), str(tmp_path / "nightly.db")])
    advice = capsys.readouterr().err
    assert "pg_dump -Fc -f" in advice and "nightly.dump" in advice
    assert "postgresql://griddesk:***@db.internal:5432/griddesk" in advice
    assert "pg_restore" in advice and "griddesk_restore" in advice
    assert 0 == main(["check-config", "--config", str(config)])
    described = capsys.readouterr().out
    assert "postgresql+asyncpg://griddesk:***@db.internal:5432/griddesk" in described
    assert "s3cret" not in advice + described

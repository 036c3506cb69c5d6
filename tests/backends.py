"""The two database backends tests run on: a SQLite file, and a PostgreSQL server.

``GRIDDESK_TEST_POSTGRES`` names a server where the test role may create databases, for
example ``postgresql://127.0.0.1/test``. Without it the PostgreSQL runs are skipped; with it
every test that takes the ``settings`` fixture runs on both. Each test process has one
PostgreSQL database, migrated once; every test starts with it empty.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import asyncpg

from bench.backends import admin, plain, with_database
from bot.core.config import Database as DatabaseSettings
from storage.database import migrate_server
from storage.schema import metadata

ENV = "GRIDDESK_TEST_POSTGRES"
SQLITE = "sqlite"
POSTGRES = "postgresql"


def server() -> str | None:
    """The test server's URL (any database on it), or None when PostgreSQL tests are off."""
    value = os.environ.get(ENV, "").strip()
    return value or None


async def _admin(sql: str) -> None:
    url = server()
    assert url is not None
    await admin(url, sql)


class ProcessDatabase:
    """One PostgreSQL database per test process, migrated once; each test starts it empty.

    Emptying every table (TRUNCATE ... RESTART IDENTITY, so ticket numbers start at #1001
    again) takes a few milliseconds, where copying a template database took 0.4-1.6 s.
    """

    def __init__(self) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.name = f"griddesk_test_{worker}_{os.getpid()}"
        self.ready = False

    def url(self) -> str:
        url = server()
        assert url is not None
        return with_database(url, self.name)

    async def _prepare(self) -> None:
        await _admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{self.name}"')
        await migrate_server(self.url())
        self.ready = True

    async def _empty(self) -> None:
        tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
        connection = await asyncpg.connect(plain(self.url()))
        try:
            await connection.execute("SET lock_timeout = '10s'")
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()

    def fresh(self) -> str:
        """The test database with the newest schema and no rows; its URL."""
        if not self.ready:
            asyncio.run(self._prepare())
        asyncio.run(self._empty())
        return self.url()

    def close(self) -> None:
        if self.ready:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def sqlite_file(folder: Path) -> str:
    return str(folder / "griddesk.db")


def target(database: DatabaseSettings) -> str:
    """What ``storage.database.Database`` opens for these settings."""
    return database.url if database.url is not None else database.path


async def _server_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    connection = await asyncpg.connect(plain(url))
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def rows(database: DatabaseSettings, sql: str) -> list[tuple[object, ...]]:
    """What a query reads from the database as it is stored (say, after the bot stopped)."""
    if database.url is not None:
        return await _server_rows(database.url, sql)
    with sqlite3.connect(database.path) as connection:
        return [tuple(row) for row in connection.execute(sql)]


async def _reachable(url: str) -> None:
    connection = await asyncpg.connect(plain(url), timeout=10)
    try:
        await connection.execute("SELECT 1")
    finally:
        await connection.close()


def main() -> int:
    """``python -m tests.backends``: fail unless GRIDDESK_TEST_POSTGRES is set and answers
    (CI runs this, so that it never skips the PostgreSQL runs by accident)."""
    url = server()
    if url is None:
        print(f"tests.backends: {ENV} is not set", file=sys.stderr)
        return 1
    try:
        asyncio.run(_reachable(url))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"tests.backends: PostgreSQL at {ENV} does not answer: {exc}", file=sys.stderr)
        return 1
    print(f"tests.backends: PostgreSQL answers at {url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The database: one SQLite file in WAL mode, migrated with Alembic on open."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    return config


def _tune(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level so that our own BEGIN IMMEDIATE (below) decides when the
    # write lock is taken: a deferred BEGIN that later upgrades to a write can fail with
    # SQLITE_BUSY when another process (a backup, `griddesk digest`) wrote meanwhile.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(path: str | Path) -> str:
    """Create or upgrade the database file to the newest schema; return its revision."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    event.listen(engine, "connect", _tune)
    try:
        with engine.begin() as connection:
            config = _alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return revision or ""


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    return head or ""


class Database:
    """The open database: an async engine that serialises writers inside this process.

    One pooled connection is enough for SQLite (one writer at a time anyway) and makes
    every transaction in this process strictly sequential, so a conditional UPDATE decides
    races such as two officers claiming one ticket.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.engine: AsyncEngine | None = None

    async def open(self) -> None:
        """Migrate the file, then open the async engine."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        migrate(self.path)
        engine = create_async_engine(
            f"sqlite+aiosqlite:///{self.path}",
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(engine.sync_engine, "connect", _tune)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        self.engine = engine

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
            self.engine = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        if self.engine is None:
            raise RuntimeError("the database is not open")
        async with self.engine.begin() as connection:
            yield connection


def integrity_check(path: str | Path) -> str:
    """SQLite's own consistency check of the file ("ok" when sound)."""
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def backup(source: str | Path, target: str | Path) -> int:
    """Copy a live database consistently (SQLite's online backup); return its page count.

    Safe while the bot runs: the copy is of one committed moment, WAL included.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file")
    with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
        live.backup(copy)
        pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
    return pages

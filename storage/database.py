"""The database: one SQLite file in WAL mode, migrated with Alembic on open."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection as SyncConnection
from sqlalchemy import CursorResult, Engine, Executable, Row, create_engine, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
AnyResult: TypeAlias = CursorResult[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]


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


def _tune_reader(dbapi_connection: Any, record: Any) -> None:
    _tune(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA query_only=ON")


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


class Connection:
    """One open transaction, to run SQLAlchemy Core statements in.

    Every storage function takes one of these, whichever way the transaction is run.
    """

    async def execute(self, statement: Executable, parameters: Any = None) -> AnyResult:
        raise NotImplementedError

    def stream(self, statement: Executable, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        """The query's rows in batches of ``batch``, without holding them all at once."""
        raise NotImplementedError

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (not if it rolls back)."""
        raise NotImplementedError


class LoopConnection(Connection):
    """A transaction run on the event loop's own thread, one statement at a time.

    A statement on a local SQLite file in WAL mode takes microseconds, far less than a hop
    to a worker thread and back (which is what aiosqlite costs per call), so the short
    transactions of intake and the workflow run here directly.
    """

    def __init__(self, connection: SyncConnection) -> None:
        self._connection = connection
        self.committed: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self.committed:
            self.committed.append(callback)

    async def execute(self, statement: Executable, parameters: Any = None) -> AnyResult:
        return self._connection.execute(statement, parameters)

    async def stream(self, statement: Executable, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        result = self._connection.execute(statement)
        while rows := result.fetchmany(batch):
            yield rows

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._connection.begin_nested():
            yield


class SnapshotConnection(Connection):
    """A read-only transaction on a worker thread (aiosqlite): long reads such as a day's
    digest over a million tickets run there and never stall the event loop or writers."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def execute(self, statement: Executable, parameters: Any = None) -> AnyResult:
        return await self._connection.execute(statement, parameters)

    async def stream(self, statement: Executable, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        result = await self._connection.stream(statement)
        async for rows in result.partitions(batch):
            yield rows

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        raise TypeError("a snapshot is read-only")


class Database:
    """The open database: one connection for writes, used from the event loop.

    Transactions in this process run strictly one after another (an asyncio lock), so a
    conditional UPDATE decides races such as two officers claiming one ticket. Long reads
    take a snapshot on a connection of their own instead (``snapshot``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._engine: Engine | None = None
        self._connection: SyncConnection | None = None
        self._readers: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Migrate the file, then open the writer and the snapshot readers."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        migrate(self.path)
        engine = create_engine(f"sqlite:///{self.path}", poolclass=StaticPool)
        event.listen(engine, "connect", _tune)
        event.listen(engine, "begin", _begin_immediate)
        self._engine = engine
        self._connection = engine.connect()
        readers = create_async_engine(
            f"sqlite+aiosqlite:///{self.path}",
            poolclass=AsyncAdaptedQueuePool,
            pool_size=2,
            max_overflow=0,
            pool_timeout=60,
        )
        event.listen(readers.sync_engine, "connect", _tune_reader)
        self._readers = readers

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
        if self._readers is not None:
            await self._readers.dispose()
            self._readers = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        async with self._lock:
            if self._connection is None:
                raise RuntimeError("the database is not open")
            unit = LoopConnection(self._connection)
            with self._connection.begin():
                yield unit
        # The unit of work: what the transaction wrote is committed, now tell who waits for it
        # (the outbox's sender), once.
        for callback in unit.committed:
            callback()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Connection]:
        """A read-only view of one committed moment, read on a worker thread."""
        if self._readers is None:
            raise RuntimeError("the database is not open")
        async with self._readers.connect() as connection:
            await connection.exec_driver_sql("BEGIN")
            try:
                yield SnapshotConnection(connection)
            finally:
                await connection.exec_driver_sql("ROLLBACK")


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

"""The database: one SQLite file in WAL mode, or a PostgreSQL server; migrated with Alembic
on open, the same migrations on both."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeAlias

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection as SyncConnection
from sqlalchemy import CursorResult, Engine, Executable, Row, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
# Workers that start together migrate one after another (a PostgreSQL advisory lock's key).
MIGRATION_LOCK = 7_210_001
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


def is_server(target: str | Path) -> bool:
    """True for a PostgreSQL URL, False for a SQLite file's path."""
    return isinstance(target, str) and target.startswith("postgresql")


def server_url(url: str) -> str:
    """The URL with the async driver named (``postgresql://`` means asyncpg here)."""
    scheme, _, rest = url.partition("://")
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    return url


def _upgrade(connection: SyncConnection, url: str) -> str:
    config = _alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision() or ""


def migrate(path: str | Path) -> str:
    """Create or upgrade the database file to the newest schema; return its revision."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    event.listen(engine, "connect", _tune)
    try:
        with engine.begin() as connection:
            revision = _upgrade(connection, url)
    finally:
        engine.dispose()
    return revision


async def migrate_server(url: str) -> str:
    """Create or upgrade a PostgreSQL database to the newest schema; return its revision.

    Several workers may start at once: each migrates under one advisory lock, so the first
    does the work and the others find the schema at head.
    """
    engine = create_async_engine(server_url(url))
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            return await connection.run_sync(_upgrade, url)
    finally:
        await engine.dispose()


def head_revision() -> str:
    """The newest migration's revision id."""
    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    return head or ""


class Connection:
    """One open transaction, to run SQLAlchemy Core statements in.

    Every storage function takes one of these, whichever way the transaction is run.
    """

    dialect = "sqlite"

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
        self.dialect = connection.dialect.name

    async def execute(self, statement: Executable, parameters: Any = None) -> AnyResult:
        return await self._connection.execute(statement, parameters)

    async def stream(self, statement: Executable, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        result = await self._connection.stream(statement)
        async for rows in result.partitions(batch):
            yield rows

    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        raise TypeError("a snapshot is read-only")


class ServerConnection(SnapshotConnection):
    """A write transaction on a PostgreSQL connection (asyncpg): every statement is awaited,
    so a slow network never stalls the event loop."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection)
        self.committed: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self.committed:
            self.committed.append(callback)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        async with self._connection.begin_nested():
            yield


def insert_for(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that knows ON CONFLICT, in the dialect of the connection's database."""
    if conn.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class Database:
    """The open database: writes run one transaction at a time from the event loop.

    Transactions in this process run strictly one after another (an asyncio lock); between
    processes (several workers on PostgreSQL) every step that must happen once is a
    conditional UPDATE or a unique INSERT, which the database decides, such as two officers
    claiming one ticket. Long reads take a snapshot on a connection of their own instead.

    ``target`` is a SQLite file's path or a PostgreSQL URL (``postgresql+asyncpg://...``).
    On SQLite the writer runs on the event loop's thread (microseconds a statement); on
    PostgreSQL every statement is awaited on asyncpg.
    """

    def __init__(self, target: str | Path) -> None:
        self.url = server_url(str(target)) if is_server(target) else None
        self.path = Path(target) if self.url is None else None
        self._engine: Engine | None = None
        self._connection: SyncConnection | None = None
        self._server: AsyncEngine | None = None
        self._readers: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url is None else "postgresql"

    @property
    def files(self) -> Path:
        """Where files made for sending (exports, charts) are written until they are sent."""
        if self.path is not None:
            return self.path.parent / "files"
        return Path(tempfile.gettempdir()) / "griddesk-files"

    async def open(self) -> None:
        """Migrate the schema, then open the writer and the snapshot readers."""
        if self.url is not None:
            await migrate_server(self.url)
            self._server = create_async_engine(self.url, pool_size=4, max_overflow=4)
            self._readers = self._server
            return
        assert self.path is not None
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
        self._server = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A write transaction: committed when the block ends, rolled back on error."""
        unit: LoopConnection | ServerConnection
        async with self._lock:
            if self._server is not None:
                async with self._server.connect() as connection, connection.begin():
                    unit = ServerConnection(connection)
                    yield unit
            else:
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
        """A read-only view of one committed moment, read off the event loop's thread."""
        if self._readers is None:
            raise RuntimeError("the database is not open")
        async with self._readers.connect() as connection:
            if self._server is not None:
                moment = await connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
                async with moment.begin() as transaction:
                    yield SnapshotConnection(moment)
                    await transaction.rollback()
                return
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

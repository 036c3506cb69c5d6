"""Moving a district: every row of a SQLite file copied into an empty PostgreSQL database.

The copy reads the file in one read transaction (one committed moment) and writes the server
in one transaction: it lands whole, or not at all. Values are copied as stored: times stay
UTC unix seconds (no round trip through datetimes), booleans become PostgreSQL booleans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from storage.database import head_revision, migrate_server, server_url
from storage.schema import metadata

BATCH = 5000
COPY_LOCK = 7_210_002  # an advisory lock's key (the migrations' is 7_210_001)


class CopyRefused(Exception):
    """The copy did not start: the source or the target is not fit for it (the reason)."""


class CountMismatch(Exception):
    """The target's counts differ from the source's after the copy; nothing was committed."""

    def __init__(self, counts: list[TableCount]) -> None:
        wrong = ", ".join(
            f"{c.table}: {c.source} in the file, {c.target} on the server"
            for c in counts
            if not c.equal
        )
        super().__init__(f"the copy does not match, so nothing was kept: {wrong}")
        self.counts = counts


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def equal(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class Copied:
    """What ``copy_database`` copied: the counts per table and the next ticket's number."""

    counts: list[TableCount]
    next_ticket: int


def _stored(table: Table) -> Table:
    """The table with its columns' stored types (a UtcTime is the REAL it is kept as)."""
    columns = []
    for column in table.columns:
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        columns.append(Column(column.name, kind, primary_key=column.primary_key))
    return Table(table.name, MetaData(), *columns)


def tables_in_order() -> list[Table]:
    """Every table of the schema, each after the tables its foreign keys point to."""
    return list(metadata.sorted_tables)


def check_counts(counts: list[TableCount]) -> None:
    """Raise ``CountMismatch`` unless every table holds as many rows on both sides."""
    if not all(count.equal for count in counts):
        raise CountMismatch(counts)


def _source_revision(connection: Connection) -> str:
    return MigrationContext.configure(connection).get_current_revision() or ""


def _batches(connection: Connection, table: Table, size: int) -> Iterator[list[dict[str, Any]]]:
    key = [column for column in table.columns if column.primary_key]
    result = connection.execute(select(table).order_by(*key))
    while rows := result.fetchmany(size):
        yield [dict(row._mapping) for row in rows]


def _sqlite_sequences(connection: Connection) -> dict[str, int]:
    """AUTOINCREMENT's high-water marks (a number once given is never given again)."""
    found = connection.execute(
        text("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    ).first()
    if found is None:
        return {}
    rows = connection.execute(text("SELECT name, seq FROM sqlite_sequence"))
    return {str(name): int(seq) for name, seq in rows}


def _autocommit(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int((await connection.scalar(select(func.count()).select_from(table))) or 0)


async def _refuse_unless_empty(connection: AsyncConnection, shown: str) -> None:
    by_name = {table.name: table for table in tables_in_order()}
    tickets = await _count(connection, by_name["tickets"])
    if tickets:
        raise CopyRefused(
            f"{shown} already holds {tickets} ticket{'' if tickets == 1 else 's'}; "
            "copy into a new, empty database"
        )
    for table in by_name.values():
        if await _count(connection, table):
            raise CopyRefused(
                f"{shown} already holds rows in {table.name} (was the bot started on it?); "
                "copy into a new, empty database"
            )


async def _continue_sequences(
    connection: AsyncConnection, table: Table, high_water: int | None
) -> None:
    """Set the table's id sequence so the next id follows the copied ones."""
    for column in table.primary_key.columns:
        sequence = await connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        )
        if sequence is None:
            continue
        largest = await connection.scalar(select(func.max(column)))
        last = max(int(largest or 0), high_water or 0)
        if last > 0:
            await connection.execute(
                text("SELECT setval(CAST(:sequence AS regclass), :last)"),
                {"sequence": sequence, "last": last},
            )


async def copy_database(
    source: Path,
    url: str,
    shown: str,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> Copied:
    """Copy every row of the SQLite file ``source`` into the PostgreSQL database at ``url``.

    The target is migrated to the newest schema first (as the bot would on start) and must
    hold no rows; the source must already be at the newest revision. After the rows, each id
    sequence is set past the copied ids (the next ticket is the file's next number), then
    every table is counted on both sides; a difference raises ``CountMismatch`` and rolls the
    copy back. ``shown`` names the target in messages (the URL without its password);
    ``progress(table, rows)`` is told each table once copied.
    """
    head = head_revision()
    reader = create_engine(f"sqlite:///{source}")
    # The driver's own transaction handling off, so that the BEGIN below is the one in force.
    event.listen(reader, "connect", _autocommit)
    try:
        with reader.connect() as file:
            file.exec_driver_sql("BEGIN")  # one committed moment for every table
            revision = _source_revision(file)
            if revision != head:
                raise CopyRefused(
                    f"{source} is at revision {revision or 'none'}, this GridDesk at {head}: "
                    "start the bot once on the file (griddesk run) so that it migrates it, "
                    "stop it, then copy"
                )
            try:
                await migrate_server(url)
            except (OSError, DBAPIError) as exc:
                reason = getattr(exc, "orig", None) or exc
                raise CopyRefused(f"cannot open {shown}: {reason}") from exc
            return await _copy_rows(file, url, shown, batch, progress)
    finally:
        reader.dispose()


# The file is read with the synchronous driver: the command has nothing else to serve
# meanwhile, and a local file's batch reads in milliseconds.
async def _copy_rows(
    file: Connection,
    url: str,
    shown: str,
    batch: int,
    progress: Callable[[str, int], None] | None,
) -> Copied:
    high_water = _sqlite_sequences(file)
    server = create_async_engine(server_url(url))
    try:
        async with server.begin() as connection:
            # Two copies started at once into one database: the second waits, then finds
            # the first one's rows and refuses.
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({COPY_LOCK})"))
            await _refuse_unless_empty(connection, shown)
            counts = []
            for table in tables_in_order():
                stored = _stored(table)
                copied = 0
                for rows in _batches(file, stored, batch):
                    await connection.execute(insert(stored), rows)
                    copied += len(rows)
                await _continue_sequences(connection, stored, high_water.get(table.name))
                in_file = int(file.scalar(select(func.count()).select_from(stored)) or 0)
                counts.append(TableCount(table.name, in_file, await _count(connection, stored)))
                if progress is not None:
                    progress(table.name, copied)
            check_counts(counts)
            next_ticket = await connection.scalar(
                text("SELECT nextval(pg_get_serial_sequence('tickets', 'id'))")
            )
            # nextval moved the sequence; give that number back so the bot's first ticket
            # takes it.
            await connection.execute(
                text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), :n, false)"),
                {"n": next_ticket},
            )
    finally:
        await server.dispose()
    return Copied(counts, int(next_ticket))

"""The two databases the benchmarks run on: a SQLite file, and a scratch database on a
PostgreSQL server, filled with COPY.

``GRIDDESK_BENCH_POSTGRES`` (or a benchmark's ``--postgres URL``) names a server where the
role may create databases, e.g. ``postgresql://127.0.0.1/test``; each run gets a database of
its own, migrated as the bot migrates it, and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg

from storage.database import migrate_server

ENV = "GRIDDESK_BENCH_POSTGRES"
# Rows to write: each table with its columns and rows.
Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


def server() -> str | None:
    """The benchmark server's URL, or None when the PostgreSQL runs are off."""
    return os.environ.get(ENV, "").strip() or None


def plain(url: str) -> str:
    """asyncpg's form of the URL (no ``+asyncpg``)."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def _with_database(url: str, name: str) -> str:
    return f"{plain(url).rpartition('/')[0]}/{name}"


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, migrated database on the server at ``url``; its URL. Dropped afterwards."""
    name = f"griddesk_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    scratch = _with_database(url, name)
    try:
        asyncio.run(migrate_server(scratch))
        yield scratch
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def copy_in(url: str, batches: Iterable[Rows]) -> None:
    """Write rows with COPY: each batch maps a table to its columns and rows. Then the
    ticket numbers continue after the largest id, and the planner's statistics are fresh."""
    connection = await asyncpg.connect(plain(url))
    try:
        for batch in batches:
            for table, (columns, rows) in batch.items():
                await connection.copy_records_to_table(table, records=rows, columns=columns)
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('tickets', 'id'),"
            " (SELECT coalesce(max(id), 1000) FROM tickets))"
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def write_sqlite(path: Path, batches: Iterable[Rows]) -> None:
    """Insert each batch's rows into the SQLite file, then refresh the planner's statistics."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        for batch in batches:
            for table, (columns, rows) in batch.items():
                marks = ", ".join("?" for _ in columns)
                names = ", ".join(columns)
                conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        conn.execute("ANALYZE")

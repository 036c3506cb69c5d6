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


def with_database(url: str, name: str) -> str:
    """The URL of database ``name`` on the server at ``url`` (asyncpg's form)."""
    return f"{plain(url).rpartition('/')[0]}/{name}"


async def admin(url: str, sql: str) -> None:
    """Run one statement (CREATE or DROP DATABASE) on the server at ``url``."""
    connection = await asyncpg.connect(plain(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_scratch(url: str, prefix: str = "griddesk_bench") -> str:
    """A new, migrated database on the server at ``url``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin(url, f'CREATE DATABASE "{name}"')
    scratch = with_database(url, name)
    await migrate_server(scratch)
    return scratch


async def drop_scratch(url: str, scratch: str) -> None:
    await admin(url, f'DROP DATABASE IF EXISTS "{scratch.rpartition("/")[2]}" WITH (FORCE)')


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, migrated database on the server at ``url``; its URL. Dropped afterwards."""
    scratch = asyncio.run(create_scratch(url))
    try:
        yield scratch
    finally:
        asyncio.run(drop_scratch(url, scratch))


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

"""The database file: migrations, WAL mode, and agreement with the query metadata."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage.database import Database, head_revision, integrity_check, migrate
from storage.schema import metadata


async def test_open_creates_migrated_wal_database(tmp_path: Path) -> None:
    """Opening a new path creates the file at the newest revision, in WAL mode."""
    path = tmp_path / "data" / "griddesk.db"
    db = Database(path)
    await db.open()
    await db.close()
    with sqlite3.connect(path) as conn:
        assert "wal" == conn.execute("PRAGMA journal_mode").fetchone()[0]
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert head_revision() == revision
    assert "ok" == integrity_check(path)


def test_migrations_match_the_query_metadata(tmp_path: Path) -> None:
    """The tables the migrations build are the tables the queries expect."""
    path = tmp_path / "m.db"
    migrate(path)
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert [] == diff


def test_migrating_twice_keeps_rows(tmp_path: Path) -> None:
    """Upgrading an existing database keeps its rows (a restart never loses data)."""
    path = tmp_path / "m.db"
    migrate(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO hinted_chats (chat_id, hinted_at) VALUES (-5, 1.0)")
    migrate(path)
    with sqlite3.connect(path) as conn:
        assert [(-5,)] == conn.execute("SELECT chat_id FROM hinted_chats").fetchall()


def test_ticket_numbers_start_above_a_thousand(tmp_path: Path) -> None:
    """Ticket numbers look like #1001, short and human."""
    path = tmp_path / "m.db"
    migrate(path)
    with sqlite3.connect(path) as conn:
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tickets'").fetchone()
    assert (1000,) == seq


async def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    """`griddesk backup` takes a consistent copy while the database is open and written."""
    from storage.database import backup

    db = Database(tmp_path / "live.db")
    await db.open()
    from sqlalchemy import text

    async with db.transaction() as conn:
        await conn.execute(text("INSERT INTO hinted_chats (chat_id, hinted_at) VALUES (-7, 1.0)"))
    copy = tmp_path / "copy.db"
    assert backup(tmp_path / "live.db", copy) > 0
    await db.close()
    with sqlite3.connect(copy) as conn:
        assert [(-7,)] == conn.execute("SELECT chat_id FROM hinted_chats").fetchall()
    assert "ok" == integrity_check(copy)
    with pytest.raises(FileExistsError):
        backup(tmp_path / "live.db", copy)


async def test_frequent_queries_read_no_whole_table(tmp_path: Path) -> None:
    """The outbox's chats with items due, a chat's due items, its recent sends, the next
    retry, the tickets awaiting confirmation and the
    ticket of a card are found through indexes: both tables only grow, and these run all
    day (the outbox on every update) on the event loop's thread."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from storage import outbox as outbox_rows
    from storage import supporters as support_rows
    from storage import tickets as ticket_rows
    from storage.lifecycle import open_states

    db = Database(tmp_path / "plans.db")
    await db.open()
    statements: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        statements.append((sql, params))

    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert db._engine is not None
    event.listen(db._engine, "before_cursor_execute", keep)
    async with db.transaction() as conn:
        await outbox_rows.due_chats(conn, now)
        await outbox_rows.next_retry(conn, now)
        await outbox_rows.due_in_chat(conn, -100, now, 20)
        await outbox_rows.pending_in_chat(conn, -100)
        await outbox_rows.sent_since(conn, -100, now)
        await ticket_rows.unconfirmed_due(conn, now)
        await ticket_rows.ticket_by_message(conn, -100, 7, "card_outbox_id")
        await ticket_rows.ticket_by_message(conn, -100, 7, "resolve_prompt_outbox_id")
        # "same problem?": the open tickets of a category near a point, a ticket's supporters
        await support_rows.tickets_near(conn, "vending", open_states(), 34.6, 119.2, 1e-3, 1e-3)
        await support_rows.supporters_of(conn, 1001)
        await support_rows.supporter_count(conn, 1001)
    await db.close()
    plans = []
    with sqlite3.connect(tmp_path / "plans.db") as conn:
        for sql, params in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()  # type: ignore[arg-type]
                plans += [row[3] for row in rows]
    assert len(plans) >= 9
    assert [] == [plan for plan in plans if plan.startswith("SCAN")]


def test_same_problem_migration_keeps_drafts(tmp_path: Path) -> None:
    """0012 keeps a draft written at 0010 and counts the new "same" stage as open."""
    from alembic import command

    from storage.database import _alembic_config

    path = tmp_path / "m.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        config = _alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO report_drafts (trigger_key, chat_id, user_id, user_name, user_locale,"
            " group_chat_id, private, stage, created_at, expires_at)"
            " VALUES ('g:1:2', -1, 7, '王', 'zh', -1, 0, 'category', 1.0, 2.0)"
        )
    migrate(path)
    with sqlite3.connect(path) as conn:
        assert [("g:1:2", "category", None)] == conn.execute(
            "SELECT trigger_key, stage, same_ticket_id FROM report_drafts"
        ).fetchall()
        (index,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'one_open_draft_per_person'"
        ).fetchone()
    assert "'same'" in index


def test_report_details_are_declared_once_for_draft_ticket_and_tables() -> None:
    """A report's details (storage/report.py) are the draft's, the ticket's, the typed
    change's and both tables' columns alike, so a new detail cannot be half added."""
    from dataclasses import fields

    from storage.drafts import Draft
    from storage.report import DETAILS, DetailChange
    from storage.schema import report_drafts, tickets
    from storage.tickets import Ticket, TicketChange

    names = set(DETAILS)
    assert names == set(DetailChange.__annotations__)
    assert names <= {f.name for f in fields(Draft)} and names <= {f.name for f in fields(Ticket)}
    assert names <= set(TicketChange.__annotations__) | set(DetailChange.__annotations__)
    assert names <= set(report_drafts.c.keys()) and names <= set(tickets.c.keys())

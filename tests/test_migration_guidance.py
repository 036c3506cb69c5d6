"""Migration 0011 keeps every ticket and adds the vending-point columns empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from storage.database import _alembic_config, migrate


def upgrade_to(path: Path, revision: str) -> None:
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = _alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_existing_ticket_is_kept(tmp_path: Path) -> None:
    """A ticket resolved before the upgrade keeps its outcome and has no point."""
    path = tmp_path / "old.db"
    upgrade_to(path, "0010")
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(tickets)")]
        assert "outcome_point" not in columns
        db.execute(
            "INSERT INTO report_drafts (trigger_key, chat_id, user_id, user_name, user_locale,"
            " group_chat_id, private, stage, created_at, expires_at)"
            " VALUES ('t:1', -1, 9001, 'w', 'zh', -1, 0, 'submitted', 0, 0)"
        )
        db.execute(
            "INSERT INTO tickets (id, draft_id, status, category, grid_id, squad_id, latitude,"
            " longitude, reporter_id, reporter_name, anonymous, group_chat_id, locale,"
            " reported_at, outcome_action)"
            " VALUES (1001, 1, 'resolved', 'vending', 'minzhu-west', 'minzhu', 34.59, 119.17,"
            " 9001, 'w', 0, -1, 'zh', 0, 'guided_point')"
        )
    assert "0010" < migrate(path)  # migrated past 0011, to whatever the head is now
    with sqlite3.connect(path) as db:
        row = db.execute(
            "SELECT id, outcome_action, resolve_point, outcome_point, outcome_point_m FROM tickets"
        ).fetchall()
    assert [(1001, "guided_point", None, None, None)] == row

"""The command line's PostgreSQL side: ``griddesk copy-db``, and what ``griddesk backup``
advises when the records are on a server."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.core.config import Settings, redacted_url
from bot.services import database_target
from storage.copy import CopyRefused, CountMismatch, copy_database
from storage.database import is_server


def _libpq_url(url: str) -> str:
    """The URL as pg_dump and psql take it (no ``+asyncpg``), its password hidden."""
    scheme, _, rest = redacted_url(url).partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def _copied(table: str, rows: int) -> None:
    if rows:
        print(f"  {table}: {rows} rows copied", flush=True)


async def copy_db(settings: Settings, config_path: Path, url: str) -> int:
    """``griddesk copy-db --to URL``: the configured SQLite file into an empty PostgreSQL
    database, every row, then the counts per table; 0 when they match."""
    shown = redacted_url(url)
    if not is_server(url):
        print(f"griddesk: --to must be a PostgreSQL URL (got {shown})", file=sys.stderr)
        return 2
    if settings.database.url is not None:
        print(
            "griddesk: this config's database is already on PostgreSQL "
            f"({redacted_url(settings.database.url)}); copy-db copies a SQLite file",
            file=sys.stderr,
        )
        return 2
    source = Path(database_target(settings, config_path.parent))
    if not source.exists():
        print(f"griddesk: no database at {source}", file=sys.stderr)
        return 2
    print(f"Copying {source} to {shown}.")
    print("The bot must be stopped on this file until the copy is done and the config")
    print("names the new database (database.url): what it writes meanwhile is not copied.")
    try:
        copied = await copy_database(source, url, shown, progress=_copied)
    except CopyRefused as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return 2
    except CountMismatch as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        for count in exc.counts:
            mark = "" if count.equal else "   <- differs"
            print(f"  {count.table}: {count.source} / {count.target}{mark}", file=sys.stderr)
        return 1
    width = max(len(count.table) for count in copied.counts)
    print("Counts (file / server):")
    for count in copied.counts:
        print(f"  {count.table:<{width}}  {count.source} / {count.target}")
    print(f"All {len(copied.counts)} tables match; the next ticket is #{copied.next_ticket}.")
    print(f"Now set database.url: {shown} in {config_path} and start the bot.")
    return 0


def server_backup_advice(url: str, target: Path) -> str:
    """What to do instead of ``griddesk backup`` when the database is on PostgreSQL."""
    dump = target.with_suffix(".dump") if target.suffix == ".db" else target
    plain = _libpq_url(url)
    scratch = plain.rpartition("/")[0] + "/griddesk_restore"
    return "\n".join(
        [
            f"griddesk: the database is on PostgreSQL ({plain}); `griddesk backup` copies",
            "a SQLite file only. Back the server up with pg_dump (one consistent snapshot,",
            "safe while the bot runs):",
            f"  pg_dump -Fc -f {dump} '{plain}'",
            "Restore into a new, empty database, never over the live one:",
            "  createdb griddesk_restore",
            f"  pg_restore --no-owner -d '{scratch}' {dump}",
            "then point database.url at it and run `griddesk check-config` and",
            "`griddesk digest` to see the records are there. Give the password through",
            "~/.pgpass or PGPASSWORD, not on the command line.",
        ]
    )

"""Restart with many open tickets: how long re-deriving every escalation timer takes.

    python -m bench.restart [--tickets 100000]

A child process builds a database of open tickets (so its memory is not counted); this
process then opens it as the bot does at start-up (migrations, every open ticket's next
escalation re-derived from the config, the earliest one found for the JobQueue) and reports
the wall time and the peak resident memory. The first run re-derives every ticket (as after
a change of deadlines); the second finds nothing to change (an ordinary restart).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.backends import Rows, copy_in, scratch_database, write_sqlite
from bench.peak import peak_rss_mb
from bot.core.config import Database, load_settings
from bot.services import Services
from storage.database import is_server, migrate

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
STATUSES = ("dispatched", "claimed", "on_site")


DRAFT_COLUMNS = (
    "id", "trigger_key", "chat_id", "user_id", "user_name", "user_locale", "group_chat_id",
    "private", "stage", "created_at", "expires_at",
)  # fmt: skip
TICKET_COLUMNS = (
    "draft_id", "status", "category", "grid_id", "squad_id", "home_squad_id", "latitude",
    "longitude", "reporter_id", "reporter_name", "anonymous", "group_chat_id", "locale",
    "reported_at", "dispatched_at", "esc_step",
)  # fmt: skip


def open_tickets(count: int) -> Rows:
    """``count`` open tickets and their drafts, as rows for each table."""
    settings = load_settings(CONFIG)
    grids = [(g, s.id) for s in settings.squads for g in s.grids]
    categories = [c.code for c in settings.categories]
    rng = random.Random(7)
    now = time.time()
    drafts = [(i, f"b:{i}", -1, 1, "x", "zh", -1, False, "submitted", now, now) for i in ids(count)]
    tickets = []
    for i in ids(count):
        grid, squad = rng.choice(grids)
        dispatched = now - rng.uniform(0, 6 * 3600)
        status, category = rng.choice(STATUSES), rng.choice(categories)
        tickets.append(
            (i, status, category, grid, squad, squad, 34.59, 119.17, 1, "x", False, -1, "zh",
             dispatched, dispatched, 0)
        )  # fmt: skip
    return {"report_drafts": (DRAFT_COLUMNS, drafts), "tickets": (TICKET_COLUMNS, tickets)}


def ids(count: int) -> range:
    return range(1, count + 1)


def build(target: str | Path, count: int) -> None:
    """Write ``count`` open tickets straight into a migrated database (file or server)."""
    if is_server(target):
        asyncio.run(copy_in(str(target), [open_tickets(count)]))
        return
    migrate(target)
    write_sqlite(Path(target), [open_tickets(count)])


def database(target: str) -> Database:
    return Database(url=target) if is_server(target) else Database(path=target)


async def measure(target: str) -> dict[str, float]:
    settings = load_settings(CONFIG).model_copy(update={"database": database(target)})
    results: dict[str, float] = {}
    for label in ("after_config_change", "ordinary_restart"):
        services = Services.create(settings)
        started = time.perf_counter()
        await services.open("bench_bot")
        changed = await services.escalator.rearm_all()
        await services.escalator.next_due()
        results[f"{label}_seconds"] = round(time.perf_counter() - started, 3)
        results[f"{label}_rederived"] = changed
        await services.close()
    results["peak_rss_mb"] = peak_rss_mb()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--postgres", metavar="URL", help="on a scratch database on this PostgreSQL server"
    )
    parser.add_argument("--build", metavar="TARGET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.tickets)
        return
    with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as tmp, ExitStack() as stack:
        if args.postgres:
            target = stack.enter_context(scratch_database(args.postgres))
        else:
            target = str(Path(tmp) / "bench.db")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench.restart", "--build", target, "--tickets",
             str(args.tickets)],
            check=True,
        )  # fmt: skip
        built = time.perf_counter() - started
        results = asyncio.run(measure(target))
    report = {
        "benchmark": "restart",
        "backend": "postgresql" if is_server(target) else "sqlite",
        "open_tickets": args.tickets,
        "build_seconds": round(built, 1),
        **results,
        "target_seconds": 2.0,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

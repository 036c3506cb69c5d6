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
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.core.config import Database, load_settings
from bot.services import Services
from storage.database import migrate

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
STATUSES = ("dispatched", "claimed", "on_site")


def build(path: Path, count: int) -> None:
    """Write ``count`` open tickets straight into a migrated database."""
    migrate(path)
    settings = load_settings(CONFIG)
    grids = [(g, s.id) for s in settings.squads for g in s.grids]
    categories = [c.code for c in settings.categories]
    rng = random.Random(7)
    now = time.time()
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO report_drafts (id, trigger_key, chat_id, user_id, user_name, user_locale,"
            " group_chat_id, private, stage, created_at, expires_at)"
            " VALUES (?, ?, -1, 1, 'x', 'zh', -1, 0, 'submitted', ?, ?)",
            ((i, f"b:{i}", now, now) for i in range(1, count + 1)),
        )
        rows = []
        for i in range(1, count + 1):
            grid, squad = rng.choice(grids)
            dispatched = now - rng.uniform(0, 6 * 3600)
            rows.append(
                (i, rng.choice(STATUSES), rng.choice(categories), grid, squad, squad, dispatched)
            )
        conn.executemany(
            "INSERT INTO tickets (draft_id, status, category, grid_id, squad_id, home_squad_id,"
            " latitude, longitude, reporter_id, reporter_name, anonymous, group_chat_id, locale,"
            " reported_at, dispatched_at, esc_step)"
            " VALUES (?, ?, ?, ?, ?, ?, 34.59, 119.17, 1, 'x', 0, -1, 'zh', ?, ?, 0)",
            ((r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[6]) for r in rows),
        )


async def measure(path: Path) -> dict[str, float]:
    settings = load_settings(CONFIG).model_copy(update={"database": Database(path=str(path))})
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
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--build", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(Path(args.build), args.tickets)
        return
    with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.restart",
                "--build",
                str(path),
                "--tickets",
                str(args.tickets),
            ],
            check=True,
        )
        built = time.perf_counter() - started
        results = asyncio.run(measure(path))
    report = {
        "benchmark": "restart",
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

"""The daily digest over a large database: wall time and peak memory.

    python -m bench.digest [--tickets 1000000] [--days 365]

A child process writes ``--tickets`` synthetic tickets spread over ``--days`` days (most
closed, some reworked, a few still open); this process then makes one day's digest (the
same call the bot and ``griddesk digest`` make) several times and reports the median and
spread, and its own peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.backends import Rows, copy_in, scratch_database, write_sqlite
from bench.peak import peak_rss_mb
from bot.core.config import Database, load_settings
from bot.services import Services
from storage.database import is_server, migrate

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
LAST_DAY = date(2026, 11, 21)
ROUNDS = 5
BATCH = 50_000


DRAFT_COLUMNS = (
    "id", "trigger_key", "chat_id", "user_id", "user_name", "user_locale", "group_chat_id",
    "private", "stage", "created_at", "expires_at",
)  # fmt: skip
TICKET_COLUMNS = (
    "draft_id", "status", "category", "grid_id", "squad_id", "home_squad_id", "latitude",
    "longitude", "reported_at", "dispatched_at", "first_claimed_at", "claimed_by",
    "claimed_by_name", "first_on_site_at", "first_resolved_at", "resolved_at", "resolved_by",
    "outcome_class", "outcome_action", "closed_at", "close_reason", "rework_count",
    "reporter_id", "reporter_name", "anonymous", "group_chat_id", "locale", "esc_step",
)  # fmt: skip


def batches(count: int, days: int) -> Iterator[Rows]:
    """``count`` tickets over ``days`` days (and their drafts), ``BATCH`` at a time."""
    settings = load_settings(CONFIG)
    zone = ZoneInfo(settings.timezone)
    grids = [(g, s.id) for s in settings.squads for g in s.grids]
    categories = [c.code for c in settings.categories]
    outcomes = (
        [("service", "guided_point")] * 7
        + [("management", "rectified")] * 2
        + [("enforcement", "fined")]
    )
    first = datetime.combine(LAST_DAY - timedelta(days=days - 1), datetime.min.time(), zone)
    span = days * 86400
    rng = random.Random(11)
    for start in range(1, count + 1, BATCH):
        ids = range(start, min(count, start + BATCH - 1) + 1)
        drafts = [(i, f"b:{i}", -1, 1, "x", "zh", -1, False, "submitted", 0.0, 0.0) for i in ids]
        rows = []
        for i in ids:
            grid, squad = rng.choice(grids)
            reported = first.timestamp() + rng.uniform(0, span)
            claimed = reported + rng.expovariate(1 / 240)
            on_site = claimed + rng.expovariate(1 / 900)
            resolved = on_site + rng.expovariate(1 / 1800)
            closed = resolved + rng.expovariate(1 / 7200)
            outcome, action = rng.choice(outcomes)
            still_open = rng.random() < 0.01
            rows.append(
                (
                    i,
                    "on_site" if still_open else "closed",
                    rng.choice(categories),
                    grid,
                    squad,
                    squad,
                    34.59 + rng.uniform(0, 0.015),
                    119.17 + rng.uniform(0, 0.02),
                    reported,
                    reported,
                    claimed,
                    710002,
                    "李明",
                    on_site,
                    None if still_open else resolved,
                    None if still_open else resolved,
                    710002,
                    None if still_open else outcome,
                    None if still_open else action,
                    None if still_open else closed,
                    None if still_open else "solved",
                    1 if rng.random() < 0.05 else 0,
                    1,
                    "x",
                    False,
                    -1,
                    "zh",
                    0,
                )
            )
        yield {"report_drafts": (DRAFT_COLUMNS, drafts), "tickets": (TICKET_COLUMNS, rows)}


def build(target: str | Path, count: int, days: int) -> None:
    """Write the tickets straight into a migrated database (file or server)."""
    if is_server(target):
        asyncio.run(copy_in(str(target), batches(count, days)))
        return
    migrate(target)
    write_sqlite(Path(target), batches(count, days))


async def measure(target: str) -> dict[str, object]:
    database = Database(url=target) if is_server(target) else Database(path=target)
    settings = load_settings(CONFIG).model_copy(update={"database": database})
    services = Services.create(settings)
    await services.open("bench_bot")
    timings = []
    digest = None
    try:
        for _ in range(ROUNDS):
            started = time.perf_counter()
            digest = await services.reports.digest(LAST_DAY)
            timings.append(time.perf_counter() - started)
    finally:
        await services.close()
    assert digest is not None
    return {
        "day_received": digest.total.received,
        "digest_seconds_median": round(statistics.median(timings), 3),
        "digest_seconds_min_max": [round(min(timings), 3), round(max(timings), 3)],
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument(
        "--postgres", metavar="URL", help="on a scratch database on this PostgreSQL server"
    )
    parser.add_argument("--build", metavar="TARGET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.tickets, args.days)
        return
    with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as tmp, ExitStack() as stack:
        if args.postgres:
            target = stack.enter_context(scratch_database(args.postgres))
        else:
            target = str(Path(tmp) / "bench.db")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench.digest", "--build", target, "--tickets",
             str(args.tickets), "--days", str(args.days)],
            check=True,
        )  # fmt: skip
        built = time.perf_counter() - started
        results = asyncio.run(measure(target))
    print(
        json.dumps(
            {
                "benchmark": "digest",
                "backend": "postgresql" if is_server(target) else "sqlite",
                "tickets": args.tickets,
                "days": args.days,
                "build_seconds": round(built, 1),
                **results,
                "target": "< 1 s and < 200 MB at 1,000,000 tickets",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "python": platform.python_version(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

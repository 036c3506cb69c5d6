"""Crash test: SIGKILL the running bot at random moments under load, restart it each time.

    python -m bench.crash [--kills 20] [--owners 6] [--reports 10]

Shop owners keep reporting (over HTTP, to the stand-in) while the bot process (`griddesk
run`) is killed with SIGKILL at random and started again. Afterwards: every report the bot
acknowledged has a ticket, every ticket has one card, the outbox drained, and SQLite's
integrity check says ok. Prints the figures as JSON; exits 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.intake import FIRST_OWNER, TOKEN, TimedWorld, _config, district_world, one_report
from bot.standin import StandinServer
from storage.database import integrity_check

SQUADS = (-1001000000101, -1001000000102, -1001000000100)


async def _start(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--config",
        str(config),
        "run",
        env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _owner(world: TimedWorld, owner: int, reports: int, done: list[int]) -> None:
    for _ in range(reports):
        for _attempt in range(5):
            try:
                await one_report(world, owner)
                done.append(owner)
                break
            except (TimeoutError, AssertionError, IndexError):
                continue  # the bot died mid-report: start the report again


async def run(kills: int, owners: int, reports: int, seed: int = 5) -> dict[str, Any]:
    rng = random.Random(seed)
    world = district_world(owners)
    async with StandinServer(world, TOKEN) as server:
        with tempfile.TemporaryDirectory(prefix="griddesk-crash-") as tmp:
            config = _config(tmp, server.base_url)
            process = await _start(config)
            done: list[int] = []
            load = asyncio.gather(
                *(_owner(world, FIRST_OWNER + i, reports, done) for i in range(owners))
            )
            killed = 0
            while killed < kills and not load.done():
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                process.send_signal(signal.SIGKILL)
                await process.wait()
                killed += 1
                process = await _start(config)
            await load
            await _settle(world)
            process.send_signal(signal.SIGINT)
            await process.wait()
            database = Path(tmp) / "bench.db"
            return _verdict(world, database, killed, owners * reports, len(done))


async def _settle(world: TimedWorld, quiet: float = 3.0) -> None:
    """Wait until the bot has been silent for ``quiet`` seconds (its outbox drained)."""
    seen, since = len(world.calls), time.monotonic()
    while time.monotonic() - since < quiet:
        await asyncio.sleep(0.2)
        calls = [c for c in world.calls if c.method != "getUpdates"]
        if len(calls) != seen:
            seen, since = len(calls), time.monotonic()


def _verdict(
    world: TimedWorld, database: Path, kills: int, planned: int, finished: int
) -> dict[str, Any]:
    receipts = {
        int(m.group(1))
        for message in world.sent_to(-1001000000201)
        if (m := re.search(r"已受理 #(\d+)", message.content or ""))
    }
    cards: Counter[int] = Counter(
        int(m.group(1))
        for chat in SQUADS
        for message in world.sent_to(chat)
        if (m := re.match(r"🆕 #(\d+)", message.content or ""))
    )
    with sqlite3.connect(database) as conn:
        tickets = {row[0] for row in conn.execute("SELECT id FROM tickets")}
        pending = conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    lost = sorted(receipts - tickets)
    return {
        "kills": kills,
        "reports_planned": planned,
        "reports_finished": finished,
        "acknowledged": len(receipts),
        "tickets": len(tickets),
        "acknowledged_without_ticket": lost,
        "tickets_without_card": sorted(tickets - set(cards)),
        "cards_sent_twice": sorted(n for n, count in cards.items() if count > 1),
        "outbox_pending": pending,
        "integrity_check": integrity_check(database),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--owners", type=int, default=6)
    parser.add_argument("--reports", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(run(args.kills, args.owners, args.reports))
    print(json.dumps(result, indent=2))
    ok = (
        not result["acknowledged_without_ticket"]
        and not result["tickets_without_card"]
        and result["outbox_pending"] == 0
        and result["integrity_check"] == "ok"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

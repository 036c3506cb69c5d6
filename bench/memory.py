"""Memory of a running bot whose database holds many tickets (resident set, from /proc)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.intake import FIRST_OWNER, GRIDDESK, TimedWorld, _in_process, district_world, one_report


def _rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


async def measure(tickets: int, reports: int = 20) -> dict[str, Any]:
    world: TimedWorld = district_world(1)

    def prepare(tmp: str) -> None:
        path = Path(tmp) / "bench.db"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.restart",
                "--build",
                str(path),
                "--tickets",
                str(tickets),
            ],
            check=True,
        )
        # A year's history, handled: otherwise the synthetic open tickets, all long overdue,
        # would set off escalations at start and measure that instead.
        with sqlite3.connect(path) as conn:
            conn.execute(
                "UPDATE tickets SET status = 'closed', closed_at = reported_at + 3600,"
                " close_reason = 'solved', esc_due_at = NULL"
            )

    async def body(process: Any) -> dict[str, Any]:
        idle = _rss_mb(process.pid)
        for _ in range(reports):
            await one_report(world, FIRST_OWNER)
        while len(world.cards) < reports:
            world.card_waiter.clear()
            await asyncio.wait_for(world.card_waiter.wait(), 30)
        busy = _rss_mb(process.pid)
        return {
            "tickets_in_database": tickets,
            "rss_mb_after_start": idle.get("VmRSS"),
            "rss_mb_after_reports": busy.get("VmRSS"),
            "peak_rss_mb": busy.get("VmHWM"),
            "reports_handled": reports,
            "target_mb": 150,
        }

    result: dict[str, Any] = await _in_process(world, GRIDDESK, body, prepare)
    return result


def run(tickets: int = 100_000) -> dict[str, Any]:
    return asyncio.run(measure(tickets))


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))

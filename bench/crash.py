"""Crash test: SIGKILL the running bot under load, restart it each time.

    python -m bench.crash [--kills 20] [--owners 6] [--reports 10] [--seed 5]

Shop owners keep reporting (over HTTP, to the stand-in) while the bot process (``python -m
bot.cli run``) is killed with SIGKILL and started again. The kill moments are chosen by the
stand-in, not by a timer: it kills the process when it receives the bot's k-th request (of
those a report causes), k drawn from a seeded ``random.Random``, either before or after
Telegram would have applied that request (drawn too). A seed replays the same kill points.

Afterwards: every report the bot acknowledged has a ticket, every ticket has a card, a card
sent again only by a later process than the one that sent it first (a killed process whose
send Telegram carried out but which died before recording it: Telegram has no idempotency
key), the outbox drained, and SQLite's integrity check says ok. Prints the figures as JSON;
exits 1 if anything was lost. ``tests/test_crash.py`` is the short run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.intake import (
    FIRST_OWNER,
    GROUP,
    SQUAD_CHATS,
    TIMEOUT,
    TOKEN,
    TimedWorld,
    _config,
    district_world,
    report_up_to_details,
)
from standin import ApiResponse, StandinServer
from storage.database import integrity_check

ROOT = Path(__file__).resolve().parent.parent
# Requests counted before a kill: drawn from this range afresh for each (re)started process.
# Only the requests a report causes count (about eight per report), so kills land in the
# middle of reports rather than in start-up's checks.
KILL_AFTER = (1, 24)
COUNTED = frozenset(
    {"sendMessage", "sendLocation", "editMessageText", "answerCallbackQuery", "pinChatMessage"}
)


class BotKilled(Exception):
    """The bot process was killed while a shop owner waited for its answer."""


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: the request it interrupted, and whether Telegram had applied it."""

    method: str
    after_apply: bool


class CrashWorld(TimedWorld):
    """A stand-in that SIGKILLs the bot when it receives the armed request."""

    def __init__(self) -> None:
        super().__init__()
        self.process: asyncio.subprocess.Process | None = None
        self.countdown = 0
        self.after_apply = False
        self.kills: list[Kill] = []
        self.restarts: list[int] = []  # len(calls) when each new process was started
        self.killed = asyncio.Event()
        self.activity = asyncio.Event()

    def arm(self, process: asyncio.subprocess.Process, countdown: int, after_apply: bool) -> None:
        """Kill ``process`` when its ``countdown``-th counted request arrives."""
        self.process, self.countdown, self.after_apply = process, countdown, after_apply
        self.killed.clear()

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        self.activity.set()
        if self.process is None or method not in COUNTED:
            return await super().call(method, params)
        self.countdown -= 1
        if self.countdown > 0:
            return await super().call(method, params)
        self.process.kill()
        self.process = None
        self.kills.append(Kill(method, self.after_apply))
        if self.after_apply:
            await super().call(method, params)  # Telegram carried it out; nobody hears back
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(BotKilled())
        self.waiting.clear()
        self.killed.set()
        return ApiResponse(0, {}, dropped=True)


async def report_until_receipt(world: TimedWorld, owner: int) -> None:
    """Play one whole report and wait for its receipt (the panel edited to "已受理")."""
    panel = await report_up_to_details(world, owner)
    receipt = world.expect("edit", GROUP, panel)
    world.press_button(GROUP, panel, owner, world.message(GROUP, panel).callback_data[0])
    await asyncio.wait_for(receipt, TIMEOUT)
    assert "已受理" in (world.message(GROUP, panel).content or "")


async def _owner(
    world: TimedWorld, owner: int, reports: int, attempts: int, done: list[int]
) -> None:
    for _ in range(reports):
        for _attempt in range(attempts):
            try:
                await report_until_receipt(world, owner)
                done.append(owner)
                break
            except (BotKilled, TimeoutError, AssertionError, IndexError):
                continue  # the bot died mid-report: start the report again


async def _start(config: Path, log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as stderr:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "--config",
            str(config),
            "run",
            cwd=ROOT,
            env={**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


async def run(kills: int, owners: int, reports: int, seed: int = 5) -> dict[str, Any]:
    """Report under ``kills`` SIGKILLs; the verdict as a dictionary (see ``_verdict``)."""
    rng = random.Random(seed)
    world = CrashWorld()
    district_world(owners, world)
    async with StandinServer(world, TOKEN) as server:
        with tempfile.TemporaryDirectory(prefix="griddesk-crash-") as tmp:
            config = _config(tmp, server.base_url)
            log = Path(tmp) / "bot.log"
            database = Path(tmp) / "bench.db"
            done: list[int] = []
            load: asyncio.Future[Any] = asyncio.ensure_future(
                asyncio.gather(
                    *(
                        _owner(world, FIRST_OWNER + i, reports, kills + 3, done)
                        for i in range(owners)
                    )
                )
            )
            process = await _start(config, log)
            try:
                while len(world.kills) < kills:
                    world.arm(process, rng.randint(*KILL_AFTER), rng.random() < 0.5)
                    killed: asyncio.Future[Any] = asyncio.ensure_future(world.killed.wait())
                    await asyncio.wait({load, killed}, return_when=asyncio.FIRST_COMPLETED)
                    if not killed.done():
                        killed.cancel()
                        break
                    await process.wait()
                    world.restarts.append(len(world.calls))
                    process = await _start(config, log)
                world.process = None
                await asyncio.wait_for(load, TIMEOUT * owners * reports)
                await _drained(world, database)
                process.send_signal(signal.SIGINT)
                await asyncio.wait_for(process.wait(), TIMEOUT)
            finally:
                load.cancel()
                if process.returncode is None:
                    process.kill()  # the run failed: leave no bot behind
                    await process.wait()
            return _verdict(world, database, owners * reports, len(done))


def _pending(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(
            conn.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
        )


async def _drained(world: CrashWorld, database: Path) -> None:
    """Return once nothing waits in the outbox, re-checking whenever the bot makes a request."""
    while True:
        world.activity.clear()
        if _pending(database) == 0:
            return
        await asyncio.wait_for(world.activity.wait(), TIMEOUT)


def _inbox_left(database: Path) -> int:
    """Updates still kept after the last, orderly stop (each was handled, so: none)."""
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM inbox").fetchone()[0])


def _verdict(world: CrashWorld, database: Path, planned: int, finished: int) -> dict[str, Any]:
    receipts = {
        int(m.group(1))
        for message in world.sent_to(GROUP)
        if (m := re.search(r"已受理 #(\d+)", message.content or ""))
    }
    cards = _card_sends(world)
    with sqlite3.connect(database) as conn:
        tickets = {row[0] for row in conn.execute("SELECT id FROM tickets")}
    return {
        "kills": len(world.kills),
        "kills_after_apply": sum(kill.after_apply for kill in world.kills),
        "killed_on": dict(Counter(kill.method for kill in world.kills)),
        "reports_planned": planned,
        "reports_finished": finished,
        "acknowledged": len(receipts),
        "tickets": len(tickets),
        "acknowledged_without_ticket": sorted(receipts - tickets),
        "tickets_without_card": sorted(tickets - set(cards)),
        "cards_sent_twice": sorted(n for n, sends in cards.items() if len(sends) > 1),
        "cards_twice_unexplained": sorted(
            n for n, sends in cards.items() if not _restarted_between(sends, world.restarts)
        ),
        "outbox_pending": _pending(database),
        "inbox_left": _inbox_left(database),
        "integrity_check": integrity_check(database),
    }


def _card_sends(world: CrashWorld) -> dict[int, list[int]]:
    """For each ticket, where in ``world.calls`` each copy of its card was sent."""
    sends: dict[int, list[int]] = {}
    for index, call in enumerate(world.calls):
        if call.ok and call.method == "sendMessage" and call.params.get("chat_id") in SQUAD_CHATS:
            text = re.sub(r"<[^>]+>", "", str(call.params.get("text", "")))
            if m := re.match(r"🆕 #(\d+)", text):
                sends.setdefault(int(m.group(1)), []).append(index)
    return sends


def _restarted_between(sends: list[int], restarts: list[int]) -> bool:
    """Whether each copy after the first came from a later process than the one before it.

    A process sends a card once; it can only be sent again by the next process, when the
    killed one had it carried out by Telegram but died before recording that.
    """
    return all(
        any(first < restart <= second for restart in restarts)
        for first, second in itertools.pairwise(sends)
    )


def passed(result: Mapping[str, Any]) -> bool:
    """Nothing acknowledged lost, no ticket without its card, no unexplained duplicate."""
    return (
        not result["acknowledged_without_ticket"]
        and not result["tickets_without_card"]
        and not result["cards_twice_unexplained"]
        and result["outbox_pending"] == 0
        and result["inbox_left"] == 0
        and result["integrity_check"] == "ok"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--owners", type=int, default=6)
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    result = asyncio.run(run(args.kills, args.owners, args.reports, args.seed))
    print(json.dumps(result, indent=2))
    sys.exit(0 if passed(result) else 1)


if __name__ == "__main__":
    main()

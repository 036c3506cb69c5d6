"""A busy day (issue 11): delivery under Telegram's flood limits, measured from outside.

    python -m bench.busy [--owners 40] [--overdue 20000] [--smoke] > busy.json

Every part runs the Bot API stand-in over HTTP with its flood limits on and the bot as its
own process (``python -m bot.cli run``, rate limits on, as a deployment runs it), and plays
shop owners against it:

- burst: ``--owners`` shop owners in two grid groups, all at once, each a whole report
  (/report, location, category, Skip); the time until the last card reached a squad chat,
  against the floor the limits allow (``floor_seconds``), and the 429s the stand-in answered.
  Run four times side by side: the outbox's lanes and PTB's AIORateLimiter
  (``telegram.pacing``), each against the strict and the lenient reading of the limits.
- quiet: one grid group saturated, a shop owner in the other one reports; each of their steps
  and their card.
- held: one grid group's answers held (``world.hold``); owners in the other group report.
- catch_up: a database of open tickets whose deadlines are long past; the bot is started, a
  /report is sent at once: its prompt, and the messages each squad chat got in the first
  minute.

The JSON goes to stdout, a Markdown table to stderr. Benchmarks measure; they never fail
because a machine is slow.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import restart
from bench.busy_figures import floor_seconds, percentiles, table
from bench.busy_world import (
    GROUP_B,
    STEP_TIMEOUT,
    BusyWorld,
    busy_world,
    owners_of,
    whole_report,
)
from bench.intake import FIRST_OWNER, GRIDDESK, GROUP, SQUAD_CHATS, _in_process
from standin import FloodLimits


@dataclass(frozen=True)
class Sizes:
    """How big each part is; the defaults are the sizes issue 11 names."""

    owners: int = 40  # the burst, split over the two grid groups
    busy_owners: int = 20  # the saturated group in the quiet part: a minute's budget
    quiet_reports: int = 4  # 4 messages each: 16 of the quiet group's 20 a minute
    hold_seconds: float = 20.0
    held_owners: int = 4  # reporting in the other group while one is held
    overdue: int = 20_000
    catch_up_window: float = 60.0


SMOKE = Sizes(
    owners=2,
    busy_owners=2,
    quiet_reports=1,
    hold_seconds=1.0,
    held_owners=1,
    overdue=50,
    catch_up_window=1.0,
)


async def burst(owners: int, pacing: str, lenient: bool) -> dict[str, Any]:
    """``owners`` shop owners in the two grid groups at once, each a whole report."""
    per_group = {GROUP: owners - owners // 2, GROUP_B: owners // 2}
    limits = FloodLimits(group_refills=lenient)
    world = busy_world(per_group, limits)

    async def body() -> dict[str, Any]:
        started = time.perf_counter()
        steps = await asyncio.gather(
            *(
                whole_report(world, owner, group)
                for group in per_group
                for owner in owners_of(per_group, group)
            )
        )
        last_card = max(s.card_at for s in steps)
        last_receipt = max(s.receipt_at for s in steps)
        elapsed = last_card - started
        # The last card needs every prompt, panel and details prompt before it (receipts
        # are not: they follow the Skip, as the card does); everything else was sent.
        before = [s for s in world.sends if s[0] <= last_card]
        floor = floor_seconds(before, limits, frozenset({"pin", "receipt"}))
        everything = floor_seconds(world.sends, limits, frozenset({"pin"}))
        return {
            "pacing": pacing,
            "limits": "lenient" if lenient else "strict",
            "owners": owners,
            "last_card_seconds": round(elapsed, 1),
            **floor,
            "ratio_to_floor": round(elapsed / floor["floor_seconds"], 2)
            if floor["floor_seconds"]
            else None,
            "last_receipt_seconds": round(last_receipt - started, 1),
            "floor_with_receipts_seconds": everything["floor_seconds"],
            "report_to_prompt": percentiles([s.prompt for s in steps]),
            "location_to_panel": percentiles([s.panel for s in steps]),
            "skip_to_card": percentiles([s.card for s in steps]),
            "whole_run_messages": {
                str(chat): dict(
                    sorted(Counter(k for _, to, k in world.sends if to == chat).items())
                )
                for chat in sorted({to for _, to, _ in world.sends})
            },
            **limits.stats(),
        }

    result: dict[str, Any] = await _in_process(
        world, GRIDDESK, body, telegram={"rate_limiter": True, "pacing": pacing}
    )
    return result


async def quiet(sizes: Sizes) -> dict[str, Any]:
    """A quiet grid group's steps and cards while the other grid group is saturated."""
    per_group = {GROUP: sizes.busy_owners, GROUP_B: 1}
    world = busy_world(per_group, FloodLimits())

    async def body() -> dict[str, Any]:
        # Every owner of the busy group starts at once: their prompts spend its minute's
        # budget, and each then waits for a panel the group's lane cannot send yet.
        busy = [
            asyncio.ensure_future(whole_report(world, owner, GROUP))
            for owner in owners_of(per_group, GROUP)
        ]
        await _until(lambda: _sent_to(world, GROUP) >= min(20, sizes.busy_owners))
        try:
            (owner,) = owners_of(per_group, GROUP_B)
            steps = [await whole_report(world, owner, GROUP_B) for _ in range(sizes.quiet_reports)]
            waiting = sum(not task.done() for task in busy)
        finally:
            for task in busy:
                task.cancel()
        return {
            "busy_group_owners_waiting": waiting,
            "busy_group_messages": _sent_to(world, GROUP),
            "quiet_steps": percentiles([x for s in steps for x in s.step_latencies()]),
            "quiet_cards": percentiles([s.card for s in steps]),
            **world.limits.stats(),  # type: ignore[union-attr]
        }

    result: dict[str, Any] = await _in_process(world, GRIDDESK, body, telegram=_DEPLOYED)
    return result


async def held(sizes: Sizes) -> dict[str, Any]:
    """Every other chat's steps while one grid group's answers are held."""
    per_group = {GROUP: 2, GROUP_B: sizes.held_owners}
    world = busy_world(per_group, FloodLimits())

    async def body() -> dict[str, Any]:
        hold = world.hold(GROUP, seconds=sizes.hold_seconds)
        stuck = [
            asyncio.ensure_future(whole_report(world, owner, GROUP))
            for owner in owners_of(per_group, GROUP)
        ]
        await asyncio.wait_for(hold.until_held(1), STEP_TIMEOUT)
        held_from = time.perf_counter()
        # The other group's owners report one after another through the hold.
        gap = sizes.hold_seconds * 0.8 / sizes.held_owners
        steps = []
        try:
            for owner in owners_of(per_group, GROUP_B):
                started = time.perf_counter()
                steps.append(await whole_report(world, owner, GROUP_B))
                await asyncio.sleep(max(0.0, gap - (time.perf_counter() - started)))
            during = time.perf_counter() - held_from
            answers_held = hold.held
        finally:
            hold.release()
            for task in stuck:
                task.cancel()
        return {
            "hold_seconds": sizes.hold_seconds,
            "answers_held": answers_held,
            "measured_during_seconds": round(during, 1),
            "other_chat_steps": percentiles([x for s in steps for x in s.step_latencies()]),
            **world.limits.stats(),  # type: ignore[union-attr]
        }

    result: dict[str, Any] = await _in_process(world, GRIDDESK, body, telegram=_DEPLOYED)
    return result


async def catch_up(sizes: Sizes) -> dict[str, Any]:
    """A restart with ``sizes.overdue`` open tickets long overdue, and a /report at once.

    The /report is written as the bot process starts (Telegram keeps it until the bot
    polls). Squad messages are counted from the start until ``catch_up_window`` after the
    first getUpdates: a bot that blocks before polling does not get a quiet minute for it.
    """
    per_group = {GROUP: 1}
    world = busy_world(per_group, FloodLimits())
    started: dict[str, Any] = {}

    def prepare(tmp: str) -> None:
        began = time.perf_counter()
        database = Path(tmp) / "bench.db"
        restart.build(database, sizes.overdue)
        _home_groups(database)
        started["build_seconds"] = time.perf_counter() - began
        command = world.user_sends(GROUP, FIRST_OWNER, text="/report")
        assert command is not None
        started["prompt"] = world.expect("reply", GROUP, command["message"]["message_id"])
        started["sent"] = time.perf_counter()  # the bot process starts right after

    async def body() -> dict[str, Any]:
        assert world.first_poll is not None
        first_poll = world.first_poll
        await asyncio.wait_for(started["prompt"], STEP_TIMEOUT)
        prompted = time.perf_counter()
        await asyncio.sleep(max(0.0, first_poll + sizes.catch_up_window - time.perf_counter()))
        squads = Counter(
            chat
            for at, chat, _ in world.sends
            if chat in SQUAD_CHATS and at <= first_poll + sizes.catch_up_window
        )
        return {
            "overdue_tickets": sizes.overdue,
            "build_seconds": round(started["build_seconds"], 1),
            "start_to_first_poll_seconds": round(first_poll - started["sent"], 2),
            "first_poll_to_prompt_seconds": round(prompted - first_poll, 2),
            "report_to_prompt_seconds": round(prompted - started["sent"], 2),
            "window_seconds": sizes.catch_up_window,
            "squad_messages_in_window": {str(chat): squads[chat] for chat in sorted(SQUAD_CHATS)},
            "max_squad_messages_in_window": max(squads.values(), default=0),
            **world.limits.stats(),  # type: ignore[union-attr]
        }

    result: dict[str, Any] = await _in_process(
        world, GRIDDESK, body, prepare=prepare, telegram=_DEPLOYED, start_timeout=STEP_TIMEOUT
    )
    return result


def _home_groups(database: Path) -> None:
    """Give the seeded tickets the grid group that serves their grid (bench.restart leaves a
    placeholder), so their notices queue for real groups, as in a district's database."""
    with sqlite3.connect(database) as conn:
        conn.execute(
            "UPDATE tickets SET group_chat_id ="
            " CASE WHEN grid_id = 'xinpu-north' THEN ? ELSE ? END",
            (GROUP_B, GROUP),
        )


_DEPLOYED = {"rate_limiter": True, "pacing": "outbox"}


def _sent_to(world: BusyWorld, chat: int) -> int:
    return sum(1 for _, to, _ in world.sends if to == chat)


async def _until(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


VARIANTS = [("outbox", False), ("ptb", False), ("outbox", True), ("ptb", True)]


async def run(sizes: Sizes, all_at_once: bool = False) -> dict[str, Any]:
    """Every part; the four bursts side by side (they mostly wait out the limits), the rest
    one after another, so their latencies share the machine with nothing of ours; or, with
    ``all_at_once`` (the smoke run: it only checks that everything runs), all together."""
    bursts = [burst(sizes.owners, p, lenient) for p, lenient in VARIANTS]
    if all_at_once:
        *done, quiet_done, held_done, catch_up_done = await asyncio.gather(
            *bursts, quiet(sizes), held(sizes), catch_up(sizes)
        )
    else:
        done = await asyncio.gather(*bursts)
        quiet_done, held_done, catch_up_done = (
            await quiet(sizes),
            await held(sizes),
            await catch_up(sizes),
        )
    return {
        "sizes": asdict(sizes),
        "burst": done,
        "quiet": quiet_done,
        "held": held_done,
        "catch_up": catch_up_done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument("--owners", type=int, help=f"burst size (default {Sizes.owners})")
    parser.add_argument("--overdue", type=int, help=f"overdue tickets ({Sizes.overdue})")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else Sizes()
    if args.owners is not None:
        sizes = Sizes(**{**asdict(sizes), "owners": args.owners})
    if args.overdue is not None:
        sizes = Sizes(**{**asdict(sizes), "overdue": args.overdue})
    results = asyncio.run(run(sizes, all_at_once=args.smoke))
    print(json.dumps(results, indent=2, ensure_ascii=False))
    print(table(results), file=sys.stderr)


if __name__ == "__main__":
    main()

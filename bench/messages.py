"""Messages one ticket costs, from report to confirmed: per step, per chat, per kind.

Runs the real Application in-process against the stand-in (no timing involved), plays one
ticket through report, claim, on site, resolve and confirm, and counts the Bot API requests
of each step: new messages, edits and callback answers, in the grid group and elsewhere.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bot.core.config import Database, DigestSettings, load_settings
from standin import World
from tests.clock import FakeClock
from tests.harness import LI_MING, MARKET_GROUP, WANG, Harness, populate, start_harness

CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"
os.environ.setdefault("PTB_TIMEDELTA", "1")  # as in the tests: no deprecation noise from PTB
NEW = {"sendMessage", "sendPhoto", "sendLocation", "sendVenue", "sendDocument"}
EDITS = {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}


def _kind(method: str) -> str | None:
    if method in NEW:
        return "new"
    if method in EDITS:
        return "edit"
    if method == "answerCallbackQuery":
        return "answer"
    return None


async def _count(harness: Harness, step: str, counts: dict[str, Counter[str]], action: Any) -> None:
    before = len(harness.world.calls)
    await action()
    for call in harness.world.calls[before:]:
        kind = _kind(call.method)
        if kind is None or not call.ok:
            continue
        chat = "grid group" if str(call.params.get("chat_id")) == str(MARKET_GROUP) else "other"
        if kind == "answer":
            chat = "button toast"
        counts[step][f"{chat}: {kind}"] += 1


async def measure() -> dict[str, Any]:
    clock = FakeClock()
    world = World(clock=lambda: clock.now().timestamp())
    populate(world)
    with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as tmp:
        settings = load_settings(CONFIG).model_copy(
            update={
                "database": Database(path=str(Path(tmp) / "m.db")),
                "digest": DigestSettings(time="23:59"),  # no digest inside the count
            }
        )
        harness = await start_harness(world, settings, clock)
        counts: dict[str, Counter[str]] = {}
        steps = ["report", "claim", "on site", "resolve", "confirm"]
        for step in steps:
            counts[step] = Counter()
        ticket: dict[str, int] = {}

        async def report() -> None:
            made = await harness.report_in_group(MARKET_GROUP, WANG, details={"text": "占道"})
            ticket["id"] = made.id

        async def claim() -> None:
            await harness.press_on_card(ticket["id"], LI_MING, f"v1:claim:{ticket['id']}")

        async def arrive() -> None:
            await harness.press_on_card(ticket["id"], LI_MING, f"v1:arrive:{ticket['id']}")

        async def resolve() -> None:
            n = ticket["id"]
            await harness.press_on_card(n, LI_MING, f"v1:resolve:{n}")
            prompt = await harness.message_of((await harness.ticket(n)).resolve_prompt_outbox_id)
            for data in (f"v1:rcls:{n}:service", f"v1:ract:{n}:persuaded", f"v1:rskip:{n}"):
                await harness.press(prompt.chat_id, prompt.message_id, LI_MING, data)

        async def confirm() -> None:
            n = ticket["id"]
            result = await harness.message_of((await harness.ticket(n)).resolution_outbox_id)
            await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:ok:{n}")

        for step, action in zip(steps, (report, claim, arrive, resolve, confirm), strict=True):
            await _count(harness, step, counts, action)
        await harness.stop()
    group_new = sum(c["grid group: new"] for c in counts.values())
    return {
        "per_step": {step: dict(sorted(c.items())) for step, c in counts.items()},
        "grid_group_new_messages": group_new,
        "grid_group_edits": sum(c["grid group: edit"] for c in counts.values()),
        "other_new_messages": sum(c["other: new"] for c in counts.values()),
        "target_grid_group_new": 4,
    }


def run() -> dict[str, Any]:
    return asyncio.run(measure())


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, ensure_ascii=False))

"""Telegram misbehaving at 15%: 429s, 5xx, dropped connections, vanished messages.

Every card, pin and receipt still reaches its chat exactly once. The CI run plays a few
hundred reports; `GRIDDESK_SOAK_REPORTS=5000 python -m pytest tests/test_faults.py` is the
long run reported in RELIABILITY.md.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bot.standin import Fault, World
from storage.schema import outbox
from tests.harness import IN_WEST, MARKET_GROUP, WANG, Harness

REPORTS = int(os.environ.get("GRIDDESK_SOAK_REPORTS", "150"))
RATE = 0.15
SPARED = {"getMe", "getUpdates", "setMyCommands", "getChatMember", "deleteWebhook"}


@dataclass
class RandomFaults:
    """Fails a share of the bot's requests, the way Telegram and networks do."""

    world: World
    rate: float
    rng: random.Random = field(default_factory=lambda: random.Random(20261122))
    injected: Counter[str] = field(default_factory=Counter)

    def __call__(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method in SPARED or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(("429", "500", "502", "dropped", "gone"))
        if kind == "gone":
            if not method.startswith("edit"):
                kind = "500"
            else:
                # Someone deleted the message the bot is about to edit.
                target = self.world.message(int(params["chat_id"]), int(params["message_id"]))
                target.deleted = True
                self.injected["message to edit not found"] += 1
                return None
        self.injected[kind] += 1
        return {
            "429": Fault.rate_limited(3),
            "500": Fault.server_error(),
            "502": Fault.bad_gateway(),
            "dropped": Fault.dropped(),
        }[kind]


async def drain(harness: Harness) -> None:
    """Send everything, letting time pass for retries, until nothing waits in the outbox."""
    for _ in range(60):
        await harness.settle()
        async with harness.services.db.transaction() as conn:
            waiting = (
                await conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
                )
            ).scalar()
        if not waiting:
            return
        harness.clock.advance(seconds=30)
    raise AssertionError("the outbox did not drain")


async def one_report(harness: Harness, n: int) -> None:
    await harness.say(MARKET_GROUP, WANG, text="/report")
    await drain(harness)
    await harness.say(
        MARKET_GROUP, WANG, location=IN_WEST, reply_to=harness.bot_last(MARKET_GROUP).message_id
    )
    await drain(harness)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[n % 6])
    await drain(harness)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, WANG, text=f"第{n}次", reply_to=panel.message_id)
    await drain(harness)
    harness.clock.advance(minutes=20)  # under the per-person limit; shifts change meanwhile


async def test_every_notice_arrives_once_despite_faults(harness: Harness) -> None:
    """At 15% failed requests, each ticket has one card, one pin and one receipt."""
    faults = RandomFaults(harness.world, RATE)
    harness.world.faults = faults
    for n in range(REPORTS):
        await one_report(harness, n)
    assert REPORTS == await harness.ticket_count()
    assert sum(faults.injected.values()) > REPORTS  # the faults really happened
    cards: Counter[int] = Counter()
    pins = 0
    squad_chats = harness.services.directory.squad_chats
    for message in (m for chat in squad_chats for m in harness.world.sent_to(chat)):
        match = re.match(r"🆕 #(\d+)", message.content or "")
        if match:
            cards[int(match.group(1))] += 1
        pins += message.location is not None
    receipts = Counter(
        int(m.group(1))
        for message in harness.world.sent_to(MARKET_GROUP)
        if (m := re.search(r"已受理 #(\d+)", message.content or ""))
    )
    tickets = range(1001, 1001 + REPORTS)
    assert {n: 1 for n in tickets} == dict(cards)
    assert {n: 1 for n in tickets} == dict(receipts)
    assert REPORTS == pins
    async with harness.services.db.transaction() as conn:
        statuses = dict(
            (
                await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
            ).all()
        )
    assert 0 == statuses.get("pending", 0) + statuses.get("failed", 0)

"""Telegram misbehaving at 15%: 429s, 5xx, dropped connections, vanished messages.

When every failure happens before Telegram applies the request, every card, pin and receipt
reaches its chat exactly once. When some happen after (Telegram sent the message, the answer
was lost), the outbox sends again and a message can appear twice: nothing is lost, and each
duplicate is explained by such a fault on that very request. The CI runs play 150 reports
each; `GRIDDESK_SOAK_REPORTS=5000 python -m pytest tests/test_faults.py` is the long run
reported in RELIABILITY.md.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.i18n import t
from bot.tickets.cards import ticket_number
from standin import Call, ChatMessage, Fault, FaultPlan, World
from storage.schema import outbox
from tests.harness import (
    IN_WEST,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    XINPU_SQUAD,
    ZHAO_GANG,
    Harness,
)

REPORTS = int(os.environ.get("GRIDDESK_SOAK_REPORTS", "150"))
RATE = 0.15
SPARED = {"getMe", "getUpdates", "setMyCommands", "getChatMember", "deleteWebhook"}
BEFORE_APPLY = ("429", "500", "502", "dropped", "gone")
# Telegram carried the request out, then the answer was lost or replaced by an error.
AFTER_APPLY = ("500 after", "502 after", "dropped after")


@dataclass
class RandomFaults:
    """Fails a share of the bot's requests, the way Telegram and networks do."""

    world: World
    rate: float
    kinds: tuple[str, ...] = BEFORE_APPLY
    rng: random.Random = field(default_factory=lambda: random.Random(20261122))
    injected: Counter[str] = field(default_factory=Counter)

    def __call__(self, method: str, params: dict[str, Any]) -> Fault | None:
        if method in SPARED or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(self.kinds)
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
            "500 after": Fault.server_error(after_apply=True),
            "502 after": Fault.bad_gateway(after_apply=True),
            "dropped after": Fault.dropped(after_apply=True),
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


def _ticket_number(text: str) -> int | None:
    match = re.match(r"🆕 #(\d+)", re.sub(r"<[^>]+>", "", text))
    return int(match.group(1)) if match else None


def _is_card(params: Mapping[str, Any]) -> bool:
    return str(params.get("text", "")).startswith("🆕")


def _receipt_number(text: str) -> int | None:
    match = re.search(r"已受理 #(\d+)", re.sub(r"<[^>]+>", "", text))
    return int(match.group(1)) if match else None


@dataclass
class Delivered:
    """What reached the chats: cards per ticket, pins, receipts per ticket."""

    cards: dict[int, list[ChatMessage]]
    pins: int
    receipts: Counter[int]


def delivered(harness: Harness) -> Delivered:
    cards: dict[int, list[ChatMessage]] = {}
    pins = 0
    for chat in harness.services.directory.squad_chats:
        for message in harness.world.sent_to(chat):
            number = _ticket_number(message.content or "")
            if number is not None:
                cards.setdefault(number, []).append(message)
            pins += message.location is not None
    receipts = Counter(
        int(m.group(1))
        for message in harness.world.sent_to(MARKET_GROUP)
        if (m := re.search(r"已受理 #(\d+)", message.content or ""))
    )
    return Delivered(cards, pins, receipts)


async def outbox_statuses(harness: Harness) -> dict[str, int]:
    async with harness.services.db.transaction() as conn:
        rows = await conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
        return {status: count for status, count in rows.all()}


def applied_then_failed(world: World) -> list[Call]:
    """Requests Telegram carried out whose answer the bot never got."""
    return [call for call in world.calls if call.ok and call.fault and call.fault.after_apply]


async def test_every_notice_arrives_once_despite_faults(harness: Harness) -> None:
    """At 15% failed requests, each ticket has one card, one pin and one receipt."""
    faults = RandomFaults(harness.world, RATE)
    harness.world.faults = faults
    for n in range(REPORTS):
        await one_report(harness, n)
    assert REPORTS == await harness.ticket_count()
    assert sum(faults.injected.values()) > REPORTS  # the faults really happened
    seen = delivered(harness)
    tickets = range(1001, 1001 + REPORTS)
    assert {n: 1 for n in tickets} == {n: len(cards) for n, cards in seen.cards.items()}
    assert {n: 1 for n in tickets} == dict(seen.receipts)
    assert REPORTS == seen.pins
    statuses = await outbox_statuses(harness)
    assert 0 == statuses.get("pending", 0) + statuses.get("failed", 0)


@pytest.mark.slow
async def test_lost_answers_double_only_the_request_they_hit(harness: Harness) -> None:
    """With failures after Telegram applied the request too, nothing is lost, and every
    duplicate card or pin is one more than the outbox sent because such a fault hit it."""
    faults = RandomFaults(harness.world, RATE, BEFORE_APPLY + AFTER_APPLY)
    harness.world.faults = faults
    for n in range(REPORTS):
        await one_report(harness, n)
    assert REPORTS == await harness.ticket_count()
    lost_answers = applied_then_failed(harness.world)
    seen = delivered(harness)
    tickets = range(1001, 1001 + REPORTS)

    assert set(tickets) == set(seen.cards) == set(seen.receipts)  # nothing lost
    sends = [str(call.params["text"]) for call in lost_answers if call.method == "sendMessage"]
    card_hits = Counter(_ticket_number(text) for text in sends)
    receipt_hits = Counter(_receipt_number(text) for text in sends)
    extra_cards = {n: len(cards) - 1 for n, cards in seen.cards.items() if len(cards) > 1}
    extra_receipts = {n: count - 1 for n, count in seen.receipts.items() if count > 1}
    # A receipt is an edit of the report's panel; it doubles only when the panel was gone
    # and the receipt was sent as a new message (and that send's answer was lost).
    assert [] == [n for n, extra in extra_cards.items() if extra > card_hits[n]]
    assert [] == [n for n, extra in extra_receipts.items() if extra > receipt_hits[n]]
    lost_pins = sum(call.method == "sendLocation" for call in lost_answers)
    assert REPORTS <= seen.pins <= REPORTS + lost_pins
    assert extra_cards, "no card was doubled: the seed no longer exercises duplicates"
    statuses = await outbox_statuses(harness)
    assert 0 == statuses.get("pending", 0) + statuses.get("failed", 0)


async def test_claim_on_the_stale_copy_of_a_doubled_card_acts_once(harness: Harness) -> None:
    """A card sent twice (its answer lost): Claim on the copy the bot does not know claims the
    ticket once, and Claim on the current copy then says who has it."""
    harness.world.faults = FaultPlan().fail(
        "sendMessage", Fault.dropped(after_apply=True), when=_is_card
    )
    ticket_id = (await harness.report_in_group(MARKET_GROUP, WANG)).id
    await drain(harness)
    current = await harness.card(ticket_id)
    copies = [
        m
        for m in harness.world.sent_to(current.chat_id)
        if _ticket_number(m.content or "") == ticket_id
    ]
    stale = next(copy for copy in copies if copy.message_id != current.message_id)
    officer = {MINZHU_SQUAD: LI_MING, XINPU_SQUAD: ZHAO_GANG}[current.chat_id]
    claim = f"v1:claim:{ticket_id}"

    first = await harness.press(stale.chat_id, stale.message_id, officer, claim)
    again = await harness.press(current.chat_id, current.message_id, officer, claim)

    assert 2 == len(copies)
    ticket = await harness.ticket(ticket_id)
    assert ("claimed", officer) == (ticket.status, ticket.claimed_by)
    assert 1 == sum(event.kind == "claimed" for event in await harness.events(ticket_id))
    name = harness.world.user(officer).first_name
    assert (
        t("zh", "workflow.claimed_toast", number=ticket_number(ticket_id)),
        t("zh", "workflow.already_claimed", name=name),
    ) == (harness.answer_to(first).get("text"), harness.answer_to(again).get("text"))

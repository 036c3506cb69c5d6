"""The outbox sender: order, retries, replies and edits, all from the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.core import notices
from bot.core.config import Database as DatabaseSettings
from bot.core.config import Outbox as OutboxSettings
from bot.delivery.outbox import Delivered, Delivery, Outbox, Rejected, RetryLater, TargetGone
from storage import outbox as rows
from storage.database import Database
from storage.outbox import OutboxItem
from tests import backends
from tests.clock import FakeClock


@dataclass
class ScriptedTransport:
    """Answers each delivery from a script (default: delivered), recording what was sent."""

    script: list[Delivery] = field(default_factory=list)
    sent: list[tuple[int, str, int | None, int | None]] = field(default_factory=list)
    next_message_id: int = 100

    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        self.sent.append((item.id, item.kind, reply_to_message_id, target_message_id))
        if self.script:
            return self.script.pop(0)
        self.next_message_id += 1
        return Delivered(self.next_message_id)


@pytest.fixture(name="clock")
def fixture_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="outbox")
async def fixture_outbox(database: DatabaseSettings, clock: FakeClock) -> AsyncIterator[Outbox]:
    db = Database(backends.target(database))
    await db.open()
    box = Outbox(db, clock, OutboxSettings(retry_base="2s", retry_max="1m", max_attempts=3))
    box.transport = ScriptedTransport()
    yield box
    await db.close()


def transport(outbox: Outbox) -> ScriptedTransport:
    assert isinstance(outbox.transport, ScriptedTransport)
    return outbox.transport


async def status(outbox: Outbox, item_id: int) -> OutboxItem:
    async with outbox.db.transaction() as conn:
        item = await rows.get_item(conn, item_id)
    assert item is not None
    return item


async def test_reply_waits_for_its_parent_and_uses_its_message_id(outbox: Outbox) -> None:
    """A reply is sent after the message it answers, quoting that message's id."""
    pin = await outbox.send(
        notices.Notice(-1, "location", "card_pin", {"latitude": 1, "longitude": 2})
    )
    card = await outbox.send(notices.text(-1, "card", "card", reply_to_outbox_id=pin))
    assert 2 == await outbox.flush()
    assert [(pin, "location", None, None), (card, "text", 101, None)] == transport(outbox).sent


async def test_retry_after_is_honoured_and_order_kept(outbox: Outbox, clock: FakeClock) -> None:
    """Flood control delays the chat's queue by retry_after; nothing is sent out of order."""
    transport(outbox).script = [RetryLater("flood", 30)]
    first = await outbox.send(notices.text(-1, "one", "x"))
    second = await outbox.send(notices.text(-1, "two", "x"))
    assert 0 == await outbox.flush()
    clock.advance(seconds=29)
    assert 0 == await outbox.flush()
    clock.advance(seconds=1)
    assert 2 == await outbox.flush()
    assert [first, first, second] == [sent[0] for sent in transport(outbox).sent]
    assert rows.SENT == (await status(outbox, second)).status


async def test_gives_up_after_max_attempts(outbox: Outbox, clock: FakeClock) -> None:
    """An item failing every time is marked failed after max_attempts, not retried forever."""
    transport(outbox).script = [RetryLater("down")] * 3
    item = await outbox.send(notices.text(-1, "x", "x"))
    for _ in range(3):
        await outbox.flush()
        clock.advance(minutes=5)
    assert (rows.FAILED, 3) == (
        (await status(outbox, item)).status,
        (await status(outbox, item)).attempts,
    )


async def test_rejected_item_does_not_block_the_chat(outbox: Outbox) -> None:
    """A request Telegram refuses for good is marked failed; the next item goes out."""
    transport(outbox).script = [Rejected("Bad Request: chat not found")]
    bad = await outbox.send(notices.text(-1, "x", "x"))
    good = await outbox.send(notices.text(-1, "y", "x"))
    assert 2 == await outbox.flush()
    assert rows.FAILED == (await status(outbox, bad)).status
    assert rows.SENT == (await status(outbox, good)).status


async def test_edit_of_vanished_message_reposts_it(outbox: Outbox) -> None:
    """When the card to edit was deleted, the new content is posted and later edits aim at it."""
    card = await outbox.send(notices.text(-1, "card v1", "card"))
    await outbox.flush()
    transport(outbox).script = [TargetGone("message to edit not found")]
    await outbox.send(notices.edit(card, -1, "card v2", "card", caption=False))
    await outbox.flush()
    reposted = transport(outbox).sent[-1]
    assert ("text", None, None) == reposted[1:]
    await outbox.send(notices.edit(card, -1, "card v3", "card", caption=False))
    await outbox.flush()
    assert ("edit_text", None, 102) == transport(outbox).sent[-1][1:]


async def test_newer_edit_supersedes_unsent_one(outbox: Outbox) -> None:
    """Two edits of one message waiting together cost one request: the newer one."""
    card = await outbox.send(notices.text(-1, "card", "card"))
    await outbox.flush()
    older = await outbox.send(notices.edit(card, -1, "v2", "card", caption=False))
    newer = await outbox.send(notices.edit(card, -1, "v3", "card", caption=False))
    await outbox.flush()
    assert rows.SUPERSEDED == (await status(outbox, older)).status
    assert [newer] == [s[0] for s in transport(outbox).sent if s[1] == "edit_text"]


async def test_pending_items_survive_a_restart(
    database: DatabaseSettings, clock: FakeClock
) -> None:
    """Written but unsent notices are sent by the next process that opens the database."""
    settings = OutboxSettings()
    db = Database(backends.target(database))
    await db.open()
    await Outbox(db, clock, settings).send(notices.text(-1, "before crash", "x"))
    await db.close()
    db2 = Database(backends.target(database))
    await db2.open()
    box = Outbox(db2, clock, settings)
    box.transport = ScriptedTransport()
    assert 1 == await box.flush()
    await db2.close()

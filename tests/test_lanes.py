"""Delivery lanes: each chat waits alone, the person's next step goes first, Telegram's limits
are kept from the database's record of what was sent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bot.core import notices
from bot.core.config import Database as DatabaseSettings
from bot.core.config import Outbox as OutboxSettings
from bot.delivery.outbox import Delivered, Delivery, Outbox, RetryLater
from bot.delivery.pacing import Pacer
from standin.limits import FloodLimits
from storage import outbox as rows
from storage.database import Database
from storage.outbox import OutboxItem
from tests import backends
from tests.clock import FakeClock

GROUP, OTHER_GROUP, PRIVATE = -100, -200, 42


@dataclass
class LimitedTelegram:
    """Applies the stand-in's flood limits; a chat in ``hanging`` waits for its event."""

    clock: FakeClock
    limits: FloodLimits = field(default_factory=FloodLimits)
    hanging: dict[int, asyncio.Event] = field(default_factory=dict)
    sent: list[tuple[int, str]] = field(default_factory=list)
    next_message_id: int = 100

    async def deliver(
        self, item: OutboxItem, reply_to_message_id: int | None, target_message_id: int | None
    ) -> Delivery:
        if item.chat_id in self.hanging:
            await self.hanging[item.chat_id].wait()
        now = self.clock.now().timestamp()
        private = item.chat_id > 0
        wait = self.limits.retry_after(item.chat_id, private=private, now=now)
        if wait is not None:
            return RetryLater("flood control", wait)
        self.limits.spend(item.chat_id, private=private, now=now)
        self.sent.append((item.chat_id, item.payload.get("text") or item.kind))
        self.next_message_id += 1
        return Delivered(self.next_message_id)


@dataclass
class Sleeper:
    """A sleep the test controls: it records each wait, then moves the clock on at once
    (``hold`` makes it wait for the test instead)."""

    clock: FakeClock
    waits: list[float] = field(default_factory=list)
    hold: asyncio.Event | None = None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.hold is not None:
            await self.hold.wait()
        self.clock.advance(seconds=seconds)


@pytest.fixture(name="clock")
def fixture_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="db")
async def fixture_db(database: DatabaseSettings) -> AsyncIterator[Database]:
    db = Database(backends.target(database))
    await db.open()
    yield db
    await db.close()


@pytest.fixture(name="sleeper")
def fixture_sleeper(clock: FakeClock) -> Sleeper:
    return Sleeper(clock)


@pytest.fixture(name="telegram")
def fixture_telegram(clock: FakeClock) -> LimitedTelegram:
    return LimitedTelegram(clock)


def paced_outbox(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> Outbox:
    settings = OutboxSettings(retry_base="2s", retry_max="1m", max_attempts=5)
    box = Outbox(db, clock, settings, pacer=Pacer(clock), sleep=sleeper)
    box.transport = telegram
    return box


async def until(condition: object, within: float = 10.0) -> None:
    """Let the event loop run until ``condition()`` holds. No time passes on the bot's clock;
    the wall-clock bound only lets a database server's answers arrive (PostgreSQL)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_a_hanging_chat_does_not_delay_another(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """While one chat's answer hangs, another chat's message is sent."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    telegram.hanging[GROUP] = asyncio.Event()
    await outbox.send(notices.text(GROUP, "stuck", "progress"))
    await outbox.send(notices.text(OTHER_GROUP, "quiet group's prompt", "prompt"))
    flushing = asyncio.create_task(outbox.flush())
    await until(lambda: telegram.sent)
    assert [(OTHER_GROUP, "quiet group's prompt")] == telegram.sent
    telegram.hanging[GROUP].set()
    assert 2 == await flushing
    assert (GROUP, "stuck") == telegram.sent[-1]


async def test_a_chat_out_of_budget_waits_alone(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """A group that spent its 20 messages a minute waits about a minute; another group's
    message goes out meanwhile, and nothing is refused by Telegram."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    sleeper.hold = asyncio.Event()
    for n in range(22):
        await outbox.send(notices.text(GROUP, f"notice {n}", "progress"))
    flushing = asyncio.create_task(outbox.flush())
    await until(lambda: sleeper.waits)
    await outbox.send(notices.text(OTHER_GROUP, "other group", "prompt"))
    second = asyncio.create_task(outbox.flush())
    await until(lambda: (OTHER_GROUP, "other group") in telegram.sent)
    assert 20 == sum(1 for chat, _ in telegram.sent if chat == GROUP)
    assert 60 <= sleeper.waits[0] <= 62
    sleeper.hold.set()
    await asyncio.gather(flushing, second)
    assert 22 == sum(1 for chat, _ in telegram.sent if chat == GROUP)
    assert 0 == telegram.limits.rejected.total()


async def test_limits_are_kept_under_a_burst_to_many_chats(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """Forty messages to each of two groups and five to a private chat: every one is
    delivered and Telegram refuses none."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    for n in range(40):
        await outbox.send(notices.text(GROUP, f"a{n}", "progress"))
        await outbox.send(notices.text(OTHER_GROUP, f"b{n}", "progress"))
    for n in range(5):
        await outbox.send(notices.text(PRIVATE, f"p{n}", "prompt"))
    while await outbox.flush():
        pass
    assert 85 == len(telegram.sent)
    assert 0 == telegram.limits.rejected.total()


async def test_the_persons_next_step_overtakes_reminders(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """Within a chat, a prompt written after a digest and a reminder is sent first."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    await outbox.send(notices.text(GROUP, "digest", "digest"))
    await outbox.send(notices.text(GROUP, "reminder", "squad_notice"))
    await outbox.send(notices.text(GROUP, "card", "card"))
    await outbox.send(notices.text(GROUP, "where is it?", "prompt"))
    await outbox.flush()
    assert ["where is it?", "card", "digest", "reminder"] == [text for _, text in telegram.sent]


async def test_edits_of_an_unsent_message_become_one_request(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """A card edited twice before it was sent goes out once, as it reads now."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    card = await outbox.send(notices.text(GROUP, "card: new", "card"))
    await outbox.send(notices.edit(card, GROUP, "card: claimed", "card", caption=False))
    await outbox.send(notices.edit(card, GROUP, "card: on site", "card", caption=False))
    await outbox.flush()
    assert [(GROUP, "card: on site")] == telegram.sent


async def test_pending_edits_of_a_sent_message_are_coalesced(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """Several edits of a sent message waiting together cost one request, the latest."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    card = await outbox.send(notices.text(GROUP, "card: new", "card"))
    await outbox.flush()
    for state in ("claimed", "on site", "resolved"):
        await outbox.send(notices.edit(card, GROUP, f"card: {state}", "card", caption=False))
    await outbox.flush()
    assert ["card: new", "card: resolved"] == [text for _, text in telegram.sent]


async def test_the_budget_spent_before_a_restart_is_remembered(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """After a restart, a group that got 20 messages in the last minute waits before the
    next: its budget comes from the database, not from the old process's memory."""
    first = paced_outbox(db, clock, sleeper, telegram)
    for n in range(20):
        await first.send(notices.text(GROUP, f"before {n}", "progress"))
    await first.flush()
    assert [] == sleeper.waits
    clock.advance(seconds=10)
    restarted = paced_outbox(db, clock, sleeper, telegram)
    await restarted.send(notices.text(GROUP, "after", "progress"))
    await restarted.flush()
    assert 1 == len(sleeper.waits)
    assert 49 <= sleeper.waits[0] <= 52
    assert 0 == telegram.limits.rejected.total()


async def test_the_map_pin_is_skipped_when_the_squad_chat_is_busy(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """In a quiet chat the card's map pin follows the card; in a busy one it is dropped
    (the card carries a navigation link) and the chat's budget goes to the cards."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    quiet_card = await outbox.send(notices.text(GROUP, "card 1", "card"))
    pin = notices.Notice(GROUP, "location", "card_pin", {"latitude": 1.0, "longitude": 2.0})
    await outbox.send(notices.Notice(**{**pin.__dict__, "reply_to_outbox_id": quiet_card}))
    await outbox.flush()
    assert ["card 1"] == [text for _, text in telegram.sent]  # the pin waits a moment
    clock.advance(seconds=5)
    await outbox.flush()
    assert ["card 1", "location"] == [text for _, text in telegram.sent]
    clock.advance(minutes=2)
    pins = []
    for n in range(2, 12):  # a burst: a card a second, each with its pin
        card = await outbox.send(notices.text(GROUP, f"card {n}", "card"))
        pins.append(
            await outbox.send(notices.Notice(**{**pin.__dict__, "reply_to_outbox_id": card}))
        )
        await outbox.flush()
        clock.advance(seconds=1)
    clock.advance(seconds=5)
    while await outbox.flush():
        pass
    sent = [text for _, text in telegram.sent]
    assert [f"card {n}" for n in range(1, 12)] == [text for text in sent if text != "location"]
    async with db.transaction() as conn:
        skipped = [(await rows.get_item(conn, p)) for p in pins]
    assert all(item is not None and item.status == rows.SUPERSEDED for item in skipped)


async def test_retry_after_keeps_the_chats_order(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """After Telegram's 429, the chat's later messages wait with the refused one, and all go
    out in order once its time has come; another chat is not held up."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    for _ in range(20):  # another process spent the group's minute
        telegram.limits.spend(GROUP, private=False, now=clock.now().timestamp())
    await outbox.send(notices.text(GROUP, "first", "progress"))
    await outbox.send(notices.text(GROUP, "second", "progress"))
    await outbox.send(notices.text(OTHER_GROUP, "elsewhere", "progress"))
    await outbox.flush()
    assert [(OTHER_GROUP, "elsewhere")] == telegram.sent
    clock.advance(seconds=61)
    while await outbox.flush():
        pass
    assert ["elsewhere", "first", "second"] == [text for _, text in telegram.sent]


async def test_a_message_deleted_before_it_was_sent_is_never_sent(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """A prompt replaced before it left costs the chat nothing: neither it nor the delete
    is sent."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    prompt = await outbox.send(notices.text(GROUP, "old prompt", "prompt"))
    await outbox.send(notices.Notice(GROUP, "delete", "prompt", target_outbox_id=prompt))
    await outbox.send(notices.text(GROUP, "new prompt", "prompt"))
    await outbox.flush()
    assert [(GROUP, "new prompt")] == telegram.sent


async def test_the_sender_is_woken_when_the_writing_transaction_commits(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """A notice wakes the sender once its transaction has committed, never before, and a
    transaction rolled back wakes nobody."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await outbox.put(conn, notices.text(GROUP, "never written", "progress"))
            raise RuntimeError("the step failed")
    assert not outbox._wake.is_set()
    async with db.transaction() as conn:
        await outbox.put(conn, notices.text(GROUP, "written", "progress"))
        assert not outbox._wake.is_set()
    assert outbox._wake.is_set()
    await outbox.flush()
    assert [(GROUP, "written")] == telegram.sent


async def test_reminders_leave_half_the_budget_for_what_people_wait_for(
    db: Database, clock: FakeClock, sleeper: Sleeper, telegram: LimitedTelegram
) -> None:
    """With ten messages sent in the last minute, a reminder waits, while a prompt written
    after it goes out at once."""
    outbox = paced_outbox(db, clock, sleeper, telegram)
    for n in range(10):
        await outbox.send(notices.text(GROUP, f"card {n}", "card"))
    await outbox.flush()
    sleeper.hold = asyncio.Event()
    await outbox.send(notices.text(GROUP, "reminder", "squad_notice"))
    flushing = asyncio.create_task(outbox.flush())
    await until(lambda: sleeper.waits)
    await outbox.send(notices.text(GROUP, "where is it?", "prompt"))
    await until(lambda: len(telegram.sent) == 11)
    assert (GROUP, "where is it?") == telegram.sent[-1]
    sleeper.hold.set()
    await flushing
    while await outbox.flush():
        pass
    assert ["where is it?", "reminder"] == [text for _, text in telegram.sent[10:]]
    assert 0 == telegram.limits.rejected.total()

"""Every fetched update is kept until handled: a crash after Telegram's confirmation loses none."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update
from telegram.ext import TypeHandler

from bot.core.config import Settings
from handlers.context import GridContext
from standin import World
from storage import inbox as inbox_rows
from storage import outbox as outbox_rows
from storage import tickets as ticket_rows
from storage.drafts import open_draft
from tests import backends
from tests.clock import FakeClock
from tests.harness import (
    IN_WEST,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    Harness,
    start_harness,
)

# The last handler group: it runs after every real handler has seen the update.
AFTER_ALL = 100


async def kept_ids(harness: Harness) -> list[int]:
    async with harness.services.db.transaction() as conn:
        return [kept.update_id for kept in await inbox_rows.kept(conn)]


def prompts(world: World) -> list[str]:
    return [m.text or "" for m in world.sent_to(MARKET_GROUP) if "📎" in (m.text or "")]


async def start_polling(harness: Harness) -> None:
    await harness.app.start()
    assert harness.app.updater is not None
    # The stand-in's long poll returns as soon as an update is queued: no waiting for time.
    await harness.app.updater.start_polling(poll_interval=0.0, timeout=30)


async def stop_polling(harness: Harness) -> None:
    assert harness.app.updater is not None
    await harness.app.updater.stop()  # its last getUpdates confirms all it fetched
    await harness.app.stop()
    await harness.stop()


@dataclass
class Poller:
    """Fetches and handles updates as the Updater and update processor do, one call at a time.

    An update is marked handled only when the next batch is fetched, which is as late as the
    processor could report it: so the inbox holds what a SIGKILL at that moment would leave.
    """

    harness: Harness
    offset: int = 0
    unmarked: tuple[Update, ...] = ()
    fetched: list[Update] = field(default_factory=list)

    async def step(self) -> None:
        """Fetch (the offset confirms the previous batch), handle, and send the answers."""
        for update in self.unmarked:
            self.harness.services.inbox.handled(update.update_id)
        updates = await self.harness.app.bot.get_updates(offset=self.offset, timeout=0)
        assert updates, "nothing was fetched"
        for update in updates:
            await self.harness.app.process_update(update)
        self.unmarked = updates
        self.fetched += updates
        self.offset = updates[-1].update_id + 1
        await self.harness.settle()


async def send_report_command(harness: Harness) -> None:
    harness.world.user_sends(MARKET_GROUP, WANG, text="/report")


async def send_location(harness: Harness) -> None:
    prompt = harness.bot_last(MARKET_GROUP)
    harness.world.user_sends(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt.message_id)


async def press_category(harness: Harness) -> None:
    panel = harness.bot_last(MARKET_GROUP)
    harness.world.press_button(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])


async def send_photo(harness: Harness) -> None:
    panel = harness.bot_last(MARKET_GROUP)
    harness.world.user_sends(
        MARKET_GROUP, WANG, photo=True, caption="占道经营", reply_to=panel.message_id
    )


async def press_claim(harness: Harness) -> None:
    ticket = await harness.latest_ticket()
    assert ticket is not None
    card = await harness.card(ticket.id)
    harness.world.press_button(card.chat_id, card.message_id, LI_MING, card.callback_data[0])


STEPS = (send_report_command, send_location, press_category, send_photo, press_claim)


async def snapshot(harness: Harness) -> tuple[Any, ...]:
    """What a repeated update could double: messages, drafts, tickets, events, the outbox."""
    ticket = await harness.latest_ticket()
    async with harness.services.db.transaction() as conn:
        events = [e.kind for e in await ticket_rows.events_of(conn, ticket.id)] if ticket else []
        outbox = await outbox_rows.count_by_status(conn)
        draft = await open_draft(conn, MARKET_GROUP, WANG)
    return (
        [m.content for m in harness.world.sent_to(MARKET_GROUP)],
        [m.content for m in harness.world.sent_to(MINZHU_SQUAD)],
        None if draft is None else (draft.id, draft.stage),
        await harness.ticket_count(),
        events,
        outbox,
    )


async def kept_in_file(settings: Settings) -> list[int]:
    """The inbox as the database holds it (after the bot has stopped)."""
    kept = await backends.rows(settings.database, "SELECT update_id FROM inbox")
    return [int(str(row[0])) for row in kept]


async def test_update_fetched_but_not_handled_before_a_crash_is_handled_after_restart(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """/report fetched and confirmed, process stopped before handling: the prompt comes after."""
    first = await start_harness(world, settings, clock)
    held: asyncio.Future[asyncio.Task[Any]] = asyncio.get_running_loop().create_future()

    async def hold(update: Update, context: GridContext) -> None:
        task = asyncio.current_task()
        assert task is not None
        held.set_result(task)
        await asyncio.Event().wait()  # never handled: the "crash" cancels this

    first.app.add_handler(TypeHandler(Update, hold), group=-100)
    await start_polling(first)
    world.user_sends(MARKET_GROUP, WANG, text="/report")
    handling = await held
    assert first.app.updater is not None
    await first.app.updater.stop()
    assert [] == world.updates  # Telegram has it confirmed: it will never deliver it again
    handling.cancel()
    await first.app.stop()
    await first.stop()
    assert [] == prompts(world)

    second = await start_harness(world, settings, clock)
    await second.settle()
    assert 1 == len(prompts(world))
    async with second.services.db.transaction() as conn:
        draft = await open_draft(conn, MARKET_GROUP, WANG)
    assert draft is not None and "location" == draft.stage
    await second.stop()
    assert [] == await kept_in_file(settings)


async def test_handled_updates_leave_the_inbox_with_the_next_batch_and_at_shutdown(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """A handled update is deleted with the next fetched batch; the last one at shut-down."""
    harness = await start_harness(world, settings, clock)
    seen = asyncio.Event()

    async def after_all(update: Update, context: GridContext) -> None:
        seen.set()

    harness.app.add_handler(TypeHandler(Update, after_all), group=AFTER_ALL)
    await start_polling(harness)
    command = world.user_sends(MARKET_GROUP, WANG, text="/report")
    await seen.wait()
    await harness.app.update_queue.join()
    assert [command["update_id"]] == await kept_ids(harness)

    await harness.settle()
    seen.clear()
    prompt = harness.bot_last(MARKET_GROUP)
    location = world.user_sends(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt.message_id)
    await seen.wait()
    await harness.app.update_queue.join()
    assert [location["update_id"]] == await kept_ids(harness)

    await stop_polling(harness)
    assert [] == await kept_in_file(settings)


@pytest.mark.parametrize("crash_after", range(1, len(STEPS) + 1))
async def test_update_handled_just_before_a_crash_is_replayed_without_effect(
    world: World, settings: Settings, clock: FakeClock, crash_after: int
) -> None:
    """Killed after any step (command, location, press, photo, claim): its replay changes
    nothing, and the report then carries on to one ticket with one card."""
    first = await start_harness(world, settings, clock)
    poller = Poller(first)
    for step in STEPS[:crash_after]:
        await step(first)
        await poller.step()
    before = await snapshot(first)
    assert [u.update_id for u in poller.unmarked] == await kept_ids(first)
    await first.stop()  # as after SIGKILL: the last step's update is still in the inbox

    second = await start_harness(world, settings, clock)
    await second.settle()
    assert before == await snapshot(second)
    poller = Poller(second)
    for step in STEPS[crash_after:]:
        await step(second)
        await poller.step()
    ticket = await second.latest_ticket()
    assert ticket is not None
    assert (1, "claimed", 1) == (
        await second.ticket_count(),
        ticket.status,
        len([m for m in world.sent_to(MINZHU_SQUAD) if f"#{ticket.id}" in (m.content or "")]),
    )
    await second.stop()


async def test_whole_report_delivered_again_after_it_ended_changes_nothing(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Every update of a finished, claimed report replayed at once (as if none had been
    forgotten): no new draft from the old location, nothing sent, nothing doubled."""
    first = await start_harness(world, settings, clock)
    poller = Poller(first)
    for step in STEPS:
        await step(first)
        await poller.step()
    async with first.services.db.transaction() as conn:
        await inbox_rows.keep(
            conn,
            [(u.update_id, u.to_json()) for u in poller.fetched],
            clock.now(),
        )
    before = await snapshot(first)
    await first.stop()

    second = await start_harness(world, settings, clock)
    await second.settle()
    assert before == await snapshot(second)
    await second.stop()


async def test_kept_update_is_not_fetched_again_after_its_replay(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Fetched, unconfirmed and kept: replayed at start, and the first getUpdates skips it."""
    first = await start_harness(world, settings, clock)
    command = world.user_sends(MARKET_GROUP, WANG, text="/report")
    assert [command["update_id"]] == [u.update_id for u in await first.app.bot.get_updates()]
    await first.stop()
    assert 1 == len(world.updates)  # never confirmed: Telegram would deliver it again

    second = await start_harness(world, settings, clock)
    await second.settle()
    assert 1 == len(prompts(world))
    assert () == await second.app.bot.get_updates(timeout=0)
    assert [] == world.updates
    await second.stop()

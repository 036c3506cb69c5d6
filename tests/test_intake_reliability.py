"""Repeated updates, Telegram errors and restarts lose nothing and double nothing."""

from __future__ import annotations

from telegram import Update

from bot.core.config import Settings
from standin import Fault, FaultPlan, World
from storage import outbox as outbox_rows
from tests.clock import FakeClock
from tests.harness import IN_WEST, MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness


async def replay(harness: Harness, update: dict | None) -> None:
    """Process the same update again, as Telegram does after a lost acknowledgement."""
    assert update is not None
    await harness.app.process_update(Update.de_json(update, harness.app.bot))
    await harness.settle()


async def test_every_update_twice_makes_one_ticket_and_one_card(harness: Harness) -> None:
    """Each step's update processed twice still yields one prompt, one panel, one ticket."""
    command = await harness.say(MARKET_GROUP, WANG, text="/report")
    await replay(harness, command)
    prompts = [m for m in harness.world.sent_to(MARKET_GROUP) if "📎" in (m.text or "")]
    assert 1 == len(prompts)
    location = await harness.say(
        MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompts[0].message_id
    )
    await replay(harness, location)
    panel = harness.bot_last(MARKET_GROUP)
    category = await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    await replay(harness, category)
    details = await harness.say(MARKET_GROUP, WANG, text="占道", reply_to=panel.message_id)
    await replay(harness, details)
    assert 1 == await harness.ticket_count()
    cards = [m for m in harness.world.sent_to(MINZHU_SQUAD) if m.text and "#1001" in m.text]
    assert 1 == len(cards)
    assert 2 == len(harness.world.sent_to(MARKET_GROUP))  # the prompt, and the panel edited


async def test_card_is_retried_after_a_telegram_error(harness: Harness) -> None:
    """A 5xx on the card is retried after back-off; the card arrives exactly once."""
    harness.world.faults = FaultPlan().fail(
        "sendMessage",
        Fault.server_error(),
        times=1,
        when=lambda p: str(p.get("chat_id")) == str(MINZHU_SQUAD),
    )
    await harness.report_in_group(MARKET_GROUP, WANG)
    assert [] == harness.world.sent_to(MINZHU_SQUAD)  # the pin waits for the card
    harness.clock.advance(seconds=3)
    await harness.settle()
    card, pin = harness.world.sent_to(MINZHU_SQUAD)
    assert card.message_id == pin.reply_to
    assert "#1001" in (card.text or "")


async def test_flood_control_waits_retry_after(harness: Harness) -> None:
    """A 429 with retry_after holds the chat's messages until that time has passed."""
    harness.world.faults = FaultPlan().fail(
        "sendMessage",
        Fault.rate_limited(20),
        times=1,
        when=lambda p: str(p.get("chat_id")) == str(MINZHU_SQUAD),
    )
    await harness.report_in_group(MARKET_GROUP, WANG)
    assert [] == harness.world.sent_to(MINZHU_SQUAD)
    harness.clock.advance(seconds=19)
    await harness.settle()
    assert [] == harness.world.sent_to(MINZHU_SQUAD)
    harness.clock.advance(seconds=1)
    await harness.settle()
    assert 2 == len(harness.world.sent_to(MINZHU_SQUAD))


async def test_card_written_before_a_crash_is_sent_after_restart(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Ticket saved, bot dies before sending: the next start sends the card, once."""
    first = await start_harness(world, settings, clock)
    await first.say(MARKET_GROUP, WANG, text="/report")
    prompt = first.bot_last(MARKET_GROUP)
    await first.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt.message_id)
    panel = first.bot_last(MARKET_GROUP)
    await first.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    skip = world.press_button(
        MARKET_GROUP, panel.message_id, WANG, first.bot_last(MARKET_GROUP).callback_data[0]
    )
    await first.app.process_update(Update.de_json(skip, first.app.bot))  # no settle: "crash"
    await first.stop()
    assert [] == world.sent_to(MINZHU_SQUAD)

    second = await start_harness(world, settings, clock)
    await second.settle()
    assert 2 == len(world.sent_to(MINZHU_SQUAD))
    async with second.services.db.transaction() as conn:
        assert {outbox_rows.SENT: 6} == await outbox_rows.count_by_status(conn)
    await second.stop()


async def test_report_continues_across_a_restart(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """A report half-way through survives a restart: the reporter just carries on."""
    first = await start_harness(world, settings, clock)
    await first.say(MARKET_GROUP, WANG, text="/report")
    prompt = first.bot_last(MARKET_GROUP)
    await first.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt.message_id)
    panel = first.bot_last(MARKET_GROUP)
    await first.stop()
    second = await start_harness(world, settings, clock)
    await second.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    await second.say(MARKET_GROUP, WANG, text="又来了", reply_to=panel.message_id)
    assert 1 == await second.ticket_count()
    await second.stop()

"""Intake as people really use it: double taps, replays, private receipts, refusals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from telegram import Update

from bot.core.config import Settings
from bot.core.i18n import Raw, t
from bot.tickets import cards
from standin import World
from storage.drafts import open_draft
from tests.bilingual import in_language
from tests.clock import FakeClock
from tests.harness import FAR_AWAY, IN_WEST, MARKET_GROUP, WANG, Harness, start_harness


@pytest.fixture(name="harness", params=["zh", "en"])
async def fixture_harness(
    request: pytest.FixtureRequest, world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    harness = await start_harness(world, in_language(settings, request.param), clock)
    yield harness
    await harness.stop()


def locale_of(harness: Harness) -> str:
    return harness.services.directory.group_locale(MARKET_GROUP)


async def test_two_report_commands_handled_again_change_nothing(harness: Harness) -> None:
    """/report tapped twice, then both updates handled again (a replay after a crash): the
    newer report stays open and nobody is told it was replaced."""
    first = harness.world.user_sends(MARKET_GROUP, WANG, text="/report")
    second = harness.world.user_sends(MARKET_GROUP, WANG, text="/report")
    assert first is not None and second is not None
    for update in (first, second, first, second):
        await harness.app.process_update(Update.de_json(update, harness.app.bot))
    await harness.settle()
    async with harness.services.db.transaction() as conn:
        draft = await open_draft(conn, MARKET_GROUP, WANG)
    assert draft is not None
    assert (f"g:{MARKET_GROUP}:{second['message']['message_id']}", "location") == (
        draft.trigger_key,
        draft.stage,
    )
    texts = [m.text for m in harness.world.sent_to(MARKET_GROUP)]
    assert t(locale_of(harness), "report.replaced") not in texts


async def test_repeated_report_leaves_one_prompt(harness: Harness) -> None:
    """A second /report before answering the first: the group keeps one prompt, no notice."""
    await harness.say(MARKET_GROUP, WANG, text="/report")
    await harness.say(MARKET_GROUP, WANG, text="/report")
    sent = harness.world.sent_to(MARKET_GROUP)
    assert 1 == len(sent)
    assert sent[0].reply_markup is not None and "force_reply" in sent[0].reply_markup


async def test_outside_area_refusal_asks_for_a_reply(harness: Harness) -> None:
    """A location outside the district: the refusal is a forced reply, so the next location
    (a reply to it) reaches the bot in privacy mode and the report carries on."""
    await harness.say(MARKET_GROUP, WANG, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, WANG, location=FAR_AWAY, reply_to=prompt.message_id)
    refusal = harness.bot_last(MARKET_GROUP)
    assert refusal.reply_markup is not None and "force_reply" in refusal.reply_markup
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=refusal.message_id)
    panel = harness.bot_last(MARKET_GROUP)
    assert panel.callback_data  # the category buttons


async def test_too_long_refusal_asks_for_a_reply(harness: Harness) -> None:
    """A description over the limit: the refusal is a forced reply, with the unit."""
    limit = harness.services.settings.intake.max_description_length
    await harness.say(MARKET_GROUP, WANG, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt.message_id)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    await harness.say(MARKET_GROUP, WANG, text="x" * (limit + 1), reply_to=panel.message_id)
    refusal = harness.bot_last(MARKET_GROUP)
    assert refusal.reply_markup is not None and "force_reply" in refusal.reply_markup
    assert t(locale_of(harness), "report.too_long", limit=limit, length=limit + 1) == (refusal.text)


async def test_private_receipt_speaks_of_the_private_chat_and_removes_the_keyboard(
    harness: Harness,
) -> None:
    """A private report's receipt says the result comes privately (not "in this group")
    and takes away the "send my location" keyboard."""
    await harness.say(WANG, WANG, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(WANG, WANG, location=IN_WEST)
    panel = harness.bot_last(WANG)
    await harness.press(WANG, panel.message_id, WANG, panel.callback_data[0])
    await harness.press(WANG, panel.message_id, WANG, harness.bot_last(WANG).callback_data[0])
    ticket = await harness.latest_ticket()
    assert ticket is not None
    locale = locale_of(harness)
    receipt = cards.group_receipt(ticket, harness.services.directory, locale, private=True)
    last = harness.bot_last(WANG)
    expected = t(locale, "report.private_done", receipt=Raw(receipt))
    assert re.sub("<[^>]+>", "", expected) == last.text
    assert {"remove_keyboard": True} == last.reply_markup


async def test_private_report_cancelled_at_the_panel_removes_the_keyboard(
    harness: Harness,
) -> None:
    """Cancel pressed on the category panel of a private report: the keyboard goes too."""
    await harness.say(WANG, WANG, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(WANG, WANG, location=IN_WEST)
    panel = harness.bot_last(WANG)
    await harness.press(WANG, panel.message_id, WANG, panel.callback_data[-1])
    last = harness.bot_last(WANG)
    assert (t(locale_of(harness), "report.cancelled"), {"remove_keyboard": True}) == (
        last.text,
        last.reply_markup,
    )

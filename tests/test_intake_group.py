"""Reporting in a grid group with privacy mode on: /report to a card in the squad chat."""

from __future__ import annotations

import re
from datetime import timedelta

from standin import Venue
from tests.catalog import pattern, shown
from tests.harness import (
    CHEN,
    IN_NORTH,
    IN_WEST,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    NORTH_GROUP,
    WANG,
    XINPU_SQUAD,
    Harness,
)


async def test_report_asks_for_location_with_forced_reply(harness: Harness) -> None:
    """/report is answered with a forced reply aimed at the reporter, quoting the command."""
    command = await harness.say(MARKET_GROUP, WANG, text="/report")
    assert command is not None
    prompt = harness.bot_last(MARKET_GROUP)
    assert command["message"]["message_id"] == prompt.reply_to
    assert prompt.reply_markup is not None
    assert (True, True) == (prompt.reply_markup["force_reply"], prompt.reply_markup["selective"])
    assert "王老板" in (prompt.text or "")
    assert "start=r1001000000201" in str(prompt.entities)


async def test_whole_report_becomes_a_card_in_the_squad_chat(harness: Harness) -> None:
    """Location, category and description make ticket #1001, carded in the right squad chat."""
    ticket = await harness.report_in_group(
        MARKET_GROUP, WANG, details={"text": "水果三轮车堵住了消防通道"}
    )
    assert (1001, "minzhu-west", "minzhu", "vending") == (
        ticket.id,
        ticket.grid_id,
        ticket.squad_id,
        ticket.category,
    )
    assert "水果三轮车堵住了消防通道" == ticket.description
    card, pin = harness.world.sent_to(MINZHU_SQUAD)
    assert pin.location is not None
    assert card.message_id == pin.reply_to
    assert "#1001" in (card.text or "")
    assert "占道经营" in (card.text or "")
    assert "王老板" in (card.text or "")
    assert [[shown("zh", "button.claim")], [shown("zh", "button.assign")]] == card.button_labels
    assert ["v1:claim:1001", "v1:assign:1001"] == card.callback_data
    receipt = harness.bot_last(MARKET_GROUP)
    assert "#1001" in (receipt.text or "")
    assert [] == receipt.button_labels
    assert [] == harness.world.sent_to(XINPU_SQUAD)
    assert [] == harness.rejected_calls()


async def test_ticket_records_times_and_events(harness: Harness) -> None:
    """The ticket keeps reported and dispatched times; the events say who did what."""
    harness.clock.advance(minutes=3)
    ticket = await harness.report_in_group(MARKET_GROUP, LIU)
    assert harness.clock.now() == ticket.reported_at == ticket.dispatched_at
    events = await harness.events(ticket.id)
    assert [("reported", LIU), ("dispatched", None)] == [(e.kind, e.actor_id) for e in events]
    assert "minzhu" == events[1].detail["squad"]


async def test_report_with_command_addressed_to_the_bot(harness: Harness) -> None:
    """/report@griddesk_bot starts a report like /report."""
    await harness.say(MARKET_GROUP, WANG, text="/report@griddesk_bot")
    assert "📎" in (harness.bot_last(MARKET_GROUP).text or "")


async def test_photo_with_caption_makes_a_photo_card(harness: Harness) -> None:
    """A photo reply with a caption becomes a card that shows the photo and the caption."""
    ticket = await harness.report_in_group(
        NORTH_GROUP,
        CHEN,
        IN_NORTH,
        category_index=2,
        details={"photo": True, "caption": "纸箱堆满人行道"},
    )
    assert ticket.photo_file_id is not None
    assert "纸箱堆满人行道" == ticket.description
    card = harness.world.sent_to(XINPU_SQUAD)[-2]
    assert card.photo is not None
    assert "纸箱堆满人行道" in (card.caption or "")


async def test_venue_answer_keeps_the_place_name(harness: Harness) -> None:
    """A venue instead of a pin is placed by its coordinates; the card pin shows its name."""
    await harness.say(MARKET_GROUP, WANG, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    venue = Venue(IN_WEST[0], IN_WEST[1], "苏果超市", "民主路12号")
    await harness.say(MARKET_GROUP, WANG, venue=venue, reply_to=prompt.message_id)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[3])
    await harness.press(
        MARKET_GROUP, panel.message_id, WANG, harness.bot_last(MARKET_GROUP).callback_data[0]
    )
    pin = harness.world.sent_to(MINZHU_SQUAD)[1]
    assert pin.venue is not None
    assert "苏果超市" == pin.venue["title"]


async def test_plain_location_is_not_seen_with_privacy_mode(harness: Harness) -> None:
    """With privacy mode on, Telegram does not deliver a plain location: nothing happens."""
    update = await harness.say(MARKET_GROUP, WANG, location=IN_WEST)
    assert update is None
    assert [] == harness.world.sent_to(MARKET_GROUP)


async def test_plain_location_starts_a_report_when_bot_is_admin(harness: Harness) -> None:
    """As a group admin the bot sees a plain location and offers the categories at once."""
    harness.world.set_bot_admin(MARKET_GROUP, LIU)
    location = await harness.say(MARKET_GROUP, WANG, location=IN_WEST)
    assert location is not None
    panel = harness.bot_last(MARKET_GROUP)
    assert location["message"]["message_id"] == panel.reply_to
    assert "v1:cat:" in panel.callback_data[0]
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[1])
    await harness.press(
        MARKET_GROUP, panel.message_id, WANG, harness.bot_last(MARKET_GROUP).callback_data[0]
    )
    assert 1 == await harness.ticket_count()


async def test_unrelated_chatter_is_ignored_in_admin_mode(harness: Harness) -> None:
    """Seeing every message, the bot still ignores ordinary talk."""
    harness.world.set_bot_admin(MARKET_GROUP, LIU)
    await harness.say(MARKET_GROUP, WANG, text="今天生意怎么样")
    assert [] == harness.world.sent_to(MARKET_GROUP)


async def test_report_just_outside_a_grid_goes_to_nearest(harness: Harness) -> None:
    """A pin 100 m outside the grid is accepted, and the reporter is told which grid."""
    await harness.say(MARKET_GROUP, WANG, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, WANG, location=(34.5891, 119.175), reply_to=prompt.message_id)
    near = pattern(
        "zh", "report.ask_category_near", grid="民主路西网格", distance=re.compile("[0-9]+")
    )
    assert near.fullmatch(harness.bot_last(MARKET_GROUP).text or "")


async def test_timeline_is_in_local_time(harness: Harness) -> None:
    """The card shows the report time in the district's zone (UTC+8)."""
    harness.clock.current = harness.clock.current.replace(hour=1, minute=30) + timedelta(0)
    await harness.report_in_group(MARKET_GROUP, WANG)
    card = harness.world.sent_to(MINZHU_SQUAD)[-2]
    assert "11-23 09:30" in (card.text or "")

"""Refusals: polite, in the group's language, and changing nothing."""

from __future__ import annotations

import re

from tests.catalog import pattern, shown, shown_n
from tests.harness import (
    FAR_AWAY,
    IN_WEST,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    OUTSIDER,
    STRANGE_GROUP,
    WANG,
    Harness,
)


async def ask(harness: Harness) -> int:
    await harness.say(MARKET_GROUP, WANG, text="/report")
    return harness.bot_last(MARKET_GROUP).message_id


async def test_location_outside_every_grid_is_refused(harness: Harness) -> None:
    """A far pin is refused naming the area and the nearest grid; a good pin still works."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=FAR_AWAY, reply_to=prompt)
    refusal = harness.bot_last(MARKET_GROUP).text or ""
    kilometres = pattern("zh", "distance.km", km=re.compile(r"[0-9.]+"))
    outside = pattern("zh", "report.outside", nearest="民主路西网格", distance=kilometres)
    assert outside.fullmatch(refusal)
    assert "新浦街道" in refusal
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    category = shown("zh", "report.ask_category", grid="民主路西网格")
    assert category == harness.bot_last(MARKET_GROUP).text


async def test_impossible_coordinates_are_refused(harness: Harness) -> None:
    """Coordinates out of range are refused without a traceback."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=(95.0, 200.0), reply_to=prompt)
    assert pattern("zh", "report.bad_location").fullmatch(harness.bot_last(MARKET_GROUP).text or "")


async def test_someone_else_cannot_press_the_reporters_buttons(harness: Harness) -> None:
    """Another shop owner pressing the category gets a popup; the report is unchanged."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    panel = harness.bot_last(MARKET_GROUP)
    press = await harness.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[0])
    answer = harness.answer_to(press)
    assert answer.get("show_alert") is True
    assert "王老板" in answer["text"]
    assert (
        panel.callback_data == harness.world.message(MARKET_GROUP, panel.message_id).callback_data
    )


async def test_too_long_description_is_refused(harness: Harness) -> None:
    """A description over the limit is refused with the limit; a shorter one is accepted."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    await harness.say(MARKET_GROUP, WANG, text="堵" * 501, reply_to=panel.message_id)
    assert "500" in (harness.bot_last(MARKET_GROUP).text or "")
    assert 0 == await harness.ticket_count()
    await harness.say(MARKET_GROUP, WANG, text="堵" * 500, reply_to=panel.message_id)
    assert 1 == await harness.ticket_count()


async def test_text_before_category_asks_for_the_category(harness: Harness) -> None:
    """A description sent before choosing a category is not taken; the reporter is told."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, WANG, text="有人摆摊", reply_to=panel.message_id)
    assert shown("zh", "report.need_category") in (harness.bot_last(MARKET_GROUP).text or "")
    assert 0 == await harness.ticket_count()


async def test_abandoned_report_times_out_and_says_so(harness: Harness) -> None:
    """After report_timeout an unfinished report ends, its panel says so, buttons gone."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    panel = harness.bot_last(MARKET_GROUP)
    category = panel.callback_data[0]
    harness.clock.advance(minutes=9)
    assert 0 == await harness.services.intake.expire_due()
    harness.clock.advance(minutes=2)
    assert 1 == await harness.services.intake.expire_due()
    await harness.settle()
    ended = harness.world.message(MARKET_GROUP, panel.message_id)
    assert shown_n("zh", "report.expired", 10) == ended.text
    assert [] == ended.button_labels
    press = await harness.press(MARKET_GROUP, panel.message_id, WANG, category)
    assert shown("zh", "button.stale") in harness.answer_to(press)["text"]
    assert 0 == await harness.ticket_count()


async def test_late_press_after_timeout_is_refused_before_the_sweep(harness: Harness) -> None:
    """A press after the timeout, before any sweep ran, still finds the report expired."""
    prompt = await ask(harness)
    await harness.say(MARKET_GROUP, WANG, location=IN_WEST, reply_to=prompt)
    panel = harness.bot_last(MARKET_GROUP)
    harness.clock.advance(minutes=11)
    press = await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    assert shown("zh", "button.stale") in harness.answer_to(press)["text"]
    ended = harness.world.message(MARKET_GROUP, panel.message_id)
    assert shown_n("zh", "report.expired", 10) == ended.text


async def test_cancel_command_ends_the_report(harness: Harness) -> None:
    """/cancel drops the unfinished report; a second /cancel says there is none."""
    await ask(harness)
    await harness.say(MARKET_GROUP, WANG, text="/cancel")
    assert shown("zh", "report.cancelled") in (harness.bot_last(MARKET_GROUP).text or "")
    await harness.say(MARKET_GROUP, WANG, text="/cancel")
    assert shown("zh", "report.nothing_to_cancel") in (harness.bot_last(MARKET_GROUP).text or "")


async def test_unconfigured_chat_gets_one_hint_with_its_id(harness: Harness) -> None:
    """An unknown group gets one hint with its chat id, and nothing else after."""
    await harness.say(STRANGE_GROUP, OUTSIDER, text="/report")
    await harness.say(STRANGE_GROUP, OUTSIDER, text="/report")
    sent = harness.world.sent_to(STRANGE_GROUP)
    assert 1 == len(sent)
    assert str(STRANGE_GROUP) in (sent[0].text or "")
    assert 0 == await harness.ticket_count()


async def test_bot_added_to_unknown_group_posts_the_hint(harness: Harness) -> None:
    """Being added to a chat the config does not know posts the hint with the id."""
    harness.world.add_chat(-1005555, title="新群", members=[OUTSIDER], bot_member=False)
    await harness.feed(harness.world.bot_added(-1005555, OUTSIDER))
    assert "-1005555" in (harness.bot_last(-1005555).text or "")


async def test_malformed_button_data_gets_a_polite_popup(harness: Harness) -> None:
    """Crafted or unknown button data is answered with a popup, and changes nothing."""
    prompt = await ask(harness)
    for data in ("garbage", "v1:cat:999:vending", "v1:skip:abc", "v9:claim:1"):
        press = await harness.press(MARKET_GROUP, prompt, WANG, data)
        assert harness.answer_to(press).get("show_alert") is True
    assert 0 == await harness.ticket_count()
    assert [] == harness.world.sent_to(MINZHU_SQUAD)


async def test_messages_from_channels_and_bots_are_ignored(harness: Harness) -> None:
    """Posts by other bots get no answer."""
    harness.world.add_user(5555, "OtherBot", is_bot=True)
    harness.world.user_joins(MARKET_GROUP, 5555)
    await harness.say(MARKET_GROUP, 5555, text="/report")
    assert [] == harness.world.sent_to(MARKET_GROUP)


async def test_one_shop_owner_cannot_flood_the_squad(harness: Harness) -> None:
    """After max_reports_per_hour reports, /report is refused politely until the hour passes."""
    limit = harness.services.settings.intake.max_reports_per_hour
    for _ in range(limit):
        await harness.report_in_group(MARKET_GROUP, WANG)
        harness.clock.advance(minutes=1)
    await harness.say(MARKET_GROUP, WANG, text="/report")
    assert shown_n("zh", "report.too_many", limit) in (harness.bot_last(MARKET_GROUP).text or "")
    assert limit == await harness.ticket_count()
    harness.clock.advance(hours=1)
    await harness.report_in_group(MARKET_GROUP, WANG)
    assert limit + 1 == await harness.ticket_count()

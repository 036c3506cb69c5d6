"""``/points``: the nearest designated vending points open now, in a group or privately."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.i18n import t
from tests.catalog import shown
from tests.clock import FakeClock
from tests.harness import (
    IN_WEST,
    LI_MING,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    OUTSIDER,
    STRANGE_GROUP,
    WANG,
    Harness,
)

EVENING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai: all three are open
NIGHT = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai: none is


async def ask_in_group(harness: Harness, user_id: int = LIU) -> int:
    await harness.say(MARKET_GROUP, user_id, text="/points")
    prompt = harness.bot_last(MARKET_GROUP)
    assert prompt.reply_markup is not None and prompt.reply_markup.get("force_reply")
    return prompt.message_id


def heading(locale: str) -> str:
    """The first line of the list of open points."""
    return shown(locale, "points.nearest", lines="").splitlines()[0]


def morning_market(locale: str, name: str) -> str:
    """The morning market's line, 123 m south-east of IN_WEST, with its 40 stalls."""
    distance = t(locale, "distance.m", m=123)
    direction = t(locale, "compass.se")
    return shown(
        locale,
        "points.line_capacity",
        name=name,
        direction=direction,
        distance=distance,
        capacity=40,
    )


async def test_group_lists_three_nearest_open_points(harness: Harness, clock: FakeClock) -> None:
    """A location replying to the prompt gets the three open points, nearest first, in zh."""
    clock.current = EVENING
    prompt_id = await ask_in_group(harness)
    await harness.say(MARKET_GROUP, LIU, location=IN_WEST, reply_to=prompt_id)
    text = harness.bot_last(MARKET_GROUP).text or ""
    lines = text.splitlines()
    assert heading("zh") == lines[0]
    assert ["民主路早", "新浦广场", "东区夜市"] == [line[2:6] for line in lines[1:]]
    assert morning_market("zh", "民主路早市临时经营点") == lines[1]
    assert 0 == await harness.ticket_count()
    assert [] == harness.rejected_calls()


async def test_private_english_with_location_keyboard(harness: Harness, clock: FakeClock) -> None:
    """Privately the prompt has a location button; the answer is in the person's language."""
    clock.current = EVENING
    await harness.say(WANG, WANG, text="/points")
    prompt = harness.bot_last(WANG)
    assert prompt.reply_markup is not None
    assert prompt.reply_markup["keyboard"][0][0]["request_location"]
    await harness.say(WANG, WANG, location=IN_WEST)
    answer = harness.bot_last(WANG)
    lines = (answer.text or "").splitlines()
    assert heading("en") == lines[0]
    assert morning_market("en", "Minzhu Rd morning market point") == lines[1]
    assert "• Xinpu Square convenience stalls: about" in lines[2]
    assert 0 == await harness.ticket_count()


async def test_none_open_names_when_the_nearest_opens(harness: Harness, clock: FakeClock) -> None:
    """At 03:00 nothing is open: the answer says the nearest point opens at 06:00 today."""
    clock.current = NIGHT
    prompt_id = await ask_in_group(harness)
    await harness.say(MARKET_GROUP, LIU, location=IN_WEST, reply_to=prompt_id)
    text = harness.bot_last(MARKET_GROUP).text or ""
    assert text.startswith(shown("zh", "points.none_open_today", time="06:00", point=""))
    assert "民主路早市临时经营点" in text


async def test_only_open_points_are_listed(harness: Harness) -> None:
    """At 09:30 the morning market has closed and the night market is not open yet."""
    prompt_id = await ask_in_group(harness)
    await harness.say(MARKET_GROUP, LIU, location=IN_WEST, reply_to=prompt_id)
    lines = (harness.bot_last(MARKET_GROUP).text or "").splitlines()
    assert 2 == len(lines)
    assert "新浦广场便民摊点" in lines[1]


async def test_a_report_location_still_starts_a_report(harness: Harness) -> None:
    """A location replying to the /report prompt is a report's, not a /points answer."""
    ticket = await harness.report_in_group(MARKET_GROUP, LIU)
    assert 1 == await harness.ticket_count()
    assert "minzhu-west" == ticket.grid_id


async def test_private_location_long_after_the_prompt_gets_the_report_hint(
    harness: Harness, clock: FakeClock
) -> None:
    """A private location past intake.report_timeout after /points is not taken for it."""
    await harness.say(LIU, LIU, text="/points")
    clock.advance(minutes=11)
    await harness.say(LIU, LIU, location=IN_WEST)
    assert "/report" in (harness.bot_last(LIU).text or "")


async def test_points_ignored_outside_grid_groups(harness: Harness) -> None:
    """/points in a squad chat or an unconfigured group gets no answer."""
    await harness.say(MINZHU_SQUAD, LI_MING, text="/points")
    await harness.say(STRANGE_GROUP, OUTSIDER, text="/points")
    said = harness.world.sent_to(MINZHU_SQUAD) + harness.world.sent_to(STRANGE_GROUP)
    assert [] == [m for m in said if "临时经营点" in (m.text or "")]


async def test_points_answer_survives_a_restart(harness: Harness, world, settings, clock) -> None:  # type: ignore[no-untyped-def]
    """A location replying to a prompt sent before a restart is still answered."""
    from tests.harness import start_harness

    clock.current = EVENING
    prompt_id = await ask_in_group(harness)
    await harness.stop()
    second = await start_harness(world, settings, clock)
    await second.say(MARKET_GROUP, LIU, location=IN_WEST, reply_to=prompt_id)
    assert (second.bot_last(MARKET_GROUP).text or "").startswith(heading("zh"))
    await second.stop()
    await harness.app.initialize()  # the fixture's teardown stops it once more


async def test_none_open_until_tomorrow_in_english(world, settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """Privately in English at 21:00, with only the morning market, it opens tomorrow 06:00."""
    from tests.harness import start_harness

    clock.current = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 21:00 in Shanghai
    market = [p for p in settings.vending_points if p.id == "minzhu-market"]
    harness = await start_harness(
        world, settings.model_copy(update={"vending_points": market}), clock
    )
    try:
        await harness.say(WANG, WANG, text="/points")
        await harness.say(WANG, WANG, location=IN_WEST)
        text = harness.bot_last(WANG).text or ""
        assert text.startswith(shown("en", "points.none_open_tomorrow", time="06:00", point=""))
        assert "Minzhu Rd morning market point: about 123 m SE" in text
    finally:
        await harness.stop()


async def test_district_without_points_says_so(world, settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """With no vending_points configured, /points answers politely and asks for nothing."""
    from tests.harness import start_harness

    harness = await start_harness(world, settings.model_copy(update={"vending_points": []}), clock)
    try:
        await harness.say(MARKET_GROUP, LIU, text="/points")
        message = harness.bot_last(MARKET_GROUP)
        assert shown("zh", "points.none_configured") == message.text
        assert message.reply_markup is None
    finally:
        await harness.stop()


async def test_help_tells_shop_owners_about_points(harness: Harness) -> None:
    """/help in a grid group and in private names /points, in the reader's language."""
    await harness.say(MARKET_GROUP, WANG, text="/help")
    in_group = harness.bot_last(MARKET_GROUP).text or ""
    assert shown("zh", "help.group") == in_group and "/points" in in_group
    await harness.say(WANG, WANG, text="/help")
    in_private = harness.bot_last(WANG).text or ""
    # (in private the bot answers in the person's own Telegram language)
    assert in_private in {shown("zh", "help.private"), shown("en", "help.private")}
    assert "/points" in in_private
    for locale in ("zh", "en"):
        assert "/points" in t(locale, "help.group") and "/points" in t(locale, "help.private")

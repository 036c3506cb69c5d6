"""The words people read: durations, plurals, closed cards, ratings, /ticket, /duty, digests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.config import DigestSettings, Settings
from bot.core.i18n import t, tn
from standin import World
from tests.bilingual import in_language
from tests.clock import FakeClock
from tests.harness import (
    COMMAND_CENTRE,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    Harness,
    start_harness,
)


@pytest.fixture(name="locale", params=["zh", "en"])
def fixture_locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(name="harness")
async def fixture_harness(
    locale: str, world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    harness = await start_harness(world, in_language(settings, locale), clock)
    yield harness
    await harness.stop()


async def solved(harness: Harness) -> int:
    """A ticket claimed, resolved and confirmed solved by its reporter; its id."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:guided_point"
    )
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rskip:{ticket.id}")
    result = await harness.message_of((await harness.ticket(ticket.id)).resolution_outbox_id)
    await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:ok:{ticket.id}")
    return ticket.id


async def test_a_claim_within_a_minute_reads_under_a_minute(harness: Harness, locale: str) -> None:
    """Claimed 20 s after dispatch: the card says under a minute, not 0 min."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(seconds=20)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    card = (await harness.card(ticket.id)).content or ""
    assert t(locale, "duration.under_a_minute") in card
    assert "0分钟" not in card and "0 min" not in card


@pytest.mark.parametrize("minutes", [1, 2])
async def test_report_timeout_reads_with_its_plural(
    world: World, settings: Settings, clock: FakeClock, locale: str, minutes: int
) -> None:
    """A report left unfinished for its timeout: "within 1 minute", "within 2 minutes"."""
    intake = settings.intake.model_copy(update={"report_timeout": timedelta(minutes=minutes)})
    harness = await start_harness(
        world, in_language(settings, locale).model_copy(update={"intake": intake}), clock
    )
    try:
        await harness.say(MARKET_GROUP, WANG, text="/report")
        clock.advance(minutes=minutes, seconds=1)
        assert 1 == await harness.services.intake.expire_due()
        await harness.settle()
        expected = tn(locale, "report.expired", minutes)
        assert expected == harness.bot_last(MARKET_GROUP).text
        if locale == "en":
            assert ("1 minute " if minutes == 1 else "2 minutes ") in expected
    finally:
        await harness.stop()


async def test_closed_card_loses_the_new_mark_and_ratings_read_alike(
    harness: Harness, locale: str
) -> None:
    """After the shop owner's 已解决: the card's title is no longer 🆕, and the rating
    buttons read 1⭐ to 5⭐."""
    ticket_id = await solved(harness)
    card = (await harness.card(ticket_id)).content or ""
    assert not card.startswith("🆕") and card.startswith("✅")
    result = await harness.message_of((await harness.ticket(ticket_id)).resolution_outbox_id)
    assert [["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]] == result.button_labels


async def test_ticket_timeline_reads_cleanly(harness: Harness, locale: str) -> None:
    """/ticket: the report line is not "上报人上报", and no line ends in a space."""
    ticket_id = await solved(harness)
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket_id}")
    lines = (harness.bot_last(MARKET_GROUP).text or "").split("\n")
    assert "上报人上报" not in "\n".join(lines)
    assert t(locale, "event.reported", time="11-23 09:30") in lines
    assert [line.rstrip() for line in lines] == lines


async def test_duty_in_a_grid_group_names_nobody(harness: Harness, locale: str) -> None:
    """/duty from a shop owner in the grid group: whether the squad is on duty, no names."""
    await harness.say(MARKET_GROUP, WANG, text="/duty")
    text = harness.bot_last(MARKET_GROUP).text or ""
    squad = harness.services.directory.squads["minzhu"].name.get(locale)
    assert t(locale, "duty.line_someone", squad=squad) in text.split("\n")
    assert "李明" not in text and "王强" not in text
    assert 2 == len(text.split("\n"))  # the title and the group's own squad


async def test_first_start_posts_no_digest_for_the_day_before_the_bot(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """First start after digest time, no ticket ever: no all-zero digest for yesterday;
    once a ticket existed before yesterday ended, yesterday's digest is posted."""
    early = settings.model_copy(update={"digest": DigestSettings(time="08:00")})
    harness = await start_harness(world, early, clock)
    await harness.settle()
    assert [] == harness.world.sent_to(COMMAND_CENTRE)
    await harness.report_in_group(MARKET_GROUP, WANG)
    clock.advance(days=1)
    assert 0 < await harness.services.reports.catch_up()
    await harness.settle()
    assert [] != harness.world.sent_to(COMMAND_CENTRE)
    await harness.stop()


async def test_report_limit_of_one_reads_in_the_singular(
    world: World, settings: Settings, clock: FakeClock, locale: str
) -> None:
    """A limit of one report an hour: the refusal says "1 time", not "1 times"."""
    intake = settings.intake.model_copy(update={"max_reports_per_hour": 1})
    harness = await start_harness(
        world, in_language(settings, locale).model_copy(update={"intake": intake}), clock
    )
    try:
        await harness.report_in_group(MARKET_GROUP, WANG)
        await harness.say(MARKET_GROUP, WANG, text="/report")
        expected = tn(locale, "report.too_many", 1)
        assert expected == harness.bot_last(MARKET_GROUP).text
        assert locale == "zh" or "1 time " in expected
    finally:
        await harness.stop()

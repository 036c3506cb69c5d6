"""Input that used to crash a handler: Unicode digits, and updates PTB cannot parse."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.config import Settings
from bot.core.i18n import t
from standin import World
from storage import inbox as inbox_rows
from tests.clock import FakeClock
from tests.harness import (
    CHEN,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    NORTH_GROUP,
    WANG,
    Harness,
    start_harness,
)

# ①, superscript two, Arabic-Indic one: str.isdigit() accepts them, int() does not.
UNICODE_DIGITS = ["①", "²", "١٠٠١"]
LEAD = 710001


def crashes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "handlers.errors"]


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
@pytest.mark.parametrize(
    ("chat_id", "user_id", "locale"), [(MINZHU_SQUAD, LI_MING, "zh"), (WANG, WANG, "en")]
)
async def test_ticket_with_unicode_digits_gets_the_usage(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    digits: str,
    chat_id: int,
    user_id: int,
    locale: str,
) -> None:
    """/ticket ① answers with the usage in the chat's language, and nothing crashes."""
    await harness.say(chat_id, user_id, text=f"/ticket {digits}")
    assert [] == crashes(caplog)
    assert t(locale, "view.usage_ticket") == harness.bot_last(chat_id).text


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
async def test_start_link_with_unicode_digits_is_refused_politely(
    harness: Harness, caplog: pytest.LogCaptureFixture, digits: str
) -> None:
    """/start r² in a private chat: the invalid-link answer in the person's language."""
    await harness.say(WANG, WANG, text=f"/start r{digits}")
    assert [] == crashes(caplog)
    assert t("en", "start.unknown_link") == harness.bot_last(WANG).text


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
@pytest.mark.parametrize("action", ["claim", "rate", "asgo"])
async def test_button_with_unicode_digits_gets_a_popup(
    harness: Harness, caplog: pytest.LogCaptureFixture, digits: str, action: str
) -> None:
    """Button data v1:claim:² (or ² as the rating or officer): a popup, nothing changes."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    data = f"v1:{action}:{digits}" if action == "claim" else f"v1:{action}:{ticket.id}:{digits}"
    presser = {"claim": LI_MING, "rate": WANG, "asgo": LEAD}[action]
    press = await harness.press_on_card(ticket.id, presser, data)
    assert [] == crashes(caplog)
    answer = harness.answer_to(press)
    assert True is answer.get("show_alert")
    assert "dispatched" == (await harness.ticket(ticket.id)).status


def unparseable(world: World) -> dict[str, Any]:
    """An update as a Bot API server of another version might send it: no date, no chat."""
    update = {"update_id": world.next_update_id, "message": {"message_id": 1}}
    world.next_update_id += 1
    world.updates.append(update)
    return update


async def test_unparseable_update_is_kept_aside_and_polling_moves_past_it(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An update PTB cannot parse, before a /report: the /report is handed on, the bad one
    is confirmed (not fetched again), kept for inspection and logged once."""
    bad = unparseable(harness.world)
    command = harness.world.user_sends(MARKET_GROUP, WANG, text="/report")
    assert command is not None
    first = await harness.app.bot.get_updates(timeout=0)
    assert [command["update_id"]] == [u.update_id for u in first]
    assert () == await harness.app.bot.get_updates(timeout=0)
    assert [] == harness.world.updates
    async with harness.services.db.transaction() as conn:
        kept_aside = await inbox_rows.unreadable(conn)
        to_handle = await inbox_rows.kept(conn)
    assert [bad["update_id"]] == [u.update_id for u in kept_aside]
    assert [command["update_id"]] == [u.update_id for u in to_handle]
    ours = [r for r in caplog.records if r.name == "handlers.inbox" and r.levelno >= logging.ERROR]
    assert 1 == len(ours)


async def test_unparseable_update_last_in_its_batch_is_not_fetched_again(
    harness: Harness,
) -> None:
    """The only update fetched cannot be parsed: the next fetch confirms it past."""
    unparseable(harness.world)
    assert () == await harness.app.bot.get_updates(timeout=0)
    assert () == await harness.app.bot.get_updates(timeout=0)
    assert [] == harness.world.updates


async def test_unparseable_update_kept_before_a_restart_is_set_aside_not_replayed(
    world: World, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Kept in the inbox by an older version: at start it is set aside once, not dropped."""
    first = await start_harness(world, settings, clock)
    async with first.services.db.transaction() as conn:
        await inbox_rows.keep(conn, [(77, '{"update_id": 77, "message": {}}')], clock.now())
    await first.stop()
    for _ in range(2):
        harness = await start_harness(world, settings, clock)
        async with harness.services.db.transaction() as conn:
            assert [77] == [u.update_id for u in await inbox_rows.unreadable(conn)]
        await harness.stop()
    ours = [r for r in caplog.records if r.name == "handlers.inbox" and r.levelno >= logging.ERROR]
    assert 1 == len(ours)


@pytest.fixture(name="english_market")
async def fixture_english_market(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The market group set to English while the district's default stays Chinese."""
    groups = [
        group.model_copy(update={"locale": "en"}) if group.chat_id == MARKET_GROUP else group
        for group in settings.grid_groups
    ]
    harness = await start_harness(world, settings.model_copy(update={"grid_groups": groups}), clock)
    yield harness
    await harness.stop()


@pytest.mark.parametrize(
    ("data", "key"), [("v1:zzz:1", "button.unknown"), ("v1:cat:99999:x", "button.stale")]
)
@pytest.mark.parametrize(
    ("chat_id", "user_id", "locale"), [(MARKET_GROUP, WANG, "en"), (NORTH_GROUP, CHEN, "zh")]
)
async def test_unknown_and_stale_popups_are_in_the_groups_language(
    english_market: Harness, data: str, key: str, chat_id: int, user_id: int, locale: str
) -> None:
    """A crafted or stale button in a grid group: the popup speaks the group's language."""
    await english_market.say(chat_id, user_id, text="/report")
    prompt = english_market.bot_last(chat_id)
    press = await english_market.press(chat_id, prompt.message_id, user_id, data)
    assert t(locale, key) == english_market.answer_to(press).get("text")

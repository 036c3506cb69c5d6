"""The "same problem?" offer: a report near an open ticket of its category may join it."""

from __future__ import annotations

import pytest

from bot.core.config import Database as DatabaseSettings
from bot.core.config import DigestSettings, Settings
from bot.core.i18n import Raw, t
from standin import ChatMessage, World
from storage import supporters as support_rows
from tests.bilingual import in_language
from tests.catalog import shown
from tests.clock import FakeClock
from tests.harness import (
    CHEN,
    IN_WEST,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    Harness,
    start_harness,
)


@pytest.fixture(name="settings")
def fixture_settings(example: Settings, database: DatabaseSettings) -> Settings:
    """The example's join radii (vending 50 m, noise 150 m), in a test database."""
    return example.model_copy(
        update={
            "database": database,
            "digest": DigestSettings(time="23:59"),
        }
    )


NEAR = (IN_WEST[0] + 0.00036, IN_WEST[1])  # 40 m north
ZHOU = 9011  # another shop owner of the market group
FARTHER = (IN_WEST[0] + 0.0006, IN_WEST[1])  # 67 m north, outside vending's 50 m


async def offer_in_group(
    harness: Harness, user_id: int, point: tuple[float, float] = NEAR, category_index: int = 0
) -> ChatMessage:
    """/report, a location and a category in the market group; the panel after the press."""
    await harness.say(MARKET_GROUP, user_id, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, user_id, location=point, reply_to=prompt.message_id)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(
        MARKET_GROUP, panel.message_id, user_id, panel.callback_data[category_index]
    )
    return harness.bot_last(MARKET_GROUP)


async def first_ticket(harness: Harness, clock: FakeClock) -> int:
    ticket = await harness.report_in_group(MARKET_GROUP, WANG, details={"text": "水果车"})
    clock.advance(minutes=5)
    return ticket.id


async def offer_of_1001(harness: Harness, locale: str) -> str:
    """The offer to join #1001, reported five minutes before and 40 m away."""
    category = harness.services.directory.category_name(
        (await harness.ticket(1001)).category, locale
    )
    ago = t(locale, "same.ago", duration=t(locale, "duration.minutes", minutes=5))
    return shown(locale, "same.offer", category=category, number="#1001", ago=ago, distance=40)


async def supporters(harness: Harness, ticket_id: int) -> list[support_rows.Supporter]:
    async with harness.services.db.transaction() as conn:
        return await support_rows.supporters_of(conn, ticket_id)


async def test_nearby_report_is_offered_to_join(harness: Harness, clock: FakeClock) -> None:
    """40 m from a 5-minute-old vending ticket, the reporter is asked before a ticket exists."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    assert await offer_of_1001(harness, "zh") == panel.text
    assert [
        [shown("zh", "button.join"), shown("zh", "button.not_same")],
        [shown("zh", "button.cancel")],
    ] == panel.button_labels
    assert ["v1:join:2", "v1:new:2", "v1:cancel:2"] == panel.callback_data
    assert 1 == await harness.ticket_count()


async def test_no_offer_farther_than_the_radius_or_another_category(
    harness: Harness, clock: FakeClock
) -> None:
    """67 m away (vending: 50 m), or another category, goes straight to the details."""
    await first_ticket(harness, clock)
    far = await offer_in_group(harness, LIU, point=FARTHER)
    assert "同一问题" not in (far.text or "")
    assert shown("zh", "button.skip") == far.button_labels[0][0]
    await harness.press(MARKET_GROUP, far.message_id, LIU, far.callback_data[1])  # cancel
    other = await offer_in_group(harness, LIU, category_index=1)
    assert "同一问题" not in (other.text or "")


async def test_joining_makes_a_supporter_without_a_new_ticket(
    harness: Harness, clock: FakeClock
) -> None:
    """Join: no new ticket or card; a supporter, an event on #1001, and a receipt."""
    ticket_id = await first_ticket(harness, clock)
    cards_before = len(harness.world.sent_to(MINZHU_SQUAD))
    panel = await offer_in_group(harness, LIU)
    press = await harness.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[0])
    assert shown("zh", "same.joined_toast", number="#1001") == harness.answer_to(press).get("text")
    assert 1 == await harness.ticket_count()
    assert cards_before == len(harness.world.sent_to(MINZHU_SQUAD))
    [supporter] = await supporters(harness, ticket_id)
    assert (LIU, "刘阿姨", False) == (supporter.user_id, supporter.user_name, supporter.private)
    assert "supported" == (await harness.events(ticket_id))[-1].kind
    card = await harness.card(ticket_id)
    assert "👥 +1" in (card.text or "")
    assert "刘阿姨" not in (card.text or "")
    receipt = harness.bot_last(MARKET_GROUP)
    assert shown("zh", "same.joined", number="#1001") in (receipt.text or "")
    assert [] == receipt.button_labels
    assert [] == harness.rejected_calls()


async def test_declining_goes_on_to_a_new_ticket(harness: Harness, clock: FakeClock) -> None:
    """ "No, a new problem" asks for the details and then opens #1002 as usual."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    await harness.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[1])
    details = harness.bot_last(MARKET_GROUP)
    assert shown("zh", "button.skip") == details.button_labels[0][0]
    await harness.press(MARKET_GROUP, details.message_id, LIU, details.callback_data[0])
    assert 2 == await harness.ticket_count()
    assert 1002 == (await harness.ticket(1002)).id
    assert [] == await supporters(harness, 1001)


async def test_another_persons_press_and_a_stale_press_change_nothing(
    harness: Harness, clock: FakeClock
) -> None:
    """Only the reporter may answer; a second press after joining is stale."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    join, decline = panel.callback_data[:2]
    stranger = await harness.press(MARKET_GROUP, panel.message_id, CHEN, join)
    assert "刘阿姨" in harness.answer_to(stranger).get("text", "")
    assert [] == await supporters(harness, 1001)
    await harness.press(MARKET_GROUP, panel.message_id, LIU, join)
    again = await harness.press(MARKET_GROUP, panel.message_id, LIU, decline)
    assert True is harness.answer_to(again).get("show_alert")
    assert 1 == len(await supporters(harness, 1001))
    assert 1 == await harness.ticket_count()


async def test_text_while_offered_is_asked_to_answer_first(
    harness: Harness, clock: FakeClock
) -> None:
    """A description sent before answering the offer is refused politely; nothing is made."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    await harness.say(MARKET_GROUP, LIU, text="又来了", reply_to=panel.message_id)
    assert shown("zh", "same.need_answer") in (harness.bot_last(MARKET_GROUP).text or "")
    assert 1 == await harness.ticket_count()


async def test_private_reporter_joins_without_the_group_seeing(
    harness: Harness, clock: FakeClock
) -> None:
    """A private report joins too: the receipt comes privately, the group sees nothing new."""
    await first_ticket(harness, clock)
    group_before = len(harness.world.sent_to(MARKET_GROUP))
    await harness.say(LIU, LIU, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(LIU, LIU, location=NEAR)
    panel = harness.bot_last(LIU)
    await harness.press(LIU, panel.message_id, LIU, panel.callback_data[0])
    offer = harness.bot_last(LIU)
    assert await offer_of_1001(harness, "zh") == offer.text
    await harness.press(LIU, offer.message_id, LIU, offer.callback_data[0])
    [supporter] = await supporters(harness, 1001)
    assert (True, LIU) == (supporter.private, supporter.chat_id)
    assert shown("zh", "same.joined", number="#1001") in (harness.bot_last(LIU).text or "")
    assert group_before == len(harness.world.sent_to(MARKET_GROUP))
    assert [] == harness.rejected_calls()


async def test_offer_survives_a_restart(world: World, settings: Settings, clock: FakeClock) -> None:
    """The offer is the draft's stage in the database: after a restart, Join still works."""
    first = await start_harness(world, settings, clock)
    await first_ticket(first, clock)
    panel = await offer_in_group(first, LIU)
    await first.stop()
    second = await start_harness(world, settings, clock)
    await second.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[0])
    assert 1 == len(await supporters(second, 1001))
    assert 1 == await second.ticket_count()
    await second.stop()


async def test_offer_in_english(world: World, settings: Settings, clock: FakeClock) -> None:
    """An English group reads the offer, its buttons and the receipt in English."""
    harness = await start_harness(world, in_language(settings, "en"), clock)
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    assert await offer_of_1001(harness, "en") == panel.text
    assert [
        [shown("en", "button.join"), shown("en", "button.not_same")],
        [shown("en", "button.cancel")],
    ] == panel.button_labels
    await harness.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[0])
    assert shown("en", "same.joined", number="#1001") in (harness.bot_last(MARKET_GROUP).text or "")
    await harness.stop()


async def resolve_1001(harness: Harness) -> None:
    from tests.test_workflow import LI_MING, resolve

    await harness.press_on_card(1001, LI_MING, "v1:claim:1001")
    await resolve(harness, 1001)


async def test_result_reaches_a_public_supporter_by_mention(
    harness: Harness, clock: FakeClock
) -> None:
    """A supporter in the group is mentioned under the result; only the reporter confirms."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    await harness.press(MARKET_GROUP, panel.message_id, LIU, panel.callback_data[0])
    await resolve_1001(harness)
    result = harness.bot_last(MARKET_GROUP)
    liu = Raw(t("zh", "mention", id=LIU, name="刘阿姨"))
    assert t("zh", "same.result_mentions", supporters=liu) in (result.text or "")
    press = await harness.press(MARKET_GROUP, result.message_id, LIU, "v1:ok:1001")
    assert True is harness.answer_to(press).get("show_alert")
    assert "resolved" == (await harness.ticket(1001)).status


async def test_result_reaches_a_private_supporter_privately(
    harness: Harness, clock: FakeClock
) -> None:
    """A private supporter gets the result in the private chat; the group never names them."""
    await first_ticket(harness, clock)
    await harness.say(LIU, LIU, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(LIU, LIU, location=NEAR)
    panel = harness.bot_last(LIU)
    await harness.press(LIU, panel.message_id, LIU, panel.callback_data[0])
    offer = harness.bot_last(LIU)
    await harness.press(LIU, offer.message_id, LIU, offer.callback_data[0])
    await resolve_1001(harness)
    private = harness.bot_last(LIU)
    assert (private.text or "").startswith(shown("zh", "same.result_private", receipt=""))
    assert "#1001" in (private.text or "")
    assert all(
        "刘阿姨" not in (m.text or m.caption or "") for m in harness.world.sent_to(MARKET_GROUP)
    )


async def test_leads_are_told_once_at_the_support_threshold(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """With support_alert_at 2, the second supporter tells the leads once, with an event."""
    intake = settings.intake.model_copy(update={"support_alert_at": 2})
    harness = await start_harness(world, settings.model_copy(update={"intake": intake}), clock)
    world.add_user(ZHOU, "周大姐")
    world.chat(MARKET_GROUP).members[ZHOU] = "member"
    await first_ticket(harness, clock)
    for user in (LIU, ZHOU):
        panel = await offer_in_group(harness, user)
        await harness.press(MARKET_GROUP, panel.message_id, user, panel.callback_data[0])
        told = [m for m in harness.world.sent_to(MINZHU_SQUAD) if "📣" in (m.text or "")]
        assert (1 if user == ZHOU else 0) == len(told)
    ticket = await harness.ticket(1001)
    directory = harness.services.directory
    alert = shown(
        "zh",
        "same.tell_leads",
        number="#1001",
        count=3,
        category=directory.category_name(ticket.category, "zh"),
        grid=directory.grid_name(ticket.grid_id, "zh"),
        leads="",
    )
    assert (told[0].text or "").startswith(alert)
    kinds = [event.kind for event in await harness.events(1001)]
    assert 1 == kinds.count("support_alert")
    assert "👥 +2" in ((await harness.card(1001)).text or "")
    await harness.stop()


async def test_joining_ones_own_ticket_adds_no_supporter(
    harness: Harness, clock: FakeClock
) -> None:
    """The reporter of #1001 joining it again gets the receipt; nobody new is counted."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, WANG)
    await harness.press(MARKET_GROUP, panel.message_id, WANG, panel.callback_data[0])
    assert shown("zh", "same.joined", number="#1001") in (harness.bot_last(MARKET_GROUP).text or "")
    assert [] == await supporters(harness, 1001)
    assert (1, 0) == (await harness.ticket_count(), (await harness.ticket(1001)).supporters)


async def test_join_after_the_ticket_was_resolved_goes_on_as_new(
    harness: Harness, clock: FakeClock
) -> None:
    """Join pressed after #1001 was resolved: a polite alert, and the details step follows."""
    await first_ticket(harness, clock)
    panel = await offer_in_group(harness, LIU)
    join = panel.callback_data[0]
    await resolve_1001(harness)
    press = await harness.press(MARKET_GROUP, panel.message_id, LIU, join)
    assert shown("zh", "same.gone") in harness.answer_to(press).get("text", "")
    assert [] == await supporters(harness, 1001)
    await harness.say(MARKET_GROUP, LIU, text="又来了", reply_to=panel.message_id)
    assert 2 == await harness.ticket_count()

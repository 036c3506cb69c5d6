"""Reporting privately through the group's deep link: officers see the name, the group not."""

from __future__ import annotations

from tests.catalog import shown
from tests.harness import (
    IN_WEST,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    OUTSIDER,
    Harness,
)


async def start_private_report(harness: Harness, user_id: int) -> None:
    await harness.say(user_id, user_id, text=f"/start r{abs(MARKET_GROUP)}")


async def test_deep_link_asks_for_location_with_a_location_button(harness: Harness) -> None:
    """The deep link opens a private report with a one-tap "send my location" button."""
    await start_private_report(harness, LIU)
    prompt = harness.bot_last(LIU)
    assert prompt.reply_markup is not None
    button = prompt.reply_markup["keyboard"][0][0]
    assert (True, shown("zh", "button.send_location")) == (
        button["request_location"],
        button["text"],
    )
    assert shown("zh", "report.private_intro", group="民主路商户群") in (prompt.text or "")


async def test_private_report_hides_the_name_from_the_group(harness: Harness) -> None:
    """The group sees the ticket number without the reporter; the card names them."""
    await start_private_report(harness, LIU)
    await harness.say(LIU, LIU, location=IN_WEST)
    panel = harness.bot_last(LIU)
    await harness.press(LIU, panel.message_id, LIU, panel.callback_data[1])
    await harness.say(LIU, LIU, text="门口又堆满了纸箱")
    ticket = await harness.latest_ticket()
    assert ticket is not None
    assert (True, None) == (ticket.anonymous, ticket.report_message_id)
    group_notice = harness.bot_last(MARKET_GROUP)
    assert "#1001" in (group_notice.text or "")
    assert "刘阿姨" not in (group_notice.text or "")
    card = harness.world.sent_to(MINZHU_SQUAD)[-2]
    assert "刘阿姨" in (card.text or "")
    assert shown("zh", "card.reporter_private", reporter="刘阿姨") in (card.text or "")
    assert "#1001" in (harness.bot_last(LIU).text or "")
    assert [] == harness.rejected_calls()


async def test_deep_link_refused_for_non_member(harness: Harness) -> None:
    """Someone outside the grid group cannot report through its link."""
    await start_private_report(harness, OUTSIDER)
    assert shown("zh", "start.not_member") in (harness.bot_last(OUTSIDER).text or "")
    assert [] == harness.world.sent_to(MARKET_GROUP)


async def test_unknown_deep_link_is_refused(harness: Harness) -> None:
    """A link for a group the config does not know gets a polite refusal."""
    await harness.say(LIU, LIU, text="/start r123")
    assert shown("zh", "start.unknown_link") in (harness.bot_last(LIU).text or "")


async def test_private_location_without_link_gets_a_hint(harness: Harness) -> None:
    """A location sent privately without the link says how to start a report."""
    await harness.say(LIU, LIU, location=IN_WEST)
    assert "/report" in (harness.bot_last(LIU).text or "")
    assert 0 == await harness.ticket_count()


async def test_whoami_tells_the_id(harness: Harness) -> None:
    """/whoami in private answers with the Telegram id, in the app's language."""
    await harness.say(LIU, LIU, text="/whoami")
    assert shown("zh", "whoami", id=LIU, name="刘阿姨") == harness.bot_last(LIU).text

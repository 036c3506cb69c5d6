"""Timelines and lists: /ticket, /open, /mine; and the private reporter's confirmation."""

from __future__ import annotations

from bot.core.i18n import t
from tests.catalog import pattern, shown
from tests.harness import (
    IN_WEST,
    LI_MING,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    XINPU_SQUAD,
    ZHAO_GANG,
    Harness,
)


async def test_ticket_timeline_for_reporter_and_squad(harness: Harness) -> None:
    """/ticket shows every step with local times to the reporter and the squad."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=5)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket.id}")
    timeline = harness.bot_last(MARKET_GROUP).text or ""
    claimed = shown("zh", "event.claimed", time="09:35", actor="李明")
    assert shown("zh", "event.reported", time="09:30") in timeline
    assert shown("zh", "event.dispatched", time="09:30", extra="民主路中队") in timeline
    assert claimed in timeline
    await harness.say(MINZHU_SQUAD, LI_MING, text=f"/ticket #{ticket.id}")
    assert claimed in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_ticket_timeline_refused_to_others(harness: Harness) -> None:
    """Someone neither reporter, squad member nor lead is refused the timeline."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.say(MARKET_GROUP, LIU, text=f"/ticket {ticket.id}")
    assert shown("zh", "view.not_allowed") in (harness.bot_last(MARKET_GROUP).text or "")
    await harness.say(XINPU_SQUAD, ZHAO_GANG, text=f"/ticket {ticket.id}")
    assert shown("zh", "view.not_allowed") in (harness.bot_last(XINPU_SQUAD).text or "")


async def test_open_lists_oldest_first_with_ages(harness: Harness) -> None:
    """/open in a squad chat lists its open tickets, oldest first, with their ages."""
    first = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=20)
    second = await harness.report_in_group(MARKET_GROUP, LIU)
    harness.clock.advance(minutes=5)
    await harness.say(MINZHU_SQUAD, LI_MING, text="/open")
    lines = (harness.bot_last(MINZHU_SQUAD).text or "").splitlines()
    for line, ticket, minutes in ((lines[1], first, 25), (lines[2], second, 5)):
        age = t("zh", "duration.minutes", minutes=minutes)
        assert pattern("zh", "view.line", number=f"#{ticket.id}", age=age).fullmatch(line)


async def test_mine_lists_the_officers_tickets(harness: Harness) -> None:
    """/mine lists what the officer holds, and nothing else."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.report_in_group(MARKET_GROUP, LIU)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.say(MINZHU_SQUAD, LI_MING, text="/mine")
    text = harness.bot_last(MINZHU_SQUAD).text or ""
    assert f"#{ticket.id}" in text and f"#{ticket.id + 1}" not in text


async def test_private_reporter_confirms_in_private(harness: Harness) -> None:
    """For a private report the group sees the result, the question goes to the reporter alone."""
    await harness.say(LIU, LIU, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(LIU, LIU, location=IN_WEST)
    panel = harness.bot_last(LIU)
    await harness.press(LIU, panel.message_id, LIU, panel.callback_data[0])
    await harness.press(LIU, panel.message_id, LIU, harness.bot_last(LIU).callback_data[0])
    ticket = await harness.latest_ticket()
    assert ticket is not None
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:persuaded")
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rskip:{ticket.id}")
    group_result = harness.bot_last(MARKET_GROUP)
    assert "劝导离开" in (group_result.text or "") and [] == group_result.button_labels
    assert "刘阿姨" not in (group_result.text or "")
    question = harness.bot_last(LIU)
    assert [[shown("zh", "button.solved"), shown("zh", "button.not_solved")]] == (
        question.button_labels
    )
    await harness.press(LIU, question.message_id, LIU, f"v1:ok:{ticket.id}")
    assert "closed" == (await harness.ticket(ticket.id)).status

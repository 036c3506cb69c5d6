"""Timelines and lists: /ticket, /open, /mine; and the private reporter's confirmation."""

from __future__ import annotations

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
    assert "09:30 收到上报" in timeline
    assert "09:30 派往民主路中队" in timeline
    assert "09:35 李明 认领" in timeline
    await harness.say(MINZHU_SQUAD, LI_MING, text=f"/ticket #{ticket.id}")
    assert "09:35 李明 认领" in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_ticket_timeline_refused_to_others(harness: Harness) -> None:
    """Someone neither reporter, squad member nor lead is refused the timeline."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.say(MARKET_GROUP, LIU, text=f"/ticket {ticket.id}")
    assert "只有上报人" in (harness.bot_last(MARKET_GROUP).text or "")
    await harness.say(XINPU_SQUAD, ZHAO_GANG, text=f"/ticket {ticket.id}")
    assert "只有上报人" in (harness.bot_last(XINPU_SQUAD).text or "")


async def test_open_lists_oldest_first_with_ages(harness: Harness) -> None:
    """/open in a squad chat lists its open tickets, oldest first, with their ages."""
    first = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=20)
    second = await harness.report_in_group(MARKET_GROUP, LIU)
    harness.clock.advance(minutes=5)
    await harness.say(MINZHU_SQUAD, LI_MING, text="/open")
    lines = (harness.bot_last(MINZHU_SQUAD).text or "").splitlines()
    assert lines[1].startswith(f"#{first.id}") and "已 25分钟" in lines[1]
    assert lines[2].startswith(f"#{second.id}") and "已 5分钟" in lines[2]


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
    assert [["已解决", "未解决"]] == question.button_labels
    await harness.press(LIU, question.message_id, LIU, f"v1:ok:{ticket.id}")
    assert "closed" == (await harness.ticket(ticket.id)).status

"""A lead's broadcast notice: compose, pick groups, send through the outbox, "got it" once,
who has not pressed, one reminder; refusals and a restart half-way."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.config import Settings
from standin import ChatMessage, World
from storage.schema import outbox
from tests.catalog import shown, shown_n
from tests.clock import FakeClock
from tests.harness import (
    LI_MING,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    NORTH_GROUP,
    WANG,
    Harness,
    start_harness,
)

CENTRE_LEAD = 700001  # leads the command centre: every grid group
LEAD_ZHANG = 710001  # leads the Minzhu squad: the market group only
MARKET, NORTH = "民主路商户群", "新浦北商户群"  # the groups' names in config.yaml


@pytest.fixture(autouse=True)
def _private_chats(world: World) -> None:
    for user in (CENTRE_LEAD, LEAD_ZHANG, LI_MING):
        world.add_chat(user, "private")


async def compose(harness: Harness, lead: int, text: str = "明早8点市场消防检查") -> ChatMessage:
    """/notice and the text as a reply to the prompt; returns the group picker."""
    await harness.say(lead, lead, text="/notice")
    prompt = harness.bot_last(lead)
    await harness.say(lead, lead, text=text, reply_to=prompt.message_id)
    return harness.bot_last(lead)


def button(message: ChatMessage, label: str) -> str:
    for row in message.inline_keyboard:
        for item in row:
            if label in item["text"]:
                return str(item["callback_data"])
    raise AssertionError(f"no button {label!r} in {message.button_labels}")


async def send_to_all(harness: Harness, lead: int = CENTRE_LEAD) -> ChatMessage:
    picker = await compose(harness, lead)
    await harness.press(lead, picker.message_id, lead, button(picker, "发送"))
    return harness.bot_last(lead)


async def test_lead_sends_a_notice_to_every_group(harness: Harness) -> None:
    """The command centre's lead reaches every grid group, each with a 收到 button."""
    picker = await compose(harness, CENTRE_LEAD)
    assert "明早8点市场消防检查" in (picker.text or "")
    assert [
        shown("zh", "notice.all_on"),
        shown("zh", "notice.group_on", name=MARKET),
        shown("zh", "notice.group_on", name=NORTH),
        shown_n("zh", "notice.send", 2),
    ] == [label for row in picker.button_labels for label in row]
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "发送"))
    for group in (MARKET_GROUP, NORTH_GROUP):
        notice = harness.bot_last(group)
        assert "明早8点市场消防检查" in (notice.text or "")
        assert [[shown("zh", "notice.got_it")]] == notice.button_labels
    sent = shown_n(
        "zh", "notice.sent", 2, groups=shown("zh", "notice.separator").join([MARKET, NORTH])
    )
    assert sent in (harness.bot_last(CENTRE_LEAD).text or "")


async def test_the_outbox_carries_one_broadcast_per_group(harness: Harness) -> None:
    """Confirming writes one outbox item per chosen group, purpose broadcast."""
    picker = await compose(harness, CENTRE_LEAD)
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "新浦北"))
    picker = harness.bot_last(CENTRE_LEAD)
    assert shown("zh", "notice.group_off", name=NORTH) in [
        label for row in picker.button_labels for label in row
    ]
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "发送"))
    async with harness.services.db.transaction() as conn:
        rows = (
            await conn.execute(select(outbox.c.chat_id).where(outbox.c.purpose == "broadcast"))
        ).all()
    assert [(MARKET_GROUP,)] == rows
    assert [] == [m for m in harness.world.sent_to(NORTH_GROUP) if "消防" in (m.text or "")]


async def test_all_toggles_every_group_off_and_sending_none_is_refused(harness: Harness) -> None:
    """The "all" button unticks every group; sending to none is refused and sends nothing."""
    picker = await compose(harness, CENTRE_LEAD)
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "全部群"))
    picker = harness.bot_last(CENTRE_LEAD)
    assert shown("zh", "notice.all_off") in picker.button_labels[0]
    press = await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "发送"))
    assert shown("zh", "notice.pick_some") in harness.answer_to(press).get("text", "")
    assert [] == [m for m in harness.world.sent_to(MARKET_GROUP) if "消防" in (m.text or "")]


async def test_a_squad_lead_reaches_only_their_own_groups(harness: Harness) -> None:
    """The Minzhu lead is offered the market group only, and a crafted toggle is refused."""
    picker = await compose(harness, LEAD_ZHANG)
    assert [shown("zh", "notice.group_on", name=MARKET)] == picker.button_labels[1]
    crafted = button(picker, "民主路").replace(str(-MARKET_GROUP), str(-NORTH_GROUP))
    press = await harness.press(LEAD_ZHANG, picker.message_id, LEAD_ZHANG, crafted)
    assert harness.answer_to(press).get("show_alert")


async def test_non_leads_and_grid_groups_are_refused(harness: Harness) -> None:
    """An officer, a shop owner and a lead in a grid group get a polite no and no prompt."""
    await harness.say(LI_MING, LI_MING, text="/notice")
    assert shown("zh", "notice.not_allowed") in (harness.bot_last(LI_MING).text or "")
    await harness.say(WANG, WANG, text="/notice")
    assert shown("en", "notice.not_allowed") in (harness.bot_last(WANG).text or "")
    await harness.say(MARKET_GROUP, LEAD_ZHANG, text="/notice")
    assert shown("zh", "notice.not_in_grid_group") in (harness.bot_last(MARKET_GROUP).text or "")
    await harness.say(MARKET_GROUP, LEAD_ZHANG, text="/notices")
    assert shown("zh", "notice.not_in_grid_group") in (harness.bot_last(MARKET_GROUP).text or "")


async def test_someone_else_cannot_send_a_leads_notice(harness: Harness) -> None:
    """Another person pressing the picker's send button changes nothing."""
    picker = await compose(harness, CENTRE_LEAD)
    press = await harness.press(CENTRE_LEAD, picker.message_id, LEAD_ZHANG, button(picker, "发送"))
    assert shown("zh", "notice.not_yours") in harness.answer_to(press).get("text", "")
    assert [] == [m for m in harness.world.sent_to(MARKET_GROUP) if "消防" in (m.text or "")]


async def test_empty_and_too_long_texts_are_asked_again(harness: Harness) -> None:
    """A caption-less photo or an over-long text is refused and the prompt stays open."""
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="/notice")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, photo=True)
    assert shown("zh", "notice.empty") in (harness.bot_last(CENTRE_LEAD).text or "")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="长" * 3001)
    assert "3001" in (harness.bot_last(CENTRE_LEAD).text or "")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="短通知")
    assert "短通知" in (harness.bot_last(CENTRE_LEAD).text or "")


async def test_a_photo_notice_reaches_groups_as_a_photo(harness: Harness) -> None:
    """A photo with a caption is posted to the groups as a photo with the button."""
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="/notice")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, photo=True, caption="占道经营整治通知")
    picker = harness.bot_last(CENTRE_LEAD)
    assert shown("zh", "notice.with_photo") in (picker.text or "")
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "发送"))
    notice = harness.bot_last(MARKET_GROUP)
    assert notice.photo is not None and "占道经营整治通知" in (notice.caption or "")


async def test_a_restart_mid_compose_carries_on(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Prompted before a restart, the lead's text after it still makes the picker."""
    world.add_chat(CENTRE_LEAD, "private")
    first = await start_harness(world, settings, clock)
    await first.say(CENTRE_LEAD, CENTRE_LEAD, text="/notice")
    await first.stop()
    second = await start_harness(world, settings, clock)
    prompt = second.bot_last(CENTRE_LEAD)
    await second.say(CENTRE_LEAD, CENTRE_LEAD, text="停电通知", reply_to=prompt.message_id)
    picker = second.bot_last(CENTRE_LEAD)
    await second.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "发送"))
    assert "停电通知" in (second.bot_last(NORTH_GROUP).text or "")
    await second.stop()


async def test_got_it_is_recorded_once_per_person(harness: Harness) -> None:
    """The first press is thanked; a second gets "already noted" and counts nothing more."""
    await send_to_all(harness)
    notice = harness.bot_last(MARKET_GROUP)
    first = await harness.press(MARKET_GROUP, notice.message_id, LIU, notice.callback_data[0])
    assert shown("zh", "notice.noted") in harness.answer_to(first).get("text", "")
    again = await harness.press(MARKET_GROUP, notice.message_id, LIU, notice.callback_data[0])
    assert shown("zh", "notice.already_noted") in harness.answer_to(again).get("text", "")
    assert harness.answer_to(again).get("show_alert")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="/notices")
    assert shown_n("zh", "notice.status_line", 1, name=MARKET) in (
        harness.bot_last(CENTRE_LEAD).text or ""
    )


async def test_status_names_seen_members_who_have_not_pressed(harness: Harness) -> None:
    """/notices lists, per group, the members the bot has seen who have not pressed."""
    await harness.say(MARKET_GROUP, WANG, text="/help")  # the bot now knows 王老板
    await send_to_all(harness)
    notice = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, notice.message_id, LIU, notice.callback_data[0])
    confirmation = harness.bot_last(CENTRE_LEAD)
    await harness.press(
        CENTRE_LEAD, confirmation.message_id, CENTRE_LEAD, button(confirmation, "查看")
    )
    status = harness.bot_last(CENTRE_LEAD).text or ""
    market = shown_n("zh", "notice.status_line", 1, name=MARKET)
    assert market + "\n" + shown("zh", "notice.status_missing", names="王老板") in status
    assert shown_n("zh", "notice.status_line", 0, name=NORTH) in status


async def test_a_press_from_a_group_not_sent_to_is_refused(harness: Harness) -> None:
    """A "got it" button carried into another group records nothing."""
    picker = await compose(harness, LEAD_ZHANG)
    await harness.press(LEAD_ZHANG, picker.message_id, LEAD_ZHANG, button(picker, "发送"))
    data = harness.bot_last(MARKET_GROUP).callback_data[0]
    await harness.say(NORTH_GROUP, 9003, text="/help")
    north = harness.bot_last(NORTH_GROUP)
    press = await harness.press(NORTH_GROUP, north.message_id, 9003, data)
    assert harness.answer_to(press).get("show_alert")
    await harness.say(LEAD_ZHANG, LEAD_ZHANG, text="/notices")
    assert shown_n("zh", "notice.status_line", 0, name=MARKET) in (
        harness.bot_last(LEAD_ZHANG).text or ""
    )


async def test_one_reminder_then_refused(harness: Harness) -> None:
    """The first reminder reposts the notice in each group; a second is refused."""
    confirmation = await send_to_all(harness)
    remind = button(confirmation, "提醒")
    first = await harness.press(CENTRE_LEAD, confirmation.message_id, CENTRE_LEAD, remind)
    assert shown("zh", "notice.reminded") in harness.answer_to(first).get("text", "")
    reminder = harness.bot_last(NORTH_GROUP)
    assert shown("zh", "notice.reminder", body="明早8点市场消防检查") == reminder.text
    assert [[shown("zh", "notice.got_it")]] == reminder.button_labels
    count = len(harness.world.sent_to(NORTH_GROUP))
    second = await harness.press(CENTRE_LEAD, confirmation.message_id, CENTRE_LEAD, remind)
    assert shown("zh", "notice.reminded_already") in harness.answer_to(second).get("text", "")
    assert count == len(harness.world.sent_to(NORTH_GROUP))


async def test_no_notice_yet(harness: Harness) -> None:
    """/notices before any notice says how to post one."""
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="/notices")
    assert "/notice" in (harness.bot_last(CENTRE_LEAD).text or "")


async def test_in_english_for_an_english_lead_and_group(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """An English-speaking lead is prompted in English; an English group reads "Got it"."""
    groups = [
        g.model_copy(update={"locale": "en"}) if g.chat_id == MARKET_GROUP else g
        for g in settings.grid_groups
    ]
    settings = settings.model_copy(update={"grid_groups": groups})
    world.user(CENTRE_LEAD).language_code = "en"
    world.add_chat(CENTRE_LEAD, "private")
    harness = await start_harness(world, settings, clock)
    picker = await compose(harness, CENTRE_LEAD, "Fire inspection at 8")
    assert "Choose the groups" in (picker.text or "")
    await harness.press(CENTRE_LEAD, picker.message_id, CENTRE_LEAD, button(picker, "Send to 2"))
    notice = harness.bot_last(MARKET_GROUP)
    assert [[shown("en", "notice.got_it")]] == notice.button_labels
    assert [[shown("zh", "notice.got_it")]] == harness.bot_last(NORTH_GROUP).button_labels
    press = await harness.press(MARKET_GROUP, notice.message_id, WANG, notice.callback_data[0])
    assert "Noted" in harness.answer_to(press).get("text", "")
    await harness.say(CENTRE_LEAD, CENTRE_LEAD, text="/notices")
    assert "1 person got it" in (harness.bot_last(CENTRE_LEAD).text or "")
    await harness.stop()


async def test_in_the_squad_chat_only_replies_to_the_prompt_are_taken(harness: Harness) -> None:
    """In the squad's chat a lead's notice text must reply to the bot's prompt."""
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="/notice")
    prompt = harness.bot_last(MINZHU_SQUAD)
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="市场通知", reply_to=prompt.message_id)
    assert "市场通知" in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_in_the_squad_chat_a_message_not_replying_is_not_the_notice(
    harness: Harness,
) -> None:
    """A lead's ordinary squad-chat message after /notice leaves the prompt waiting."""
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="/notice")
    prompt = harness.bot_last(MINZHU_SQUAD)
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="@griddesk_bot 大家辛苦了")
    assert [] == [m for m in harness.world.sent_to(MINZHU_SQUAD) if "辛苦" in (m.text or "")]
    await harness.say(MINZHU_SQUAD, LEAD_ZHANG, text="市场通知", reply_to=prompt.message_id)
    assert "市场通知" in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_a_new_notice_replaces_an_unfinished_one(harness: Harness) -> None:
    """/notice again drops the unfinished picker: its send button no longer sends."""
    old = await compose(harness, CENTRE_LEAD, "旧通知")
    await compose(harness, CENTRE_LEAD, "新通知")
    press = await harness.press(CENTRE_LEAD, old.message_id, CENTRE_LEAD, button(old, "发送"))
    assert shown("zh", "notice.already_sent") in harness.answer_to(press).get("text", "")
    assert [] == [m for m in harness.world.sent_to(MARKET_GROUP) if "旧通知" in (m.text or "")]

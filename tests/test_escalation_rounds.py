"""Escalation after a release, who is reminded, and what a hand-over tells each side."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.core.config import Settings
from bot.core.i18n import t
from standin import ChatMessage, World
from tests.bilingual import in_language
from tests.catalog import pattern
from tests.clock import FakeClock
from tests.harness import (
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    XINPU_SQUAD,
    ZHAO_GANG,
    Harness,
    start_harness,
)

WANG_QIANG, LEAD_ZHANG = 710003, 710001


def mentioned(message: ChatMessage) -> set[int]:
    """The people a message mentions by tg://user links."""
    ids = set()
    for entity in message.entities + message.caption_entities:
        url = entity.get("url") or ""
        if url.startswith("tg://user?id="):
            ids.add(int(url.split("=")[1]))
        if "user" in entity:
            ids.add(entity["user"]["id"])
    return ids


def plain(html: str) -> str:
    return re.sub("<[^>]+>", "", html)


def texts_since(harness: Harness, chat_id: int, before: int) -> list[str]:
    return [m.content or "" for m in harness.world.sent_to(chat_id)[before:]]


@pytest.fixture(name="english", params=["zh", "en"])
async def fixture_english(
    request: pytest.FixtureRequest, world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The district in Chinese, and the same with the Minzhu squad and market group in English."""
    settings = in_language(settings, request.param)
    harness = await start_harness(world, settings, clock)
    yield harness
    await harness.stop()


async def claim_and_release(harness: Harness, ticket_id: int) -> None:
    await harness.press_on_card(ticket_id, LI_MING, f"v1:claim:{ticket_id}")
    await harness.press_on_card(ticket_id, LI_MING, f"v1:relr:{ticket_id}:shift_end")


async def test_release_after_the_hand_over_time_restarts_the_claim_deadline(
    harness: Harness,
) -> None:
    """Claimed at 3 min, released at 25 (a shift change): nothing fires at once; the squad
    has a fresh 5-minute claim deadline from the release, and the hand-over comes 20 min later."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=3)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    harness.clock.advance(minutes=22)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:relr:{ticket.id}:shift_end")
    assert 0 == await harness.services.escalator.fire_due()
    harness.clock.advance(minutes=4, seconds=59)
    assert 0 == await harness.services.escalator.fire_due()
    assert "minzhu" == (await harness.ticket(ticket.id)).squad_id
    harness.clock.advance(seconds=1)
    assert 2 == await harness.services.escalator.fire_due()  # overdue mark and reminder
    harness.clock.advance(minutes=15)
    assert 2 == await harness.services.escalator.fire_due()  # lead notice and hand-over
    assert "xinpu" == (await harness.ticket(ticket.id)).squad_id


async def test_steps_taken_before_a_release_do_not_fire_again(harness: Harness) -> None:
    """Reminded at 5 min and the leads told at 10, claimed at 11 and released at 12: at the
    new deadline only the overdue mark comes back, no second reminder or lead notice."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=10)
    assert 3 == await harness.services.escalator.fire_due()
    harness.clock.advance(minutes=1)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    harness.clock.advance(minutes=1)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:relr:{ticket.id}:shift_end")
    before = len(harness.world.sent_to(MINZHU_SQUAD))
    harness.clock.advance(minutes=5)
    assert 1 == await harness.services.escalator.fire_due()
    await harness.settle()
    assert [] == texts_since(harness, MINZHU_SQUAD, before)
    actions = [e.detail.get("action") for e in await harness.events(ticket.id)]
    assert 1 == actions.count("remind_on_duty") and 1 == actions.count("notify_leads")


async def test_claimer_who_clocked_off_is_not_reminded_the_leads_are(
    english: Harness,
) -> None:
    """The claimer clocked off with /offduty ("no reminders until ..."): at the arrival
    deadline the leads are told so, and the claimer is not mentioned."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.say(MINZHU_SQUAD, LI_MING, text="/offduty")
    before = len(harness.world.sent_to(MINZHU_SQUAD))
    harness.clock.advance(minutes=30)
    await harness.services.escalator.fire_due()
    await harness.settle()
    notice = harness.world.sent_to(MINZHU_SQUAD)[before:]
    assert 1 == len(notice)
    assert {LEAD_ZHANG} == mentioned(notice[0])
    directory = harness.services.directory
    locale = directory.squad_locale(directory.squads["minzhu"])
    expected = t(
        locale,
        "escalate.claimer_off_duty",
        number=f"#{ticket.id}",
        stage=t(locale, "stage.arrive"),
        due="11-23 10:00",
        officer="李明",
        leads="张队长",
    )
    assert expected == notice[0].text


async def test_with_nobody_on_duty_the_reminder_tells_the_leads_so(english: Harness) -> None:
    """Both officers clocked off after the report: the leads are told nobody is on duty,
    and no clocked-off officer is mentioned."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    for officer in (LI_MING, WANG_QIANG):
        await harness.say(MINZHU_SQUAD, officer, text="/offduty")
    before = len(harness.world.sent_to(MINZHU_SQUAD))
    harness.clock.advance(minutes=5)
    await harness.services.escalator.fire_due()
    await harness.settle()
    notice = harness.world.sent_to(MINZHU_SQUAD)[before:]
    assert 1 == len(notice)
    locale = harness.services.directory.squad_locale(harness.services.directory.squads["minzhu"])
    squad_name = harness.services.directory.squads["minzhu"].name.get(locale)
    expected = t(
        locale,
        "escalate.nobody_on_duty",
        number=f"#{ticket.id}",
        stage=t(locale, "stage.claim"),
        due="11-23 09:35",
        squad=squad_name,
        leads="张队长",
    )
    assert expected == notice[0].text
    assert {LEAD_ZHANG} == mentioned(notice[0])


async def test_hand_over_tells_each_side_where_and_why(english: Harness) -> None:
    """After the hand-over: the new card says where it came from and is not marked overdue;
    the old card keeps its text (its map pin still replies to it) and says where it went;
    the group is told why."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    old_card = await harness.card(ticket.id)
    old_text = old_card.text or ""
    harness.clock.advance(minutes=20)
    assert 4 == await harness.services.escalator.fire_due()
    await harness.settle()
    directory = harness.services.directory
    old_locale = directory.squad_locale(directory.squads["minzhu"])
    new_card = await harness.card(ticket.id)
    new_text = new_card.text or ""
    assert XINPU_SQUAD == new_card.chat_id
    previous = directory.squads["minzhu"].name.get("zh")
    assert t("zh", "card.handed_from", previous=previous, stage=t("zh", "stage.claim")) in new_text
    assert not pattern("zh", "card.overdue").search(new_text)
    went = t(
        old_locale,
        "escalate.handed_card",
        number=f"#{ticket.id}",
        squad=directory.squads["xinpu"].name.get(old_locale),
        stage=t(old_locale, "stage.claim"),
        time="11-23 09:50",
    )
    now_lines = (old_card.text or "").split("\n")
    report_lines = old_text.split("\n")[:-1]  # what officers read, without the status
    assert report_lines == now_lines[: len(report_lines)]
    assert went == now_lines[-1]
    assert plain(t(old_locale, "card.status.dispatched")) not in now_lines
    locale = directory.group_locale(MARKET_GROUP)
    told = t(
        locale,
        "group.handed",
        number=f"#{ticket.id}",
        squad=directory.squads["xinpu"].name.get(locale),
        previous=directory.squads["minzhu"].name.get(locale),
        stage=t(locale, "stage.claim"),
    )
    assert told == harness.bot_last(MARKET_GROUP).text


async def test_timeline_tells_the_escalation_steps_apart(english: Harness) -> None:
    """/ticket after a missed claim: the overdue mark, reminder, lead notice and hand-over
    each read differently."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=20)
    await harness.services.escalator.fire_due()
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket.id}")
    locale = harness.services.directory.group_locale(MARKET_GROUP)
    lines = (harness.bot_last(MARKET_GROUP).text or "").split("\n")
    stage = t(locale, "stage.claim")
    expected = [
        t(locale, f"event.escalated.{action}", time="11-23 09:50", extra=stage)
        for action in ("mark_overdue", "remind_on_duty", "notify_leads", "hand_to_fallback")
    ]
    assert expected == [line for line in lines if line in expected]
    assert 4 == len(set(expected))


async def test_rework_starts_without_the_last_rounds_overdue_mark(english: Harness) -> None:
    """Claimed late (marked overdue), resolved, then 未解决: the new round's card shows its
    fresh claim deadline and no overdue mark from the round before."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=6)
    await harness.services.escalator.fire_due()
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:guided_point"
    )
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rskip:{ticket.id}")
    result = await harness.message_of((await harness.ticket(ticket.id)).resolution_outbox_id)
    await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:nok:{ticket.id}")
    locale = harness.services.directory.squad_locale(harness.services.directory.squads["minzhu"])
    card = (await harness.card(ticket.id)).content or ""
    stage = t(locale, "stage.claim")
    assert t(locale, "card.deadline", stage=stage, time="11-23 09:41") in card.split("\n")
    assert t(locale, "card.overdue", stages=stage) not in card.split("\n")


async def test_after_a_hand_over_later_progress_still_says_why(english: Harness) -> None:
    """The new squad's officer claims the handed-over ticket: the group's progress notice,
    edited again, still says why another squad has it."""
    harness = english
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=20)
    await harness.services.escalator.fire_due()
    await harness.settle()
    await harness.press_on_card(ticket.id, ZHAO_GANG, f"v1:claim:{ticket.id}")
    directory = harness.services.directory
    locale = directory.group_locale(MARKET_GROUP)
    progress = await harness.message_of((await harness.ticket(ticket.id)).progress_outbox_id)
    note = t(
        locale,
        "group.handed_note",
        previous=directory.squads["minzhu"].name.get(locale),
        stage=t(locale, "stage.claim"),
    )
    assert "赵刚" in (progress.text or "")
    assert note == (progress.text or "").split("\n")[-1]

"""Rectification notices with a time limit, and the re-inspection (复查) at the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.config import Settings
from bot.core.i18n import t
from bot.core.people import Person
from bot.tickets.limits import limit_text
from standin import ChatMessage, World
from tests.bilingual import in_language
from tests.clock import FakeClock
from tests.harness import (
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    ZHAO_GANG,
    Harness,
    start_harness,
)

WANG_QIANG = 710003  # the other officer of the Minzhu squad
TWO_HOURS, ONE_DAY, THREE_DAYS = 7200, 86400, 259200


@pytest.fixture(name="harness", params=["zh", "en"])
async def fixture_harness(
    request: pytest.FixtureRequest, world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    harness = await start_harness(world, in_language(settings, request.param), clock)
    yield harness
    await harness.stop()


def squad_locale(harness: Harness) -> str:
    directory = harness.services.directory
    return directory.squad_locale(directory.squads["minzhu"])


def group_locale(harness: Harness) -> str:
    return harness.services.directory.group_locale(MARKET_GROUP)


async def prompt_of(harness: Harness, ticket_id: int) -> ChatMessage:
    return await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)


async def to_the_limit_prompt(harness: Harness) -> int:
    """A report with a photo, claimed by Li Ming, resolving as a friendly reminder notice."""
    ticket = await harness.report_in_group(
        MARKET_GROUP, WANG, details={"photo": True, "caption": "水果车占道"}
    )
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await prompt_of(harness, ticket.id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:management")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:reminder_notice"
    )
    return ticket.id


async def noticed(harness: Harness, limit: int = TWO_HOURS) -> int:
    """A ticket resolved with a notice of ``limit`` seconds, with a resolution photo."""
    ticket_id = await to_the_limit_prompt(harness)
    prompt = await prompt_of(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rlim:{ticket_id}:{limit}")
    await harness.say(
        MINZHU_SQUAD, LI_MING, photo=True, caption="已发放提示单", reply_to=prompt.message_id
    )
    assert "resolved" == (await harness.ticket(ticket_id)).status
    return ticket_id


async def at_the_limit(harness: Harness, ticket_id: int, **late: float) -> ChatMessage:
    """Move the clock to the ticket's limit (and ``late`` beyond it); fire; the card."""
    ticket = await harness.ticket(ticket_id)
    assert ticket.recheck_due_at is not None
    harness.clock.current = ticket.recheck_due_at
    harness.clock.advance(**late)
    assert 1 == await harness.services.escalator.fire_due()
    await harness.settle()
    return await harness.message_of((await harness.ticket(ticket_id)).recheck_outbox_id)


async def test_prompt_offers_the_actions_time_limits(harness: Harness) -> None:
    """A reminder notice asks for its limit: 2 h, 24 h, 3 days, as durations people say."""
    ticket_id = await to_the_limit_prompt(harness)
    prompt = await prompt_of(harness, ticket_id)
    locale = squad_locale(harness)
    assert [
        f"v1:rlim:{ticket_id}:{TWO_HOURS}",
        f"v1:rlim:{ticket_id}:{ONE_DAY}",
        f"v1:rlim:{ticket_id}:{THREE_DAYS}",
        f"v1:resolve:{ticket_id}",
        f"v1:rcan:{ticket_id}",
    ] == prompt.callback_data
    assert [limit_text(s, locale) for s in (TWO_HOURS, ONE_DAY, THREE_DAYS)] == [
        row[0] for row in prompt.button_labels[:3]
    ]
    assert ("2小时", "1天", "3 days") == (
        limit_text(TWO_HOURS, "zh"),
        limit_text(ONE_DAY, "zh"),
        limit_text(THREE_DAYS, "en"),
    )
    assert "limit" == (await harness.ticket(ticket_id)).resolve_stage


async def test_a_note_before_the_limit_is_refused_politely(harness: Harness) -> None:
    """A note sent while the limits are offered is refused with a reason; nothing changes."""
    ticket_id = await to_the_limit_prompt(harness)
    prompt = await prompt_of(harness, ticket_id)
    await harness.say(MINZHU_SQUAD, LI_MING, text="已发放", reply_to=prompt.message_id)
    assert t(squad_locale(harness), "resolve.limit_first") == harness.bot_last(MINZHU_SQUAD).text
    ticket = await harness.ticket(ticket_id)
    assert ("claimed", "limit", None) == (ticket.status, ticket.resolve_stage, ticket.recheck_state)


async def test_a_limit_the_action_does_not_offer_is_refused(harness: Harness) -> None:
    """A crafted limit (5 days) is refused: the ticket stays at the limit prompt."""
    ticket_id = await to_the_limit_prompt(harness)
    prompt = await prompt_of(harness, ticket_id)
    press = await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rlim:{ticket_id}:432000"
    )
    assert harness.answer_to(press)["show_alert"] is True
    assert "limit" == (await harness.ticket(ticket_id)).resolve_stage


async def test_group_result_says_when_it_is_re_inspected(harness: Harness) -> None:
    """The group's result names the limit (3 days) and the time of the re-inspection."""
    ticket_id = await noticed(harness, THREE_DAYS)
    ticket = await harness.ticket(ticket_id)
    locale = group_locale(harness)
    expected = t(
        locale, "group.recheck_due", limit=limit_text(THREE_DAYS, locale), time="11-26 09:30"
    )
    result = await harness.message_of(ticket.resolution_outbox_id)
    assert expected in (result.content or "")
    assert ("pending", 0, THREE_DAYS) == (
        ticket.recheck_state,
        ticket.recheck_round,
        ticket.recheck_limit_s,
    )
    events = {e.kind: e.detail for e in await harness.events(ticket_id)}
    assert (THREE_DAYS, "reminder_notice") == (
        events["notice_issued"]["limit"],
        events["notice_issued"]["action"],
    )


async def test_card_comes_at_the_limit_with_the_original_photos(harness: Harness) -> None:
    """Not a second before the limit; then one card, with the reporter's photo and the
    resolution photo under it, and the buttons 已整改 / 未整改; the next fire adds nothing."""
    ticket_id = await noticed(harness)
    ticket = await harness.ticket(ticket_id)
    assert ticket.recheck_due_at is not None
    harness.clock.current = ticket.recheck_due_at
    harness.clock.advance(seconds=-1)
    assert 0 == await harness.services.escalator.fire_due()
    harness.clock.advance(seconds=1)
    assert 1 == await harness.services.escalator.fire_due()
    assert 0 == await harness.services.escalator.fire_due()
    await harness.settle()
    card = await harness.message_of((await harness.ticket(ticket_id)).recheck_outbox_id)
    locale = squad_locale(harness)
    assert card.photo is not None
    title = t(locale, "recheck.card_title", number=f"#{ticket_id}", category="")
    assert title.split("</b>")[0].replace("<b>", "") in (card.content or "")
    assert t(locale, "recheck.card_ask") in (card.content or "")
    assert [f"v1:rcok:{ticket_id}", f"v1:rcno:{ticket_id}"] == card.callback_data
    assert [
        [t(locale, "button.rectified"), t(locale, "button.not_rectified")]
    ] == card.button_labels
    under = [m for m in harness.world.sent_to(MINZHU_SQUAD) if m.reply_to == card.message_id]
    assert 1 == len([m for m in under if m.photo is not None])
    assert ["recheck_due"] == [
        e.kind for e in await harness.events(ticket_id) if e.kind.startswith("recheck")
    ]
    assert [] == harness.rejected_calls()


async def test_rectified_closes_the_loop(harness: Harness) -> None:
    """Another officer of the squad presses 已整改: recorded on time, the card ends without
    buttons, the group is thanked; the reporter's answer is still theirs to give."""
    ticket_id = await noticed(harness)
    card = await at_the_limit(harness, ticket_id, minutes=30)
    press = await harness.press(MINZHU_SQUAD, card.message_id, WANG_QIANG, f"v1:rcok:{ticket_id}")
    locale = squad_locale(harness)
    assert (
        t(locale, "recheck.rectified_toast", number=f"#{ticket_id}")
        == harness.answer_to(press)["text"]
    )
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "rectified", WANG_QIANG) == (
        ticket.status,
        ticket.recheck_state,
        ticket.rechecked_by,
    )
    rechecked = [e for e in await harness.events(ticket_id) if e.kind == "rechecked"]
    assert [{"result": "rectified", "on_time": True}] == [e.detail for e in rechecked]
    card = harness.world.message(card.chat_id, card.message_id)
    assert [] == card.callback_data
    assert t(locale, "recheck.card_rectified", officer="王强", time="11-23 12:00") in (
        card.content or ""
    )
    told = t(group_locale(harness), "recheck.group_rectified", number=f"#{ticket_id}")
    assert told == harness.bot_last(MARKET_GROUP).text


async def test_presses_by_others_and_a_second_press_change_nothing(harness: Harness) -> None:
    """A shop owner, an officer of another squad, and a second press after the result are
    refused with a polite alert; only the first press by the squad counts."""
    ticket_id = await noticed(harness)
    card = await at_the_limit(harness, ticket_id)
    locale = squad_locale(harness)
    for outsider in (WANG, ZHAO_GANG):
        press = await harness.press(MINZHU_SQUAD, card.message_id, outsider, f"v1:rcno:{ticket_id}")
        answer = harness.answer_to(press)
        assert answer["show_alert"] is True
        squad = harness.services.directory.squads["minzhu"].name.get(locale)
        assert t(locale, "workflow.not_your_squad", squad=squad) == answer["text"]
    assert "due" == (await harness.ticket(ticket_id)).recheck_state
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcok:{ticket_id}")
    again = await harness.press(MINZHU_SQUAD, card.message_id, WANG_QIANG, f"v1:rcno:{ticket_id}")
    assert t(locale, "recheck.already", officer="李明") == harness.answer_to(again)["text"]
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "rectified") == (ticket.status, ticket.recheck_state)
    assert 1 == len([e for e in await harness.events(ticket_id) if e.kind == "rechecked"])


async def test_a_press_before_the_limit_is_stale(harness: Harness) -> None:
    """A crafted 未整改 before the card exists is refused; the re-inspection stays pending."""
    ticket_id = await noticed(harness)
    card = await harness.card(ticket_id)
    press = await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcno:{ticket_id}")
    assert harness.answer_to(press)["show_alert"] is True
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "pending") == (ticket.status, ticket.recheck_state)


async def test_not_rectified_reopens_one_class_up(harness: Harness) -> None:
    """未整改 reopens the ticket for the squad as a new round, at enforcement: the card can be
    claimed again, the reporter's question is withdrawn, the group is told politely, and
    the next resolution offers enforcement only (a crafted management press is refused)."""
    ticket_id = await noticed(harness)
    card = await at_the_limit(harness, ticket_id, hours=3)
    confirm_id = (await harness.ticket(ticket_id)).confirm_outbox_id
    await harness.press(MINZHU_SQUAD, card.message_id, WANG_QIANG, f"v1:rcno:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("dispatched", 1, "enforcement", None, "not_rectified") == (
        ticket.status,
        ticket.rework_count,
        ticket.ladder_class,
        ticket.outcome_class,
        ticket.recheck_state,
    )
    rechecked = [e.detail for e in await harness.events(ticket_id) if e.kind == "rechecked"]
    assert [{"result": "not_rectified", "on_time": False}] == rechecked  # 3 h > the 2 h window
    locale, group = squad_locale(harness), group_locale(harness)
    ticket_card = await harness.card(ticket_id)
    assert f"v1:claim:{ticket_id}" in ticket_card.callback_data
    reopened = t(
        locale,
        "recheck.squad_reopened",
        number=f"#{ticket_id}",
        outcome=t(locale, "outcome.enforcement"),
    )
    assert reopened == harness.bot_last(MINZHU_SQUAD).text
    asked = await harness.message_of(confirm_id)
    assert [] == asked.callback_data
    assert t(group, "recheck.group_not_rectified", number=f"#{ticket_id}") == (
        harness.bot_last(MARKET_GROUP).text
    )
    await harness.press_on_card(ticket_id, LI_MING, f"v1:claim:{ticket_id}")
    await harness.press_on_card(ticket_id, LI_MING, f"v1:resolve:{ticket_id}")
    prompt = await prompt_of(harness, ticket_id)
    assert [f"v1:rcls:{ticket_id}:enforcement", f"v1:rcan:{ticket_id}"] == prompt.callback_data
    refused = await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket_id}:management"
    )
    lowest = t(locale, "outcome.enforcement")
    assert t(locale, "resolve.class_too_low", outcome=lowest) == harness.answer_to(refused)["text"]
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket_id}:enforcement"
    )
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket_id}:case_filed")
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rskip:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "enforcement") == (ticket.status, ticket.outcome_class)
    result = await harness.message_of(ticket.resolution_outbox_id)
    # The new round has no notice: its result promises no re-inspection (the 📋 line).
    assert "📋" not in (result.content or "")
    assert [] == harness.rejected_calls()


async def test_timeline_names_every_step(harness: Harness) -> None:
    """/ticket shows the notice with its limit, the limit reached, and the result."""
    ticket_id = await noticed(harness, ONE_DAY)
    card = await at_the_limit(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcno:{ticket_id}")
    locale = squad_locale(harness)
    body = await harness.services.views.timeline(ticket_id, Person(LI_MING, "李明"), locale)
    action = t(locale, "outcome.management") + " · "
    assert t(locale, "view.limit", limit=limit_text(ONE_DAY, locale)) in body
    assert action in body
    assert t(locale, "event.recheck_due", time="11-24 09:30", extra="") in body
    rechecked = t(locale, "view.not_rectified") + t(locale, "view.on_time")
    assert t(locale, "event.rechecked", time="11-24 09:30", actor="李明", extra=rechecked) in body
    up = t(locale, "outcome.enforcement")
    assert t(locale, "event.recheck_reopened", time="11-24 09:30", actor="李明", extra=up) in body

"""The officer workflow: claim, on site, resolve with a 7-2-1 outcome, the reporter confirms."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.core.i18n import t
from tests.catalog import shown, shown_n
from tests.harness import (
    IN_WEST,
    LI_MING,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    WANG,
    ZHAO_GANG,
    Harness,
)

LEAD_ZHANG, WANG_QIANG, LEAD_CHEN = 710001, 710003, 720001


async def reported(harness: Harness) -> int:
    ticket = await harness.report_in_group(MARKET_GROUP, WANG, details={"text": "水果摊占道"})
    return ticket.id


async def claimed(harness: Harness, officer: int = LI_MING) -> int:
    ticket_id = await reported(harness)
    await harness.press_on_card(ticket_id, officer, f"v1:claim:{ticket_id}")
    return ticket_id


async def resolve(harness: Harness, ticket_id: int, note: str = "已引导至临时经营点") -> None:
    await harness.press_on_card(ticket_id, LI_MING, f"v1:resolve:{ticket_id}")
    prompt = await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket_id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket_id}:guided_point"
    )
    await harness.say(MINZHU_SQUAD, LI_MING, text=note, reply_to=prompt.message_id)


async def test_claim_edits_card_and_tells_the_group(harness: Harness) -> None:
    """Claiming records who and when, edits the card, and replies to the report in the group."""
    ticket_id = await reported(harness)
    harness.clock.advance(minutes=4)
    press = await harness.press_on_card(ticket_id, LI_MING, f"v1:claim:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("claimed", LI_MING, harness.clock.now()) == (
        ticket.status,
        ticket.claimed_by,
        ticket.claimed_at,
    )
    card = await harness.card(ticket_id)
    four_minutes = t("zh", "duration.minutes", minutes=4)
    assert "李明" in (card.text or "") and four_minutes in (card.text or "")
    assert [
        [shown("zh", "button.arrive"), shown("zh", "button.resolve")],
        [shown("zh", "button.release"), shown("zh", "button.assign")],
    ] == card.button_labels
    progress = await harness.message_of(ticket.progress_outbox_id)
    assert ticket.report_message_id == progress.reply_to
    on_the_way = shown("zh", "group.on_the_way", number=f"#{ticket_id}", officer="李明")
    assert on_the_way in (progress.text or "")
    assert "#1001" in harness.answer_to(press)["text"]


async def test_officer_of_another_squad_cannot_claim(harness: Harness) -> None:
    """An officer outside the ticket's squad gets a popup; nothing changes."""
    ticket_id = await reported(harness)
    press = await harness.press_on_card(ticket_id, ZHAO_GANG, f"v1:claim:{ticket_id}")
    assert harness.answer_to(press)["show_alert"] is True
    assert (
        shown("zh", "workflow.not_your_squad", squad="民主路中队")
        in harness.answer_to(press)["text"]
    )
    assert "dispatched" == (await harness.ticket(ticket_id)).status


async def test_lead_of_another_squad_may_claim(harness: Harness) -> None:
    """Team leads may act on any squad's ticket."""
    ticket_id = await claimed(harness, LEAD_CHEN)
    assert LEAD_CHEN == (await harness.ticket(ticket_id)).claimed_by


async def test_simultaneous_claims_have_one_winner(harness: Harness) -> None:
    """Several officers pressing Claim at once: one wins, the others are told who did."""
    ticket_id = await reported(harness)
    card = await harness.card(ticket_id)
    officers = [LI_MING, WANG_QIANG, LEAD_ZHANG, LEAD_CHEN]
    presses = [
        harness.world.press_button(MINZHU_SQUAD, card.message_id, o, f"v1:claim:{ticket_id}")
        for o in officers
    ]
    await asyncio.gather(
        *(harness.app.process_update(Update.de_json(p, harness.app.bot)) for p in presses)
    )
    await harness.settle()
    ticket = await harness.ticket(ticket_id)
    answers = [harness.answer_to(p) for p in presses]
    winners = [a for a in answers if not a.get("show_alert")]
    assert 1 == len(winners)
    assert ticket.claimed_by_name and all(
        ticket.claimed_by_name in a["text"] for a in answers if a.get("show_alert")
    )
    events = [e.kind for e in await harness.events(ticket_id)]
    assert 1 == events.count("claimed")


async def test_location_reply_records_arrival_and_distance(harness: Harness) -> None:
    """A location sent as a reply to the card marks arrival with its distance."""
    ticket_id = await claimed(harness)
    card = await harness.card(ticket_id)
    harness.clock.advance(minutes=15)
    near = (IN_WEST[0] + 0.0005, IN_WEST[1])  # about 55 m north
    await harness.say(MINZHU_SQUAD, LI_MING, location=near, reply_to=card.message_id)
    ticket = await harness.ticket(ticket_id)
    assert "on_site" == ticket.status
    assert ticket.on_site_distance_m is not None and 50 < ticket.on_site_distance_m < 60
    assert ticket.on_site_far is False
    progress = await harness.message_of(ticket.progress_outbox_id)
    after = t("zh", "duration.minutes", minutes=15)
    on_site = shown("zh", "group.on_site", number=f"#{ticket_id}", officer="李明", after=after)
    assert on_site in (progress.text or "") and progress.edited


async def test_far_arrival_is_marked_off_site(harness: Harness) -> None:
    """An arrival beyond arrival_radius is recorded as off site, and the card says so."""
    ticket_id = await claimed(harness)
    card = await harness.card(ticket_id)
    await harness.say(
        MINZHU_SQUAD, LI_MING, location=(IN_WEST[0] + 0.01, IN_WEST[1]), reply_to=card.message_id
    )
    ticket = await harness.ticket(ticket_id)
    assert ticket.on_site_far is True
    assert ticket.on_site_distance_m is not None
    far = shown(
        "zh",
        "card.on_site_far",
        time="11-23 09:30",
        distance=round(ticket.on_site_distance_m),
        radius=300,
    )
    assert far in ((await harness.card(ticket_id)).text or "")


async def test_only_the_claimer_may_mark_arrival(harness: Harness) -> None:
    """Another squad member pressing On site is refused."""
    ticket_id = await claimed(harness)
    press = await harness.press_on_card(ticket_id, WANG_QIANG, f"v1:arrive:{ticket_id}")
    assert harness.answer_to(press)["show_alert"] is True
    assert "claimed" == (await harness.ticket(ticket_id)).status


async def test_resolution_reaches_the_group_as_reply_with_times(harness: Harness) -> None:
    """The resolution is posted as a reply to the report: what, who, and how long each step took."""
    ticket_id = await reported(harness)
    harness.clock.advance(minutes=3)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:claim:{ticket_id}")
    harness.clock.advance(minutes=12)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:arrive:{ticket_id}")
    harness.clock.advance(minutes=10)
    await resolve(harness, ticket_id)
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "service", "guided_point", "已引导至临时经营点") == (
        ticket.status,
        ticket.outcome_class,
        ticket.outcome_action,
        ticket.outcome_note,
    )
    resolution = await harness.message_of(ticket.resolution_outbox_id)
    text = resolution.text or ""
    assert ticket.report_message_id == resolution.reply_to
    assert shown("zh", "outcome.service") + " · 疏导至临时经营点" in text
    for key, minutes in (("times.claim", 3), ("times.arrive", 15), ("times.resolve", 25)):
        assert shown("zh", key, duration=t("zh", "duration.minutes", minutes=minutes)) in text
    assert [[shown("zh", "button.solved"), shown("zh", "button.not_solved")]] == (
        resolution.button_labels
    )
    card = await harness.card(ticket_id)
    assert [] == card.button_labels
    assert shown("zh", "card.status.resolved") in (card.text or "")


async def test_someone_else_cannot_answer_the_resolution_prompt(harness: Harness) -> None:
    """Only the officer holding the ticket may pick its outcome."""
    ticket_id = await claimed(harness)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:resolve:{ticket_id}")
    prompt = await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)
    press = await harness.press(
        MINZHU_SQUAD, prompt.message_id, WANG_QIANG, f"v1:rcls:{ticket_id}:enforcement"
    )
    assert harness.answer_to(press)["show_alert"] is True
    assert (await harness.ticket(ticket_id)).resolve_class is None


async def test_solved_closes_and_rating_is_stored(harness: Harness) -> None:
    """The reporter's Solved closes the ticket; a 4-star rating follows and is stored."""
    ticket_id = await claimed(harness)
    await resolve(harness, ticket_id)
    resolution = await harness.message_of((await harness.ticket(ticket_id)).resolution_outbox_id)
    stranger = await harness.press(MARKET_GROUP, resolution.message_id, LIU, f"v1:ok:{ticket_id}")
    assert harness.answer_to(stranger)["show_alert"] is True
    await harness.press(MARKET_GROUP, resolution.message_id, WANG, f"v1:ok:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("closed", "solved") == (ticket.status, ticket.close_reason)
    assert 5 == len(resolution.callback_data)
    await harness.press(MARKET_GROUP, resolution.message_id, WANG, f"v1:rate:{ticket_id}:4")
    assert 4 == (await harness.ticket(ticket_id)).rating
    assert [] == resolution.button_labels
    assert "⭐⭐⭐⭐" in (resolution.text or "")


async def test_not_solved_reopens_with_rework(harness: Harness) -> None:
    """Not solved reopens the ticket, counts a rework, and re-dispatches it with a note."""
    ticket_id = await claimed(harness)
    await resolve(harness, ticket_id)
    resolution = await harness.message_of((await harness.ticket(ticket_id)).resolution_outbox_id)
    await harness.press(MARKET_GROUP, resolution.message_id, WANG, f"v1:nok:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("dispatched", 1, None) == (ticket.status, ticket.rework_count, ticket.claimed_by)
    card = await harness.card(ticket_id)
    assert [[shown("zh", "button.claim")], [shown("zh", "button.assign")]] == card.button_labels
    assert shown_n("zh", "card.rework", 1) in (card.text or "")
    notice = harness.bot_last(MINZHU_SQUAD)
    assert card.message_id == notice.reply_to
    assert shown("zh", "workflow.reopened", number=f"#{ticket_id}", count=1) in (notice.text or "")
    await harness.press_on_card(ticket_id, WANG_QIANG, f"v1:claim:{ticket_id}")
    assert WANG_QIANG == (await harness.ticket(ticket_id)).claimed_by


async def test_no_answer_closes_as_unconfirmed(harness: Harness) -> None:
    """No answer within confirm_window closes the ticket unconfirmed; a late press is stale."""
    ticket_id = await claimed(harness)
    await resolve(harness, ticket_id)
    resolution = await harness.message_of((await harness.ticket(ticket_id)).resolution_outbox_id)
    harness.clock.advance(hours=23, minutes=59)
    assert 0 == await harness.services.resolution.close_unconfirmed()
    harness.clock.advance(minutes=1)
    assert 1 == await harness.services.resolution.close_unconfirmed()
    await harness.settle()
    ticket = await harness.ticket(ticket_id)
    assert ("closed", "unconfirmed") == (ticket.status, ticket.close_reason)
    press = await harness.press(MARKET_GROUP, resolution.message_id, WANG, f"v1:ok:{ticket_id}")
    assert shown("zh", "button.stale") in harness.answer_to(press)["text"]


async def test_release_with_reason_returns_ticket_to_squad(harness: Harness) -> None:
    """The claimer releases with a reason: the ticket waits again and the squad is told why."""
    ticket_id = await claimed(harness)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:release:{ticket_id}")
    card = await harness.card(ticket_id)
    assert f"v1:relr:{ticket_id}:other_task" in card.callback_data
    await harness.press_on_card(ticket_id, LI_MING, f"v1:relr:{ticket_id}:other_task")
    assert "dispatched" == (await harness.ticket(ticket_id)).status
    released = shown(
        "zh",
        "workflow.released",
        officer="李明",
        number=f"#{ticket_id}",
        reason=t("zh", "release.reason.other_task"),
    )
    assert released in (harness.bot_last(MINZHU_SQUAD).text or "")


async def test_lead_assigns_and_others_may_not(harness: Harness) -> None:
    """A lead assigns the ticket to a named officer; an officer pressing Assign is refused."""
    ticket_id = await reported(harness)
    refused = await harness.press_on_card(ticket_id, LI_MING, f"v1:assign:{ticket_id}")
    assert harness.answer_to(refused)["show_alert"] is True
    await harness.press_on_card(ticket_id, LEAD_ZHANG, f"v1:assign:{ticket_id}")
    await harness.press_on_card(ticket_id, LEAD_ZHANG, f"v1:asgo:{ticket_id}:{WANG_QIANG}")
    ticket = await harness.ticket(ticket_id)
    assert ("claimed", WANG_QIANG) == (ticket.status, ticket.claimed_by)


async def test_resolution_prompt_survives_a_restart(
    harness: Harness, world, settings, clock
) -> None:  # type: ignore[no-untyped-def]
    """An officer half-way through resolving carries on after the bot restarts."""
    from tests.harness import start_harness

    ticket_id = await claimed(harness)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:resolve:{ticket_id}")
    prompt = await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket_id}:management")
    await harness.stop()
    second = await start_harness(world, settings, clock)
    await second.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket_id}:reminder_notice"
    )
    await second.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rlim:{ticket_id}:7200")
    await second.say(MINZHU_SQUAD, LI_MING, text="发放温馨提示单", reply_to=prompt.message_id)
    ticket = await second.ticket(ticket_id)
    assert ("resolved", "management", "reminder_notice") == (
        ticket.status,
        ticket.outcome_class,
        ticket.outcome_action,
    )
    await second.stop()
    await harness.app.initialize()  # the fixture's teardown stops it once more


async def test_group_sees_at_most_four_bot_messages_per_ticket(harness: Harness) -> None:
    """From report to confirmed, the grid group receives at most 4 new bot messages."""
    ticket_id = await claimed(harness)
    await harness.press_on_card(ticket_id, LI_MING, f"v1:arrive:{ticket_id}")
    await resolve(harness, ticket_id)
    resolution = await harness.message_of((await harness.ticket(ticket_id)).resolution_outbox_id)
    await harness.press(MARKET_GROUP, resolution.message_id, WANG, f"v1:ok:{ticket_id}")
    assert 4 == len(harness.world.sent_to(MARKET_GROUP))
    assert [] == harness.rejected_calls()

"""Rosters route tickets to the squad on duty; missed deadlines escalate once per step."""

from __future__ import annotations

from datetime import timedelta

from bot.core.config import Settings
from bot.core.i18n import joined, t
from standin import World
from tests.catalog import pattern, shown
from tests.clock import FakeClock
from tests.harness import (
    COMMAND_CENTRE,
    LI_MING,
    MARKET_GROUP,
    MINZHU_SQUAD,
    SUN_LEI,
    WANG,
    XINPU_SQUAD,
    Harness,
    start_harness,
)

WANG_QIANG, LEAD_CHEN = 710003, 720001
CLAIM = t("zh", "stage.claim")
REMINDED = pattern("zh", "escalate.remind_on_duty")
LEADS_TOLD = pattern("zh", "escalate.notify_leads", stage=CLAIM)


def at_night(clock: FakeClock) -> None:
    """21:30 in Shanghai (13:30 UTC): the Minzhu day squad is off, Xinpu's night shift on."""
    clock.current = clock.current.replace(hour=13, minute=30)


def squad_texts(harness: Harness, chat_id: int) -> list[str]:
    return [m.content or "" for m in harness.world.sent_to(chat_id)]


async def test_night_report_goes_to_the_night_squad_with_mentions(harness: Harness) -> None:
    """At 21:30 a report in Minzhu's grid goes to Xinpu's chat, mentioning the night officer."""
    at_night(harness.clock)
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    assert ("xinpu", "minzhu") == (ticket.squad_id, ticket.home_squad_id)
    assert [] == harness.world.sent_to(MINZHU_SQUAD)
    card = harness.world.sent_to(XINPU_SQUAD)[-2]
    assert shown("zh", "card.on_duty", officers="孙磊") in (card.text or "")
    assert any(
        e.get("url") == f"tg://user?id={SUN_LEI}" or e.get("user", {}).get("id") == SUN_LEI
        for e in card.entities
    )
    receipt = harness.bot_last(MARKET_GROUP).text or ""
    assert pattern("zh", "report.accepted_fallback", home="民主路中队", squad="新浦中队").search(
        receipt
    )


async def test_unclaimed_ticket_reminds_then_tells_leads_once_each(harness: Harness) -> None:
    """Unclaimed: at 5 min a reminder to the on-duty officer, at 10 min the leads; once each."""
    at_night(harness.clock)
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    before = len(harness.world.sent_to(XINPU_SQUAD))
    harness.clock.advance(minutes=4, seconds=59)
    assert 0 == await harness.services.escalator.fire_due()
    harness.clock.advance(seconds=1)
    assert 2 == await harness.services.escalator.fire_due()  # marked overdue, reminded
    assert 0 == await harness.services.escalator.fire_due()
    await harness.settle()
    new = squad_texts(harness, XINPU_SQUAD)[before:]
    reminder = shown(
        "zh",
        "escalate.remind_on_duty",
        number=f"#{ticket.id}",
        stage=CLAIM,
        due="11-23 21:35",
        officers="孙磊",
    )
    assert [reminder] == new
    assert shown("zh", "card.overdue", stages=CLAIM) in ((await harness.card(ticket.id)).text or "")
    harness.clock.advance(minutes=5)
    assert 1 == await harness.services.escalator.fire_due()
    await harness.settle()
    lead_notice = squad_texts(harness, XINPU_SQUAD)[-1]
    assert LEADS_TOLD.search(lead_notice) and "陈队长" in lead_notice
    kinds = [(e.kind, e.detail.get("action")) for e in await harness.events(ticket.id)]
    assert [
        ("escalated", "mark_overdue"),
        ("escalated", "remind_on_duty"),
        ("escalated", "notify_leads"),
    ] == [k for k in kinds if k[0] == "escalated"]


async def test_claim_before_the_deadline_prevents_the_reminder(harness: Harness) -> None:
    """A ticket claimed within 5 minutes produces no claim reminder."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    harness.clock.advance(minutes=3)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    harness.clock.advance(minutes=10)
    assert 0 == await harness.services.escalator.fire_due()
    card = await harness.card(ticket.id)
    deadline = shown("zh", "card.deadline", stage=t("zh", "stage.arrive"), time="11-23 10:00")
    assert deadline in (card.text or "")


async def test_unclaimed_ticket_is_handed_to_the_fallback(harness: Harness) -> None:
    """Still unclaimed 15 min after the deadline, the ticket moves to the fallback squad."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    old_card = await harness.card(ticket.id)
    harness.clock.advance(minutes=20)
    assert 4 == await harness.services.escalator.fire_due()
    await harness.settle()
    moved = await harness.ticket(ticket.id)
    assert ("xinpu", "dispatched") == (moved.squad_id, moved.status)
    handed = pattern("zh", "escalate.handed_card", number=f"#{ticket.id}", squad="新浦中队")
    assert handed.search(old_card.text or "") and [] == old_card.button_labels
    new_card = await harness.card(ticket.id)
    claim_button = shown("zh", "button.claim")
    assert XINPU_SQUAD == new_card.chat_id and claim_button in str(new_card.button_labels)
    told = shown(
        "zh",
        "group.handed",
        number=f"#{ticket.id}",
        previous="民主路中队",
        stage=CLAIM,
        squad="新浦中队",
    )
    assert told in (harness.bot_last(MARKET_GROUP).text or "")


async def test_restart_between_reminder_and_lead_notice(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """A restart neither repeats the reminder nor skips the lead notice."""
    at_night(clock)
    first = await start_harness(world, settings, clock)
    await first.report_in_group(MARKET_GROUP, WANG)
    clock.advance(minutes=5)
    assert 2 == await first.services.escalator.fire_due()
    await first.settle()
    await first.stop()
    clock.advance(minutes=5)
    second = await start_harness(world, settings, clock)
    assert 1 == await second.services.escalator.fire_due()
    assert 0 == await second.services.escalator.fire_due()
    await second.settle()
    texts = [m.content or "" for m in world.sent_to(XINPU_SQUAD)]
    assert 1 == sum(bool(REMINDED.search(text)) for text in texts)
    assert 1 == sum(bool(LEADS_TOLD.search(text)) for text in texts)
    await second.stop()


async def test_deadline_passed_while_down_fires_once_at_start(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Steps that fell due while the bot was down fire once each when it starts."""
    at_night(clock)
    first = await start_harness(world, settings, clock)
    await first.report_in_group(MARKET_GROUP, WANG)
    await first.stop()
    clock.advance(minutes=12)
    second = await start_harness(world, settings, clock)
    assert clock.now() - timedelta(minutes=7) == await second.services.escalator.next_due()
    assert 3 == await second.services.escalator.fire_due()
    assert 0 == await second.services.escalator.fire_due()
    await second.stop()


async def test_clocking_out_routes_to_the_fallback(harness: Harness) -> None:
    """When both day officers clock out, a new report goes to the fallback squad."""
    for officer in (LI_MING, WANG_QIANG):
        await harness.say(MINZHU_SQUAD, officer, text="/offduty")
    assert "20:00" in (harness.bot_last(MINZHU_SQUAD).text or "")
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    assert "xinpu" == ticket.squad_id
    await harness.say(MINZHU_SQUAD, LI_MING, text="/onduty")
    second = await harness.report_in_group(MARKET_GROUP, WANG)
    assert "minzhu" == second.squad_id


async def test_nobody_on_duty_anywhere_goes_to_the_command_centre(harness: Harness) -> None:
    """At night with the night officer clocked out, the command centre gets the ticket."""
    at_night(harness.clock)
    await harness.say(XINPU_SQUAD, SUN_LEI, text="/offduty")
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    assert "command_centre" == ticket.squad_id
    assert "#" in (harness.world.sent_to(COMMAND_CENTRE)[-2].text or "")


async def test_duty_board_lists_who_is_on_duty(harness: Harness) -> None:
    """/duty names the officers on duty now in each squad."""
    await harness.say(MINZHU_SQUAD, LI_MING, text="/duty")
    board = harness.bot_last(MINZHU_SQUAD).text or ""
    assert (
        shown("zh", "duty.line", squad="民主路中队", names=joined("zh", ["李明", "王强"])) in board
    )
    assert shown("zh", "duty.line", squad="新浦中队", names="赵刚") in board


async def test_category_deadlines_override_the_defaults(harness: Harness) -> None:
    """Construction waste has a 10-minute claim limit, shown on the card."""
    ticket = await harness.report_in_group(MARKET_GROUP, WANG, category_index=5)
    assert "waste" == ticket.category
    deadline = shown("zh", "card.deadline", stage=CLAIM, time="11-23 09:40")
    assert deadline in ((await harness.card(ticket.id)).text or "")


async def test_changed_deadlines_are_rederived_at_start(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Timers are derived: after a config change, the next start re-derives every deadline."""
    first = await start_harness(world, settings, clock)
    ticket = await first.report_in_group(MARKET_GROUP, WANG)
    assert clock.now() + timedelta(minutes=5) == await first.services.escalator.next_due()
    await first.stop()
    from bot.core.config import Deadlines

    longer = settings.model_copy(
        update={"deadlines": Deadlines(claim="20m", arrive="40m", resolve="2h")}
    )
    second = await start_harness(world, longer, clock)
    assert clock.now() + timedelta(minutes=20) == await second.services.escalator.next_due()
    assert clock.now() + timedelta(minutes=20) == (await second.ticket(ticket.id)).esc_due_at
    await second.stop()


async def test_escalation_timer_is_a_job_queue_job(harness: Harness) -> None:
    """The next escalation is scheduled on PTB's JobQueue under one named job."""
    await harness.report_in_group(MARKET_GROUP, WANG)
    assert harness.app.job_queue is not None
    assert 1 == len(harness.app.job_queue.get_jobs_by_name("escalation-due"))

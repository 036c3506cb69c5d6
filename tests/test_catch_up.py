"""After downtime: the steps that fell due are taken in batches that yield, each squad chat
and its leads get one summary, the timelines say what was taken, hand-overs wait a grace."""

from __future__ import annotations

import asyncio

from bot.core.config import Settings
from standin import World
from tests.catalog import pattern
from tests.clock import FakeClock
from tests.harness import LIU, MARKET_GROUP, MINZHU_SQUAD, WANG, XINPU_SQUAD, start_harness

REMINDED = pattern("zh", "escalate.remind_on_duty")  # one ticket's reminder to those on duty


def at_night(clock: FakeClock) -> None:
    """21:30 in Shanghai: the Minzhu day squad is off, Xinpu's night shift on."""
    clock.current = clock.current.replace(hour=13, minute=30)


def texts(world: World, chat_id: int) -> list[str]:
    return [m.content or "" for m in world.sent_to(chat_id)]


async def report_five_then_go_down(
    world: World, settings: Settings, clock: FakeClock, down_minutes: float
) -> list[int]:
    """Five reports at night, then the bot stops for ``down_minutes``."""
    at_night(clock)
    first = await start_harness(world, settings, clock)
    ids = []
    for person in (WANG, LIU, WANG, LIU, WANG):
        ids.append((await first.report_in_group(MARKET_GROUP, person)).id)
    await first.stop()
    clock.advance(minutes=down_minutes)
    return ids


async def test_one_summary_per_chat_instead_of_a_reminder_per_ticket(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Down for 12 minutes with five unclaimed tickets: the squad chat gets one summary
    naming all five, and one for its leads, instead of ten messages."""
    ids = await report_five_then_go_down(world, settings, clock, 12)
    before = len(texts(world, XINPU_SQUAD))
    second = await start_harness(world, settings, clock)
    assert 15 == await second.services.escalator.fire_due()  # overdue, reminder, leads x 5
    await second.settle()
    new = texts(world, XINPU_SQUAD)[before:]
    summaries = [text for text in new if "🔁" in text or "🚨" in text]
    assert 2 == len(summaries)
    assert all(f"#{ticket_id}" in summaries[0] for ticket_id in ids)
    assert all(f"#{ticket_id}" in summaries[1] for ticket_id in ids)
    assert 0 == sum(bool(REMINDED.search(text)) for text in new)
    assert [] == [text for text in texts(world, MINZHU_SQUAD) if "🔁" in text]
    await second.stop()


async def test_the_timelines_still_record_every_step_taken(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Each ticket's events hold the reminder and the lead notice, marked as a catch-up."""
    ids = await report_five_then_go_down(world, settings, clock, 12)
    second = await start_harness(world, settings, clock)
    await second.services.escalator.fire_due()
    for ticket_id in ids:
        taken = [
            (e.detail.get("action"), e.detail.get("catch_up"))
            for e in await second.events(ticket_id)
            if e.kind == "escalated"
        ]
        assert [
            ("mark_overdue", True),
            ("remind_on_duty", True),
            ("notify_leads", True),
        ] == taken
    assert 0 == await second.services.escalator.fire_due()
    await second.stop()


async def test_a_hand_over_that_fell_due_while_down_waits_the_grace(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """Down for 40 minutes: the tickets are not handed away at start; the summary says when
    they will be, and after the grace, unclaimed, they are."""
    ids = await report_five_then_go_down(world, settings, clock, 40)
    second = await start_harness(world, settings, clock)
    await second.services.escalator.fire_due()
    await second.settle()
    assert ["xinpu"] * 5 == [(await second.ticket(i)).squad_id for i in ids]
    summary = next(text for text in texts(world, XINPU_SQUAD) if "🔁" in text)
    assert pattern("zh", "catch_up.hand_over").search(summary)
    grace = settings.escalation.catch_up_grace
    assert clock.now() + grace == await second.services.escalator.next_due()
    clock.advance(seconds=grace.total_seconds())
    assert 5 == await second.services.escalator.fire_due()
    assert "xinpu" not in [(await second.ticket(i)).squad_id for i in ids]
    await second.stop()


async def test_catch_up_yields_to_live_updates_between_tickets(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """The catch-up gives the event loop back between tickets, so live updates are handled
    while it runs instead of after it."""
    await report_five_then_go_down(world, settings, clock, 12)
    second = await start_harness(world, settings, clock)
    turns = 0
    done = asyncio.Event()

    async def live() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(live())
    await second.services.escalator.fire_due()
    done.set()
    await other
    assert turns >= 5
    await second.stop()


async def test_a_short_outage_reminds_as_usual(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """One ticket overdue after a short outage gets its ordinary reminder, not a summary."""
    at_night(clock)
    first = await start_harness(world, settings, clock)
    await first.report_in_group(MARKET_GROUP, WANG)
    await first.stop()
    clock.advance(minutes=6)
    second = await start_harness(world, settings, clock)
    assert 2 == await second.services.escalator.fire_due()
    await second.settle()
    latest = texts(world, XINPU_SQUAD)[-1]
    assert "🔁" not in latest and REMINDED.search(latest)
    await second.stop()

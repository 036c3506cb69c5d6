"""Races decided by the database: fifty officers on one Claim button; Solved vs the window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Update

from bot.core.config import Member, Settings
from standin import World
from tests.clock import FakeClock
from tests.harness import MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness

OFFICERS = list(range(800_001, 800_051))


@pytest.fixture(name="crowded")
async def fixture_crowded(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    """The Minzhu squad with fifty more officers, all in the squad chat."""
    squad = settings.squads[0]
    extra = [Member(telegram_id=i, name=f"队员{i - 800_000}") for i in OFFICERS]
    crowded = squad.model_copy(update={"members": [*squad.members, *extra], "roster": None})
    settings = settings.model_copy(update={"squads": [crowded, *settings.squads[1:]]})
    for officer in OFFICERS:
        world.add_user(officer, f"队员{officer - 800_000}")
        world.user_joins(MINZHU_SQUAD, officer)
    harness = await start_harness(world, settings, clock)
    yield harness
    await harness.stop()


async def press_all(harness: Harness, presses: list[dict]) -> None:
    await asyncio.gather(
        *(harness.app.process_update(Update.de_json(p, harness.app.bot)) for p in presses)
    )
    await harness.settle()


async def test_fifty_officers_claim_at_once_one_wins(crowded: Harness) -> None:
    """Fifty simultaneous Claim presses: exactly one wins; 49 are told politely who did."""
    ticket = await crowded.report_in_group(MARKET_GROUP, WANG)
    card = await crowded.card(ticket.id)
    presses = [
        crowded.world.press_button(MINZHU_SQUAD, card.message_id, o, f"v1:claim:{ticket.id}")
        for o in OFFICERS
    ]
    await press_all(crowded, presses)
    winner = (await crowded.ticket(ticket.id)).claimed_by_name
    answers = [crowded.answer_to(p) for p in presses]
    refused = [a for a in answers if a.get("show_alert")]
    assert (1, 49) == (len(answers) - len(refused), len(refused))
    assert winner is not None and all(winner in a["text"] for a in refused)
    assert 1 == [e.kind for e in await crowded.events(ticket.id)].count("claimed")


async def test_solved_racing_the_confirm_window(crowded: Harness) -> None:
    """Solved pressed as the confirm window closes: one outcome only, never both."""
    ticket = await crowded.report_in_group(MARKET_GROUP, WANG)
    officer = OFFICERS[0]
    await crowded.press_on_card(ticket.id, officer, f"v1:claim:{ticket.id}")
    await crowded.press_on_card(ticket.id, officer, f"v1:resolve:{ticket.id}")
    prompt = await crowded.message_of((await crowded.ticket(ticket.id)).resolve_prompt_outbox_id)
    for data in (
        f"v1:rcls:{ticket.id}:service",
        f"v1:ract:{ticket.id}:persuaded",
        f"v1:rskip:{ticket.id}",
    ):
        await crowded.press(MINZHU_SQUAD, prompt.message_id, officer, data)
    result = await crowded.message_of((await crowded.ticket(ticket.id)).resolution_outbox_id)
    crowded.clock.advance(hours=24)
    press = crowded.world.press_button(MARKET_GROUP, result.message_id, WANG, f"v1:ok:{ticket.id}")
    closing, _ = await asyncio.gather(
        crowded.services.resolution.close_unconfirmed(),
        crowded.app.process_update(Update.de_json(press, crowded.app.bot)),
    )
    await crowded.settle()
    final = await crowded.ticket(ticket.id)
    kinds = [e.kind for e in await crowded.events(ticket.id)]
    assert "closed" == final.status
    assert 1 == kinds.count("confirmed") + kinds.count("closed_unconfirmed")
    assert (final.close_reason == "solved") == ("confirmed" in kinds)
    assert (closing == 1) == (final.close_reason == "unconfirmed")

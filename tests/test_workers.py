"""Several workers on one PostgreSQL database: what must happen once happens once.

Two real Applications share one PostgreSQL database here, as two worker processes would
(two SQLite writers in one process would wait on each other's file lock, so these run on
PostgreSQL only). The slow test runs three worker processes behind a loopback balancer and
SIGKILLs them under load (``bench/workers.py``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from telegram import Update

from bench import workers as multi
from bot.core.config import Member, Settings
from standin import World
from tests import backends
from tests.clock import FakeClock
from tests.harness import MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness
from tests.test_escalation import at_night

OFFICERS = list(range(800_001, 800_021))


@pytest.fixture(name="pair")
async def fixture_pair(
    world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two workers of one bot, on one database; the Minzhu squad has twenty more officers."""
    if settings.database.url is None:
        pytest.skip("several workers share a PostgreSQL database")
    squad = settings.squads[0]
    extra = [Member(telegram_id=i, name=f"队员{i - 800_000}") for i in OFFICERS]
    crowded = squad.model_copy(update={"members": [*squad.members, *extra], "roster": None})
    settings = settings.model_copy(update={"squads": [crowded, *settings.squads[1:]]})
    for officer in OFFICERS:
        world.add_user(officer, f"队员{officer - 800_000}")
        world.user_joins(MINZHU_SQUAD, officer)
    first = await start_harness(world, settings, clock)
    second = await start_harness(world, settings, clock)
    yield first, second
    await second.stop()
    await first.stop()


async def test_simultaneous_claims_on_two_workers_one_wins(pair: tuple[Harness, Harness]) -> None:
    """Twenty officers press Claim at once, their presses split between two workers:
    exactly one claim wins; every other officer is told who has it."""
    a, b = pair
    ticket = await a.report_in_group(MARKET_GROUP, WANG)
    card = await a.card(ticket.id)
    presses = [
        a.world.press_button(MINZHU_SQUAD, card.message_id, o, f"v1:claim:{ticket.id}")
        for o in OFFICERS
    ]
    await asyncio.gather(
        *(
            worker.app.process_update(Update.de_json(press, worker.app.bot))
            for worker, press in zip(itertools.cycle((a, b)), presses, strict=False)
        )
    )
    await a.settle()
    await b.settle()
    answers = [a.answer_to(press) for press in presses]
    refused = [answer for answer in answers if answer.get("show_alert")]
    assert (1, len(OFFICERS) - 1) == (len(answers) - len(refused), len(refused))
    assert 1 == [e.kind for e in await a.events(ticket.id)].count("claimed")


async def test_each_escalation_step_fires_once_across_workers(
    pair: tuple[Harness, Harness],
) -> None:
    """Both workers' timers fire at the same moment: each step is taken once, the reminder
    is sent once."""
    a, b = pair
    at_night(a.clock)
    ticket = await a.report_in_group(MARKET_GROUP, WANG)
    await a.settle()
    before = len(a.world.calls_to("sendMessage"))
    a.clock.advance(minutes=5)
    fired = await asyncio.gather(a.services.escalator.fire_due(), b.services.escalator.fire_due())
    await a.settle()
    await b.settle()
    assert 2 == sum(fired)  # marked overdue, reminded: between them, once each
    steps = Counter(
        (e.detail["stage"], e.detail["step"])
        for e in await a.events(ticket.id)
        if e.kind == "escalated"
    )
    assert [1] * len(steps) == list(steps.values())
    assert 1 == len(a.world.calls_to("sendMessage")) - before  # the one reminder


async def test_the_daily_digest_goes_out_once_across_workers(
    pair: tuple[Harness, Harness],
) -> None:
    a, b = pair
    await a.report_in_group(MARKET_GROUP, WANG)
    day = a.services.reports.yesterday()
    posted = await asyncio.gather(
        a.services.reports.post_daily(day), b.services.reports.post_daily(day)
    )
    assert 0 in posted and sum(posted) > 0


@pytest.mark.slow
async def test_three_worker_processes_lose_nothing_when_killed() -> None:
    """Three worker processes behind a balancer, shop owners reporting, workers SIGKILLed
    and restarted, a tenth of the Bot API requests failing: every acknowledged report has its
    ticket and card, the inbox and outbox empty out, no step or claim twice (bench/workers.py)."""
    server = backends.server()
    if server is None:
        pytest.skip(f"needs PostgreSQL: set {backends.ENV}")
    result = await multi.run(server, workers=3, owners=6, reports=8, kills=4, faults=0.1)
    assert multi.passed(result), result
    assert result["kills"] >= 2 and result["telegram_faults"] > 0
    assert result["reports_finished"] == result["reports_planned"]

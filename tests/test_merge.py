"""Merging a duplicate: /merge in the squad chat by a lead or the claimer; refusals polite."""

from __future__ import annotations

import re

from bot.core.config import Settings
from bot.core.i18n import t
from standin import World
from storage import supporters as support_rows
from tests.bilingual import in_language
from tests.catalog import pattern, shown
from tests.clock import FakeClock
from tests.harness import (
    CHEN,
    IN_NORTH,
    IN_WEST,
    LI_MING,
    LIU,
    MARKET_GROUP,
    MINZHU_SQUAD,
    NORTH_GROUP,
    WANG,
    Harness,
    start_harness,
)
from tests.test_same_problem import fixture_settings  # noqa: F401  (the join radii on)

CHEN_IN_MARKET = 9011  # a third shop owner of the market group
LEAD_ZHANG = 710001  # a lead of the Minzhu squad
OTHER_SPOT = (IN_WEST[0] + 0.002, IN_WEST[1])  # 220 m away: no "same problem?" offer


async def two_tickets(harness: Harness) -> None:
    harness.world.add_user(CHEN_IN_MARKET, "周大姐")
    harness.world.chat(MARKET_GROUP).members[CHEN_IN_MARKET] = "member"
    await harness.report_in_group(MARKET_GROUP, WANG, details={"text": "水果车"})
    await harness.report_in_group(MARKET_GROUP, LIU, point=OTHER_SPOT, details={"text": "又一辆"})


def merged(locale: str = "zh") -> re.Pattern[str]:
    """The answer to a lead who merged #1002 into #1001."""
    return pattern(locale, "merge.done", duplicate="#1002", kept="#1001")


async def merge(harness: Harness, user_id: int, text: str = "/merge 1002 1001") -> str:
    await harness.say(MINZHU_SQUAD, user_id, text=text)
    return harness.bot_last(MINZHU_SQUAD).text or ""


async def test_lead_merges_a_duplicate(harness: Harness) -> None:
    """#1002 closes as a duplicate of #1001; its reporter supports #1001; both timelines say so."""
    await two_tickets(harness)
    answer = await merge(harness, LEAD_ZHANG)
    assert merged().search(answer)
    duplicate = await harness.ticket(1002)
    assert ("closed", "duplicate", 1001) == (
        duplicate.status,
        duplicate.close_reason,
        duplicate.duplicate_of,
    )
    async with harness.services.db.transaction() as conn:
        supporters = await support_rows.supporters_of(conn, 1001)
    assert [LIU] == [s.user_id for s in supporters]
    assert 1 == (await harness.ticket(1001)).supporters
    assert "merged_into" == (await harness.events(1002))[-1].kind
    assert "merged_from" == (await harness.events(1001))[-1].kind
    assert "#1001" in (harness.bot_last(MARKET_GROUP).text or "")
    assert "👥 +1" in ((await harness.card(1001)).text or "")
    assert [] == harness.rejected_calls()


async def test_the_claimer_may_merge_an_officer_not(harness: Harness) -> None:
    """An officer not holding #1002 is refused; once they claim it, they may merge it."""
    await two_tickets(harness)
    assert shown("zh", "merge.not_allowed", number="#1002") in await merge(harness, LI_MING)
    assert "dispatched" == (await harness.ticket(1002)).status
    await harness.press_on_card(1002, LI_MING, "v1:claim:1002")
    assert merged().search(await merge(harness, LI_MING))


async def test_closed_ticket_and_other_squad_are_refused(harness: Harness) -> None:
    """A closed ticket, another squad's ticket, or a bad command is refused; nothing changes."""
    await two_tickets(harness)
    await merge(harness, LEAD_ZHANG)
    assert shown("zh", "merge.not_open", number="#1002") in await merge(harness, LEAD_ZHANG)
    await harness.report_in_group(NORTH_GROUP, CHEN, point=IN_NORTH)
    assert shown("zh", "merge.other_squad", number="#1003") in await merge(
        harness, LEAD_ZHANG, "/merge 1003 1001"
    )
    assert shown("zh", "merge.usage") in await merge(harness, LEAD_ZHANG, "/merge 1001")
    assert "dispatched" == (await harness.ticket(1003)).status
    assert 1 == (await harness.ticket(1001)).supporters


async def test_digest_counts_joins_and_merges(harness: Harness, clock: FakeClock) -> None:
    """A join and a merge make two duplicates avoided, in the JSON and in both languages."""
    from tests.test_same_problem import NEAR

    await two_tickets(harness)
    await harness.say(MARKET_GROUP, CHEN_IN_MARKET, text="/report")
    prompt = harness.bot_last(MARKET_GROUP)
    await harness.say(MARKET_GROUP, CHEN_IN_MARKET, location=NEAR, reply_to=prompt.message_id)
    panel = harness.bot_last(MARKET_GROUP)
    await harness.press(MARKET_GROUP, panel.message_id, CHEN_IN_MARKET, panel.callback_data[0])
    await harness.press(MARKET_GROUP, panel.message_id, CHEN_IN_MARKET, "v1:join:3")
    await merge(harness, LEAD_ZHANG)
    reports = harness.services.reports
    digest = await reports.digest(clock.now().astimezone(harness.services.settings.zone).date())
    total = digest.as_json()["total"]
    assert (1, 1, 2) == (total["joined"], total["merged"], total["duplicates_avoided"])
    avoided = t("zh", "digest.duplicates", avoided=2, joined=1, merged=1)
    assert avoided in reports.render(digest, "zh")
    assert "duplicates avoided: 2 (1 joined · 1 merged)" in reports.render(digest, "en")


async def test_merge_in_english_and_outside_the_squad_chat(
    world: World, settings: Settings, clock: FakeClock
) -> None:
    """An English squad reads the merge in English; /merge in a grid group is refused."""
    harness = await start_harness(world, in_language(settings, "en"), clock)
    await two_tickets(harness)
    await harness.say(MARKET_GROUP, WANG, text="/merge 1002 1001")
    assert shown("en", "merge.only_in_squad_chat") in (harness.bot_last(MARKET_GROUP).text or "")
    assert "dispatched" == (await harness.ticket(1002)).status
    assert merged("en").search(await merge(harness, LEAD_ZHANG))
    assert "merged it into #1001" in await merge(harness, LEAD_ZHANG, "/ticket 1002")
    await harness.stop()

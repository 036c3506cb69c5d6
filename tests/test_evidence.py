"""The 7-2-1 record: resolution photos kept per round and shown, honest arrivals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.core.config import Settings
from bot.core.i18n import t, tn
from bot.tickets import cards
from standin import World
from storage import photos as photo_rows
from tests.bilingual import in_language
from tests.clock import FakeClock
from tests.harness import LI_MING, MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness

# About 555 m north of the reported point in the west grid (34.5940, 119.1750).
FAR_FROM_IT = (34.5990, 119.1750)


@pytest.fixture(name="harness", params=["zh", "en"])
async def fixture_harness(
    request: pytest.FixtureRequest, world: World, settings: Settings, clock: FakeClock
) -> AsyncIterator[Harness]:
    harness = await start_harness(world, in_language(settings, request.param), clock)
    yield harness
    await harness.stop()


def plain(html: str) -> str:
    return re.sub("<[^>]+>", "", html)


async def claimed_ticket(harness: Harness) -> int:
    ticket = await harness.report_in_group(MARKET_GROUP, WANG)
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    return ticket.id


async def resolve_with_photo(harness: Harness, ticket_id: int, note: str) -> int:
    """Resolve as service / guided_point with a photo and a note; the prompt's message id."""
    await harness.press_on_card(ticket_id, LI_MING, f"v1:resolve:{ticket_id}")
    prompt = await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket_id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket_id}:guided_point"
    )
    await harness.say(MINZHU_SQUAD, LI_MING, photo=True, caption=note, reply_to=prompt.message_id)
    return prompt.message_id


def locales(harness: Harness) -> tuple[str, str]:
    directory = harness.services.directory
    return directory.squad_locale(directory.squads["minzhu"]), directory.group_locale(MARKET_GROUP)


async def test_resolution_photo_is_shown_with_the_result(harness: Harness) -> None:
    """The photo sent with the note: counted on the card, the group's result is that photo
    with the result as its caption, and /ticket lists the resolution with action, note, 📷."""
    ticket_id = await claimed_ticket(harness)
    await resolve_with_photo(harness, ticket_id, "已劝离")
    squad_locale, group_locale = locales(harness)
    card = await harness.card(ticket_id)
    assert tn(squad_locale, "card.photos", 1) in (card.content or "")
    ticket = await harness.ticket(ticket_id)
    result = await harness.message_of(ticket.resolution_outbox_id)
    assert result.photo is not None
    outcome = cards.outcome_text(ticket, harness.services.directory, group_locale)
    assert outcome in (result.caption or "")
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket_id}")
    expected = t(
        group_locale,
        "event.resolved",
        time="11-23 09:30",
        actor="李明",
        extra=outcome + t(group_locale, "view.note", text="已劝离") + t(group_locale, "view.photo"),
    )
    assert expected in (harness.bot_last(MARKET_GROUP).text or "").split("\n")


async def test_more_photos_in_a_round_and_a_rework_erases_none(harness: Harness) -> None:
    """A second photo replying to the prompt is kept with the round; the reporter's 未解决
    keeps both, and the card says they are from before the rework; the timeline lists it."""
    ticket_id = await claimed_ticket(harness)
    prompt_id = await resolve_with_photo(harness, ticket_id, "前后对比")
    await harness.say(MINZHU_SQUAD, LI_MING, photo=True, reply_to=prompt_id)
    squad_locale, group_locale = locales(harness)
    assert tn(squad_locale, "card.photos", 2) in ((await harness.card(ticket_id)).content or "")
    ticket = await harness.ticket(ticket_id)
    await harness.press(
        MARKET_GROUP,
        (await harness.message_of(ticket.confirm_outbox_id)).message_id,
        WANG,
        f"v1:nok:{ticket_id}",
    )
    async with harness.services.db.transaction() as conn:
        kept = await photo_rows.photos_of(conn, ticket_id)
    assert [0, 0] == [photo.round for photo in kept]
    card = await harness.card(ticket_id)
    assert tn(squad_locale, "card.photos_earlier", 2) in (card.content or "")
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket_id}")
    added = t(group_locale, "event.photo_added", time="11-23 09:30", actor="李明")
    assert added in (harness.bot_last(MARKET_GROUP).text or "").split("\n")


async def test_off_site_arrival_is_told_honestly_to_the_group(harness: Harness) -> None:
    """An arrival recorded 555 m away: the group hears it was recorded from that far, not
    that the officer is on site; /ticket marks it off site."""
    ticket_id = await claimed_ticket(harness)
    card = await harness.card(ticket_id)
    await harness.say(MINZHU_SQUAD, LI_MING, location=FAR_FROM_IT, reply_to=card.message_id)
    ticket = await harness.ticket(ticket_id)
    assert (True, 555) == (ticket.on_site_far, round(ticket.on_site_distance_m or 0))
    _, group_locale = locales(harness)
    progress = await harness.message_of(ticket.progress_outbox_id)
    expected = t(
        group_locale,
        "group.on_site_far",
        number=f"#{ticket_id}",
        officer="李明",
        after=t(group_locale, "duration.under_a_minute"),
        distance=555,
    )
    assert plain(expected) == progress.text
    await harness.say(MARKET_GROUP, WANG, text=f"/ticket {ticket_id}")
    far = t(group_locale, "view.distance_far", distance=555, radius=300)
    assert any(
        line.endswith(far) for line in (harness.bot_last(MARKET_GROUP).text or "").split("\n")
    )


async def test_location_replying_to_the_map_pin_counts_as_a_reply_to_the_card(
    harness: Harness,
) -> None:
    """Officers reply to the map pin under the card: the arrival is recorded all the same."""
    ticket_id = await claimed_ticket(harness)
    card = await harness.card(ticket_id)
    pin = next(
        m
        for m in harness.world.sent_to(MINZHU_SQUAD)
        if m.location is not None and m.reply_to == card.message_id
    )
    await harness.say(MINZHU_SQUAD, LI_MING, location=(34.5941, 119.1750), reply_to=pin.message_id)
    ticket = await harness.ticket(ticket_id)
    assert ("on_site", False) == (ticket.status, ticket.on_site_far)

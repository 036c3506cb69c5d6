"""Resolving with "guided to a designated vending point": the officer picks one of the
nearest open points, the ticket keeps it, and the group's result names it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.config import Settings
from bot.core.i18n import t
from tests.catalog import pattern, shown
from tests.clock import FakeClock
from tests.harness import LI_MING, MARKET_GROUP, MINZHU_SQUAD, Harness, start_harness

EVENING = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai: all three are open
NOON = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: the night market is shut
ZHANG_LEAD, WANG_QIANG = 710001, 710003


async def guiding(harness: Harness) -> tuple[int, int]:
    """A vending report at IN_WEST, claimed by Li Ming, resolved as guided: the prompt's id."""
    ticket = await harness.report_in_group(MARKET_GROUP, 9002, category_index=0)
    assert "vending" == ticket.category
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:guided_point"
    )
    return ticket.id, prompt.message_id


async def test_prompt_offers_the_three_nearest_open_points(
    harness: Harness, clock: FakeClock
) -> None:
    """At 18:00 the prompt offers three points, nearest first, then skip and cancel."""
    clock.current = EVENING
    ticket_id, _ = await guiding(harness)
    prompt = await harness.message_of((await harness.ticket(ticket_id)).resolve_prompt_outbox_id)
    assert [
        f"v1:rpt:{ticket_id}:minzhu-market",
        f"v1:rpt:{ticket_id}:xinpu-square",
        f"v1:rpt:{ticket_id}:east-night",
        f"v1:rpno:{ticket_id}",
        f"v1:rcan:{ticket_id}",
    ] == prompt.callback_data
    asked = pattern("zh", "resolve.ask_point", number=f"#{ticket_id}")
    assert asked.search(prompt.text or "")
    assert "point" == (await harness.ticket(ticket_id)).resolve_stage
    assert [] == harness.rejected_calls()


async def test_chosen_point_is_kept_and_named_in_the_group(
    harness: Harness, clock: FakeClock
) -> None:
    """The picked point is stored with its distance, an event, and the group's result."""
    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:minzhu-market")
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rskip:{ticket_id}")
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", "minzhu-market", 123.0) == (
        ticket.status,
        ticket.outcome_point,
        ticket.outcome_point_m,
    )
    kinds = {e.kind: e.detail for e in await harness.events(ticket_id)}
    assert "minzhu-market" == kinds["point_chosen"]["point"]
    assert ("minzhu-market", 123) == (kinds["resolved"]["point"], kinds["resolved"]["point_m"])
    result = await harness.message_of(ticket.resolution_outbox_id)
    distance = t("zh", "distance.m", m=123)
    guided = shown("zh", "group.guided", point="民主路早市临时经营点", distance=distance)
    assert guided in (result.text or "")


async def test_skipping_the_point_resolves_without_one(harness: Harness, clock: FakeClock) -> None:
    """Skip leaves no point on the ticket and none in the group's result."""
    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpno:{ticket_id}")
    await harness.say(MINZHU_SQUAD, LI_MING, text="已劝导", reply_to=prompt_id)
    ticket = await harness.ticket(ticket_id)
    assert ("resolved", None) == (ticket.status, ticket.outcome_point)
    result = await harness.message_of(ticket.resolution_outbox_id)
    assert not pattern("zh", "group.guided").search(result.text or "")


async def test_no_open_point_goes_straight_to_the_note(
    world, settings: Settings, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    """At noon with only the night market configured, the prompt asks for the note at once."""
    clock.current = NOON
    night_only = [p for p in settings.vending_points if p.id == "east-night"]
    harness = await start_harness(
        world, settings.model_copy(update={"vending_points": night_only}), clock
    )
    try:
        ticket_id, _ = await guiding(harness)
        assert "note" == (await harness.ticket(ticket_id)).resolve_stage
    finally:
        await harness.stop()


async def test_refusals_change_nothing(harness: Harness, clock: FakeClock) -> None:
    """Another officer, an unknown point, or a point press at the wrong stage changes nothing."""
    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    other = await harness.press(
        MINZHU_SQUAD, prompt_id, WANG_QIANG, f"v1:rpt:{ticket_id}:minzhu-market"
    )
    assert harness.answer_to(other).get("show_alert")
    crafted = await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:nowhere")
    assert harness.answer_to(crafted).get("show_alert")
    ticket = await harness.ticket(ticket_id)
    assert ("point", None) == (ticket.resolve_stage, ticket.resolve_point)
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpno:{ticket_id}")
    late = await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:east-night")
    assert harness.answer_to(late).get("show_alert")
    assert None is (await harness.ticket(ticket_id)).resolve_point


async def test_choice_survives_a_restart(
    harness: Harness, world, settings: Settings, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    """An officer half-way through choosing a point carries on after a restart."""
    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    await harness.stop()
    second = await start_harness(world, settings, clock)
    await second.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:xinpu-square")
    await second.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rskip:{ticket_id}")
    assert "xinpu-square" == (await second.ticket(ticket_id)).outcome_point
    await second.stop()
    await harness.app.initialize()  # the fixture's teardown stops it once more


async def test_english_group_reads_the_point(world, settings: Settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """With the district in English the buttons and the group's result are English."""
    clock.current = EVENING
    harness = await start_harness(world, settings.model_copy(update={"locale": "en"}), clock)
    try:
        ticket_id, prompt_id = await guiding(harness)
        prompt = await harness.message_of(
            (await harness.ticket(ticket_id)).resolve_prompt_outbox_id
        )
        assert prompt.reply_markup is not None
        first = prompt.reply_markup["inline_keyboard"][0][0]["text"]
        assert "Minzhu Rd morning market point · 123 m SE" == first
        await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:minzhu-market")
        await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rskip:{ticket_id}")
        ticket = await harness.ticket(ticket_id)
        result = await harness.message_of(ticket.resolution_outbox_id)
        assert "📍 Guided to Minzhu Rd morning market point (123 m from here)" in (
            result.text or ""
        )
    finally:
        await harness.stop()


async def test_timeline_shows_the_choice(harness: Harness, clock: FakeClock) -> None:
    """/ticket in the squad chat lists the point the officer chose."""
    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:east-night")
    await harness.say(MINZHU_SQUAD, LI_MING, text=f"/ticket {ticket_id}")
    chosen = pattern("zh", "event.point_chosen", actor="李明", extra="东区夜市临时经营点")
    assert chosen.search(harness.bot_last(MINZHU_SQUAD).text or "")


async def test_point_unsuited_to_the_category_is_refused(
    harness: Harness, clock: FakeClock
) -> None:
    """A crafted press naming a point that does not suit the ticket's category changes nothing."""
    clock.current = EVENING
    ticket = await harness.report_in_group(MARKET_GROUP, 9002, category_index=3)
    assert "parking" == ticket.category
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    await harness.press(MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rcls:{ticket.id}:service")
    await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:ract:{ticket.id}:guided_point"
    )
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    assert f"v1:rpt:{ticket.id}:xinpu-square" == prompt.callback_data[0]
    assert 3 == len(prompt.callback_data)  # one point, skip, cancel
    press = await harness.press(
        MINZHU_SQUAD, prompt.message_id, LI_MING, f"v1:rpt:{ticket.id}:east-night"
    )
    assert harness.answer_to(press).get("show_alert")
    assert ("point", None) == (
        (await harness.ticket(ticket.id)).resolve_stage,
        (await harness.ticket(ticket.id)).resolve_point,
    )


async def test_export_names_the_point_and_its_distance(harness: Harness, clock: FakeClock) -> None:
    """A lead's export keeps where the vendor was guided: the point's name and metres."""
    import io

    from openpyxl import load_workbook

    from bot.figures import exports

    clock.current = EVENING
    ticket_id, prompt_id = await guiding(harness)
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rpt:{ticket_id}:minzhu-market")
    await harness.press(MINZHU_SQUAD, prompt_id, LI_MING, f"v1:rskip:{ticket_id}")
    day = clock.now().astimezone(harness.services.settings.zone).date()
    for locale, name in (("zh", "民主路早市临时经营点"), ("en", None)):
        table = await harness.services.reports.export_table(day, day, locale)
        sheet = load_workbook(io.BytesIO(exports.xlsx(table))).worksheets[0]
        header, *rows = list(sheet.iter_rows(values_only=True))
        row = dict(zip(header, rows[0], strict=True))
        point = harness.services.directory.vending_points["minzhu-market"].name.get(locale)
        assert (name or point, 123) == (
            row[t(locale, "export.outcome_point")],
            row[t(locale, "export.outcome_point_m")],
        )

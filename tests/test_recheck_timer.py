"""The re-inspection's timer across restarts, its figures in the digest and export, its
configuration and its migration."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.config import Settings, Workflow, load_settings
from bot.core.i18n import Raw, t
from bot.tickets import cards
from standin import World
from tests.catalog import shown
from tests.clock import FakeClock
from tests.harness import LI_MING, MARKET_GROUP, MINZHU_SQUAD, WANG, Harness, start_harness
from tests.test_migration_guidance import upgrade_to
from tests.test_recheck import TWO_HOURS, WANG_QIANG, at_the_limit, noticed

EXAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"


def recheck_cards(harness: Harness) -> list[str]:
    """The re-inspection cards in the Minzhu squad chat (zh)."""
    return [
        m.content or ""
        for m in harness.world.sent_to(MINZHU_SQUAD)
        if "复查 #" in (m.content or "")
    ]


async def test_a_restart_past_the_limit_posts_the_card_once(
    harness: Harness, world: World, settings: Settings, clock: FakeClock
) -> None:
    """Down across the limit: the first round after the start posts the card once; neither
    a second round nor a second restart posts another."""
    ticket_id = await noticed(harness)
    await harness.stop()
    clock.advance(hours=5)
    second = await start_harness(world, settings, clock)
    assert 1 == await second.services.escalator.fire_due()
    assert 0 == await second.services.escalator.fire_due()
    await second.settle()
    await second.stop()
    third = await start_harness(world, settings, clock)
    assert 0 == await third.services.escalator.fire_due()
    await third.settle()
    ticket = await third.ticket(ticket_id)
    assert ("due", 1) == (ticket.recheck_state, len(recheck_cards(third)))
    due = [e.detail for e in await third.events(ticket_id) if e.kind == "recheck_due"]
    assert [{"limit": TWO_HOURS, "late_minutes": 180}] == due
    await third.stop()
    await harness.app.initialize()  # the fixture's teardown stops it once more


async def test_the_timer_is_set_for_the_limit(harness: Harness) -> None:
    """After the notice the escalation timer's next time is the limit (nothing else due)."""
    ticket_id = await noticed(harness)
    ticket = await harness.ticket(ticket_id)
    assert ticket.recheck_due_at == await harness.services.escalator.next_due()
    assert ticket.recheck_due_at - ticket.resolved_at == timedelta(hours=2)  # type: ignore[operator]


async def test_reporter_confirming_solved_means_no_re_inspection(harness: Harness) -> None:
    """The reporter says solved before the limit: the ticket closes, and at the limit the
    re-inspection is given up (an event) instead of a card."""
    ticket_id = await noticed(harness)
    ticket = await harness.ticket(ticket_id)
    result = await harness.message_of(ticket.resolution_outbox_id)
    await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:ok:{ticket_id}")
    assert ticket.recheck_due_at is not None
    harness.clock.current = ticket.recheck_due_at
    assert 0 == await harness.services.escalator.fire_due()
    await harness.settle()
    ticket = await harness.ticket(ticket_id)
    assert ("closed", "cancelled", None) == (
        ticket.status,
        ticket.recheck_state,
        ticket.recheck_outbox_id,
    )
    assert "recheck_cancelled" in [e.kind for e in await harness.events(ticket_id)]
    assert [] == recheck_cards(harness)


async def test_unanswered_ticket_stays_open_to_its_re_inspection(harness: Harness) -> None:
    """The reporter's window ends a day after the limit, not a day after the resolution:
    with a 3-day notice the ticket is still resolved when the card comes."""
    ticket_id = await noticed(harness, 259200)
    harness.clock.advance(days=2)
    assert 0 == await harness.services.resolution.close_unconfirmed()
    card = await at_the_limit(harness, ticket_id)
    assert "resolved" == (await harness.ticket(ticket_id)).status
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcno:{ticket_id}")
    assert "dispatched" == (await harness.ticket(ticket_id)).status


@pytest.mark.parametrize("locale", ["zh", "en"])
async def test_digest_counts_notices_and_re_inspections(harness: Harness, locale: str) -> None:
    """Two notices; one re-inspected on time and rectified, one late and not: 2 issued,
    2 due, 2 done, 1 on time, rectified 50%, in the JSON and the text."""
    first = await noticed(harness)
    harness.clock.advance(minutes=1)
    second = await noticed(harness)
    harness.clock.advance(hours=2, minutes=10)
    assert 2 == await harness.services.escalator.fire_due()
    await harness.settle()
    card = await harness.message_of((await harness.ticket(first)).recheck_outbox_id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcok:{first}")
    harness.clock.advance(hours=3)
    card = await harness.message_of((await harness.ticket(second)).recheck_outbox_id)
    await harness.press(MINZHU_SQUAD, card.message_id, WANG_QIANG, f"v1:rcno:{second}")
    reports = harness.services.reports
    digest = await reports.digest(reports.today())
    total = digest.as_json()["total"]
    assert (2, 2, 2, 1, 1, 0.5) == (
        total["notices_issued"],
        total["rechecks_due"],
        total["rechecks_done"],
        total["rechecks_on_time"],
        total["rectified"],
        total["rectified_rate"],
    )
    assert 2 == digest.as_json()["squads"]["minzhu"]["notices_issued"]
    line = t(locale, "digest.rechecks", issued=2, due=2, done=2, on_time=1, rate="50%")
    assert line in reports.render(digest, locale)


async def test_digest_counts_a_re_inspection_on_the_day_it_happens(harness: Harness) -> None:
    """A 3-day notice: its day's digest counts the notice; the day of the limit counts the
    re-inspection, though the ticket was reported days before."""
    ticket_id = await noticed(harness, 259200)
    reports = harness.services.reports
    day_of_notice = reports.today()
    card = await at_the_limit(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcok:{ticket_id}")
    notice_day = (await reports.digest(day_of_notice)).as_json()["total"]
    limit_day = (await reports.digest(reports.today())).as_json()["total"]
    assert (1, 0, 0) == (
        notice_day["notices_issued"],
        notice_day["rechecks_due"],
        notice_day["rechecks_done"],
    )
    assert (0, 1, 1, 1.0) == (
        limit_day["notices_issued"],
        limit_day["rechecks_due"],
        limit_day["rechecks_done"],
        limit_day["rectified_rate"],
    )


async def test_export_shows_the_re_inspection(harness: Harness) -> None:
    """The tickets sheet has the limit, due time, result and time of the re-inspection; the
    events sheet the notice and the result."""
    ticket_id = await noticed(harness, 86400)
    card = await at_the_limit(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcok:{ticket_id}")
    reports = harness.services.reports
    day = reports.today()
    table = await reports.export_table(day - timedelta(days=1), day, "zh")
    row = dict(zip(table.ticket_headers, table.tickets[0], strict=True))
    assert ("1天", "已整改") == (row["整改期限"], row["复查结果"])
    assert row["复查到期"] is not None and row["复查时间"] is not None
    kinds = [(event[2], event[4]) for event in table.events]
    assert ("发放整改通知", "发放温馨提示单 · 1天") in kinds
    assert ("复查", "已整改") in kinds


def test_only_management_actions_set_a_time_limit() -> None:
    """A time limit on a service action, or one given twice, is refused with the reason."""
    settings = load_settings(EXAMPLE)
    actions = settings.workflow.model_dump()["actions"]
    service = [dict(actions["service"][0], limits=["2h"]), *actions["service"][1:]]
    with pytest.raises(ValidationError, match="only management actions set a time limit"):
        Workflow.model_validate({"actions": actions | {"service": service}})
    twice = [dict(actions["management"][0], limits=["24h", "1d"])]
    with pytest.raises(ValidationError, match="a time limit appears twice"):
        Workflow.model_validate({"actions": actions | {"management": twice}})
    limits = [timedelta(hours=2), timedelta(hours=24), timedelta(days=3)]
    assert limits == settings.workflow.actions["management"][0].limits


def test_migration_keeps_tickets_without_a_notice(tmp_path: Path) -> None:
    """A ticket resolved before 0015 keeps its outcome and has no notice to re-inspect."""
    path = tmp_path / "old.db"
    upgrade_to(path, "0014")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO report_drafts (trigger_key, chat_id, user_id, user_name, user_locale,"
            " group_chat_id, private, stage, created_at, expires_at)"
            " VALUES ('t:1', -1, 9001, 'w', 'zh', -1, 0, 'submitted', 0, 0)"
        )
        db.execute(
            "INSERT INTO tickets (id, draft_id, status, category, grid_id, squad_id, latitude,"
            " longitude, reporter_id, reporter_name, anonymous, group_chat_id, locale,"
            " reported_at, outcome_class, outcome_action)"
            " VALUES (1001, 1, 'resolved', 'vending', 'minzhu-west', 'minzhu', 34.59, 119.17,"
            " 9001, 'w', 0, -1, 'zh', 0, 'management', 'reminder_notice')"
        )
    upgrade_to(path, "0015")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT id, status, outcome_action, recheck_state, recheck_due_at, ladder_class"
            " FROM tickets"
        ).fetchall()
        indexes = {row[1] for row in db.execute("PRAGMA index_list(tickets)")}
    assert [(1001, "resolved", "reminder_notice", None, None, None)] == rows
    assert "tickets_by_recheck_due" in indexes


async def test_timer_and_figures_read_indexes(tmp_path: Path) -> None:
    """The timer's queries and the digest's count of notices read no whole table."""
    from datetime import UTC, datetime

    from sqlalchemy import event

    from storage import rechecks as recheck_rows
    from storage import reports as report_rows
    from storage.database import Database

    db = Database(tmp_path / "plans.db")
    await db.open()
    statements: list[tuple[str, object]] = []

    def keep(_conn: object, _cursor: object, sql: str, params: object, *_: object) -> None:
        statements.append((sql, params))

    assert db._engine is not None
    event.listen(db._engine, "before_cursor_execute", keep)
    async with db.transaction() as conn:
        await recheck_rows.rechecks_due(conn, datetime(2026, 11, 23, tzinfo=UTC))
        await recheck_rows.next_recheck(conn)
        await recheck_rows.rechecks_late(conn, datetime(2026, 11, 23, tzinfo=UTC))
        await recheck_rows.next_late(conn)
        await report_rows.recheck_events_between(conn, 0.0, 86400.0)
    await db.close()
    plans = []
    with sqlite3.connect(tmp_path / "plans.db") as conn:
        for sql, params in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()  # type: ignore[arg-type]
                plans += [row[3] for row in rows]
    assert len(plans) >= 5
    assert [] == [plan for plan in plans if plan.startswith("SCAN")]


async def test_a_due_re_inspection_is_taken_once(harness: Harness) -> None:
    """Two rounds of the timer that both read the due list (a timer and a start's catch-up)
    fire the same ticket: the first takes it, the second finds it taken."""
    ticket_id = await noticed(harness)
    ticket = await harness.ticket(ticket_id)
    assert ticket.recheck_due_at is not None
    harness.clock.current = ticket.recheck_due_at
    rechecks = harness.services.rechecks
    assert [1, 0] == [await rechecks._fire(ticket_id), await rechecks._fire(ticket_id)]
    await harness.settle()
    assert 1 == len(recheck_cards(harness))


async def test_a_private_reporter_hears_it_privately(harness: Harness) -> None:
    """Not rectified on a private report: the reporter is told in the private chat, and the
    group's message names no one."""
    from tests.harness import IN_WEST, LIU

    await harness.say(LIU, LIU, text=f"/start r{abs(MARKET_GROUP)}")
    await harness.say(LIU, LIU, location=IN_WEST)
    panel = harness.bot_last(LIU)
    await harness.press(LIU, panel.message_id, LIU, panel.callback_data[0])
    await harness.say(LIU, LIU, text="水果车又来了")
    ticket = await harness.latest_ticket()
    assert ticket is not None and ticket.anonymous
    await harness.press_on_card(ticket.id, LI_MING, f"v1:claim:{ticket.id}")
    await harness.press_on_card(ticket.id, LI_MING, f"v1:resolve:{ticket.id}")
    prompt = await harness.message_of((await harness.ticket(ticket.id)).resolve_prompt_outbox_id)
    for data in ("rcls:{}:management", "ract:{}:rectify_limit", "rlim:{}:86400", "rskip:{}"):
        await harness.press(
            MINZHU_SQUAD, prompt.message_id, LI_MING, "v1:" + data.format(ticket.id)
        )
    card = await at_the_limit(harness, ticket.id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcno:{ticket.id}")
    number = f"#{ticket.id}"
    assert t("zh", "recheck.reporter_not_rectified", number=number) == harness.bot_last(LIU).text
    group = harness.bot_last(MARKET_GROUP).text or ""
    assert t("zh", "recheck.group_not_rectified", number=number) == group
    assert "刘阿姨" not in group


async def test_a_private_supporter_hears_it_privately(harness: Harness) -> None:
    """Someone who joined the ticket privately is told privately that it was not rectified."""
    from storage import supporters as support_rows
    from tests.harness import CHEN

    ticket_id = await noticed(harness)
    async with harness.services.db.transaction() as conn:
        await support_rows.add_supporter(
            conn,
            support_rows.Supporter(
                ticket_id, CHEN, "陈师傅", True, MARKET_GROUP, CHEN, "zh", harness.clock.now()
            ),
        )
    card = await at_the_limit(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, card.message_id, LI_MING, f"v1:rcno:{ticket_id}")
    told = t("zh", "recheck.supporter_not_rectified", number=f"#{ticket_id}")
    assert told == harness.bot_last(CHEN).text


async def test_a_rework_before_the_limit_gives_the_re_inspection_up(harness: Harness) -> None:
    """The reporter says not solved before the limit: the ticket is dispatched again, and at
    the limit there is no card for the old notice, only its recheck_cancelled event."""
    ticket_id = await noticed(harness)
    ticket = await harness.ticket(ticket_id)
    result = await harness.message_of(ticket.resolution_outbox_id)
    await harness.press(MARKET_GROUP, result.message_id, WANG, f"v1:nok:{ticket_id}")
    assert ticket.recheck_due_at is not None
    harness.clock.current = ticket.recheck_due_at
    assert 0 == await harness.services.rechecks.fire_due()  # its deadlines fire on their own
    await harness.settle()
    ticket = await harness.ticket(ticket_id)
    assert ("dispatched", 1, "cancelled") == (
        ticket.status,
        ticket.rework_count,
        ticket.recheck_state,
    )
    assert [] == recheck_cards(harness)
    assert {"round": 0} in [
        e.detail for e in await harness.events(ticket_id) if e.kind == "recheck_cancelled"
    ]


async def test_an_unpressed_card_reminds_the_leads_once(harness: Harness) -> None:
    """Nobody records the re-inspection within the window after the card went out: the
    squad's leads are told once, with an event on the ticket; the timer is set for it."""
    ticket_id = await noticed(harness)
    await at_the_limit(harness, ticket_id)
    card_at = (await harness.ticket(ticket_id)).recheck_card_at
    window = harness.services.settings.workflow.recheck_window
    assert card_at is not None and card_at + window == await harness.services.escalator.next_due()
    squad = harness.services.directory.squads["minzhu"]
    chat = harness.services.directory.lead_chat(squad)
    locale = harness.services.directory.squad_locale(squad)
    said = len(harness.world.sent_to(chat))
    harness.clock.current = card_at + window - timedelta(minutes=1)
    await harness.services.escalator.fire_due()
    await harness.settle()
    assert said == len(harness.world.sent_to(chat))
    harness.clock.advance(minutes=1)
    for _ in range(2):
        await harness.services.escalator.fire_due()
        await harness.settle()
    told = harness.world.sent_to(chat)[said:]
    leads = " ".join(m.name for m in harness.services.directory.leads_of(squad))
    expected = shown(
        locale,
        "recheck.late_leads",
        number=f"#{ticket_id}",
        duration=cards.duration_text(int(window.total_seconds() // 60), locale),
        leads=Raw(leads),
    )
    assert [expected] == [m.text for m in told]
    late = [e for e in await harness.events(ticket_id) if e.kind == "recheck_late"]
    assert [{"waited_minutes": 120}] == [e.detail for e in late]


async def test_a_card_pressed_in_time_reminds_nobody(harness: Harness) -> None:
    """Recorded within the window: no reminder later."""
    ticket_id = await noticed(harness)
    card = await at_the_limit(harness, ticket_id)
    await harness.press(MINZHU_SQUAD, card.message_id, WANG_QIANG, f"v1:rcok:{ticket_id}")
    harness.clock.advance(hours=5)
    await harness.services.escalator.fire_due()
    assert "rectified" == (await harness.ticket(ticket_id)).recheck_state
    assert [] == [e for e in await harness.events(ticket_id) if e.kind == "recheck_late"]

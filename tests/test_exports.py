"""The export on the hand-counted day of test_lead_figures: Excel read back, CSV, scope."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.core.i18n import t
from bot.figures import charts, exports
from bot.figures.digest import Figures
from bot.services import Services
from standin import Fault, FaultPlan
from tests.catalog import pattern
from tests.harness import Harness
from tests.test_lead_figures import (  # noqa: F401  (fixtures)
    DAY,
    MINZHU,
    XINPU,
    fixture_day,
    fixture_services,
)

LEAD_ZHANG = 710001


def zh(key: str) -> str:
    """An export's Chinese word (a header or a value) by its catalog key."""
    return t("zh", f"export.{key}")


def _sheets(data: bytes) -> tuple[list[dict[str, object]], list[tuple[object, ...]], object]:
    book = load_workbook(io.BytesIO(data))
    tickets, events = book.worksheets
    rows = list(tickets.iter_rows(values_only=True))
    header = rows[0]
    return (
        [dict(zip(header, row, strict=True)) for row in rows[1:]],
        list(events.iter_rows(values_only=True)),
        book,
    )


async def test_xlsx_reads_back_one_consistent_round_per_row(day: Services) -> None:
    """Each ticket row holds its latest round: T2's claimer is the lead, claimed at 11:05,
    after its round's dispatch at 11:00; values are in Chinese, not codes."""
    tickets, events, book = _sheets(exports.xlsx(await day.reports.export_table(DAY, DAY, "zh")))
    assert [zh("sheet_tickets"), zh("sheet_events")] == book.sheetnames  # type: ignore[attr-defined]
    assert [1001, 1002, 1003, 1004, 1005] == [row[zh("id")] for row in tickets]
    second = tickets[1]
    assert ("张队长", "2026-11-23 11:05", "2026-11-23 11:00") == (
        second[zh("claimed_by_name")],
        f"{second[zh('claimed_at')]:%Y-%m-%d %H:%M}",
        f"{second[zh('dispatched_at')]:%Y-%m-%d %H:%M}",
    )
    assert (zh("status.closed"), zh("close.solved"), t("zh", "outcome.service"), "占道经营") == (
        second[zh("status")],
        second[zh("close_reason")],
        second[zh("outcome_class")],
        second[zh("category")],
    )
    assert zh("anonymous") == tickets[3][zh("reporter_name")]
    assert ("民主路中队", "新浦中队") == (
        tickets[4][zh("home_squad_id")],
        tickets[4][zh("squad_id")],
    )
    assigned = zh("kind.assigned")
    reassigned = [row for row in events if row[0] == 1003 and row[2] == assigned]
    assert [(1003, assigned, "张队长", "王强")] == [(r[0], r[2], r[3], r[4]) for r in reassigned]
    assert 1 + 5 + 9 + 6 + 3 + 5 == len(events)  # the header and every event


async def test_formula_like_text_stays_text_in_both_formats(day: Services) -> None:
    """T3's description "=HYPERLINK(...)" is kept as text with a leading ' in xlsx and CSV."""
    table = await day.reports.export_table(DAY, DAY, "zh")
    tickets, _, book = _sheets(exports.xlsx(table))
    assert '\'=HYPERLINK("http://evil")' == tickets[2][zh("description")]
    sheet = book.worksheets[0]  # type: ignore[attr-defined]
    assert "s" == sheet.cell(row=4, column=9).data_type
    rows = list(csv.reader(io.StringIO(exports.csv_bytes(table).decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://evil")' == rows[3][8]
    assert ["'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", 5] == [
        exports.guarded(v) for v in ("+1", "-1", "@x", "\tx", "\rx", "a=b", 5)
    ]


async def test_export_in_english(day: Services) -> None:
    """An English export has English headers and values."""
    tickets, events, book = _sheets(exports.xlsx(await day.reports.export_table(DAY, DAY, "en")))
    assert ["Tickets", "Events"] == book.sheetnames  # type: ignore[attr-defined]
    assert ("Closed", "Confirmed solved", "Service") == (
        tickets[1]["Status"],
        tickets[1]["Close reason"],
        tickets[1]["Outcome"],
    )
    assert "Reassigned" != events[1][2] and "Claimed" == events[1][2]


async def test_export_scope_of_a_squad_lead(day: Services) -> None:
    """The xinpu lead's export holds only T5, handed to xinpu; minzhu's holds all five."""
    minzhu = await day.reports.export_table(DAY, DAY, "zh", MINZHU)
    xinpu = await day.reports.export_table(DAY, DAY, "zh", XINPU)
    assert (5, [1005]) == (len(minzhu.tickets), [row[0] for row in xinpu.tickets])
    assert {1005} == {row[0] for row in xinpu.events}


async def test_export_file_kept_for_a_retry_then_removed(harness: Harness) -> None:
    """A document Telegram failed to take is still on disk for the retry; once sent, the
    sweep removes it."""
    harness.world.add_chat(LEAD_ZHANG, "private")
    harness.world.faults = FaultPlan().fail("sendDocument", Fault.server_error())
    await harness.say(LEAD_ZHANG, LEAD_ZHANG, text="/export")
    await harness.settle()
    files = harness.services.reports.files
    assert (0, 1) == (await harness.services.reports.sweep(), len(list(files.iterdir())))
    assert harness.world.last_bot_message(LEAD_ZHANG) is None
    harness.clock.advance(minutes=10)
    await harness.settle()
    document = harness.bot_last(LEAD_ZHANG).document
    assert document is not None and document["file_name"].endswith(".xlsx")
    caption = pattern("zh", "export.caption_xlsx", count="0")
    assert caption.fullmatch(harness.bot_last(LEAD_ZHANG).caption or "")
    assert (1, []) == (await harness.services.reports.sweep(), list(files.iterdir()))


async def test_chart_titles_its_range_and_draws_no_data(
    day: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/stats' chart names its first and last day; xinpu, with no arrival, is passed as
    no data (None), not as zero minutes."""
    drawn: dict[str, Any] = {}

    def fake_chart(title: str, squads: list[str], medians: list[Any], *rest: Any) -> bytes:
        drawn.update(title=title, squads=squads, medians=medians, no_data=rest[-1])
        return b"png"

    monkeypatch.setattr(charts, "arrival_chart", fake_chart)
    first, last, digest = await day.reports.stats(7)
    digest.squads.setdefault("xinpu", Figures(received=1))
    day.reports.chart(digest, "zh")
    title = t("zh", "chart.title_range", start=first.isoformat(), end=last.isoformat())
    assert title == drawn["title"]
    assert (["民主路中队", "新浦中队"], None, t("zh", "chart.no_data")) == (
        drawn["squads"],
        drawn["medians"][1],
        drawn["no_data"],
    )


def test_no_data_chart_renders() -> None:
    """A chart with a squad without data renders as a PNG."""
    png = charts.arrival_chart("t", ["a", "b"], [3.0, None], [5.0, None], "m", "p", "min", "无数据")
    assert png.startswith(b"\x89PNG")


async def test_the_export_counts_every_rounds_resolution_photos(day: Services) -> None:
    """A ticket with a photo in its first round and two after a rework shows 3 photos; the
    others 0."""
    from storage import photos as photo_rows

    async with day.db.transaction() as conn:
        at = day.clock.now()
        await photo_rows.add_photo(conn, 1002, 0, "before", 710002, at)
        await photo_rows.add_photo(conn, 1002, 1, "after-1", 710001, at)
        await photo_rows.add_photo(conn, 1002, 1, "after-2", 710001, at)
    tickets, _, _ = _sheets(exports.xlsx(await day.reports.export_table(DAY, DAY, "zh")))
    assert [0, 3, 0, 0, 0] == [row[zh("photos")] for row in tickets]

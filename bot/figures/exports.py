"""The tickets export for team leads: an Excel workbook (or a CSV with a byte-order mark).

The tickets sheet has one row per ticket with its latest round only, taken from the ticket's
own columns, which a release, a reassignment, a hand-over and a rework clear together: who
claimed it and when, arrival, resolution and outcome always belong to the same round, and
the round's dispatch time comes before its claim. The events sheet keeps every round: each
claim, arrival, resolution, rework and hand-over with who did it and when.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.directory import Directory
from bot.core.i18n import load_catalog, t
from bot.figures.leads import Scope
from bot.tickets.limits import limit_text
from storage.reports import EventRow

TICKET_COLUMNS = (
    "id", "status", "category", "grid_id", "home_squad_id", "squad_id", "latitude",
    "longitude", "description", "reporter_name", "reported_at", "dispatched_at",
    "claimed_by_name", "claimed_at", "on_site_at", "on_site_distance_m", "resolved_by",
    "resolved_at", "outcome_class", "outcome_action", "outcome_note", "outcome_point",
    "outcome_point_m", "closed_at",
    "close_reason", "rework_count", "rating", "photos", "recheck_limit", "recheck_due_at",
    "recheck_state", "rechecked_at",
)  # fmt: skip
EVENT_COLUMNS = ("ticket", "at", "kind", "actor", "detail")
# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPORTER_EVENTS = ("reported", "confirmed", "reopened", "rated")

Cell = str | int | float | datetime | None


@dataclass
class Table:
    """The export's two sheets as plain values (local naive datetimes), in one language."""

    locale: str
    ticket_headers: list[str]
    event_headers: list[str]
    tickets: list[list[Cell]] = field(default_factory=list)
    events: list[list[Cell]] = field(default_factory=list)


def guarded(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula, kept as text with a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def squads_of(row: Any, events: Iterable[EventRow]) -> set[str]:
    """Every squad a ticket belonged to: its grid's, and each it was sent or handed to."""
    squads = {row.home_squad_id or row.squad_id, row.squad_id}
    squads |= {
        e.detail["squad"] for e in events if e.kind in ("dispatched", "handed_over") and e.detail
    }
    return squads


def build(
    rows: list[Any],
    events: list[EventRow],
    scope: Scope,
    locale: str,
    directory: Directory,
    photos: dict[int, int] | None = None,
) -> Table:
    """The scope's tickets among ``rows`` (tickets with every column) and their events;
    ``photos`` counts each ticket's resolution photos over all its rounds."""
    by_ticket: dict[int, list[EventRow]] = {}
    for event in events:
        by_ticket.setdefault(event.ticket_id, []).append(event)
    table = Table(
        locale,
        [t(locale, f"export.{c}") for c in TICKET_COLUMNS],
        [t(locale, f"export.event_{c}") for c in EVENT_COLUMNS],
    )
    zone = directory.settings.zone
    for row in rows:
        history = by_ticket.get(row.id, [])
        if not scope.covers_any(squads_of(row, history)):
            continue
        table.tickets.append(
            [
                (photos or {}).get(row.id, 0)
                if c == "photos"
                else _ticket_cell(row, c, locale, directory)
                for c in TICKET_COLUMNS
            ]
        )
        for event in history:
            table.events.append(
                [
                    row.id,
                    datetime.fromtimestamp(event.at, zone).replace(tzinfo=None),
                    _label(locale, f"export.kind.{event.kind}", event.kind),
                    _actor(event, locale, directory),
                    _detail(event, locale, directory),
                ]
            )
    return table


def _label(locale: str, key: str, fallback: str) -> str:
    return t(locale, key) if key in load_catalog(locale) else fallback


def _squad(directory: Directory, squad_id: str | None, locale: str) -> str:
    squad = directory.squads.get(squad_id or "")
    return squad.name.get(locale) if squad is not None else (squad_id or "")


def _action(directory: Directory, outcome: str | None, code: str | None, locale: str) -> str:
    for action in directory.settings.workflow.actions.get(outcome or "", []):
        if action.code == code:
            return action.name.get(locale)
    return code or ""


def _ticket_cell(row: Any, column: str, locale: str, directory: Directory) -> Cell:
    if column == "recheck_limit":  # the limit as people say it: 3天, not 259200
        seconds = row.recheck_limit_s
        return limit_text(int(seconds), locale) if seconds else None
    value = getattr(row, column)
    if column == "home_squad_id":
        value = value or row.squad_id
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(directory.settings.zone).replace(tzinfo=None)
    if column == "status":
        return _label(locale, f"export.status.{value}", value)
    if column == "category":
        return directory.category_name(value, locale)
    if column == "grid_id":
        return directory.grid_name(value, locale) if value in directory.grids else value
    if column in ("squad_id", "home_squad_id"):
        return _squad(directory, value, locale)
    if column == "outcome_class":
        return _label(locale, f"outcome.{value}", value)
    if column == "outcome_action":
        return _action(directory, row.outcome_class, value, locale)
    if column == "recheck_state":
        return _label(locale, f"export.recheck.{value}", value)
    if column == "outcome_point":  # the vending point the vendor was guided to, by name
        point = directory.vending_points.get(value)
        return point.name.get(locale) if point is not None else value
    if column == "outcome_point_m":
        return round(float(value))
    if column == "close_reason":
        return _label(locale, f"export.close.{value}", value)
    if column == "resolved_by":
        return directory.member_name(value, str(value))
    if column == "reporter_name" and row.anonymous:
        return t(locale, "export.anonymous")
    if column == "on_site_distance_m":
        return round(float(value))
    if isinstance(value, int | float):
        return value
    return str(value)


def _actor(event: EventRow, locale: str, directory: Directory) -> str:
    if event.kind in REPORTER_EVENTS:
        return t(locale, "view.reporter")
    if event.actor_id is None:
        return t(locale, "export.system")
    return directory.member_name(event.actor_id, str(event.detail.get("name") or event.actor_id))


def _detail(event: EventRow, locale: str, directory: Directory) -> str:
    detail = event.detail
    if event.kind in ("dispatched", "handed_over"):
        return _squad(directory, detail.get("squad"), locale)
    if event.kind == "assigned" and detail.get("officer") is not None:
        return directory.member_name(detail["officer"], str(detail["officer"]))
    if event.kind == "released" and detail.get("reason"):
        return _label(locale, f"release.reason.{detail['reason']}", detail["reason"])
    if event.kind == "on_site" and detail.get("distance_m") is not None:
        return t(locale, "view.distance", distance=round(detail["distance_m"]))
    if event.kind == "resolved" and detail.get("outcome"):
        outcome = _label(locale, f"outcome.{detail['outcome']}", detail["outcome"])
        action = _action(directory, detail["outcome"], detail.get("action"), locale)
        return f"{outcome} · {action}" + (f" · {detail['note']}" if detail.get("note") else "")
    if event.kind == "escalated" and detail.get("stage"):
        return _label(locale, f"stage.{detail['stage']}", detail["stage"])
    if event.kind == "notice_issued" and detail.get("limit"):
        action = _action(directory, "management", detail.get("action"), locale)
        return f"{action} · {limit_text(int(detail['limit']), locale)}"
    if event.kind == "rechecked" and detail.get("result"):
        return _label(locale, f"export.recheck.{detail['result']}", detail["result"])
    if event.kind == "recheck_reopened" and detail.get("outcome"):
        return _label(locale, f"outcome.{detail['outcome']}", detail["outcome"])
    if event.kind == "rated" and detail.get("rating") is not None:
        return str(detail["rating"])
    return ""


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(guarded(value))


def csv_bytes(table: Table) -> bytes:
    """The tickets sheet as CSV: UTF-8 with a byte-order mark, so Excel on a Chinese Windows
    reads it; formula-like text kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.ticket_headers)
    for row in table.tickets:
        writer.writerow([_text(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def xlsx(table: Table) -> bytes:
    """Both sheets as an Excel workbook: times as Excel times, numbers as numbers, text as
    text (formula-like text kept as text)."""
    from openpyxl import Workbook  # imported here: only an export needs it
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    tickets = book.active
    assert tickets is not None
    tickets.title = t(table.locale, "export.sheet_tickets")
    events = book.create_sheet(t(table.locale, "export.sheet_events"))
    for sheet, headers, rows in (
        (tickets, table.ticket_headers, table.tickets),
        (events, table.event_headers, table.events),
    ):
        sheet.append(headers)
        for row in rows:
            # Control characters are not allowed in the file format: dropped, not fatal.
            sheet.append(
                [
                    ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v
                    for v in map(guarded, row)
                ]
            )
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                if isinstance(cell.value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        for index, header in enumerate(headers, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(10, min(40, 2 * len(header) + 4))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

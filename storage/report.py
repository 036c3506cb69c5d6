"""A report's details: what a shop owner adds to where and what (the place's name and
address from a venue, a description, a photo). The draft collects them and the ticket keeps
them whole, so they are declared once, here: ``ReportDetails`` (the fields both rows carry),
``DetailChange`` (the same, as a typed change), and the columns both tables get from them.

A new detail (say, the shop's name) is a field in each of the two classes below, plus its
migration; the intake step that asks for it, the card that shows it and the two catalogs
are the rest (README, "Adding a field to a report").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TypedDict, cast

from sqlalchemy import Column, Text


@dataclass(frozen=True, kw_only=True)
class ReportDetails:
    venue_title: str | None = None
    venue_address: str | None = None
    description: str | None = None
    photo_file_id: str | None = None


class DetailChange(TypedDict, total=False):
    venue_title: str | None
    venue_address: str | None
    description: str | None
    photo_file_id: str | None


DETAILS = tuple(field.name for field in fields(ReportDetails))


def detail_columns() -> list[Column[str]]:
    """The details' columns, for one table (each table needs its own Column objects)."""
    return [Column(name, Text) for name in DETAILS]


def details_of(report: ReportDetails) -> DetailChange:
    """The details of a draft, as the ticket stores them."""
    values = {name: getattr(report, name) for name in DETAILS}
    return cast(DetailChange, values)

"""What a ticket looks like in chat: the squad's card and the notices to shop owners."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot import buttons
from bot.directory import Directory
from bot.i18n import Raw, t
from bot.notices import Button, Markup, inline
from storage.tickets import Ticket


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time as officers read it: ``11-22 09:30`` in the district's zone."""
    return moment.astimezone(zone).strftime("%m-%d %H:%M")


def ticket_number(ticket_id: int) -> str:
    return f"#{ticket_id}"


def map_link(latitude: float, longitude: float, label: str) -> str:
    """A navigation link that Chinese phones open in Amap, given WGS-84 coordinates."""
    return (
        "https://uri.amap.com/marker?"
        f"position={longitude:.6f},{latitude:.6f}&name={quote(label)}"
        "&coordinate=wgs84&callnative=1"
    )


def mention(user_id: int, name: str) -> Raw:
    """A mention that notifies the person even when they have no @username."""
    return Raw(t("en", "mention", id=user_id, name=name))


def card_text(ticket: Ticket, directory: Directory, locale: str) -> str:
    """The ticket card in the squad chat: everything an officer needs, one message."""
    zone = directory.settings.zone
    place = ticket.venue_title or directory.grid_name(ticket.grid_id, locale)
    lines = [
        t(
            locale,
            "card.title",
            number=ticket_number(ticket.id),
            category=directory.category_name(ticket.category, locale),
        ),
        t(
            locale,
            "card.where",
            grid=directory.grid_name(ticket.grid_id, locale),
            latitude=f"{ticket.latitude:.5f}",
            longitude=f"{ticket.longitude:.5f}",
        ),
    ]
    if ticket.venue_title:
        lines.append(
            t(locale, "card.venue", title=ticket.venue_title, address=ticket.venue_address or "")
        )
    lines.append(t(locale, "card.navigate", url=map_link(ticket.latitude, ticket.longitude, place)))
    if ticket.description:
        lines.append(t(locale, "card.description", text=ticket.description))
    reporter = mention(ticket.reporter_id, ticket.reporter_name)
    if ticket.reporter_username:
        reporter = Raw(f"{reporter} (@{ticket.reporter_username})")
    key = "card.reporter_private" if ticket.anonymous else "card.reporter"
    lines.append(t(locale, key, reporter=reporter))
    lines.append(t(locale, "card.reported_at", time=local_time(ticket.reported_at, zone)))
    lines.append(t(locale, f"card.status.{ticket.status}"))
    return "\n".join(lines)


def card_buttons(ticket: Ticket, locale: str) -> Markup:
    """The officer workflow's buttons for the ticket's current state."""
    if ticket.status == "dispatched":
        return inline([[Button(t(locale, "button.claim"), buttons.encode("claim", ticket.id))]])
    return inline([])


def group_receipt(ticket: Ticket, directory: Directory, locale: str) -> str:
    """The confirmation shop owners see in their group (never the reporter's name)."""
    return t(
        locale,
        "report.accepted",
        number=ticket_number(ticket.id),
        category=directory.category_name(ticket.category, locale),
        grid=directory.grid_name(ticket.grid_id, locale),
        squad=directory.squads[ticket.squad_id].name.get(locale),
    )

"""What a ticket looks like in chat: the squad's card and the notices to shop owners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.core import buttons
from bot.core.buttons import Press
from bot.core.config import Squad
from bot.core.directory import Directory
from bot.core.i18n import Raw, joined, t, tn
from bot.core.notices import Button, Markup, inline
from bot.duty.deadlines import STAGE_OF_STATUS, deadline, duty_mentions, overdue_stages
from bot.tickets.limits import limit_text
from storage.lifecycle import HELD, Status, open_states
from storage.photos import Photo
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


def card_text(
    ticket: Ticket, directory: Directory, locale: str, photos: Sequence[Photo] = ()
) -> str:
    """The ticket card in the squad chat: everything an officer needs, one message."""
    zone = directory.settings.zone
    place = ticket.venue_title or directory.grid_name(ticket.grid_id, locale)
    lines = [
        t(
            locale,
            "card.title_closed" if ticket.status == Status.CLOSED else "card.title",
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
    if ticket.supporters:
        # Only the number: a private supporter's name never reaches a chat.
        lines.append(t(locale, "card.supporters", count=ticket.supporters))
    if ticket.handed_from is not None and ticket.handed_from in directory.squads:
        lines.append(
            t(
                locale,
                "card.handed_from",
                previous=directory.squads[ticket.handed_from].name.get(locale),
                stage=t(locale, f"stage.{ticket.handed_stage or 'claim'}"),
            )
        )
    lines.extend(duty_lines(ticket, directory, locale))
    lines.extend(progress_lines(ticket, directory, locale))
    lines.extend(photo_lines(ticket, photos, locale))
    lines.append(t(locale, f"card.status.{ticket.status}"))
    return "\n".join(lines)


def photo_lines(ticket: Ticket, photos: Sequence[Photo], locale: str) -> list[str]:
    """How many resolution photos this round has, and earlier rounds (kept after a rework)."""
    current = sum(1 for photo in photos if photo.round == ticket.rework_count)
    earlier = len(photos) - current
    lines = [tn(locale, "card.photos", current)] if current else []
    if earlier:
        lines.append(tn(locale, "card.photos_earlier", earlier))
    return lines


RELEASE_REASONS = ("other_task", "shift_end", "need_help", "not_ours")


def card_buttons(ticket: Ticket, locale: str, directory: Directory, mode: str = "") -> Markup:
    """The officer workflow's buttons for the ticket's state (and an open sub-menu)."""

    def button(key: str, action: Press, argument: str = "") -> Button:
        return Button(t(locale, key), buttons.encode(action, ticket.id, argument))

    back = [button("button.back", Press.BACK)]
    if mode == "release" and ticket.status in HELD:
        rows = [[button(f"release.reason.{r}", Press.RELEASE_REASON, r)] for r in RELEASE_REASONS]
        return inline([*rows, back])
    if mode == "assign" and ticket.status in open_states():
        squad = directory.squads[ticket.squad_id]
        rows = [
            [Button(m.name, buttons.encode(Press.ASSIGN_TO, ticket.id, str(m.telegram_id)))]
            for m in squad.members
            if m.telegram_id != ticket.claimed_by
        ]
        return inline([*rows, back])
    if ticket.status == Status.DISPATCHED:
        return inline(
            [[button("button.claim", Press.CLAIM)], [button("button.assign", Press.ASSIGN)]]
        )
    if ticket.status in HELD:
        first = [button("button.resolve", Press.RESOLVE)]
        if ticket.status == Status.CLAIMED:
            first.insert(0, button("button.arrive", Press.ARRIVE))
        return inline(
            [
                first,
                [button("button.release", Press.RELEASE), button("button.assign", Press.ASSIGN)],
            ]
        )
    return inline([])


def duty_lines(ticket: Ticket, directory: Directory, locale: str) -> list[str]:
    """Who was on duty at dispatch (mentioned, so they are notified), deadline, overdue."""
    lines: list[str] = []
    zone = directory.settings.zone
    if ticket.status == Status.DISPATCHED and ticket.duty_mentions is not None:
        officers = duty_mentions(ticket)
        if officers:
            names = Raw(" ".join(mention(i, n) for i, n in officers))
            lines.append(t(locale, "card.on_duty", officers=names))
        else:
            lines.append(t(locale, "card.nobody_on_duty"))
    stage = STAGE_OF_STATUS.get(ticket.status)
    if stage is not None:
        due = deadline(ticket, directory.settings, stage)
        if due is not None:
            lines.append(
                t(
                    locale,
                    "card.deadline",
                    stage=t(locale, f"stage.{stage}"),
                    time=local_time(due, zone),
                )
            )
    missed = overdue_stages(ticket)
    if missed:
        stages = Raw(joined(locale, (t(locale, f"stage.{s}") for s in missed)))
        lines.append(t(locale, "card.overdue", stages=stages))
    return lines


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() / 60))


def duration_text(minutes: int, locale: str) -> str:
    """``1小时5分钟`` / ``1 h 5 min``; ``不到1分钟`` / ``under a minute`` rather than 0."""
    if minutes <= 0:
        return t(locale, "duration.under_a_minute")
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return t(locale, "duration.hours_minutes", hours=hours, minutes=rest)
    if hours:
        return t(locale, "duration.hours", hours=hours)
    return t(locale, "duration.minutes", minutes=rest)


def progress_lines(ticket: Ticket, directory: Directory, locale: str) -> list[str]:
    """The workflow so far, for the card: claim, arrival, resolution, closing, rework."""
    zone = directory.settings.zone
    lines: list[str] = []
    if ticket.rework_count:
        lines.append(tn(locale, "card.rework", ticket.rework_count))
    if ticket.claimed_at is not None and ticket.claimed_by is not None:
        after = minutes_between(ticket.dispatched_at, ticket.claimed_at) or 0
        lines.append(
            t(
                locale,
                "card.claimed",
                officer=mention(ticket.claimed_by, ticket.claimed_by_name or ""),
                time=local_time(ticket.claimed_at, zone),
                after=duration_text(after, locale),
            )
        )
    if ticket.on_site_at is not None:
        time = local_time(ticket.on_site_at, zone)
        if ticket.on_site_distance_m is None:
            lines.append(t(locale, "card.on_site_unknown", time=time))
        elif ticket.on_site_far:
            lines.append(
                t(
                    locale,
                    "card.on_site_far",
                    time=time,
                    distance=round(ticket.on_site_distance_m),
                    radius=round(directory.settings.workflow.arrival_radius_m),
                )
            )
        else:
            lines.append(
                t(locale, "card.on_site", time=time, distance=round(ticket.on_site_distance_m))
            )
    if ticket.resolved_at is not None and ticket.outcome_class and ticket.outcome_action:
        lines.append(
            t(
                locale,
                "card.resolved",
                outcome=outcome_text(ticket, directory, locale),
                time=local_time(ticket.resolved_at, zone),
            )
        )
        if ticket.outcome_note:
            lines.append(t(locale, "card.note", text=ticket.outcome_note))
    if ticket.recheck_state and ticket.recheck_due_at and ticket.recheck_limit_s:
        limit = limit_text(ticket.recheck_limit_s, locale)
        due = local_time(ticket.recheck_due_at, zone)
        lines.append(t(locale, f"card.recheck.{ticket.recheck_state}", limit=limit, time=due))
    if ticket.status == Status.CLOSED and ticket.closed_at is not None:
        key = "card.closed_solved" if ticket.close_reason == "solved" else "card.closed_unconfirmed"
        lines.append(t(locale, key, time=local_time(ticket.closed_at, zone)))
        if ticket.rating:
            lines.append(t(locale, "card.rating", stars="⭐" * ticket.rating))
    return lines


def outcome_text(ticket: Ticket, directory: Directory, locale: str) -> str:
    """``服务 · 疏导至临时经营点``."""
    assert ticket.outcome_class is not None
    return outcome_name(directory, ticket.outcome_class, ticket.outcome_action, locale)


def outcome_name(directory: Directory, outcome: str, code: str | None, locale: str) -> str:
    """The 7-2-1 class and the action taken, as the catalogs and config name them."""
    actions = directory.settings.workflow.actions.get(outcome, [])
    action = next((a.name.get(locale) for a in actions if a.code == code), "")
    return (
        f"{t(locale, f'outcome.{outcome}')} · {action}"
        if action
        else t(locale, f"outcome.{outcome}")
    )


def group_receipt(
    ticket: Ticket,
    directory: Directory,
    locale: str,
    fallback_from: Squad | None = None,
    *,
    private: bool = False,
) -> str:
    """The confirmation shop owners see in their group (never the reporter's name), or,
    ``private``, the reporter in the private chat (where the result comes privately).

    When the grid's own squad had nobody on duty, it says honestly who will handle it.
    """
    key = "report.accepted"
    home = ""
    if fallback_from is not None:
        key = "report.accepted_fallback"
        home = fallback_from.name.get(locale)
    if private:
        key += "_private"
    return t(
        locale,
        key,
        home=home,
        number=ticket_number(ticket.id),
        category=directory.category_name(ticket.category, locale),
        grid=directory.grid_name(ticket.grid_id, locale),
        squad=directory.squads[ticket.squad_id].name.get(locale),
    )

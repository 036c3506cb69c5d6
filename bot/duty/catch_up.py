"""Catch-up after downtime: the escalation steps that fell due while the bot was down.

Each step is still taken once, with its event on the ticket, but a squad chat gets one
summary of which tickets missed which deadline instead of a reminder per ticket per step,
and its leads one summary too. A chat with only a few such reminders gets them as usual.
A hand-over that fell due meanwhile waits ``escalation.catch_up_grace`` after the summary:
the squad had no reminder while the bot was down, so it gets a chance to claim first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from bot.core import notices
from bot.core.config import Member
from bot.core.directory import Directory
from bot.core.i18n import Raw, joined, t
from bot.core.notices import Notice
from bot.delivery.outbox import Outbox
from bot.tickets import cards
from storage.database import Connection

# A chat with at most this many missed steps gets them one by one, as if nothing happened.
AS_USUAL = 3
NUMBERS_SHOWN = 20
SQUAD, LEADS = "squad", "leads"


@dataclass
class Missed:
    ticket_id: int
    stage: str
    notice: Notice


@dataclass
class CatchUp:
    """What one catch-up round collected, per chat, to be told once at its end."""

    before: datetime
    hand_over_at: datetime
    missed: dict[tuple[int, str, str], list[Missed]] = field(
        default_factory=lambda: defaultdict(list)
    )
    postponed: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def covers(self, due: datetime | None) -> bool:
        """Whether a step due at ``due`` fell due while the bot was down."""
        return due is not None and due < self.before

    def add(self, kind: str, squad_id: str, ticket_id: int, stage: str, notice: Notice) -> None:
        self.missed[(notice.chat_id, kind, squad_id)].append(Missed(ticket_id, stage, notice))

    def postpone(self, squad_id: str, ticket_id: int) -> None:
        self.postponed[squad_id].append(ticket_id)

    async def tell(self, conn: Connection, outbox: Outbox, directory: Directory) -> int:
        """Write the summaries (or the few reminders as they were); return how many."""
        written = 0
        for (chat_id, kind, squad_id), missed in self.missed.items():
            if len(missed) <= AS_USUAL and not self.postponed.get(squad_id):
                for entry in missed:
                    await outbox.put(conn, entry.notice)
                written += len(missed)
                continue
            body = self._summary(kind, squad_id, missed, directory)
            await outbox.put(conn, notices.text(chat_id, body, "catch_up"))
            written += 1
        for squad_id in self.postponed:
            if not any(key[2] == squad_id and key[1] == SQUAD for key in self.missed):
                squad = directory.squads[squad_id]
                body = self._summary(SQUAD, squad_id, [], directory)
                await outbox.put(conn, notices.text(squad.dispatch_chat_id, body, "catch_up"))
                written += 1
        return written

    def _summary(self, kind: str, squad_id: str, missed: list[Missed], directory: Directory) -> str:
        squad = directory.squads[squad_id]
        locale = directory.squad_locale(squad)
        by_stage: dict[str, list[int]] = defaultdict(list)
        for entry in missed:
            if entry.ticket_id not in by_stage[entry.stage]:
                by_stage[entry.stage].append(entry.ticket_id)
        lines = [
            t(
                locale,
                "catch_up.line",
                stage=t(locale, f"stage.{stage}"),
                numbers=_numbers(locale, ids),
            )
            for stage, ids in by_stage.items()
        ]
        count = sum(len(ids) for ids in by_stage.values())
        if not lines:
            lines = [t(locale, "catch_up.none_missed")]
        if kind == LEADS:
            leads: list[Member] = directory.leads_of(squad)
            return t(
                locale,
                "catch_up.leads",
                squad=squad.name.get(locale),
                count=count,
                lines=Raw("\n".join(lines)),
                leads=Raw(" ".join(cards.mention(m.telegram_id, m.name) for m in leads)),
            )
        body = t(locale, "catch_up.squad", count=count, lines=Raw("\n".join(lines)))
        fallback = directory.fallback_of(squad)
        if self.postponed.get(squad_id) and fallback is not None:
            body += "\n" + t(
                locale,
                "catch_up.hand_over",
                numbers=_numbers(locale, self.postponed[squad_id]),
                time=cards.local_time(self.hand_over_at, directory.settings.zone),
                squad=fallback.name.get(locale),
            )
        return body


def _numbers(locale: str, ticket_ids: list[int]) -> str:
    shown = joined(locale, (cards.ticket_number(i) for i in ticket_ids[:NUMBERS_SHOWN]))
    if len(ticket_ids) <= NUMBERS_SHOWN:
        return shown
    return t(locale, "catch_up.more", shown=Raw(shown), total=len(ticket_ids))

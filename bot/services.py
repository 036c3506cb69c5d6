"""The bot's services, built from the config and opened when the application starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import notices
from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from bot.core.directory import Directory
from bot.core.i18n import t
from bot.delivery.inbox import Inbox
from bot.delivery.leasing import Leases
from bot.delivery.outbox import Outbox
from bot.delivery.pacing import Pacer
from bot.delivery.taking import worker_name
from bot.duty.escalation import Escalator
from bot.duty.on_duty import Duty
from bot.figures.broadcasts import Broadcasts
from bot.figures.reports import Reports
from bot.reporting.intake import Intake
from bot.reporting.points import Points
from bot.tickets.merge import Merger
from bot.tickets.recheck import Rechecks
from bot.tickets.resolution import Resolution
from bot.tickets.ticket_ops import Alarm
from bot.tickets.views import Views
from bot.tickets.workflow import Workflow
from storage import chats
from storage.database import Database


def database_target(settings: Settings, base: Path | None = None) -> str | Path:
    """The configured database: the PostgreSQL URL if set, else the SQLite file's path
    (a relative path is taken from ``base``, the config file's folder)."""
    if settings.database.url is not None:
        return settings.database.url
    path = Path(settings.database.path)
    if base is not None and not path.is_absolute():
        path = base / path
    return path


@dataclass
class Services:
    settings: Settings
    directory: Directory
    clock: Clock
    db: Database
    outbox: Outbox
    intake: Intake
    workflow: Workflow
    resolution: Resolution
    views: Views
    duty: Duty
    escalator: Escalator
    alarm: Alarm
    reports: Reports
    inbox: Inbox
    broadcasts: Broadcasts
    points: Points
    merger: Merger
    rechecks: Rechecks
    # This process's name in the leases table (several workers share a PostgreSQL database).
    worker: str

    @classmethod
    def create(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        base: Path | None = None,
        *,
        paced: bool = False,
    ) -> Services:
        """Wire the services; nothing is opened yet. ``base`` anchors a relative db path;
        ``paced`` makes the outbox keep each chat within Telegram's limits."""
        clock = clock or SystemClock()
        directory = Directory(settings)
        db = Database(database_target(settings, base))
        outbox = Outbox(db, clock, settings.outbox, pacer=Pacer(clock) if paced else None)
        intake = Intake(db, directory, outbox, clock)
        alarm = Alarm()
        desk = (db, directory, outbox, clock, alarm)
        duty = Duty(*desk)
        intake.duty = duty
        escalator = Escalator(*desk)
        escalator.duty = duty
        rechecks = Rechecks(*desk)
        escalator.rechecks = rechecks
        worker = worker_name()
        if db.dialect == "postgresql":
            # Another worker may share the database: each chat's lane is sent by one of them.
            outbox.leases = Leases(db, clock, worker, settings.telegram.webhook.lease)
        return cls(
            settings,
            directory,
            clock,
            db,
            outbox,
            intake,
            Workflow(*desk),
            Resolution(*desk),
            Views(*desk),
            duty,
            escalator,
            alarm,
            Reports(*desk),
            Inbox(db, clock),
            Broadcasts(*desk),
            Points(db, directory, outbox, clock),
            Merger(*desk),
            rechecks,
            worker,
        )

    async def open(self, bot_username: str) -> None:
        """Open (and migrate) the database; the bot's username completes deep links."""
        await self.db.open()
        self.intake.bot_username = bot_username

    async def close(self) -> None:
        await self.outbox.stop()
        try:
            await self.inbox.flush()
        finally:
            await self.db.close()

    async def hint_unconfigured(self, chat_id: int, *, again: bool) -> bool:
        """Tell an unknown chat its id once (again when the bot is re-added)."""
        async with self.db.transaction() as conn:
            if not await chats.claim_hint(conn, chat_id, self.clock.now(), again):
                return False
            body = t(self.settings.locale, "hint.unconfigured", chat_id=chat_id)
            await self.outbox.put(conn, notices.text(chat_id, body, "hint"))
        return True

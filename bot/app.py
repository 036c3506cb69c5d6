"""Wires the python-telegram-bot Application: services, handlers, start-up and shut-down."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.core.clock import Clock
from bot.core.config import LOCALES, Settings, redacted_url
from bot.core.i18n import t
from bot.services import Services
from handlers.context import SERVICES_KEY, GridApp, GridContext
from handlers.http import AiohttpRequest
from handlers.inbox import InboxBot, replay_inbox
from handlers.transport import TelegramTransport
from handlers.updates import PerSenderUpdateProcessor

log = logging.getLogger(__name__)

DRAFT_SWEEP = timedelta(seconds=30)
CONFIRM_SWEEP = timedelta(seconds=60)
FILE_SWEEP = timedelta(seconds=60)  # chart and export files already sent are removed
GROUP_COMMANDS = (
    "report", "points", "cancel", "ticket", "open", "mine", "duty", "onduty", "offduty",
    "digest", "stats", "export", "help",
)  # fmt: skip
PRIVATE_COMMANDS = (
    "whoami", "points", "ticket", "mine", "digest", "stats", "export", "notice", "notices",
    "help", "cancel",
)  # fmt: skip


def build_application(
    settings: Settings,
    token: str,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    config_dir: Path | None = None,
    rate_limit: bool = True,
    run_sender: bool = True,
    webhook: bool = False,
) -> GridApp:
    """The Application for ``settings``; the database opens in ``post_init``.

    ``request`` replaces the HTTP client (tests plug a Bot API stand-in in here); by default
    requests go over aiohttp (``handlers.http``).
    ``run_sender=False`` leaves delivering the outbox to the caller (``outbox.flush``).
    ``webhook=True`` builds a webhook worker's Application (``handlers.webhook``): its
    server keeps each posted update in the inbox, and the updates are taken from there chat
    by chat; polling keeps each fetched batch instead.
    """
    limited = rate_limit and settings.telegram.rate_limiter
    services = Services.create(
        settings, clock, base=config_dir, paced=limited and settings.telegram.pacing == "outbox"
    )
    proxy = settings.telegram.proxy_url
    if proxy:
        log.info("Bot API requests go through the proxy %s", redacted_url(proxy))
    # Built here rather than by the builder: the inbox needs our own ExtBot subclass.
    bot_options: dict[str, Any] = {
        # The builder's default pool sizes: many concurrent sends, one long poll.
        "request": request or AiohttpRequest(connection_pool_size=256, proxy=proxy),
        "get_updates_request": updates_request
        or AiohttpRequest(connection_pool_size=1, proxy=proxy),
    }
    if limited and settings.telegram.pacing == "ptb":
        # Retries stay with the outbox (persistent), so the limiter itself never retries.
        bot_options["rate_limiter"] = AIORateLimiter(max_retries=0)
    if settings.telegram.base_url:
        bot_options["base_url"] = settings.telegram.base_url
    if settings.telegram.base_file_url:
        bot_options["base_file_url"] = settings.telegram.base_file_url
    builder: Any = (
        ApplicationBuilder()
        .bot(InboxBot(services.inbox, token, **bot_options))
        .context_types(ContextTypes(context=GridContext))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerSenderUpdateProcessor(on_handled=services.inbox.handled))
    )
    app: GridApp = builder.build()
    app.bot_data[SERVICES_KEY] = services
    app.bot_data["griddesk.run_sender"] = run_sender
    app.bot_data["griddesk.webhook"] = webhook
    handlers.register_all(app)
    return app


async def _post_init(app: GridApp) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    await services.open(app.bot.username)
    services.outbox.transport = TelegramTransport(app.bot)
    if app.bot_data.get("griddesk.run_sender", True):
        services.outbox.start()
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _expire_drafts, interval=DRAFT_SWEEP, first=1, name="expire-report-drafts"
        )
        app.job_queue.run_repeating(
            _close_unconfirmed, interval=CONFIRM_SWEEP, first=2, name="close-unconfirmed-tickets"
        )
        app.job_queue.run_repeating(
            _sweep_files, interval=FILE_SWEEP, first=3, name="remove-sent-files"
        )
    corrected = await services.escalator.rearm_all()
    if corrected:
        log.info("re-derived the escalation timers of %s open tickets", corrected)
    if app.job_queue is not None:
        EscalationTimer(app).start(await services.escalator.next_due())
        hour, minute = (int(part) for part in services.settings.digest.time.split(":"))
        app.job_queue.run_daily(
            _post_digest, time(hour, minute, tzinfo=services.settings.zone), name="daily-digest"
        )
    await services.reports.catch_up()
    if not app.bot_data.get("griddesk.webhook"):
        # (A webhook worker's taker handles what is kept, chat by chat: handlers.webhook.)
        replayed = await replay_inbox(app, services.inbox)
        if replayed:
            log.info("handled %s updates fetched but not handled before the last stop", replayed)
    await _set_commands(app, services.settings)
    await _check_rights(app, services)


async def _post_shutdown(app: GridApp) -> None:
    services: Services = app.bot_data[SERVICES_KEY]
    await services.close()


async def _expire_drafts(context: GridContext) -> None:
    await context.services.intake.expire_due()


class EscalationTimer:
    """One JobQueue job, always set for the earliest escalation due in the database.

    The timer is derived, never the truth: at start it is set from the database, each fire
    re-reads it, and every ticket change that brings a deadline forward moves it earlier.
    """

    NAME = "escalation-due"

    def __init__(self, app: GridApp) -> None:
        self.app = app
        self.services: Services = app.bot_data[SERVICES_KEY]
        self.at: datetime | None = None

    def start(self, first: datetime | None) -> None:
        self.services.alarm.listener = self.wake_at
        self.wake_at(first)

    def wake_at(self, moment: datetime | None) -> None:
        if moment is None or (self.at is not None and self.at <= moment):
            return
        job_queue = self.app.job_queue
        assert job_queue is not None
        for job in job_queue.get_jobs_by_name(self.NAME):
            job.schedule_removal()
        self.at = moment
        delay = max(0.0, (moment - self.services.clock.now()).total_seconds())
        job_queue.run_once(self._fire, when=delay, name=self.NAME)

    async def _fire(self, context: GridContext) -> None:
        self.at = None
        try:
            await self.services.escalator.fire_due()
        finally:
            self.wake_at(await self.services.escalator.next_due())


async def _post_digest(context: GridContext) -> None:
    reports = context.services.reports
    await reports.post_daily(reports.yesterday())


async def _sweep_files(context: GridContext) -> None:
    await context.services.reports.sweep()


async def _close_unconfirmed(context: GridContext) -> None:
    await context.services.resolution.close_unconfirmed()


async def _set_commands(app: GridApp, settings: Settings) -> None:
    """Publish the command menus, in the district's language and in each catalog language."""
    try:
        for language in (None, *LOCALES):
            locale = language or settings.locale
            group = [BotCommand(c, t(locale, f"command.{c}")) for c in GROUP_COMMANDS]
            private = [BotCommand(c, t(locale, f"command.{c}")) for c in PRIVATE_COMMANDS]
            await app.bot.set_my_commands(group, BotCommandScopeAllGroupChats(), language)
            await app.bot.set_my_commands(private, BotCommandScopeAllPrivateChats(), language)
    except TelegramError as exc:
        log.warning("could not publish the command menu: %s", exc)


async def _check_rights(app: GridApp, services: Services) -> None:
    """Say at start-up what the bot cannot do in its configured chats, not later."""
    reads_all = bool(app.bot.can_read_all_group_messages)
    chats = [(g.chat_id, g.name, True) for g in services.settings.grid_groups]
    chats += [(s.dispatch_chat_id, s.name.zh, False) for s in services.settings.squads]
    chats += [
        (s.lead_chat_id, s.name.zh, False) for s in services.settings.squads if s.lead_chat_id
    ]
    for chat_id, name, is_grid_group in chats:
        try:
            member = await app.bot.get_chat_member(chat_id, app.bot.id)
        except TelegramError as exc:
            log.warning("chat %s (%s): cannot check the bot's membership: %s", chat_id, name, exc)
            continue
        if member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
            log.warning("chat %s (%s): the bot is not a member; add it to the chat", chat_id, name)
        elif is_grid_group and not reads_all and member.status != ChatMemberStatus.ADMINISTRATOR:
            log.info(
                "chat %s (%s): privacy mode is on and the bot is not an admin: /report works, "
                "a plain location message is not seen",
                chat_id,
                name,
            )

"""Team leads' commands: /digest, /stats and /export, where and for whom the domain allows."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler, filters

from bot.core.i18n import locale_of_language_code, t
from bot.figures.leads import Scope
from handlers.context import GridApp, GridContext
from handlers.officers import _reply

NEW_MESSAGES = filters.UpdateType.MESSAGE
STATS_PERIODS = {"7d": 7, "30d": 30}


def _locale(update: Update, context: GridContext) -> str:
    """The chat's language: a squad's (dispatch or lead chat), a group's, else the person's."""
    directory = context.directory
    chat = update.effective_chat
    if chat is not None:
        squad = directory.officials_chat(chat.id)
        if squad is not None:
            return directory.squad_locale(squad)
        if chat.id in directory.groups:
            return directory.group_locale(chat.id)
    user = update.effective_user
    default = context.services.settings.locale
    return locale_of_language_code(user.language_code if user else None, default)


async def _allowed(update: Update, context: GridContext, locale: str) -> Scope | None:
    """The asker's scope in this chat, or None after answering with the refusal."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return None
    audience = context.services.reports.audience(chat.id, chat.type == ChatType.PRIVATE, user.id)
    if audience.refusal is not None:
        bot = f"@{context.bot.username}" if context.bot.username else ""
        await _reply(context, update, t(locale, audience.refusal, bot=bot), "refusal")
        return None
    return audience.scope


async def digest_command(update: Update, context: GridContext) -> None:
    """``/digest [YYYY-MM-DD]``: the day's digest (yesterday by default) for a lead."""
    locale = _locale(update, context)
    scope = await _allowed(update, context, locale)
    if scope is None:
        return
    reports = context.services.reports
    days = reports.digest_day(context.args or [])
    if days.first is None:
        await _reply(context, update, t(locale, days.refusal or "digest.usage"), "refusal")
        return
    digest = await reports.digest(days.first, scope)
    message = update.effective_message
    assert message is not None
    async with context.services.db.transaction() as conn:
        await reports.put_digest(conn, message.chat_id, digest, locale, scope, message.message_id)


async def stats_command(update: Update, context: GridContext) -> None:
    """``/stats 7d|30d``: the same figures over the last 7 or 30 days."""
    locale = _locale(update, context)
    scope = await _allowed(update, context, locale)
    if scope is None:
        return
    args = context.args or ["7d"]
    period = STATS_PERIODS.get(args[0].lower()) if len(args) == 1 else None
    if period is None:
        await _reply(context, update, t(locale, "digest.stats_usage"), "refusal")
        return
    reports = context.services.reports
    first, last, digest = await reports.stats(period, scope)
    message = update.effective_message
    assert message is not None
    title = t(
        locale, "digest.stats_title", days=period, start=first.isoformat(), end=last.isoformat()
    )
    async with context.services.db.transaction() as conn:
        await reports.put_digest(
            conn, message.chat_id, digest, locale, scope, message.message_id, title
        )


async def export_command(update: Update, context: GridContext) -> None:
    """``/export [from] [to] [xlsx|csv]``: the tickets as a spreadsheet (last 7 days)."""
    locale = _locale(update, context)
    scope = await _allowed(update, context, locale)
    if scope is None:
        return
    reports = context.services.reports
    days = reports.export_days(context.args or [])
    if days.first is None or days.last is None:
        await _reply(context, update, t(locale, days.refusal or "export.usage"), "refusal")
        return
    message = update.effective_message
    assert message is not None
    await reports.send_export(
        message.chat_id,
        message.message_id,
        days.first,
        days.last,
        locale,
        scope,
        days.export_format,
    )


def register(app: GridApp) -> None:
    app.add_handler(CommandHandler("digest", digest_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("stats", stats_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("export", export_command, filters=NEW_MESSAGES))

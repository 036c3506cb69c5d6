"""Team leads' commands: /digest, /stats and /export; anyone else is politely refused."""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot import notices
from bot.config import Squad
from bot.i18n import t
from handlers.context import GridApp, GridContext
from handlers.officers import _locale, _reply

NEW_MESSAGES = filters.UpdateType.MESSAGE
STATS_PERIODS = {"7d": 7, "30d": 30}


def _scope(update: Update, context: GridContext) -> Squad | bool | None:
    user = update.effective_user
    return False if user is None else context.services.reports.scope_of(user.id)


def _dates(args: list[str]) -> list[date] | None:
    try:
        return [date.fromisoformat(a) for a in args[:2]]
    except ValueError:
        return None


async def digest_command(update: Update, context: GridContext) -> None:
    """``/digest [YYYY-MM-DD]``: the day's digest (yesterday by default) for a lead."""
    locale = _locale(update, context)
    scope = _scope(update, context)
    if scope is False:
        await _reply(context, update, t(locale, "digest.not_allowed"), "refusal")
        return
    days = _dates(context.args or [])
    if days is None:
        await _reply(context, update, t(locale, "digest.bad_date"), "refusal")
        return
    reports = context.services.reports
    digest = await reports.digest(days[0] if days else reports.yesterday())
    message = update.effective_message
    assert message is not None
    squad = scope if isinstance(scope, Squad) else None
    async with context.services.db.transaction() as conn:
        await reports.put_digest(conn, message.chat_id, digest, locale, squad, message.message_id)
    context.services.outbox.wake()


async def stats_command(update: Update, context: GridContext) -> None:
    """``/stats 7d|30d``: the same figures over the last 7 or 30 days."""
    locale = _locale(update, context)
    scope = _scope(update, context)
    if scope is False:
        await _reply(context, update, t(locale, "digest.not_allowed"), "refusal")
        return
    period = STATS_PERIODS.get((context.args or ["7d"])[0].lower())
    if period is None:
        await _reply(context, update, t(locale, "digest.stats_usage"), "refusal")
        return
    reports = context.services.reports
    first, last, digest = await reports.stats(period)
    message = update.effective_message
    assert message is not None
    title = t(
        locale, "digest.stats_title", days=period, start=first.isoformat(), end=last.isoformat()
    )
    squad = scope if isinstance(scope, Squad) else None
    async with context.services.db.transaction() as conn:
        await reports.put_digest(
            conn, message.chat_id, digest, locale, squad, message.message_id, title
        )
    context.services.outbox.wake()


async def export_command(update: Update, context: GridContext) -> None:
    """``/export [from] [to]``: a CSV of the tickets (the last 7 days by default)."""
    locale = _locale(update, context)
    if _scope(update, context) is False:
        await _reply(context, update, t(locale, "digest.not_allowed"), "refusal")
        return
    days = _dates(context.args or [])
    if days is None:
        await _reply(context, update, t(locale, "digest.bad_date"), "refusal")
        return
    reports = context.services.reports
    last = days[1] if len(days) > 1 else days[0] if days else reports.yesterday()
    first = days[0] if days else last - timedelta(days=6)
    path, count = await reports.write_export(first, last, locale)
    message = update.effective_message
    assert message is not None
    caption = t(
        locale, "export.caption", start=first.isoformat(), end=last.isoformat(), count=count
    )
    payload = {
        "document_path": str(path),
        "filename": path.name.rsplit("-", 1)[0] + ".csv",
        "caption": caption,
    }
    await context.services.outbox.send(
        notices.Notice(
            message.chat_id, "document", "export", payload, reply_to_message_id=message.message_id
        )
    )


def register(app: GridApp) -> None:
    app.add_handler(CommandHandler("digest", digest_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("stats", stats_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("export", export_command, filters=NEW_MESSAGES))

"""The last resort: log the fault, and give a pressed button a polite answer."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.core.i18n import t
from handlers.context import GridApp, GridContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: GridContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(
                t(context.services.settings.locale, "error.generic"), show_alert=True
            )


def register(app: GridApp) -> None:
    app.add_error_handler(on_error)

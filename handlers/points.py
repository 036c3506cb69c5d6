"""``/points`` in a grid group or a private chat: the nearest designated vending points."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler, filters

from handlers.context import GridApp, GridContext
from handlers.parse import person_of

NEW_MESSAGES = filters.UpdateType.MESSAGE


async def points_command(update: Update, context: GridContext) -> None:
    """Ask for the location whose nearest open points to list."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    if not private and message.chat_id not in context.directory.groups:
        return
    await context.services.points.ask(
        message.chat_id, person_of(message.from_user), message.message_id, private=private
    )


def register(app: GridApp) -> None:
    chats = filters.ChatType.GROUPS | filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("points", points_command, filters=chats & NEW_MESSAGES))

"""A lead's broadcast notices: ``/notice`` to compose, ``/notices`` for who got it, and the
members of grid groups noted from the updates the bot handles."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.context import GridApp, GridContext
from handlers.leads import _locale
from handlers.parse import largest_photo, person_of, replies_to_bot

NEW_MESSAGES = filters.UpdateType.MESSAGE
# Before the guards (-2, -1): noting a member never stops an update, and the lead's answer
# to the notice prompt must be taken before the private report intake (group 0) sees it.
SEEN_GROUP = -4
COMPOSE_GROUP = -3


async def note_member(update: Update, context: GridContext) -> None:
    """Anyone who writes or presses in a grid group is a member the bot has seen."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or user.is_bot or chat.id not in context.directory.groups:
        return
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return
    await context.services.broadcasts.seen(chat.id, person_of(user))


async def notice_command(update: Update, context: GridContext) -> None:
    """``/notice``: a lead starts a broadcast notice (refused politely elsewhere)."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    await context.services.broadcasts.start(
        message.chat_id, private, person_of(message.from_user), _locale(update, context)
    )


async def notices_command(update: Update, context: GridContext) -> None:
    """``/notices``: who pressed "got it" on the lead's latest notice, per group."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    await context.services.broadcasts.status(
        message.chat_id, private, person_of(message.from_user), _locale(update, context)
    )


async def notice_text(update: Update, context: GridContext) -> None:
    """The lead's answer to the notice prompt; anything else goes on to other handlers."""
    message = update.effective_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return
    private = message.chat.type == ChatType.PRIVATE
    if not private:
        if context.directory.officials_chat(message.chat_id) is None:
            return
        if not replies_to_bot(message, context.bot.id):
            return
    text = message.text if message.text is not None else message.caption
    taken = await context.services.broadcasts.receive(
        message.chat_id, private, person_of(message.from_user), text, largest_photo(message)
    )
    if taken:
        raise ApplicationHandlerStop


def register(app: GridApp) -> None:
    app.add_handler(TypeHandler(Update, note_member), group=SEEN_GROUP)
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES & ~filters.COMMAND & (filters.TEXT | filters.PHOTO), notice_text
        ),
        group=COMPOSE_GROUP,
    )
    app.add_handler(CommandHandler("notice", notice_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("notices", notices_command, filters=NEW_MESSAGES))

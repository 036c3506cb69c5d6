"""Shop owners' reports in grid groups and private chats: location, category, details."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler, MessageHandler, filters

from handlers.context import GridApp, GridContext
from handlers.parse import largest_photo, person_of, replies_to_bot, spot_of

NEW_MESSAGES = filters.UpdateType.MESSAGE


async def report_command(update: Update, context: GridContext) -> None:
    """``/report`` in a grid group starts a report aimed at the sender."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or message.from_user is None:
        return
    if chat.id not in context.directory.groups:
        return
    await context.intake.start_in_group(chat.id, person_of(message.from_user), message.message_id)


async def cancel_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    await context.intake.cancel_open(
        message.chat_id, person_of(message.from_user), message.message_id
    )


async def location_message(update: Update, context: GridContext) -> None:
    """A location or venue: the answer to the location prompt, or (admin mode) a new report."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    spot = spot_of(message)
    if spot is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    if not private and message.chat_id not in context.directory.groups:
        return
    person = person_of(message.from_user)
    replied = message.reply_to_message
    if await context.services.points.answer_location(
        message.chat_id,
        person,
        message.message_id,
        spot,
        replied_to=replied.message_id if replied is not None else None,
        private=private,
    ):
        return
    await context.intake.receive_location(
        message.chat_id, person, message.message_id, spot, private=private
    )


async def details_message(update: Update, context: GridContext) -> None:
    """A description or photo: in a group only as a reply to the bot, in private any."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    if not private:
        if message.chat_id not in context.directory.groups:
            return
        if not replies_to_bot(message, context.bot.id):
            return
    text = message.text if message.text is not None else message.caption
    await context.intake.receive_details(
        message.chat_id,
        person_of(message.from_user),
        message.message_id,
        text,
        largest_photo(message),
    )


def register(app: GridApp) -> None:
    groups = filters.ChatType.GROUPS
    app.add_handler(CommandHandler("report", report_command, filters=groups & NEW_MESSAGES))
    app.add_handler(CommandHandler("cancel", cancel_command, filters=NEW_MESSAGES))
    app.add_handler(
        MessageHandler(NEW_MESSAGES & (filters.LOCATION | filters.VENUE), location_message)
    )
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES & ~filters.COMMAND & (filters.TEXT | filters.PHOTO), details_message
        )
    )

"""Squad chats: arrival by location, resolution notes, and the /ticket, /open, /mine views."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.core import notices
from bot.core.buttons import is_number
from bot.core.i18n import t
from bot.core.people import Answer
from handlers.context import GridApp, GridContext, chat_locale
from handlers.parse import largest_photo, person_of, replies_to_bot, spot_of

NEW_MESSAGES = filters.UpdateType.MESSAGE

# Group 1: the reporting handlers (group 0) also see these messages and ignore squad chats.
OFFICER_GROUP = 1


def _locale(update: Update, context: GridContext) -> str:
    return chat_locale(update, context)


async def _reply(context: GridContext, update: Update, body: str, purpose: str) -> None:
    message = update.effective_message
    assert message is not None
    await context.services.outbox.send(
        notices.text(message.chat_id, body, purpose, reply_to_message_id=message.message_id)
    )


async def reply_in_squad_chat(update: Update, context: GridContext) -> None:
    """A reply to the bot in a squad chat: a location on a card, or a resolution note."""
    message = update.effective_message
    if message is None or message.from_user is None or message.reply_to_message is None:
        return
    if message.chat_id not in context.directory.squad_chats:
        return
    if not replies_to_bot(message, context.bot.id):
        return
    person = person_of(message.from_user)
    replied = message.reply_to_message.message_id
    spot = spot_of(message)
    answer: Answer | None
    if spot is not None:
        answer = await context.services.workflow.arrive_by_location(
            message.chat_id, replied, person, spot
        )
    else:
        text = message.text if message.text is not None else message.caption
        answer = await context.services.resolution.note_reply(
            message.chat_id, replied, person, text, largest_photo(message)
        )
    # A note's success shows on the edited prompt; arrivals and refusals deserve a reply.
    if answer is not None and answer.text and (spot is not None or answer.alert):
        await _reply(context, update, answer.text, "officer_reply")


async def ticket_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    locale = _locale(update, context)
    argument = (context.args or [""])[0].lstrip("#")
    if not is_number(argument):
        await _reply(context, update, t(locale, "view.usage_ticket"), "view")
        return
    body = await context.services.views.timeline(
        int(argument), person_of(message.from_user), locale
    )
    await _reply(context, update, body, "view")


async def merge_command(update: Update, context: GridContext) -> None:
    """``/merge 1043 1042``: close #1043 as a duplicate of #1042."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    locale = _locale(update, context)
    numbers = [arg.lstrip("#") for arg in context.args or []]
    if len(numbers) != 2 or not all(is_number(n) for n in numbers):
        await _reply(context, update, t(locale, "merge.usage"), "view")
        return
    body = await context.services.merger.merge(
        message.chat_id, person_of(message.from_user), int(numbers[0]), int(numbers[1]), locale
    )
    await _reply(context, update, body, "view")


async def open_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None:
        return
    body = await context.services.views.open_in_squad_chat(
        message.chat_id, _locale(update, context)
    )
    await _reply(context, update, body, "view")


async def mine_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    body = await context.services.views.mine(person_of(message.from_user), _locale(update, context))
    await _reply(context, update, body, "view")


async def onduty_command(update: Update, context: GridContext) -> None:
    await _clock(update, context, on=True)


async def offduty_command(update: Update, context: GridContext) -> None:
    await _clock(update, context, on=False)


async def _clock(update: Update, context: GridContext, *, on: bool) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    body = await context.services.duty.clock_in_out(
        person_of(message.from_user), on, _locale(update, context)
    )
    await _reply(context, update, body, "duty")


async def duty_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    body = await context.services.duty.board_for(
        message.chat_id, person_of(message.from_user), _locale(update, context)
    )
    await _reply(context, update, body, "duty")


def register(app: GridApp) -> None:
    app.add_handler(CommandHandler("onduty", onduty_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("offduty", offduty_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("duty", duty_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("ticket", ticket_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("open", open_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("merge", merge_command, filters=NEW_MESSAGES))
    app.add_handler(CommandHandler("mine", mine_command, filters=NEW_MESSAGES))
    app.add_handler(
        MessageHandler(
            NEW_MESSAGES
            & filters.REPLY
            & ~filters.COMMAND
            & (filters.LOCATION | filters.TEXT | filters.PHOTO),
            reply_in_squad_chat,
        ),
        group=OFFICER_GROUP,
    )

"""Private chats: deep-link reports, ``/start``, ``/help`` and ``/whoami``."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.core import notices
from bot.core.i18n import locale_of_language_code, t
from bot.core.notices import Button
from handlers.context import GridApp, GridContext
from handlers.parse import person_of, start_payload_group

log = logging.getLogger(__name__)

NEW_MESSAGES = filters.UpdateType.MESSAGE


async def start_command(update: Update, context: GridContext) -> None:
    """``/start`` (with ``r<group>`` from a grid group's link: a private report)."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    person = person_of(message.from_user)
    services = context.services
    locale = locale_of_language_code(person.language_code, services.settings.locale)
    payload = context.args[0] if context.args else ""
    if not payload:
        await _say(context, message.chat_id, t(locale, "help.private"), "help")
        return
    group_id = start_payload_group(payload)
    if group_id is None or group_id not in context.directory.groups:
        await _say(context, message.chat_id, t(locale, "start.unknown_link"), "refusal")
        return
    if not await _is_member(context, group_id, person.id):
        body = t(context.directory.group_locale(group_id), "start.not_member")
        await _say(context, message.chat_id, body, "refusal")
        return
    await context.intake.start_private(group_id, person, message.message_id)


async def _is_member(context: GridContext, group_id: int, user_id: int) -> bool:
    """Whether the person is in the grid group; if Telegram cannot say, let them report."""
    try:
        member = await context.bot.get_chat_member(group_id, user_id)
    except TelegramError as exc:
        log.warning("could not check membership of %s in %s: %s", user_id, group_id, exc)
        return True
    return member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


async def whoami_command(update: Update, context: GridContext) -> None:
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    person = person_of(message.from_user)
    locale = locale_of_language_code(person.language_code, context.services.settings.locale)
    await _say(
        context, message.chat_id, t(locale, "whoami", id=person.id, name=person.name), "whoami"
    )


async def help_command(update: Update, context: GridContext) -> None:
    """``/help``: in a grid group with the private-report button, in private the overview."""
    message = update.effective_message
    if message is None or message.from_user is None:
        return
    chat_id = message.chat_id
    if chat_id in context.directory.groups:
        locale = context.directory.group_locale(chat_id)
        link = context.intake.private_link(chat_id)
        markup = notices.inline([[Button(t(locale, "button.report_privately"), url=link)]])
        await context.services.outbox.send(
            notices.text(chat_id, t(locale, "help.group"), "help", markup)
        )
        return
    if message.chat.type == "private":
        person = person_of(message.from_user)
        locale = locale_of_language_code(person.language_code, context.services.settings.locale)
        await _say(context, chat_id, t(locale, "help.private"), "help")


async def _say(context: GridContext, chat_id: int, body: str, purpose: str) -> None:
    await context.services.outbox.send(notices.text(chat_id, body, purpose))


def register(app: GridApp) -> None:
    private = filters.ChatType.PRIVATE & NEW_MESSAGES
    app.add_handler(CommandHandler("start", start_command, filters=private))
    app.add_handler(CommandHandler("whoami", whoami_command, filters=private))
    app.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGES))

"""Guards that run before every feature handler (negative groups: order matters)."""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    ChatMemberHandler,
    TypeHandler,
)

from handlers.context import GridApp, GridContext

log = logging.getLogger(__name__)

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


async def ignore_non_people(update: Update, context: GridContext) -> None:
    """Drop posts by channels, anonymous admins and other bots: no person to answer."""
    message = update.effective_message
    user = update.effective_user
    if message is not None and message.sender_chat is not None:
        raise ApplicationHandlerStop
    if user is not None and user.is_bot:
        raise ApplicationHandlerStop


async def unconfigured_chat(update: Update, context: GridContext) -> None:
    """In a group the config does not know, give the set-up hint once, then nothing else."""
    chat = update.effective_chat
    if chat is None or chat.type not in GROUPS:
        return
    if context.directory.is_configured_chat(chat.id):
        return
    await context.services.hint_unconfigured(chat.id, again=False)
    raise ApplicationHandlerStop


async def bot_membership(update: Update, context: GridContext) -> None:
    """Added to a chat: an unknown chat gets the hint (again, since it was re-added)."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in GROUPS:
        return
    now_in = change.new_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    was_in = change.old_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    if now_in and not was_in:
        log.info("added to chat %s (%s)", change.chat.id, change.chat.title)
        if not context.directory.is_configured_chat(change.chat.id):
            await context.services.hint_unconfigured(change.chat.id, again=True)


def register(app: GridApp) -> None:
    app.add_handler(TypeHandler(Update, ignore_non_people), group=-2)
    app.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=-1)
    app.add_handler(TypeHandler(Update, unconfigured_chat), group=-1)

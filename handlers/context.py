"""The callback context every handler receives, with typed access to the services."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.directory import Directory
from bot.core.i18n import locale_of_language_code
from bot.reporting.intake import Intake
from bot.services import Services

SERVICES_KEY = "griddesk.services"


class GridContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """CallbackContext with the services as properties, so handlers never dig in bot_data."""

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def intake(self) -> Intake:
        return self.services.intake

    @property
    def directory(self) -> Directory:
        return self.services.directory


GridApp = Application[ExtBot[Any], GridContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def chat_locale(update: Update, context: GridContext) -> str:
    """The language of the chat an update came from: the squad's or the grid group's, else
    (a private chat) the person's own."""
    chat = update.effective_chat
    directory = context.directory
    if chat is not None and chat.id in directory.squad_chats:
        return directory.squad_locale(directory.squad_chats[chat.id])
    if chat is not None and chat.id in directory.groups:
        return directory.group_locale(chat.id)
    user = update.effective_user
    default = context.services.settings.locale
    return locale_of_language_code(user.language_code if user else None, default)

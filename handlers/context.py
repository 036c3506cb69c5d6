"""The callback context every handler receives, with typed access to the services."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.directory import Directory
from bot.intake import Intake
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

"""The example district with the Minzhu squad and the market group switched to English."""

from __future__ import annotations

from bot.core.config import Settings
from tests.harness import MARKET_GROUP


def in_language(settings: Settings, locale: str) -> Settings:
    """``settings`` as they are (zh), or with the market group and its squad in English."""
    if locale == "zh":
        return settings
    squads = [
        s.model_copy(update={"locale": locale}) if s.id == "minzhu" else s for s in settings.squads
    ]
    groups = [
        g.model_copy(update={"locale": locale}) if g.chat_id == MARKET_GROUP else g
        for g in settings.grid_groups
    ]
    return settings.model_copy(update={"squads": squads, "grid_groups": groups})

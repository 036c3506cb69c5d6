"""A local stand-in for the Telegram Bot API, with simulated people ("the world").

Used by the offline demo over real HTTP (``StandinServer``) and by tests in-process
(``World.call``).  Nothing here depends on the bot framework.  Telegram's flood limits
(``FloodLimits``) and slow answers (``World.hold``) are there to be turned on.
"""

from __future__ import annotations

from bot.standin.apijson import DEFAULT_API_JSON
from bot.standin.errors import ApiError, SimulationError
from bot.standin.faults import Fault, FaultHook, FaultPlan, FaultRule
from bot.standin.holds import Hold
from bot.standin.html import FormattedText, HtmlParseError, parse_html
from bot.standin.limits import FloodLimits
from bot.standin.model import (
    ApiResponse,
    Call,
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    ManualClock,
    Upload,
    User,
    Venue,
)
from bot.standin.schema import METHODS
from bot.standin.server import StandinServer
from bot.standin.world import World

__all__ = [
    "DEFAULT_API_JSON",
    "METHODS",
    "ApiError",
    "ApiResponse",
    "Call",
    "CallbackQueryRecord",
    "Chat",
    "ChatMessage",
    "Fault",
    "FaultHook",
    "FaultPlan",
    "FaultRule",
    "FloodLimits",
    "FormattedText",
    "Hold",
    "HtmlParseError",
    "ManualClock",
    "SimulationError",
    "StandinServer",
    "Upload",
    "User",
    "Venue",
    "World",
    "parse_html",
]

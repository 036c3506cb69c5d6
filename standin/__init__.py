"""A local stand-in for the Telegram Bot API, with simulated people ("the world").

Used by the offline demo over real HTTP (``StandinServer``) and by tests in-process
(``World.call``).  Nothing here depends on the bot framework.  Telegram's flood limits
(``FloodLimits``) and slow answers (``World.hold``) are there to be turned on.
"""

from __future__ import annotations

from standin.apijson import DEFAULT_API_JSON
from standin.errors import ApiError, SimulationError
from standin.faults import Fault, FaultHook, FaultPlan, FaultRule
from standin.holds import Hold
from standin.html import FormattedText, HtmlParseError, parse_html
from standin.limits import FloodLimits
from standin.model import (
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
from standin.schema import METHODS
from standin.server import StandinServer
from standin.world import World

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
